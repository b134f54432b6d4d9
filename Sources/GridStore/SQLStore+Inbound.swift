import Foundation
import GridCore
import SQLKit

/// A webhook signature that may be used for one message only, until it expires.
public struct SingleUseSignature: Sendable, Equatable {
    public var value: String
    public var expiresAt: Date

    public init(value: String, expiresAt: Date) {
        self.value = value
        self.expiresAt = expiresAt
    }
}

/// A signature already used for another message: the request is a replay, and nothing was stored.
public struct SignatureReused: Error, Sendable, CustomStringConvertible {
    public var description: String { "this signature was already used for another message" }
}

/// The outcome of storing a message.
public struct RecordedMessage: Sendable, Equatable {
    public var id: Int64
    /// False when the message was already stored: a redelivery.
    public var isNew: Bool
}

/// A stored message with its id and the group it was bound to, if any.
public struct StoredInboundMessage: Sendable, Equatable {
    public var id: Int64
    public var message: InboundMessage
    /// Nil when the chat is not bound to a group yet (flagged for an admin to bind).
    public var groupCode: String?

    public init(id: Int64, message: InboundMessage, groupCode: String?) {
        self.id = id
        self.message = message
        self.groupCode = groupCode
    }
}

/// The record of every group message, stored exactly once per platform message.
extension SQLStore {
    /// Stores a message unless the same bot already stored the same platform message id; either
    /// way returns the stored message's id. Concurrent deliveries of one message store one row.
    public func record(_ message: InboundMessage, groupCode: String?, receivedAt: Date) async throws -> RecordedMessage {
        try await record(message, groupCode: groupCode, receivedAt: receivedAt, signature: nil)
    }

    public func record(_ message: InboundMessage, groupCode: String?, receivedAt: Date, signature: SingleUseSignature?) async throws -> RecordedMessage {
        let attachments = String(decoding: try JSONEncoder.sorted.encode(message.attachments), as: UTF8.self)
        // A write transaction, so SQLite takes the write lock first and concurrent deliveries queue.
        return try await database.withTransaction { db in
            if let signature { try await Self.claim(signature, for: message, receivedAt: receivedAt, in: db) }
            let inserted = try await db.raw("""
                INSERT INTO inbound_messages (platform, bot_code, platform_message_id, chat_id, group_code, sender_id,
                    sender_name, text, quoted_message_id, attachments, sent_at, received_at, reply_url)
                VALUES (\(bind: message.platform.rawValue), \(bind: message.botCode), \(bind: message.platformMessageID),
                    \(bind: message.chatID), \(WorkOrderTransaction.optional(groupCode)), \(bind: message.senderID),
                    \(WorkOrderTransaction.optional(message.senderName)), \(bind: message.text), \(WorkOrderTransaction.optional(message.quotedMessageID)),
                    \(bind: attachments), \(bind: Self.milliseconds(message.sentAt)), \(bind: Self.milliseconds(receivedAt)),
                    \(WorkOrderTransaction.optional(message.replyURL)))
                ON CONFLICT (bot_code, platform_message_id) DO NOTHING RETURNING id
                """).first(decodingColumn: "id", as: Int64.self)
            if let inserted { return RecordedMessage(id: inserted, isNew: true) }
            let existing = try await db.select().column("id").from("inbound_messages")
                .where("bot_code", .equal, message.botCode)
                .where("platform_message_id", .equal, message.platformMessageID)
                .first(decodingColumn: "id", as: Int64.self)
            guard let existing else { throw StoreError.corrupt("a conflicting inbound message vanished") }
            return RecordedMessage(id: existing, isNew: false)
        }
    }

    /// Claims a single-use signature for this message; a redelivery of the same message may use it
    /// again, any other message may not. Expired claims are cleared on the way.
    private static func claim(_ signature: SingleUseSignature, for message: InboundMessage, receivedAt: Date, in db: any SQLDatabase) async throws {
        try await db.delete(from: "webhook_signatures").where("expires_at", .lessThan, milliseconds(receivedAt)).run()
        try await db.insert(into: "webhook_signatures")
            .columns("bot_code", "signature", "platform_message_id", "expires_at")
            .values(SQLBind(message.botCode), SQLBind(signature.value), SQLBind(message.platformMessageID), SQLBind(milliseconds(signature.expiresAt)))
            .ignoringConflicts(with: ["bot_code", "signature"])
            .run()
        let owner = try await db.select().column("platform_message_id").from("webhook_signatures")
            .where("bot_code", .equal, message.botCode).where("signature", .equal, signature.value)
            .first(decodingColumn: "platform_message_id", as: String.self)
        guard owner == message.platformMessageID else { throw SignatureReused() }
    }

    /// Messages stored but not yet processed, oldest first (what a restart picks up again).
    public func unprocessedMessages(limit: Int) async throws -> [StoredInboundMessage] {
        try await database.withConnection { db in
            try await Self.storedMessages(db.select().from("inbound_messages").where("processed_at", .is, SQLLiteral.null), limit: limit)
        }
    }

    /// The messages a bot stored, oldest first, processed or not: the groups' record.
    public func messages(botCode: String, limit: Int) async throws -> [StoredInboundMessage] {
        try await database.withConnection { db in
            try await Self.storedMessages(db.select().from("inbound_messages").where("bot_code", .equal, botCode), limit: limit)
        }
    }

