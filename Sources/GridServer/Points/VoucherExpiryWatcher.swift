import Foundation
import GridCore
import GridStore
import Logging
import ServiceLifecycle

/// Expires unused vouchers when their time is up and gives their points back to the household,
/// telling the holder. Everything it needs is in the database, so after downtime it catches up.
public final class VoucherExpiryWatcher: Service, Sendable {
    let store: SQLStore
    let replies: ChatReplies
    let logger: Logger
    let now: @Sendable () -> Date
    let pollInterval: Duration
    let onMessagesQueued: @Sendable () -> Void
    private let loop = WorkLoop()

    init(
        store: SQLStore, replies: ChatReplies, logger: Logger, now: @escaping @Sendable () -> Date, pollInterval: Duration = .seconds(60),
        onMessagesQueued: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.replies = replies
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
        let expired = try await expireDue(at: now())
        if expired > 0 {
            logger.info("vouchers expired and refunded", metadata: ["vouchers.expired": "\(expired)"])
            onMessagesQueued()
        }
        return expired
    }

    /// Expires every voucher past its time, refunding its points and telling its holder; each
    /// in its own transaction, so two watchers or a restart never refund twice. Returns how many
    /// it expired.
    func expireDue(at now: Date, batchSize: Int = 100) async throws -> Int {
        var expired = 0
        while true {
            let due = try await store.dueVouchers(now: now, limit: batchSize)
            var round = 0
            for code in due {
                let done = try await store.withPoints { [replies] tx in
                    guard let voucher = try await tx.expire(code, at: now) else { return false }
                    let name = try await tx.personName(code: voucher.personCode) ?? ""
                    if let text = replies.render(.voucherExpired, [
                        "name": name, "title": voucher.offerTitle, "code": voucher.code.description,
                        "expires": replies.clockTime(voucher.expiresAt, relativeTo: now), "points": voucher.points,
                    ]) {
                        try await tx.enqueue(voucher.contact.outbound(text), dedupeKey: "voucher-expired:\(voucher.code)", at: now)
                    }
                    return true
                }
                if done { round += 1 }
            }
            expired += round
            if due.count < batchSize || round == 0 { return expired }
        }
    }
}
