import Foundation
import GridCore
import SQLKit

/// The figures an operator's monitoring reads at each scrape, counted in the database so that
/// every GridBot process sharing it reports the same truth.
public struct OperationalFigures: Sendable, Equatable {
    /// Reports by status, all time.
    public var reportsByStatus: [ReportStatus: Int]
    /// Open deadline stages past their deadline.
    public var overdueStages: Int
    /// Outbound chat messages by state (pending, sending, sent, dead).
    public var outboundByState: [String: Int]
    /// Received messages not processed yet.
    public var unprocessedMessages: Int
    /// Transfers in the points ledger.
    public var ledgerTransfers: Int
}

extension SQLStore {
    public func operationalFigures(now: Date) async throws -> OperationalFigures {
        try await database.withConnection { db in
            func grouped(_ table: String, _ column: String) async throws -> [String: Int] {
                var counts: [String: Int] = [:]
                for row in try await db.select().column(SQLColumn(column), as: "k").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                    .from(table).groupBy(column).all() {
                    counts[try row.decode(column: "k", as: String.self)] = try row.decode(column: "n", as: Int.self)
                }
                return counts
            }
            func count(_ query: SQLSelectBuilder) async throws -> Int {
                try await query.first(decodingColumn: "n", as: Int.self) ?? 0
            }
            func counting(_ table: String) -> SQLSelectBuilder {
                db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table)
            }
            var byStatus: [ReportStatus: Int] = [:]
            for (status, n) in try await grouped("reports", "status") {
                if let status = ReportStatus(rawValue: status) { byStatus[status] = n }
            }
            return OperationalFigures(
                reportsByStatus: byStatus,
                overdueStages: try await count(counting("report_stages").where("ended_at", .is, SQLLiteral.null).where("due_at", .lessThan, Self.milliseconds(now))),
                outboundByState: try await grouped("outbound_messages", "state"),
                unprocessedMessages: try await count(counting("inbound_messages").where("processed_at", .is, SQLLiteral.null)),
                ledgerTransfers: try await count(counting("ledger_transfers")))
        }
    }
}
