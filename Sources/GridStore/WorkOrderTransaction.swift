import Foundation
import GridCore
import PostgresKit
import SQLKit

/// The work-order tables inside one transaction (see `SQLStore.withWorkOrders`).
public struct WorkOrderTransaction: Sendable {
    let db: any SQLDatabase

    static func ms(_ date: Date) -> Int64 { SQLStore.milliseconds(date) }
    static func date(_ value: Int64?) -> Date? { value.map(SQLStore.date) }
    static func optional(_ value: String?) -> any SQLExpression { value.map { SQLBind($0) } ?? SQLLiteral.null }
    static func optional(_ value: Int64?) -> any SQLExpression { value.map { SQLBind($0) } ?? SQLLiteral.null }

    /// Marks a stored message processed, once: false when it already was (nothing else may be
    /// written then).
    public func claim(_ stored: StoredInboundMessage, intent: Intent, at date: Date) async throws -> Bool {
        // The statements a message's processing runs are written out, not built: sql-kit's
        // builders cost more to serialise than SQLite takes to run them.
        let claimed = try await db.raw("""
            UPDATE inbound_messages SET processed_at = \(bind: Self.ms(date)), parsed_intent = \(bind: intent.rawValue)
            WHERE id = \(bind: stored.id) AND processed_at IS NULL RETURNING id
            """).all()
        return !claimed.isEmpty
    }

    /// The dedupe key of the first message queued in answer to a stored message.
    public static func replyKey(_ stored: StoredInboundMessage) -> String { "m\(stored.id):0" }

    /// Records a new report from a stored message and returns its number.
    public func insertReport(from stored: StoredInboundMessage, _ report: NewReport, status: ReportStatus, at date: Date) async throws -> WorkOrder {
        let message = stored.message
        let at = Self.ms(date)
        guard let row = try await db.raw("""
            INSERT INTO reports (message_id, group_code, building, unit, room, category, urgency, confidence_percent,
                needs_triage, status, text, reporter_platform, reporter_id, created_at, updated_at)
            VALUES (\(bind: stored.id), \(Self.optional(stored.groupCode)), \(Self.optional(report.location.building)),
                \(Self.optional(report.location.unit)), \(Self.optional(report.location.room)), \(bind: report.category.rawValue),
                \(bind: report.urgency.rawValue), \(bind: Int((report.confidence * 100).rounded())), \(bind: report.needsTriage ? 1 : 0),
                \(bind: status.rawValue), \(bind: message.text), \(bind: message.platform.rawValue), \(bind: message.senderID), \(bind: at), \(bind: at))
            RETURNING \(unsafeRaw: Self.reportColumnList)
            """).first()
        else { throw StoreError.corrupt("inserting a report returned no row") }
        return try Self.workOrder(row)
    }

    static let reportColumns = [
        "id", "message_id", "group_code", "building", "unit", "room", "category", "urgency", "needs_triage", "status", "text",
        "assignee_grid", "department_code", "resolved_by", "rated", "reopened_by_rating", "merged_into", "created_at",
        "assigned_at", "acknowledged_at", "resolved_at", "closed_at",
    ]
    static let reportColumnList = reportColumns.joined(separator: ", ")
    /// The open statuses as an SQL list of literals (constants, so written into the statement).
    static let openStatusList = ReportStatus.allCases.filter(\.isOpen).map { "'\($0.rawValue)'" }.joined(separator: ", ")

    /// A report; with `lock`, the row stays locked for this transaction (PostgreSQL; SQLite's
    /// write transaction already excludes other writers).
    public func workOrder(id: Int64, lock: Bool = true) async throws -> WorkOrder? {
        var query = db.select().columns(Self.reportColumns).from("reports").where("id", .equal, id)
        if lock { query = query.for(.update) }
        guard let row = try await query.first() else { return nil }
        return try Self.workOrder(row)
    }

