import Foundation
import GridCore
import SQLKit

/// A queued outbound message claimed for sending.
public struct ClaimedOutbound: Sendable, Equatable {
    public var id: Int64
    public var message: OutboundMessage
    public var attempts: Int
}

/// The persistent outbound queue.
extension SQLStore {
    /// Queues a message; with a `dedupeKey`, queuing the same key again does nothing. Returns the
    /// id of the queued message (the existing one for a repeated key).
    @discardableResult
    public func enqueue(_ message: OutboundMessage, dedupeKey: String?, at date: Date) async throws -> Int64 {
        try await database.withTransaction { db in
            try await Self.insertOutbound(message, dedupeKey: dedupeKey, at: date, on: db)
        }
    }

    /// Queues a message on a connection inside the caller's transaction.
    @discardableResult
    ///
    /// `reportID` and `triageMessageID` file it under the report or triage candidate it is about.
    static func insertOutbound(
        _ message: OutboundMessage, dedupeKey: String?, reportID: Int64? = nil, triageMessageID: Int64? = nil, at date: Date, on db: any SQLDatabase
    ) async throws -> Int64 {
        let now = milliseconds(date)
        let inserted = try await db.raw("""
            INSERT INTO outbound_messages (platform, bot_code, chat_id, text, reply_to, state, attempts, not_before, created_at, dedupe_key,
                reply_url, recipient, delivery_key, report_id, triage_message_id)
            VALUES (\(bind: message.platform.rawValue), \(bind: message.botCode), \(bind: message.chatID), \(bind: message.text),
                \(WorkOrderTransaction.optional(message.replyTo)), 'pending', 0, \(bind: now), \(bind: now), \(WorkOrderTransaction.optional(dedupeKey)),
                \(WorkOrderTransaction.optional(message.replyURL)), \(WorkOrderTransaction.optional(message.recipient)),
                \(bind: "gridbot-" + UUID().uuidString.lowercased()), \(WorkOrderTransaction.optional(reportID)),
                \(WorkOrderTransaction.optional(triageMessageID)))
            ON CONFLICT (dedupe_key) DO NOTHING RETURNING id
            """).first(decodingColumn: "id", as: Int64.self)
        if let inserted { return inserted }
        guard let dedupeKey, let existing = try await db.select().column("id").from("outbound_messages")
            .where("dedupe_key", .equal, dedupeKey).first(decodingColumn: "id", as: Int64.self)
        else { throw StoreError.corrupt("an outbound message conflicted but cannot be found") }
        // Queued before under the same key: it is filed where this one says.
        if let reportID { try await db.update("outbound_messages").set("report_id", to: reportID).where("id", .equal, existing).run() }
        if let triageMessageID {
            try await db.update("outbound_messages").set("triage_message_id", to: triageMessageID).where("id", .equal, existing).run()
        }
        return existing
    }

    /// Claims due messages for `owner` (one running instance) until `lease` seconds from now,
    /// oldest first: pending and due, or being sent by an instance whose lease ran out (it died
    /// or hung). Instances take different rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
    public func claimDueOutbound(owner: String, now date: Date, limit: Int, lease: TimeInterval) async throws -> [ClaimedOutbound] {
        let now = Self.milliseconds(date)
        let until = now + Int64(lease * 1000)
        let skipLocked: SQLQueryString = database.backend == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await database.withTransaction { db in
            let rows = try await db.raw("""
                UPDATE outbound_messages SET state = 'sending', lease_owner = \(bind: owner), lease_until = \(bind: until)
                WHERE id IN (
                    SELECT id FROM outbound_messages
                    WHERE (state = 'pending' AND not_before <= \(bind: now)) OR (state = 'sending' AND lease_until < \(bind: now))
                    ORDER BY id LIMIT \(bind: limit)\(skipLocked))
                RETURNING id, platform, bot_code, chat_id, text, reply_to, attempts, reply_url, recipient, delivery_key
                """).all()
            return try rows.map { row in
                let platformText = try row.decode(column: "platform", as: String.self)
                guard let platform = ChatPlatform(rawValue: platformText) else { throw StoreError.corrupt("outbound_messages.platform '\(platformText)'") }
                let id = try row.decode(column: "id", as: Int64.self)
                var message = OutboundMessage(
                    platform: platform, botCode: try row.decode(column: "bot_code"), chatID: try row.decode(column: "chat_id"),
                    text: try row.decode(column: "text"), replyTo: try row.decode(column: "reply_to"),
                    replyURL: try row.decode(column: "reply_url"), recipient: try row.decode(column: "recipient"))
                message.deliveryKey = try row.decode(column: "delivery_key", as: String?.self) ?? "gridbot-legacy-\(id)"
                return ClaimedOutbound(id: id, message: message, attempts: try row.decode(column: "attempts"))
            }.sorted { $0.id < $1.id }
        }
    }

