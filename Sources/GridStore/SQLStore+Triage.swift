import Foundation
import GridCore
import SQLKit

/// A message the parser did not take for a report but that may be one: kept for staff with the
/// parser's best guess until someone promotes it to a report or dismisses it.
public struct TriageCandidate: Sendable, Equatable {
    public enum Status: String, Sendable {
        case open, promoted, dismissed
    }

    public var messageID: Int64
    /// The grid that would answer for it as a report (whose staff see it).
    public var gridCode: String?
    public var buildingCode: String?
    public var guessIntent: Intent
    public var guessCategory: ReportCategory
    public var guessUrgency: Urgency
    /// How likely the model thinks a report is, 0…100.
    public var reportChancePercent: Int
    /// Why it was kept: the cues and the model's view, for the person who decides.
    public var reason: String
    public var status: Status
    public var decidedBy: String?
    public var decidedAt: Date?
    public var reportID: Int64?
    public var createdAt: Date
    /// When staff are reminded if nobody has decided by then (nil: no reminder).
    public var remindAt: Date?

    public init(
        messageID: Int64, gridCode: String?, buildingCode: String?, guessIntent: Intent, guessCategory: ReportCategory,
        guessUrgency: Urgency, reportChancePercent: Int, reason: String, status: Status = .open, decidedBy: String? = nil,
        decidedAt: Date? = nil, reportID: Int64? = nil, createdAt: Date, remindAt: Date? = nil
    ) {
        self.messageID = messageID
        self.gridCode = gridCode
        self.buildingCode = buildingCode
        self.guessIntent = guessIntent
        self.guessCategory = guessCategory
        self.guessUrgency = guessUrgency
        self.reportChancePercent = reportChancePercent
        self.reason = reason
        self.status = status
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.reportID = reportID
        self.createdAt = createdAt
        self.remindAt = remindAt
    }

    /// Where it would be handled, for the scope rules of reports.
    public func assignment(in directory: CommunityDirectory) -> ReportAssignment {
        let grid = gridCode ?? directory.root ?? ""
        return ReportAssignment(gridCode: grid, gridChain: directory.chain(grid), departmentCode: nil, buildingCode: buildingCode)
    }
}

/// A candidate with the message it is about, for the console's list.
public struct TriageEntry: Sendable, Equatable {
    public var candidate: TriageCandidate
    public var message: StoredInboundMessage
}

extension WorkOrderTransaction {
    static let triageColumns = [
        "message_id", "grid_code", "building_code", "guess_intent", "guess_category", "guess_urgency", "report_chance_percent",
        "reason", "status", "decided_by", "decided_at", "report_id", "created_at", "remind_at",
    ]

    /// Keeps a candidate (once per message).
    public func keepTriage(_ candidate: TriageCandidate) async throws {
        try await db.insert(into: "triage_candidates").columns(Self.triageColumns)
            .values(
                SQLBind(candidate.messageID), Self.optional(candidate.gridCode), Self.optional(candidate.buildingCode),
                SQLBind(candidate.guessIntent.rawValue), SQLBind(candidate.guessCategory.rawValue), SQLBind(candidate.guessUrgency.rawValue),
                SQLBind(candidate.reportChancePercent), SQLBind(candidate.reason), SQLBind(candidate.status.rawValue),
                Self.optional(candidate.decidedBy), Self.optional(candidate.decidedAt.map(Self.ms)), Self.optional(candidate.reportID),
                SQLBind(Self.ms(candidate.createdAt)), Self.optional(candidate.remindAt.map(Self.ms)))
            .ignoringConflicts(with: ["message_id"])
            .run()
    }

    /// The candidate kept for a message, locked for this transaction.
    public func triageCandidate(messageID: Int64) async throws -> TriageCandidate? {
        guard let row = try await db.select().columns(Self.triageColumns).from("triage_candidates")
            .where("message_id", .equal, messageID).for(.update).first()
        else { return nil }
        return try Self.triageCandidate(row)
    }

