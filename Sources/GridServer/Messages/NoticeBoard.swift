import Foundation
import GridCore
import GridStore

/// Questions get an answer when one is known: staff notices (`【停水通知】…`) are remembered for
/// the days they name, and a resident's question in the same chat on the same topic (water,
/// power, gas, heating, the elevator, fees, an event) is answered with a short quote of the
/// notice and its time. Nothing else is answered: an answer is never invented.
struct NoticeBoard: Sendable {
    let store: SQLStore
    let replies: ChatReplies

    /// Whether a notice is one to remember: from staff, or headed as a notice.
    static func isStaffNotice(_ text: String, from sender: Person?) -> Bool {
        sender?.role.isStaff == true || text.contains("通知") || text.contains("公告")
    }

    /// Finishes a notice, remembering it when it names a topic; false when already processed.
    func remember(_ stored: StoredInboundMessage, now: Date) async throws -> Bool {
        let message = stored.message
        let topics = NoticeTopic.topics(of: message.text)
        let posted = min(message.sentAt, now)
        let until = NoticeTopic.validUntil(of: message.text, posted: posted)
        return try await store.withWorkOrders { tx in
            guard try await tx.claim(stored, intent: .notice, at: now) else { return false }
            if !topics.isEmpty {
                try await tx.rememberNotice(messageID: stored.id, botCode: message.botCode, chatID: message.chatID, text: message.text,
                                            topics: topics, postedAt: posted, validUntil: until)
            }
            return true
        }
    }

    /// The answer to a question from a current notice in its chat, or nil when none speaks of it.
    func answer(to message: InboundMessage, now: Date) async throws -> OutboundMessage? {
        let topics = NoticeTopic.topics(of: message.text)
        guard let notice = try await store.currentNotice(botCode: message.botCode, chatID: message.chatID, topics: topics, now: now) else { return nil }
        let quote = notice.text.count > 90 ? String(notice.text.prefix(90)) + "…" : notice.text
        guard let text = replies.render(.noticeAnswer, ["time": replies.clockTime(notice.postedAt, relativeTo: now), "notice": PersonalData.mask(quote)]) else { return nil }
        return .answer(to: message, text)
    }
}
