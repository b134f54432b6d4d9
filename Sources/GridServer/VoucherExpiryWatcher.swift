import Foundation
import GridStore
import Logging
import ServiceLifecycle

/// Expires unused vouchers when their time is up and gives their points back to the household,
/// telling the holder. Everything it needs is in the database, so after downtime it catches up.
public final class VoucherExpiryWatcher: Service, Sendable {
    let points: PointsDesk
    let logger: Logger
    let now: @Sendable () -> Date
    let pollInterval: Duration
    let onMessagesQueued: @Sendable () -> Void
    private let loop = WorkLoop()

    public init(
        points: PointsDesk, logger: Logger, now: @escaping @Sendable () -> Date, pollInterval: Duration = .seconds(60),
        onMessagesQueued: @escaping @Sendable () -> Void = {}
    ) {
        self.points = points
        self.logger = logger
        self.now = now
        self.pollInterval = pollInterval
        self.onMessagesQueued = onMessagesQueued
    }

    public func run() async throws {
        try await loop.run(pollInterval: pollInterval, logger: logger, what: "expiring vouchers") {
            try await self.expireDue()
        }
    }

    /// Expires what is due at the clock's present moment; returns how many.
    @discardableResult
    public func expireDue() async throws -> Int {
        let expired = try await points.expireDue(now: now())
        if expired > 0 {
            logger.info("vouchers expired and refunded", metadata: ["vouchers.expired": "\(expired)"])
            onMessagesQueued()
        }
        return expired
    }
}
