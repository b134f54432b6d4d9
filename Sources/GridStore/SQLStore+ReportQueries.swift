import Foundation
import GridCore
import SQLKit

/// Which reports a list asks for; every field narrows it.
public struct ReportFilter: Sendable, Equatable {
    /// What the asker may see; the list never reaches outside it.
    public var scope: ReportScope
    /// Assigned to one of these grids.
    public var grids: [String]?
    /// In one of these statuses.
    public var statuses: [ReportStatus]?
    public var categories: [ReportCategory]?
    public var urgency: Urgency?
    /// Only reports with a stage past its deadline at this moment.
    public var overdueAt: Date?
    /// Created at or after.
    public var from: Date?
    /// Created before.
    public var to: Date?
    /// These reports only.
    public var ids: [Int64]?
    public var limit: Int
    public var offset: Int

    public init(scope: ReportScope, grids: [String]? = nil, statuses: [ReportStatus]? = nil, categories: [ReportCategory]? = nil,
                urgency: Urgency? = nil, overdueAt: Date? = nil, from: Date? = nil, to: Date? = nil, ids: [Int64]? = nil,
                limit: Int = 100, offset: Int = 0) {
        self.scope = scope
        self.grids = grids
        self.statuses = statuses
        self.categories = categories
        self.urgency = urgency
        self.overdueAt = overdueAt
        self.from = from
        self.to = to
        self.ids = ids
        self.limit = limit
        self.offset = offset
    }
}

/// A report in a list: the report and its nearest open deadline.
public struct ReportSummary: Sendable, Equatable {
    public var order: WorkOrder
    /// The earliest deadline of its open stages (nil when none is running).
    public var dueAt: Date?
    /// When it last changed.
    public var updatedAt: Date
}

extension SQLStore {
    /// Reports matching a filter, the nearest deadline first (reports with none running last,
    /// newest first), and how many match in all.
    public func reports(_ filter: ReportFilter) async throws -> (rows: [ReportSummary], total: Int) {
        try await database.withConnection { db in
            let nextDueSQL = "(SELECT MIN(s.due_at) FROM report_stages s WHERE s.report_id = reports.id AND s.ended_at IS NULL)"
            let nextDue = SQLRaw(nextDueSQL)
            let count = db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("reports")
            guard Self.narrow(count, filter, nextDue: nextDue) else { return ([], 0) }
            let total = try await count.first(decodingColumn: "n", as: Int.self) ?? 0
            let query = db.select().columns(WorkOrderTransaction.reportColumns.map { SQLColumn($0, table: "reports") })
                .column(nextDue, as: "next_due").column("updated_at").from("reports")
            _ = Self.narrow(query, filter, nextDue: nextDue)
            let rows = try await query
                .orderBy(SQLRaw("CASE WHEN \(nextDueSQL) IS NULL THEN 1 ELSE 0 END"))
                .orderBy(nextDue).orderBy("id", .descending)
                .limit(filter.limit).offset(filter.offset).all()
                .map { row in
                    ReportSummary(order: try WorkOrderTransaction.workOrder(row), dueAt: try row.decode(column: "next_due", as: Int64?.self).map(Self.date),
                                  updatedAt: Self.date(try row.decode(column: "updated_at")))
                }
            return (rows, total)
        }
    }

    /// Adds a filter's conditions to a query over `reports`; false when nothing can match.
    static func narrow(_ query: SQLSelectBuilder, _ filter: ReportFilter, nextDue: SQLRaw) -> Bool {
        guard Self.narrow(query, to: filter.scope) else { return false }
        if let grids = filter.grids {
            guard !grids.isEmpty else { return false }
            query.where("assignee_grid", .in, grids)
        }
        if let statuses = filter.statuses {
            guard !statuses.isEmpty else { return false }
            query.where("status", .in, statuses.map(\.rawValue))
        }
        if let categories = filter.categories {
            guard !categories.isEmpty else { return false }
            query.where("category", .in, categories.map(\.rawValue))
        }
        if let ids = filter.ids {
            guard !ids.isEmpty else { return false }
            query.where("id", .in, ids)
        }
        if let urgency = filter.urgency { query.where("urgency", .equal, urgency.rawValue) }
        if let from = filter.from { query.where("created_at", .greaterThanOrEqual, milliseconds(from)) }
        if let to = filter.to { query.where("created_at", .lessThan, milliseconds(to)) }
        if let now = filter.overdueAt { query.where(nextDue, .lessThan, SQLBind(milliseconds(now))) }
        return true
    }

    /// Adds a scope's condition to a query over `reports`; false for a scope that sees nothing.
    static func narrow(_ query: some SQLPredicateBuilder, to scope: ReportScope) -> Bool {
        guard !scope.seesNothing else { return false }
        switch scope {
        case .everything:
            return true
        case .nothing:
            return false
        case .grids(let grids):
            query.where("assignee_grid", .in, grids)
        case .building(let building):
            query.where("building", .equal, building)
        case .department(let department):
            query.where("department_code", .equal, department)
        }
        return true
    }

    /// Reports created per day in [from, to) within a scope, by their creation day in `timeZone`.
    public func reportsPerDay(from: Date, to: Date, scope: ReportScope, in timeZone: TimeZone) async throws -> [CalendarDay: Int] {
        try await database.withConnection { db in
            let query = db.select().column("created_at").from("reports")
                .where("created_at", .greaterThanOrEqual, Self.milliseconds(from)).where("created_at", .lessThan, Self.milliseconds(to))
                .where("status", .notEqual, ReportStatus.merged.rawValue)
            guard Self.narrow(query, to: scope) else { return [:] }
            var days: [CalendarDay: Int] = [:]
            for row in try await query.all() {
                days[CalendarDay(Self.date(try row.decode(column: "created_at")), in: timeZone), default: 0] += 1
            }
            return days
        }
    }

    /// Volunteer points paid for tasks, and points of vouchers redeemed at shops, in [from, to).
    public func pointsFlow(from: Date, to: Date) async throws -> (issued: Int64, redeemed: Int64) {
        try await database.withConnection { db in
            func total(_ code: TransferCode) async throws -> Int64 {
                try await db.select().column(SQLRaw("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"), as: "n").from("ledger_transfers")
                    .where("code", .equal, code.rawValue)
                    .where("at", .greaterThanOrEqual, Self.milliseconds(from)).where("at", .lessThan, Self.milliseconds(to))
                    .first(decodingColumn: "n", as: Int64.self) ?? 0
            }
            return (try await total(.taskReward), try await total(.voucherRedeem))
        }
    }
}
