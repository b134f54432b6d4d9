import Foundation
import GridCore
import SQLKit

/// A staff notice as remembered: what it said, in which chat, about what, and until when.
public struct RememberedNotice: Sendable, Equatable {
    public var messageID: Int64
    public var text: String
    public var topics: [NoticeTopic]
    public var postedAt: Date
    public var validUntil: Date
}

extension WorkOrderTransaction {
    /// Remembers a notice (once per message).
    public func rememberNotice(messageID: Int64, botCode: String, chatID: String, text: String, topics: [NoticeTopic], postedAt: Date, validUntil: Date) async throws {
        try await db.insert(into: "notices").columns("message_id", "bot_code", "chat_id", "topics", "text", "posted_at", "valid_until")
            .values(SQLBind(messageID), SQLBind(botCode), SQLBind(chatID), SQLBind(topics.map(\.rawValue).joined(separator: ",")),
                    SQLBind(text), SQLBind(Self.ms(postedAt)), SQLBind(Self.ms(validUntil)))
            .ignoringConflicts(with: ["message_id"])
            .run()
    }
}

extension SQLStore {
    /// The newest notice in a chat that holds at `now` and speaks of one of `topics`.
    public func currentNotice(botCode: String, chatID: String, topics: [NoticeTopic], now: Date) async throws -> RememberedNotice? {
        guard !topics.isEmpty else { return nil }
        return try await database.withConnection { db in
            let rows = try await db.select().columns("message_id", "topics", "text", "posted_at", "valid_until").from("notices")
                .where("bot_code", .equal, botCode).where("chat_id", .equal, chatID)
                .where("valid_until", .greaterThan, Self.milliseconds(now)).where("posted_at", .lessThanOrEqual, Self.milliseconds(now))
                .orderBy("posted_at", .descending).limit(50).all()
            for row in rows {
                let kept = try row.decode(column: "topics", as: String.self).split(separator: ",").compactMap { NoticeTopic(rawValue: String($0)) }
                guard kept.contains(where: topics.contains) else { continue }
                return RememberedNotice(
                    messageID: try row.decode(column: "message_id"), text: try row.decode(column: "text"), topics: kept,
                    postedAt: Self.date(try row.decode(column: "posted_at")), validUntil: Self.date(try row.decode(column: "valid_until")))
            }
            return nil
        }
    }
}