    static func workOrder(_ row: any SQLRow) throws -> WorkOrder {
        let id = try row.decode(column: "id", as: Int64.self)
        let categoryText = try row.decode(column: "category", as: String.self)
        let urgencyText = try row.decode(column: "urgency", as: String.self)
        let statusText = try row.decode(column: "status", as: String.self)
        guard let category = ReportCategory(rawValue: categoryText), let urgency = Urgency(rawValue: urgencyText),
              let status = ReportStatus(rawValue: statusText) else {
            throw StoreError.corrupt("report \(id) has category '\(categoryText)', urgency '\(urgencyText)', status '\(statusText)'")
        }
        return WorkOrder(
            id: id, messageID: try row.decode(column: "message_id"), groupCode: try row.decode(column: "group_code"),
            category: category, urgency: urgency,
            location: Location(building: try row.decode(column: "building"), unit: try row.decode(column: "unit"), room: try row.decode(column: "room")),
            text: try row.decode(column: "text"), needsTriage: try row.decode(column: "needs_triage", as: Int.self) != 0, status: status,
            assigneeGrid: try row.decode(column: "assignee_grid"), departmentCode: try row.decode(column: "department_code"),
            resolvedBy: try row.decode(column: "resolved_by"), rated: try row.decode(column: "rated", as: Int.self) != 0,
            reopenedByRating: try row.decode(column: "reopened_by_rating", as: Int.self) != 0,
            mergedInto: try row.decode(column: "merged_into"), createdAt: SQLStore.date(try row.decode(column: "created_at")),
            assignedAt: date(try row.decode(column: "assigned_at")), acknowledgedAt: date(try row.decode(column: "acknowledged_at")),
            resolvedAt: date(try row.decode(column: "resolved_at")), closedAt: date(try row.decode(column: "closed_at")))
    }

    /// Writes a report's lifecycle facts and assignment back.
    public func save(_ order: WorkOrder, at date: Date) async throws {
        try await db.raw("""
            UPDATE reports SET status = \(bind: order.status.rawValue), category = \(bind: order.category.rawValue),
                urgency = \(bind: order.urgency.rawValue), building = \(Self.optional(order.location.building)),
                unit = \(Self.optional(order.location.unit)), room = \(Self.optional(order.location.room)),
                assignee_grid = \(Self.optional(order.assigneeGrid)), department_code = \(Self.optional(order.departmentCode)),
                resolved_by = \(Self.optional(order.resolvedBy)), rated = \(bind: order.rated ? 1 : 0),
                reopened_by_rating = \(bind: order.reopenedByRating ? 1 : 0), merged_into = \(Self.optional(order.mergedInto)),
                assigned_at = \(Self.optional(order.assignedAt.map(Self.ms))), acknowledged_at = \(Self.optional(order.acknowledgedAt.map(Self.ms))),
                resolved_at = \(Self.optional(order.resolvedAt.map(Self.ms))), closed_at = \(Self.optional(order.closedAt.map(Self.ms))),
                updated_at = \(bind: Self.ms(date))
            WHERE id = \(bind: order.id)
            """).run()
    }

    /// Appends a step to a report's timeline.
    public func append(_ event: ReportEvent) async throws {
        try await db.raw("""
            INSERT INTO report_events (report_id, at, actor_code, actor_name, actor_role, action, from_status, to_status, note)
            VALUES (\(bind: event.reportID), \(bind: Self.ms(event.at)), \(bind: event.actorCode), \(Self.optional(event.actorName)),
                \(bind: event.actorRole), \(bind: event.action), \(Self.optional(event.fromStatus?.rawValue)),
                \(Self.optional(event.toStatus?.rawValue)), \(Self.optional(event.note)))
            """).run()
    }

    /// A report's timeline, oldest first.
    public func timeline(reportID: Int64) async throws -> [ReportEvent] {
        try await db.select()
            .columns("report_id", "at", "actor_code", "actor_name", "actor_role", "action", "from_status", "to_status", "note")
            .from("report_events").where("report_id", .equal, reportID).orderBy("id").all()
            .map { row in
                ReportEvent(
                    reportID: try row.decode(column: "report_id"), at: SQLStore.date(try row.decode(column: "at")),
                    actorCode: try row.decode(column: "actor_code"), actorName: try row.decode(column: "actor_name"),
                    actorRole: try row.decode(column: "actor_role"), action: try row.decode(column: "action"),
                    fromStatus: try row.decode(column: "from_status", as: String?.self).flatMap(ReportStatus.init),
                    toStatus: try row.decode(column: "to_status", as: String?.self).flatMap(ReportStatus.init),
                    note: try row.decode(column: "note"))
            }
    }

