import Foundation
import GridStore
import Logging
import ServiceLifecycle

/// `serve --retain-messages 180d`: once an hour, clears the text and sender of stored chat
/// messages older than that which made no report, and masks the personal data of reports
/// closed that long (`SQLStore.applyRetention`). Every step is idempotent, so instances sharing
/// a database may all run it.
public struct RetentionWatcher: Service, Sendable {
    let store: SQLStore
    let retain: TimeInterval
    let logger: Logger
    let now: @Sendable () -> Date
    private let loop = WorkLoop()

    public init(store: SQLStore, retain: TimeInterval, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.retain = retain
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        try await loop.run(pollInterval: .seconds(3600), logger: logger, what: "applying message retention") {
            try await self.applyDue()
        }
    }

    /// Applies retention as of now; returns what it cleared.
    @discardableResult
    public func applyDue() async throws -> RetentionCounts {
        let moment = now()
        let done = try await store.applyRetention(before: moment.addingTimeInterval(-retain), at: moment)
        if done != RetentionCounts() {
            logger.notice("message retention applied", metadata: [
                "retention.messages_cleared": "\(done.messagesCleared)", "retention.reports_masked": "\(done.reportsMasked)",
            ])
        }
        return done
    }
}
