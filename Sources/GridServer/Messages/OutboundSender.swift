import Foundation
import GridChat
import GridCore
import GridStore
import Logging
import ServiceLifecycle

/// Delivers the outbound queue: claims due messages, holds each chat to its rate limit, sends
/// through the platform, and records the result with the delivery state machine. The queue is in
/// the database, so what was queued before a restart is still sent after it.
public final class OutboundSender: Service, Sendable {
    let store: SQLStore
    let sender: any ChatSender
    let logger: Logger
    let now: @Sendable () -> Date
    let rateLimit: RateLimit
    let pollInterval: Duration
    /// This instance's name on the leases it takes.
    let owner = "sender-" + UUID().uuidString
    private let loop = WorkLoop()

    /// How long a claimed message stays this instance's without a word from it. Each send
    /// renews it first, and a send gives up well within it (`HTTPChatSender.timeout`), so a
    /// message is never sent by two instances; a message whose sender died is picked up again
    /// this long after.
    static let lease: TimeInterval = 20

    public init(
        store: SQLStore, sender: any ChatSender, logger: Logger, now: @escaping @Sendable () -> Date,
        rateLimit: RateLimit = RateLimit(), pollInterval: Duration = .milliseconds(500)
    ) {
        self.store = store
        self.sender = sender
        self.logger = logger
        self.now = now
        self.rateLimit = rateLimit
        self.pollInterval = pollInterval
    }

    /// Tells the sender something was queued.
    public func notify() {
        loop.notify()
    }

    public func run() async throws {
        try await loop.run(pollInterval: pollInterval, logger: logger, what: "delivering the outbound queue") {
            try await self.deliverDue()
        }
    }

    /// Sends every message that is due now; returns how many were delivered.
    @discardableResult
    public func deliverDue(limit: Int = 16) async throws -> Int {
        let claimed = try await store.claimDueOutbound(owner: owner, now: now(), limit: limit, lease: Self.lease)
        var delivered = 0
        for item in claimed {
            if try await deliver(item) { delivered += 1 }
        }
        return delivered
    }

    private func deliver(_ item: ClaimedOutbound) async throws -> Bool {
        let moment = now()
        let seconds = moment.timeIntervalSince1970
        let state = OutboundDelivery.pending(attempts: item.attempts, notBefore: seconds)
        let recent = try await store.sendTimes(botCode: item.message.botCode, chatID: item.message.chatID, since: moment.addingTimeInterval(-rateLimit.window))
        let allowed = rateLimit.nextAllowed(after: recent.map(\.timeIntervalSince1970), now: seconds)
        if allowed > seconds {
            try await store.recordDelivery(id: item.id, owner: owner, state.throttled(at: seconds, seconds: allowed - seconds), error: nil)
            return false
        }
        guard let bot = try await store.bot(code: item.message.botCode) else {
            try await store.recordDelivery(id: item.id, owner: owner, .dead(reason: "bot '\(item.message.botCode)' no longer exists"), error: nil)
            return false
        }
        // The batch was claimed a while ago: send only while the message is still this
        // instance's, and keep it so for the length of the send.
        guard try await store.renewOutboundLease(id: item.id, owner: owner, now: now(), lease: Self.lease) else {
            logger.notice("outbound message taken over by another instance; not sent here", metadata: ["outbound.id": "\(item.id)"])
            return false
        }
        let failure: SendFailure?
        var platformID: String?
        do {
            platformID = try await sender.send(item.message, bot: bot)
            failure = nil
        } catch {
            failure = error
        }
        guard let error = failure else {
            try await store.recordDelivery(id: item.id, owner: owner, state.succeeded(at: now().timeIntervalSince1970), error: nil, platformMessageID: platformID)
            return true
        }
        let next: OutboundDelivery
        if let retryAfter = error.retryAfter {
            next = state.throttled(at: seconds, seconds: retryAfter)
        } else {
            next = state.failed(at: seconds, reason: error.reason, permanent: error.permanent)
        }
        logger.notice("outbound message not delivered", metadata: [
            "outbound.id": "\(item.id)", "chat.platform": "\(item.message.platform.rawValue)", "reason": "\(error.reason)",
        ])
        try await store.recordDelivery(id: item.id, owner: owner, next, error: error.reason)
        return false
    }
}