    /// Adds someone to a report's reporters; false when they are on it already.
    @discardableResult
    public func addReporter(_ reporter: Reporter, to reportID: Int64, at date: Date) async throws -> Bool {
        let inserted = try await db.raw("""
            INSERT INTO report_reporters (report_id, platform, user_id, name, bot_code, chat_id, message_id, reply_url, origin_report_id, joined_at)
            VALUES (\(bind: reportID), \(bind: reporter.platform.rawValue), \(bind: reporter.userID), \(Self.optional(reporter.name)),
                \(bind: reporter.botCode), \(bind: reporter.chatID), \(Self.optional(reporter.messageID)), \(Self.optional(reporter.replyURL)),
                \(bind: reporter.originReportID), \(bind: Self.ms(date)))
            ON CONFLICT (report_id, platform, user_id) DO NOTHING RETURNING report_id
            """).all()
        return !inserted.isEmpty
    }

    /// Who hears a report's progress, in the order they joined.
    public func reporters(reportID: Int64) async throws -> [Reporter] {
        try await db.select()
            .columns("platform", "user_id", "name", "bot_code", "chat_id", "message_id", "reply_url", "origin_report_id")
            .from("report_reporters").where("report_id", .equal, reportID).orderBy("joined_at").orderBy("user_id").all()
            .compactMap { row in
                guard let platform = ChatPlatform(rawValue: try row.decode(column: "platform")) else { return nil }
                return Reporter(
                    platform: platform, userID: try row.decode(column: "user_id"), name: try row.decode(column: "name"),
                    botCode: try row.decode(column: "bot_code"), chatID: try row.decode(column: "chat_id"),
                    messageID: try row.decode(column: "message_id"), replyURL: try row.decode(column: "reply_url"),
                    originReportID: try row.decode(column: "origin_report_id"))
            }
    }

    /// Removes the reporters who came from `origin` off `reportID` (a split), returning them.
    public func detachReporters(from reportID: Int64, origin: Int64) async throws -> [Reporter] {
        let leaving = try await reporters(reportID: reportID).filter { $0.originReportID == origin }
        try await db.delete(from: "report_reporters").where("report_id", .equal, reportID).where("origin_report_id", .equal, origin).run()
        return leaving
    }

    /// Records that a reporter rated the report's current return visit; false when they already
    /// had (or are not its reporter).
    public func markRated(reportID: Int64, platform: ChatPlatform, userID: String, at date: Date) async throws -> Bool {
        try await !db.update("report_reporters").set("rated_at", to: Self.ms(date))
            .where("report_id", .equal, reportID).where("platform", .equal, platform.rawValue).where("user_id", .equal, userID)
            .where("rated_at", .is, SQLLiteral.null).returning("report_id").all().isEmpty
    }

    /// A new return visit after a closure: every reporter may rate again.
    public func clearRatings(reportID: Int64) async throws {
        try await db.update("report_reporters").set("rated_at", to: SQLLiteral.null).where("report_id", .equal, reportID).run()
    }

    /// The newest closed report someone reported (or joined) that they have not rated yet.
    public func latestUnratedClosedReport(platform: ChatPlatform, userID: String) async throws -> Int64? {
        try await db.select().column(SQLColumn("id", table: "reports")).from("report_reporters")
            .join("reports", on: SQLColumn("id", table: "reports"), .equal, SQLColumn("report_id", table: "report_reporters"))
            .where(SQLColumn("platform", table: "report_reporters"), .equal, SQLBind(platform.rawValue))
            .where(SQLColumn("user_id", table: "report_reporters"), .equal, SQLBind(userID))
            .where(SQLColumn("status", table: "reports"), .equal, SQLBind(ReportStatus.closed.rawValue))
            .where(SQLColumn("rated_at", table: "report_reporters"), .is, SQLLiteral.null)
            .orderBy(SQLColumn("id", table: "reports") as any SQLExpression, SQLDirection.descending)
            .limit(1).first(decodingColumn: "id", as: Int64.self)
    }

