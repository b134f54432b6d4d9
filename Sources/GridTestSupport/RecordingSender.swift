import Foundation
import GridChat
import GridCore

/// Records what would have been sent into chats, answering with an id as a platform would, so
/// replies can quote what was sent. A test that runs the application's own workers waits on
/// `messages(atLeast:)`, which resumes when they arrive rather than polling.
public actor RecordingSender: ChatSender {
    public private(set) var sent: [OutboundMessage] = []
    private var waiters: [(ready: @Sendable ([OutboundMessage]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []

    public init() {}

    /// Records the message and returns its platform id (`sent-1`, `sent-2`…).
    public nonisolated func send(_ message: OutboundMessage, bot: Bot) async throws(SendFailure) -> String? {
        await record(message)
    }

    private func record(_ message: OutboundMessage) -> String {
        sent.append(message)
        let sent = self.sent
        let ready = waiters.filter { $0.ready(sent) }
        waiters.removeAll { $0.ready(sent) }
        for waiter in ready { waiter.continuation.resume() }
        return "sent-\(sent.count)"
    }

    /// The first message sent that `matches`, waiting for it until `limit` has passed (so a
    /// broken worker fails the test's expectations instead of hanging it).
    public func first(within limit: Duration = .seconds(30), where matches: @escaping @Sendable (OutboundMessage) -> Bool) async -> OutboundMessage? {
        let ready: @Sendable ([OutboundMessage]) -> Bool = { $0.contains(where: matches) }
        if !ready(sent) {
            let timeout = Task { [weak self] in
                try await Task.sleep(for: limit)
                await self?.giveUp()
            }
            await withCheckedContinuation { continuation in waiters.append((ready, continuation)) }
            timeout.cancel()
        }
        return sent.first(where: matches)
    }

    private func giveUp() {
        for waiter in waiters { waiter.continuation.resume() }
        waiters.removeAll()
    }
}
