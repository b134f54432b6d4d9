import Foundation
import GridCore
import SQLKit

/// The numbers a supervisor asks for, over a period [from, to).
public struct ReportStatistics: Sendable, Equatable, Codable {
    public var from: Date
    public var to: Date
    /// Reports created in the period, not counting duplicates merged into another.
    public var total: Int
    /// Duplicates merged into another report in the period.
    public var merged: Int
    /// Reports of the period by their status now (merged ones excluded).
    public var byStatus: [String: Int]
    public var byCategory: [String: Int]
    /// By the grid answering for them now.
    public var byGrid: [String: Int]
    /// Share of the period's reports that are closed (办结率); nil when there are none.
    public var completionRate: Double?
    /// Of the acknowledge stages that ended in the period by being acknowledged, the share in time.
    public var acknowledgedOnTimeRate: Double?
    /// Of the resolve stages that ended in the period by being resolved, the share in time.
    public var resolvedOnTimeRate: Double?
    /// Mean seconds from report to first acknowledgement, for the period's reports acknowledged.
    public var averageSecondsToAcknowledge: Double?
    /// Mean seconds from report to resolution, for the period's reports resolved.
    public var averageSecondsToResolve: Double?
    /// Stages still open whose deadline has passed by the end of the period (or the moment asked).
    public var overdueNow: Int
}

extension SQLStore {
    /// The supervisor's numbers for reports created in [from, to) and stages ended in it, over
    /// the reports of a scope.
    /// Overdue stages are counted at `overdueAt` (by default the period's end).
    public func statistics(from: Date, to: Date, scope: ReportScope = .everything, overdueAt: Date? = nil) async throws -> ReportStatistics {
        let start = Self.milliseconds(from)
        let end = Self.milliseconds(to)
        let overdueMoment = Self.milliseconds(overdueAt ?? to)
        return try await database.withConnection { db in
            /// The scope's reports, for the queries over their stages.
            func scoped(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
                if scope == .everything { return query }
                return query.where("report_id", .in, SQLSubquery.select { subquery in
                    let reports = subquery.column("id").from("reports")
                    _ = Self.narrow(reports, to: scope)
                    return reports
                })
            }
            let visible = !scope.seesNothing
            func grouped(_ column: String) async throws -> [String: Int] {
                var counts: [String: Int] = [:]
                let rows = db.select().column(SQLColumn(column), as: "k").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                    .from("reports").where("created_at", .greaterThanOrEqual, start).where("created_at", .lessThan, end)
                    .where("status", .notEqual, ReportStatus.merged.rawValue)
                guard Self.narrow(rows, to: scope) else { return [:] }
                for row in try await rows.groupBy(column).all() {
                    counts[try row.decode(column: "k", as: String?.self) ?? "-"] = try row.decode(column: "n", as: Int.self)
                }
                return counts
            }
            let byStatus = try await grouped("status")
            let total = byStatus.values.reduce(0, +)
            let mergedQuery = db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("reports")
                .where("created_at", .greaterThanOrEqual, start).where("created_at", .lessThan, end)
                .where("status", .equal, ReportStatus.merged.rawValue)
            let merged = Self.narrow(mergedQuery, to: scope) ? try await mergedQuery.first(decodingColumn: "n", as: Int.self) ?? 0 : 0

            var onTime: [DeadlineStage: Double] = [:]
            let stageRows = !visible ? [] : try await scoped(db.select().column("stage").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .column(SQLRaw("CAST(SUM(on_time) AS BIGINT)"), as: "ok")
                .from("report_stages").where("outcome", .equal, "done")
                .where("ended_at", .greaterThanOrEqual, start).where("ended_at", .lessThan, end))
                .groupBy("stage").all()
            for row in stageRows {
                guard let stage = DeadlineStage(rawValue: try row.decode(column: "stage")) else { continue }
                let count = try row.decode(column: "n", as: Int.self)
                if count > 0 { onTime[stage] = Double(try row.decode(column: "ok", as: Int?.self) ?? 0) / Double(count) }
            }

            func average(_ column: String) async throws -> Double? {
                let query = db.select()
                    .column(SQLRaw("CAST(SUM(\(column) - created_at) AS BIGINT)"), as: "total")
                    .column(SQLFunction("COUNT", args: SQLColumn(column)), as: "n")
                    .from("reports").where("created_at", .greaterThanOrEqual, start).where("created_at", .lessThan, end)
                    .where(column, .isNot, SQLLiteral.null).where("status", .notEqual, ReportStatus.merged.rawValue)
                guard Self.narrow(query, to: scope), let row = try await query.first() else { return nil }
                let count = try row.decode(column: "n", as: Int.self)
                guard count > 0, let sum = try row.decode(column: "total", as: Int64?.self) else { return nil }
                return Double(sum) / Double(count) / 1000
            }

            let overdue = !visible ? 0 : try await scoped(db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("report_stages")
                .where("ended_at", .is, SQLLiteral.null).where("due_at", .lessThan, overdueMoment)).first(decodingColumn: "n", as: Int.self) ?? 0

            return ReportStatistics(
                from: from, to: to, total: total, merged: merged, byStatus: byStatus,
                byCategory: try await grouped("category"), byGrid: try await grouped("assignee_grid"),
                completionRate: total == 0 ? nil : Double(byStatus[ReportStatus.closed.rawValue] ?? 0) / Double(total),
                acknowledgedOnTimeRate: onTime[.acknowledge], resolvedOnTimeRate: onTime[.resolve],
                averageSecondsToAcknowledge: try await average("acknowledged_at"),
                averageSecondsToResolve: try await average("resolved_at"),
                overdueNow: overdue)
        }
    }
}

/// A message in the outbound queue, as an operator (or a test) reads it back.
public struct QueuedOutbound: Sendable, Equatable {
    public var id: Int64
    public var message: OutboundMessage
    /// The report a card or notice is about.
    public var reportID: Int64?
    public var state: String
}

extension SQLStore {
    /// Queued messages after an id, oldest first.
    public func queuedOutbound(after id: Int64 = 0, limit: Int = 500) async throws -> [QueuedOutbound] {
        try await database.withConnection { db in
            try await db.select().columns("id", "platform", "bot_code", "chat_id", "text", "reply_to", "reply_url", "report_id", "state", "recipient")
                .from("outbound_messages").where("id", .greaterThan, id).orderBy("id").limit(limit).all()
                .compactMap { row in
                    guard let platform = ChatPlatform(rawValue: try row.decode(column: "platform")) else { return nil }
                    let message = OutboundMessage(
                        platform: platform, botCode: try row.decode(column: "bot_code"), chatID: try row.decode(column: "chat_id"),
                        text: try row.decode(column: "text"), replyTo: try row.decode(column: "reply_to"), replyURL: try row.decode(column: "reply_url"),
                        recipient: try row.decode(column: "recipient"))
                    return QueuedOutbound(id: try row.decode(column: "id"), message: message, reportID: try row.decode(column: "report_id"),
                                          state: try row.decode(column: "state"))
                }
        }
    }
}