    /// The newest open report a person reported in a chat since `since` that names no building
    /// yet: the one GridBot asked them to name a building for.
    public func reportAwaitingBuilding(platform: ChatPlatform, userID: String, botCode: String, chatID: String,
                                       since: Date) async throws -> (id: Int64, category: ReportCategory)? {
        guard let row = try await db.raw("""
            SELECT reports.id, reports.category FROM report_reporters
            JOIN reports ON reports.id = report_reporters.report_id
            WHERE report_reporters.platform = \(bind: platform.rawValue) AND report_reporters.user_id = \(bind: userID)
                AND report_reporters.bot_code = \(bind: botCode) AND report_reporters.chat_id = \(bind: chatID)
                AND report_reporters.joined_at >= \(bind: Self.ms(since))
                AND reports.building IS NULL AND reports.status IN (\(unsafeRaw: Self.openStatusList))
            ORDER BY reports.id DESC LIMIT 1
            """).first() else { return nil }
        let text = try row.decode(column: "category", as: String.self)
        guard let category = ReportCategory(rawValue: text) else { throw StoreError.corrupt("reports has category '\(text)'") }
        return (try row.decode(column: "id", as: Int64.self), category)
    }

    /// The open report a new one duplicates: same building, category and (where both name one)
    /// unit, created since `since`; the oldest such, so duplicates gather on the first report.
    public func openDuplicate(of report: NewReport, since: Date) async throws -> Int64? {
        guard let building = report.location.building else { return nil }
        let unit: SQLQueryString = report.location.unit.map { " AND (unit = \(bind: $0) OR unit IS NULL)" } ?? ""
        return try await db.raw("""
            SELECT id FROM reports
            WHERE building = \(bind: building) AND category = \(bind: report.category.rawValue)
                AND status IN (\(unsafeRaw: Self.openStatusList)) AND created_at >= \(bind: Self.ms(since))\(unit)
            ORDER BY id LIMIT 1
            """).first(decodingColumn: "id", as: Int64.self)
    }

    /// The report a card (by its platform message id in a chat) was about.
    public func reportForCard(botCode: String, chatID: String, platformMessageID: String) async throws -> Int64? {
        try await db.select().column("report_id").from("outbound_messages")
            .where("bot_code", .equal, botCode).where("chat_id", .equal, chatID)
            .where("platform_message_id", .equal, platformMessageID).where("report_id", .isNot, SQLLiteral.null)
            .limit(1).first(decodingColumn: "report_id", as: Int64.self)
    }

    /// Queues a message; a repeated dedupe key queues nothing. `reportID` marks report cards, so
    /// replies to them find the report.
    public func enqueue(_ message: OutboundMessage, dedupeKey: String, reportID: Int64? = nil, at date: Date) async throws {
        try await SQLStore.insertOutbound(message, dedupeKey: dedupeKey, reportID: reportID, at: date, on: db)
    }

    // MARK: Deadline stages

    static let stageColumns = [
        "id", "report_id", "stage", "grid_code", "department_code", "started_at", "due_at", "remind_at", "reminded",
        "escalation_level", "next_check_at", "ended_at", "outcome", "on_time",
    ]

    static func stage(_ row: any SQLRow) throws -> StageRecord {
        let stageText = try row.decode(column: "stage", as: String.self)
        let levelValue = try row.decode(column: "escalation_level", as: Int.self)
        guard let stage = DeadlineStage(rawValue: stageText), let level = EscalationLevel(rawValue: levelValue) else {
            throw StoreError.corrupt("report_stages has stage '\(stageText)' at level \(levelValue)")
        }
        return StageRecord(
            id: try row.decode(column: "id"), reportID: try row.decode(column: "report_id"), stage: stage,
            gridCode: try row.decode(column: "grid_code"), departmentCode: try row.decode(column: "department_code"),
            startedAt: SQLStore.date(try row.decode(column: "started_at")), dueAt: SQLStore.date(try row.decode(column: "due_at")),
            remindAt: SQLStore.date(try row.decode(column: "remind_at")), reminded: try row.decode(column: "reminded", as: Int.self) != 0,
            escalationLevel: level, nextCheckAt: date(try row.decode(column: "next_check_at")),
            endedAt: date(try row.decode(column: "ended_at")), outcome: try row.decode(column: "outcome"),
            onTime: try row.decode(column: "on_time", as: Int?.self).map { $0 != 0 })
    }

