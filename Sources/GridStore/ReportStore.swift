import Foundation
import GridCore
import SQLKit

/// A report as first recorded from a message (the closed loop adds its later life).
public struct NewReport: Sendable, Equatable {
    public var category: ReportCategory
    public var urgency: Urgency
    public var location: Location
    public var confidence: Double
    /// Recorded but marked for a person to look at: the parser was unsure.
    public var needsTriage: Bool

    public init(category: ReportCategory, urgency: Urgency, location: Location, confidence: Double, needsTriage: Bool) {
        self.category = category
        self.urgency = urgency
        self.location = location
        self.confidence = confidence
        self.needsTriage = needsTriage
    }
}

/// A stored report.
public struct ReportRecord: Sendable, Equatable {
    public var id: Int64
    public var messageID: Int64
    public var groupCode: String?
    public var report: NewReport
    public var status: String
    public var text: String
}

/// Finishing the processing of stored messages, and reading reports back.
public protocol ReportStore: Sendable {
    /// Marks a message processed with the intent the parser found and, for a report, records it
    /// — both in one transaction. Returns nil when the message was already processed (nothing
    /// changes), else the outcome with the new report's id when one was created.
    ///
    /// `reply` builds the answer to post, given the new report's number when one was recorded; it
    /// is queued in the same transaction, so the answer is sent exactly once, even after a crash.
    func completeProcessing(
        of stored: StoredInboundMessage, intent: Intent, report: NewReport?, at date: Date,
        reply: @Sendable (Int64?) -> OutboundMessage?
    ) async throws -> ProcessingOutcome?
    /// A report by its number.
    func report(id: Int64) async throws -> ReportRecord?
    /// How many reports exist.
    func reportCount() async throws -> Int
}

/// What processing one message did.
public struct ProcessingOutcome: Sendable, Equatable {
    public var reportID: Int64?
}

extension SQLStore: ReportStore {
    public func completeProcessing(
        of stored: StoredInboundMessage, intent: Intent, report: NewReport?, at date: Date,
        reply: @Sendable (Int64?) -> OutboundMessage?
    ) async throws -> ProcessingOutcome? {
        let message = stored.message
        return try await database.withTransaction { db in
            let claimed = try await db.update("inbound_messages")
                .set("processed_at", to: Self.milliseconds(date)).set("parsed_intent", to: intent.rawValue)
                .where("id", .equal, stored.id).where("processed_at", .is, SQLLiteral.null)
                .returning("id").all()
            guard !claimed.isEmpty else { return nil }
            guard let report else {
                if let answer = reply(nil) {
                    try await Self.insertOutbound(answer, dedupeKey: "reply:\(stored.id)", at: date, on: db)
                }
                return ProcessingOutcome(reportID: nil)
            }
            func optional(_ value: String?) -> any SQLExpression { value.map { SQLBind($0) } ?? SQLLiteral.null }
            let id = try await db.insert(into: "reports")
                .columns("message_id", "group_code", "building", "unit", "room", "category", "urgency", "confidence_percent",
                         "needs_triage", "status", "text", "reporter_platform", "reporter_id", "created_at")
                .values(
                    SQLBind(stored.id), optional(stored.groupCode), optional(report.location.building), optional(report.location.unit),
                    optional(report.location.room), SQLBind(report.category.rawValue), SQLBind(report.urgency.rawValue),
                    SQLBind(Int((report.confidence * 100).rounded())), SQLBind(report.needsTriage ? 1 : 0), SQLBind("received"), SQLBind(message.text),
                    SQLBind(message.platform.rawValue), SQLBind(message.senderID), SQLBind(Self.milliseconds(date)))
                .returning("id").first(decodingColumn: "id", as: Int64.self)
            if let id, let answer = reply(id) {
                try await Self.insertOutbound(answer, dedupeKey: "reply:\(stored.id)", at: date, on: db)
            }
            return ProcessingOutcome(reportID: id)
        }
    }

    public func report(id: Int64) async throws -> ReportRecord? {
        try await database.withConnection { db in
            guard let row = try await db.select()
                .columns("id", "message_id", "group_code", "building", "unit", "room", "category", "urgency", "confidence_percent", "needs_triage", "status", "text")
                .from("reports").where("id", .equal, id).first() else { return nil }
            let categoryText = try row.decode(column: "category", as: String.self)
            let urgencyText = try row.decode(column: "urgency", as: String.self)
            guard let category = ReportCategory(rawValue: categoryText), let urgency = Urgency(rawValue: urgencyText) else {
                throw StoreError.corrupt("report \(id) has category '\(categoryText)' and urgency '\(urgencyText)'")
            }
            let report = NewReport(
                category: category, urgency: urgency,
                location: Location(building: try row.decode(column: "building"), unit: try row.decode(column: "unit"), room: try row.decode(column: "room")),
                confidence: Double(try row.decode(column: "confidence_percent", as: Int.self)) / 100, needsTriage: try row.decode(column: "needs_triage", as: Int.self) != 0)
            return ReportRecord(
                id: try row.decode(column: "id"), messageID: try row.decode(column: "message_id"), groupCode: try row.decode(column: "group_code"),
                report: report, status: try row.decode(column: "status"), text: try row.decode(column: "text"))
        }
    }

    public func reportCount() async throws -> Int {
        try await database.withConnection { db in
            try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("reports").first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }
}