    /// Ends a candidate as promoted (with its report) or dismissed; a dismissed one may still be
    /// promoted later, a promoted one stays so. False when there was no such candidate to decide.
    public func decideTriage(messageID: Int64, _ status: TriageCandidate.Status, by personCode: String, reportID: Int64?, at date: Date) async throws -> Bool {
        let rows = try await db.update("triage_candidates")
            .set("status", to: status.rawValue).set("decided_by", to: personCode).set("decided_at", to: Self.ms(date))
            .set("report_id", to: Self.optional(reportID))
            .where("message_id", .equal, messageID).where("status", .notEqual, TriageCandidate.Status.promoted.rawValue)
            .returning("message_id").all()
        return !rows.isEmpty
    }

    /// Keeps a dismissal or promotion of a message that was never a candidate, so every decision
    /// is on record.
    public func recordDecision(_ candidate: TriageCandidate) async throws {
        try await keepTriage(candidate)
        _ = try await decideTriage(messageID: candidate.messageID, candidate.status, by: candidate.decidedBy ?? "", reportID: candidate.reportID, at: candidate.decidedAt ?? candidate.createdAt)
    }

    /// The report made from a message, if any.
    public func reportID(forMessage messageID: Int64) async throws -> Int64? {
        try await db.select().column("id").from("reports").where("message_id", .equal, messageID)
            .first(decodingColumn: "id", as: Int64.self)
    }

    /// Queues a note about a candidate to a staff chat; a reply to it finds the candidate.
    public func enqueue(_ message: OutboundMessage, dedupeKey: String, triageMessageID: Int64, at date: Date) async throws {
        try await SQLStore.insertOutbound(message, dedupeKey: dedupeKey, triageMessageID: triageMessageID, at: date, on: db)
    }

    static func triageCandidate(_ row: any SQLRow) throws -> TriageCandidate {
        func decoded<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T where T.RawValue == String {
            let text = try row.decode(column: column, as: String.self)
            guard let value = T(rawValue: text) else { throw StoreError.corrupt("triage_candidates.\(column) '\(text)'") }
            return value
        }
        return TriageCandidate(
            messageID: try row.decode(column: "message_id"), gridCode: try row.decode(column: "grid_code"),
            buildingCode: try row.decode(column: "building_code"), guessIntent: try decoded("guess_intent", as: Intent.self),
            guessCategory: try decoded("guess_category", as: ReportCategory.self), guessUrgency: try decoded("guess_urgency", as: Urgency.self),
            reportChancePercent: try row.decode(column: "report_chance_percent"), reason: try row.decode(column: "reason"),
            status: try decoded("status", as: TriageCandidate.Status.self), decidedBy: try row.decode(column: "decided_by"),
            decidedAt: try row.decode(column: "decided_at", as: Int64?.self).map(SQLStore.date), reportID: try row.decode(column: "report_id"),
            createdAt: SQLStore.date(try row.decode(column: "created_at")),
            remindAt: try row.decode(column: "remind_at", as: Int64?.self).map(SQLStore.date))
    }

    /// Claims an open candidate's reminder; false when it was decided or reminded already.
    public func claimTriageReminder(messageID: Int64, at date: Date) async throws -> Bool {
        let rows = try await db.update("triage_candidates").set("reminded_at", to: Self.ms(date))
            .where("message_id", .equal, messageID).where("status", .equal, TriageCandidate.Status.open.rawValue)
            .where("reminded_at", .is, SQLLiteral.null).where("remind_at", .lessThanOrEqual, Self.ms(date))
            .returning("message_id").all()
        return !rows.isEmpty
    }
}

extension SQLStore {
    /// The candidate a staff chat's note is about, by the platform's id of the delivered note.
    public func triageForNote(botCode: String, chatID: String, platformMessageID: String) async throws -> Int64? {
        try await database.withConnection { db in
            try await db.select().column("triage_message_id").from("outbound_messages")
                .where("bot_code", .equal, botCode).where("chat_id", .equal, chatID)
                .where("platform_message_id", .equal, platformMessageID).where("triage_message_id", .isNot, SQLLiteral.null)
                .limit(1).first(decodingColumn: "triage_message_id", as: Int64.self)
        }
    }

    /// Open candidates whose reminder is due and not sent, oldest first.
    public func dueTriageReminders(now: Date, limit: Int) async throws -> [Int64] {
        try await database.withConnection { db in
            try await db.select().column("message_id").from("triage_candidates")
                .where("reminded_at", .is, SQLLiteral.null).where("remind_at", .lessThanOrEqual, Self.milliseconds(now))
                .where("status", .equal, TriageCandidate.Status.open.rawValue)
                .orderBy("remind_at").limit(limit).all(decodingColumn: "message_id", as: Int64.self)
        }
    }

