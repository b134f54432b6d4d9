import Foundation
import GridCore
import SQLKit

/// What a retention run clears, or would clear in a dry run.
public struct RetentionCounts: Sendable, Equatable {
    /// Stored chat messages that made no report, received before the cut-off: their text,
    /// sender, photos and reply address are removed.
    public var messagesCleared = 0
    /// Reports closed before the cut-off: personal data is masked in their text, their
    /// messages' text, their timeline notes and their reporters' names; the structured fields
    /// (category, place, dates, status) stay. A report merged into one closed before the
    /// cut-off counts too.
    public var reportsMasked = 0
    /// What GridBot said into chats (cards, notices, answers) before the cut-off, delivered or
    /// given up on: the text is removed; what it was about (report, chat, time) stays.
    public var repliesCleared = 0

    public init(messagesCleared: Int = 0, reportsMasked: Int = 0, repliesCleared: Int = 0) {
        self.messagesCleared = messagesCleared
        self.reportsMasked = reportsMasked
        self.repliesCleared = repliesCleared
    }
}

/// Retention (`--retain-messages 180d`, `gridbot purge`): stored messages keep residents' words
/// and names no longer than needed (the Personal Information Protection Law). The ledger and
/// the reports' structured fields are never touched; a message not yet processed, or one
/// waiting in triage, is kept whole.
extension SQLStore {
    /// Messages older than `cutoff` that made no report and are not waiting in triage.
    static func clearableMessages(before cutoff: Date) -> SQLQueryString {
        """
        FROM inbound_messages AS m
        WHERE m.received_at < \(bind: WorkOrderTransaction.ms(cutoff)) AND m.processed_at IS NOT NULL AND m.purged_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM reports AS r WHERE r.message_id = m.id)
            AND NOT EXISTS (SELECT 1 FROM report_reporters AS rr
                            WHERE rr.bot_code = m.bot_code AND rr.chat_id = m.chat_id AND rr.message_id = m.platform_message_id)
            AND NOT EXISTS (SELECT 1 FROM triage_candidates AS t WHERE t.message_id = m.id AND t.status = 'open')
        """
    }

    /// Reports closed before `cutoff`, or merged into one that was, not yet masked.
    static func maskableReports(before cutoff: Date) -> SQLQueryString {
        let cut = WorkOrderTransaction.ms(cutoff)
        return """
        FROM reports WHERE purged_at IS NULL AND (
            (status = 'closed' AND closed_at IS NOT NULL AND closed_at < \(bind: cut))
            OR (status = 'merged' AND EXISTS (SELECT 1 FROM reports AS target WHERE target.id = reports.merged_into
                                              AND target.status = 'closed' AND target.closed_at IS NOT NULL AND target.closed_at < \(bind: cut))))
        """
    }

    /// Replies older than `cutoff` that are done with (sent or given up) and still hold text.
    static func clearableReplies(before cutoff: Date) -> SQLQueryString {
        """
        FROM outbound_messages WHERE created_at < \(bind: WorkOrderTransaction.ms(cutoff)) AND state IN ('sent', 'dead') AND purged_at IS NULL
        """
    }

    /// What a run with this cut-off would clear, writing nothing.
    public func retentionDue(before cutoff: Date) async throws -> RetentionCounts {
        try await database.withConnection { db in
            let messages = try await db.raw("SELECT COUNT(*) AS n " + Self.clearableMessages(before: cutoff)).first(decodingColumn: "n", as: Int.self)
            let reports = try await db.raw("SELECT COUNT(*) AS n " + Self.maskableReports(before: cutoff)).first(decodingColumn: "n", as: Int.self)
            let replies = try await db.raw("SELECT COUNT(*) AS n " + Self.clearableReplies(before: cutoff)).first(decodingColumn: "n", as: Int.self)
            return RetentionCounts(messagesCleared: messages ?? 0, reportsMasked: reports ?? 0, repliesCleared: replies ?? 0)
        }
    }

