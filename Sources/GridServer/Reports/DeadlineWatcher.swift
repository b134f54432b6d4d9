import Foundation
import GridCore
import GridStore
import Logging
import ServiceLifecycle

/// Watches what falls due: report stages (`Escalation` reminds and escalates them) and triage
/// candidates nobody decided on within an hour of working time (`TriageDesk` reminds staff once).
///
/// Everything it needs is in the database (`report_stages.next_check_at`,
/// `triage_candidates.remind_at`), so it survives restarts: after downtime it catches up on what
/// fell due. Time comes from the injected clock; tests call `checkDue()` with a clock they move.
public final class DeadlineWatcher: Service, Sendable {
    let store: SQLStore
    let escalation: Escalation
    let triage: TriageDesk
    let logger: Logger
    let now: @Sendable () -> Date
    let pollInterval: Duration
    let onMessagesQueued: @Sendable () -> Void
    private let loop = WorkLoop()

    init(
        store: SQLStore, escalation: Escalation, triage: TriageDesk, logger: Logger, now: @escaping @Sendable () -> Date,
        pollInterval: Duration = .seconds(15), onMessagesQueued: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.escalation = escalation
        self.triage = triage
        self.logger = logger
        self.now = now
        self.pollInterval = pollInterval
        self.onMessagesQueued = onMessagesQueued
    }

    /// Checks on start and then every poll interval, until shutdown.
    public func run() async throws {
        try await loop.run(pollInterval: pollInterval, logger: logger, what: "checking deadlines") {
            try await self.checkDue()
        }
    }

    /// Acts on every stage and triage reminder due now; returns how many steps it took.
    @discardableResult
    public func checkDue(batchSize: Int = 100) async throws -> Int {
        var steps = 0
        while true {
            let moment = now()
            let due = try await store.dueStages(now: moment, limit: batchSize)
            let progressed = try await escalation.check(due.map(\.id), now: moment)
            steps += progressed
            if progressed > 0 { onMessagesQueued() }
            if due.count < batchSize || progressed == 0 { break }
        }
        while true {
            let moment = now()
            let due = try await store.dueTriageReminders(now: moment, limit: batchSize)
            let reminded = try await triage.remind(due, now: moment)
            steps += reminded
            if reminded > 0 { onMessagesQueued() }
            if due.count < batchSize || reminded == 0 { return steps }
        }
    }
}