    static let storedColumns = ["id", "platform", "bot_code", "platform_message_id", "chat_id", "group_code", "sender_id",
                                "sender_name", "text", "quoted_message_id", "attachments", "sent_at", "reply_url"]

    static func storedMessages(_ query: SQLSelectBuilder, limit: Int) async throws -> [StoredInboundMessage] {
        try await query.columns(storedColumns).orderBy("id").limit(limit).all().map(storedMessage)
    }

    static func storedMessage(_ row: any SQLRow) throws -> StoredInboundMessage {
        let platformText = try row.decode(column: "platform", as: String.self)
        guard let platform = ChatPlatform(rawValue: platformText) else { throw StoreError.corrupt("inbound_messages.platform '\(platformText)'") }
        let attachments = try JSONDecoder().decode([String].self, from: Data(try row.decode(column: "attachments", as: String.self).utf8))
        let message = InboundMessage(
            platform: platform, botCode: try row.decode(column: "bot_code"), chatID: try row.decode(column: "chat_id"),
            senderID: try row.decode(column: "sender_id"), senderName: try row.decode(column: "sender_name"),
            text: try row.decode(column: "text"), quotedMessageID: try row.decode(column: "quoted_message_id"),
            attachments: attachments, sentAt: Self.date(try row.decode(column: "sent_at")),
            platformMessageID: try row.decode(column: "platform_message_id"), replyURL: try row.decode(column: "reply_url"))
        return StoredInboundMessage(id: try row.decode(column: "id"), message: message, groupCode: try row.decode(column: "group_code"))
    }

    /// Claims up to `limit` unprocessed messages for `owner` (one running instance) until
    /// `lease` seconds from now, oldest first, and returns them.
    ///
    /// Each instance gets different messages: rows another instance is claiming are skipped
    /// (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer), as are messages of a chat
    /// another instance holds a live lease in, so one chat's messages are processed in order by
    /// one instance. A lease that ran out (its instance died) is taken over. The lease only
    /// spreads the work: processing still claims each message once (`processed_at IS NULL`).
    public func claimUnprocessed(owner: String, now date: Date, lease: TimeInterval, limit: Int) async throws -> [StoredInboundMessage] {
        let now = Self.milliseconds(date)
        let until = now + Int64(lease * 1000)
        let skipLocked: SQLQueryString = database.backend == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let columns = SQLQueryString(Self.storedColumns.joined(separator: ", "))
        return try await database.withTransaction { db in
            let rows = try await db.raw("""
                UPDATE inbound_messages SET lease_owner = \(bind: owner), lease_until = \(bind: until)
                WHERE id IN (
                    SELECT m.id FROM inbound_messages m
                    WHERE m.processed_at IS NULL
                      AND (m.lease_until IS NULL OR m.lease_until < \(bind: now) OR m.lease_owner = \(bind: owner))
                      AND NOT EXISTS (
                          SELECT 1 FROM inbound_messages o
                          WHERE o.processed_at IS NULL AND o.bot_code = m.bot_code AND o.chat_id = m.chat_id
                            AND o.lease_owner <> \(bind: owner) AND o.lease_until >= \(bind: now))
                    ORDER BY m.id LIMIT \(bind: limit)\(skipLocked))
                RETURNING \(columns)
                """).all()
            return try rows.map(Self.storedMessage).sorted { $0.id < $1.id }
        }
    }

    /// How many stored messages wait to be processed.
    public func unprocessedCount() async throws -> Int {
        try await database.withConnection { db in
            try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("inbound_messages")
                .where("processed_at", .is, SQLLiteral.null).first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }

    /// One stored message by its id.
    public func storedMessage(id: Int64) async throws -> StoredInboundMessage? {
        try await database.withConnection { db in
            try await Self.storedMessages(db.select().from("inbound_messages").where("id", .equal, id), limit: 1).first
        }
    }

    /// The stored message a chat reply quotes: the same bot and chat, by the platform's message id.
    public func storedMessage(botCode: String, chatID: String, platformMessageID: String) async throws -> StoredInboundMessage? {
        try await database.withConnection { db in
            try await Self.storedMessages(db.select().from("inbound_messages").where("bot_code", .equal, botCode)
                .where("chat_id", .equal, chatID).where("platform_message_id", .equal, platformMessageID), limit: 1).first
        }
    }

    /// Marks a message processed; returns false when it already was.
    public func markProcessed(id: Int64, at date: Date) async throws -> Bool {
        try await database.withTransaction { db in
            // Conditional: only the first marker wins, so a message is never processed twice.
            let rows = try await db.update("inbound_messages").set("processed_at", to: Self.milliseconds(date))
                .where("id", .equal, id).where("processed_at", .is, SQLLiteral.null)
                .returning("id").all()
            return !rows.isEmpty
        }
    }

    /// How many messages the bot has stored.
    public func messageCount(botCode: String) async throws -> Int {
        try await database.withConnection { db in
            try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("inbound_messages")
                .where("bot_code", .equal, botCode).first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }

    /// A moment as stored: milliseconds since 1970. Requests are range-checked where they are
    /// decoded; this never traps all the same, clamping what no Int64 holds.
    static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite else { return value > 0 ? .max : .min }
        guard value < 9.2e18 else { return .max }
        guard value > -9.2e18 else { return .min }
        return Int64(value)
    }
    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