    /// One candidate, whatever its state.
    public func triageCandidate(messageID: Int64) async throws -> TriageCandidate? {
        try await database.withConnection { db in
            guard let row = try await db.select().columns(WorkOrderTransaction.triageColumns).from("triage_candidates")
                .where("message_id", .equal, messageID).first()
            else { return nil }
            return try WorkOrderTransaction.triageCandidate(row)
        }
    }

    /// Open candidates in a scope, newest first, with their messages.
    public func openTriage(scope: ReportScope, limit: Int = 100) async throws -> [TriageEntry] {
        guard !scope.seesNothing else { return [] }
        return try await database.withConnection { db in
            var query = db.select().columns(WorkOrderTransaction.triageColumns).from("triage_candidates")
                .where("status", .equal, TriageCandidate.Status.open.rawValue)
            switch scope {
            case .everything: break
            case .grids(let grids): query = query.where("grid_code", .in, grids)
            case .building(let building): query = query.where("building_code", .equal, building)
            case .department, .nothing: return []
            }
            let candidates = try await query.orderBy("created_at", .descending).limit(limit).all().map(WorkOrderTransaction.triageCandidate)
            guard !candidates.isEmpty else { return [] }
            let messages = try await Self.storedMessages(
                db.select().from("inbound_messages").where("id", .in, candidates.map(\.messageID)), limit: candidates.count)
            let byID = Dictionary(messages.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            return candidates.compactMap { candidate in byID[candidate.messageID].map { TriageEntry(candidate: candidate, message: $0) } }
        }
    }
}

/// One decision of staff on what a message is: a promotion, a dismissal or a corrected report.
public struct CorrectedMessage: Sendable, Equatable {
    public var messageID: Int64
    public var text: String
    public var botCode: String
    public var chatID: String
    public var intent: Intent
    public var category: ReportCategory?
    public var urgency: Urgency?
    public var location: Location
}

extension SQLStore {
    /// Every message staff decided on, oldest first: promoted and dismissed triage candidates,
    /// and reports whose category, urgency or place staff corrected, with the label as it stands.
    public func correctedMessages() async throws -> [CorrectedMessage] {
        try await database.withConnection { db in
            var byMessage: [Int64: CorrectedMessage] = [:]
            func message(_ id: Int64) async throws -> InboundMessage? {
                try await Self.storedMessages(db.select().from("inbound_messages").where("id", .equal, id), limit: 1).first?.message
            }
            let decided = try await db.select().columns(WorkOrderTransaction.triageColumns).from("triage_candidates")
                .where("status", .notEqual, TriageCandidate.Status.open.rawValue).all().map(WorkOrderTransaction.triageCandidate)
            for candidate in decided where candidate.status == .dismissed {
                // A message retention cleared teaches nothing (and its words are gone).
                guard let inbound = try await message(candidate.messageID), !inbound.text.isEmpty else { continue }
                byMessage[candidate.messageID] = CorrectedMessage(
                    messageID: candidate.messageID, text: inbound.text, botCode: inbound.botCode, chatID: inbound.chatID,
                    intent: candidate.guessIntent == .report ? .chat : candidate.guessIntent, category: nil, urgency: nil, location: Location())
            }
            var reportIDs = Set(decided.compactMap(\.reportID))
            let corrected = try await db.select().column("report_id").from("report_events")
                .where("action", .in, ["recategorise", "reprioritise", "relocate"]).all()
            for row in corrected { reportIDs.insert(try row.decode(column: "report_id", as: Int64.self)) }
            let tx = WorkOrderTransaction(db: db)
            for id in reportIDs.sorted() {
                guard let order = try await tx.workOrder(id: id, lock: false), let inbound = try await message(order.messageID) else { continue }
                byMessage[order.messageID] = CorrectedMessage(
                    messageID: order.messageID, text: order.text, botCode: inbound.botCode, chatID: inbound.chatID, intent: .report,
                    category: order.category, urgency: order.urgency, location: order.location)
            }
            return byMessage.values.sorted { $0.messageID < $1.messageID }
        }
    }
}