    /// Starts a deadline stage for the report's current assignment.
    public func startStage(_ stage: DeadlineStage, reportID: Int64, gridCode: String, departmentCode: String?,
                           start: Date, due: Date, remindAt: Date) async throws {
        try await db.insert(into: "report_stages")
            .columns("report_id", "stage", "grid_code", "department_code", "started_at", "due_at", "remind_at", "reminded", "escalation_level", "next_check_at")
            .values(
                SQLBind(reportID), SQLBind(stage.rawValue), SQLBind(gridCode), Self.optional(departmentCode),
                SQLBind(Self.ms(start)), SQLBind(Self.ms(due)), SQLBind(Self.ms(remindAt)), SQLBind(0), SQLBind(0), SQLBind(Self.ms(remindAt)))
            .run()
    }

    /// A report's stages, oldest first (only the open ones with `openOnly`).
    public func stages(reportID: Int64, openOnly: Bool) async throws -> [StageRecord] {
        var query = db.select().columns(Self.stageColumns).from("report_stages").where("report_id", .equal, reportID)
        if openOnly { query = query.where("ended_at", .is, SQLLiteral.null) }
        return try await query.orderBy("id").all().map(Self.stage)
    }

    /// Ends a report's open stages (of one kind, or all) with an outcome, recording once and for
    /// good whether each ended by its deadline.
    public func endStages(reportID: Int64, _ stage: DeadlineStage? = nil, outcome: String, at date: Date) async throws {
        for open in try await stages(reportID: reportID, openOnly: true) where stage == nil || open.stage == stage {
            try await db.update("report_stages")
                .set("ended_at", to: Self.ms(date)).set("outcome", to: outcome).set("on_time", to: date <= open.dueAt ? 1 : 0)
                .set("next_check_at", to: SQLLiteral.null)
                .where("id", .equal, open.id).where("ended_at", .is, SQLLiteral.null).run()
        }
    }

    /// Opens an ended stage again (a split gives back the deadlines a merge ended), to be
    /// checked next at `nextCheckAt`.
    public func reopenStage(id: Int64, nextCheckAt: Date?) async throws {
        try await db.update("report_stages")
            .set("ended_at", to: SQLLiteral.null).set("outcome", to: SQLLiteral.null).set("on_time", to: SQLLiteral.null)
            .set("next_check_at", to: Self.optional(nextCheckAt.map(Self.ms)))
            .where("id", .equal, id).run()
    }

    /// A stage, locked for this transaction, if still open and due for a check at `now`.
    ///
    /// On PostgreSQL a stage another instance is checking right now is skipped, not waited for
    /// (`SKIP LOCKED`): instances sharing the watcher's work each take different stages, and the
    /// one that skipped finds it done at its next look. SQLite's write lock already excludes them.
    public func dueStage(id: Int64, now: Date) async throws -> StageRecord? {
        let lock: SQLQueryString = db.dialect.name == PostgresDialect().name ? " FOR UPDATE SKIP LOCKED" : ""
        return try await db.raw("""
            SELECT \(unsafeRaw: Self.stageColumns.joined(separator: ", ")) FROM report_stages
            WHERE id = \(bind: id) AND ended_at IS NULL AND next_check_at <= \(bind: Self.ms(now))\(lock)
            """).first().map(Self.stage)
    }

    /// Records a reminder or an escalation on a stage and when to look at it next.
    public func updateStage(id: Int64, reminded: Bool, level: EscalationLevel, nextCheckAt: Date?) async throws {
        try await db.update("report_stages")
            .set("reminded", to: reminded ? 1 : 0).set("escalation_level", to: level.rawValue)
            .set("next_check_at", to: Self.optional(nextCheckAt.map(Self.ms)))
            .where("id", .equal, id).run()
    }
}