    /// Extends `owner`'s lease on a claimed message just before it is sent; false when the
    /// message is no longer this owner's to send (another instance took it over after the lease
    /// ran out), and then it must not be sent.
    public func renewOutboundLease(id: Int64, owner: String, now date: Date, lease: TimeInterval) async throws -> Bool {
        let until = Self.milliseconds(date) + Int64(lease * 1000)
        return try await database.withTransaction { db in
            try await db.update("outbound_messages").set("lease_until", to: until)
                .where("id", .equal, id).where("state", .equal, "sending").where("lease_owner", .equal, owner)
                .returning("id").all().isEmpty == false
        }
    }

    /// Records what happened to a message `owner` claimed; nothing when another instance has
    /// taken it over since.
    /// `platformMessageID` is the platform's id of a sent message, where it gave one.
    public func recordDelivery(id: Int64, owner: String, _ delivery: OutboundDelivery, error: String?, platformMessageID: String? = nil) async throws {
        try await database.withTransaction { db in
            let update = db.update("outbound_messages").where("id", .equal, id).where("lease_owner", .equal, owner)
                .set("lease_until", to: SQLLiteral.null)
            if let platformMessageID { update.set("platform_message_id", to: platformMessageID) }
            switch delivery {
            case .pending(let attempts, let notBefore):
                update.set("state", to: "pending").set("attempts", to: attempts).set("not_before", to: Int64(notBefore * 1000))
            case .sent(let at):
                update.set("state", to: "sent").set("sent_at", to: Int64(at * 1000))
            case .dead(let reason):
                update.set("state", to: "dead").set("last_error", to: reason)
            }
            if let error, case .pending = delivery { update.set("last_error", to: error) }
            try await update.run()
        }
    }

    /// When messages were sent into a chat since a moment (for the rate limit).
    public func sendTimes(botCode: String, chatID: String, since date: Date) async throws -> [Date] {
        try await database.withConnection { db in
            try await db.select().column("sent_at").from("outbound_messages")
                .where("bot_code", .equal, botCode).where("chat_id", .equal, chatID)
                .where("state", .equal, "sent").where("sent_at", .greaterThan, Self.milliseconds(date))
                .all(decodingColumn: "sent_at", as: Int64.self).map(Self.date)
        }
    }

    /// The state of one queued message: pending, sending, sent or dead.
    public func outboundState(id: Int64) async throws -> (state: String, attempts: Int, lastError: String?)? {
        try await database.withConnection { db in
            guard let row = try await db.select().columns("state", "attempts", "last_error").from("outbound_messages")
                .where("id", .equal, id).first() else { return nil }
            return (try row.decode(column: "state"), try row.decode(column: "attempts"), try row.decode(column: "last_error"))
        }
    }

    /// How many messages wait to be sent.
    public func outboundQueueDepth() async throws -> Int {
        try await database.withConnection { db in
            try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("outbound_messages")
                .where("state", .in, ["pending", "sending"]).first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }
}