    /// Clears and masks what is older than `cutoff`, in small transactions (`batch` rows each,
    /// so intake never waits behind one); returns what it did. Running it again finds nothing
    /// more to do until time moves on.
    @discardableResult
    public func applyRetention(before cutoff: Date, at now: Date, batch: Int = 50) async throws -> RetentionCounts {
        let stamp = WorkOrderTransaction.ms(now)
        let messages = try await inBatches(of: batch, "SELECT m.id AS id " + Self.clearableMessages(before: cutoff) + " ORDER BY m.id") { id, db in
            try await db.raw("""
                UPDATE inbound_messages SET text = '', sender_name = NULL, sender_id = '', attachments = '[]', reply_url = NULL,
                    quoted_message_id = NULL, purged_at = \(bind: stamp)
                WHERE id = \(bind: id)
                """).run()
        }
        let reports = try await inBatches(of: batch, "SELECT id " + Self.maskableReports(before: cutoff) + " ORDER BY id") { id, db in
            try await Self.mask(report: id, db: db, at: now)
        }
        let replies = try await inBatches(of: batch, "SELECT id " + Self.clearableReplies(before: cutoff) + " ORDER BY id") { id, db in
            try await db.raw("UPDATE outbound_messages SET text = '', reply_to = NULL, reply_url = NULL, purged_at = \(bind: stamp) WHERE id = \(bind: id)").run()
        }
        return RetentionCounts(messagesCleared: messages, reportsMasked: reports, repliesCleared: replies)
    }

    /// Runs `change` on every row `select` finds (its `id`), `size` rows a transaction, until
    /// none is left; returns how many it changed. Each change makes its row leave `select`.
    private func inBatches(
        of size: Int, _ select: SQLQueryString, _ change: @escaping @Sendable (Int64, any SQLDatabase) async throws -> Void
    ) async throws -> Int {
        var total = 0
        while true {
            let changed = try await database.withTransaction { db in
                let ids = try await db.raw(select + " LIMIT \(unsafeRaw: String(size))").all().map { try $0.decode(column: "id", as: Int64.self) }
                for id in ids { try await change(id, db) }
                return ids.count
            }
            total += changed
            if changed < size { return total }
        }
    }

    /// Masks one closed report: its text, the text of its message and of the duplicates that
    /// joined it, its timeline notes, and its reporters' names.
    private static func mask(report id: Int64, db: any SQLDatabase, at now: Date) async throws {
        let reporters = try await db.raw("SELECT name, bot_code, chat_id, message_id FROM report_reporters WHERE report_id = \(bind: id)").all()
        let names = try reporters.compactMap { try $0.decode(column: "name", as: String?.self) }
        func masked(_ text: String) -> String { PersonalData.maskNames(PersonalData.mask(text), known: names) }
        if let row = try await db.raw("SELECT text, message_id FROM reports WHERE id = \(bind: id)").first() {
            let text = try row.decode(column: "text", as: String.self)
            let messageID = try row.decode(column: "message_id", as: Int64.self)
            try await db.raw("UPDATE reports SET text = \(bind: masked(text)), purged_at = \(bind: WorkOrderTransaction.ms(now)) WHERE id = \(bind: id)").run()
            try await maskMessage(where: "id = \(bind: messageID)", masked, db: db, at: now)
        }
        for reporter in reporters {
            guard let platformID = try reporter.decode(column: "message_id", as: String?.self) else { continue }
            let bot = try reporter.decode(column: "bot_code", as: String.self)
            let chat = try reporter.decode(column: "chat_id", as: String.self)
            try await maskMessage(where: "bot_code = \(bind: bot) AND chat_id = \(bind: chat) AND platform_message_id = \(bind: platformID)", masked, db: db, at: now)
        }
        for event in try await db.raw("SELECT id, note FROM report_events WHERE report_id = \(bind: id) AND note IS NOT NULL").all() {
            let note = try event.decode(column: "note", as: String.self)
            let hidden = masked(note)
            if hidden != note {
                try await db.raw("UPDATE report_events SET note = \(bind: hidden) WHERE id = \(bind: try event.decode(column: "id", as: Int64.self))").run()
            }
        }
        try await db.raw("UPDATE report_reporters SET name = NULL, reply_url = NULL WHERE report_id = \(bind: id)").run()
        try await db.raw("UPDATE care_checks SET visit_note = NULL WHERE report_id = \(bind: id)").run()
    }

    private static func maskMessage(where condition: SQLQueryString, _ masked: (String) -> String, db: any SQLDatabase, at now: Date) async throws {
        for row in try await db.raw("SELECT id, text FROM inbound_messages WHERE " + condition + " AND purged_at IS NULL").all() {
            let text = try row.decode(column: "text", as: String.self)
            try await db.raw("""
                UPDATE inbound_messages SET text = \(bind: masked(text)), sender_name = NULL, reply_url = NULL,
                    purged_at = \(bind: WorkOrderTransaction.ms(now))
                WHERE id = \(bind: try row.decode(column: "id", as: Int64.self))
                """).run()
        }
    }
}
