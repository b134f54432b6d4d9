import Foundation
import GridCore
import GridStore
import Logging
import ServiceLifecycle

/// Watches the deadline stages of open reports: reminds the assignee before a deadline and,
/// once it has passed, escalates one level at a time (grid worker → grid head → community →
/// street), each step on the report's timeline. It also reminds a grid's staff, once, of a
/// triage candidate nobody decided on within an hour of working time.
///
/// Everything it needs is in the database (`report_stages.next_check_at`), so it survives
/// restarts: after downtime it catches up on what fell due. Each check claims its stage in a
/// transaction, so two watchers never send one reminder twice. Time comes from the injected
/// clock; tests call `checkDue()` with a clock they move.
public final class DeadlineWatcher: Service, Sendable {
    let store: SQLStore
    let desk: WorkOrderDesk
    let logger: Logger
    let now: @Sendable () -> Date
    let pollInterval: Duration
    let onMessagesQueued: @Sendable () -> Void
    let triage: TriageDesk
    private let loop = WorkLoop()

    public init(
        store: SQLStore, desk: WorkOrderDesk, logger: Logger, now: @escaping @Sendable () -> Date,
        pollInterval: Duration = .seconds(15), onMessagesQueued: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.desk = desk
        self.logger = logger
        self.now = now
        self.pollInterval = pollInterval
        self.onMessagesQueued = onMessagesQueued
        self.triage = desk.triage
    }

    public func run() async throws {
        try await loop.run(pollInterval: pollInterval, logger: logger, what: "checking deadlines") {
            try await self.checkDue()
        }
    }

    /// Reminds and escalates every stage due at the clock's present moment, repeating until
    /// nothing is due (a stage long overdue climbs every level it has missed). Returns how many
    /// steps it took.
    @discardableResult
    public func checkDue(batchSize: Int = 100) async throws -> Int {
        var steps = 0
        while true {
            let moment = now()
            let due = try await store.dueStages(now: moment, limit: batchSize)
            let progressed = try await desk.checkStages(due.map(\.id), now: moment)
            steps += progressed
            if progressed > 0 { onMessagesQueued() }
            if due.count < batchSize || progressed == 0 { break }
        }
        // Triage candidates nobody decided on within an hour of working time.
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
