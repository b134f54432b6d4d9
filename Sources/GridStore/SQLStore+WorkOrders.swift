import Foundation
import GridCore
import SQLKit

extension SQLStore {
    /// Runs `body` in one transaction over the work-order tables: everything it writes (the
    /// report, its timeline, its stages, the messages it queues) commits together or not at all.
    public func withWorkOrders<R: Sendable>(_ body: @escaping @Sendable (WorkOrderTransaction) async throws -> R) async throws -> R {
        try await database.withTransaction { db in
            try await body(WorkOrderTransaction(db: db))
        }
    }

    /// A report with its lifecycle facts.
    public func workOrder(id: Int64) async throws -> WorkOrder? {
        try await database.withConnection { db in
            try await WorkOrderTransaction(db: db).workOrder(id: id, lock: false)
        }
    }

    /// A report's timeline, oldest first.
    public func timeline(reportID: Int64) async throws -> [ReportEvent] {
        try await database.withConnection { db in
            try await WorkOrderTransaction(db: db).timeline(reportID: reportID)
        }
    }

    /// Who hears a report's progress.
    public func reporters(reportID: Int64) async throws -> [Reporter] {
        try await database.withConnection { db in
            try await WorkOrderTransaction(db: db).reporters(reportID: reportID)
        }
    }

    /// A report's deadline stages, oldest first.
    public func stages(reportID: Int64) async throws -> [StageRecord] {
        try await database.withConnection { db in
            try await WorkOrderTransaction(db: db).stages(reportID: reportID, openOnly: false)
        }
    }

    /// The open stages whose next check is due, soonest first.
    public func dueStages(now: Date, limit: Int) async throws -> [StageRecord] {
        try await database.withConnection { db in
            try await db.select().columns(WorkOrderTransaction.stageColumns).from("report_stages")
                .where("ended_at", .is, SQLLiteral.null).where("next_check_at", .lessThanOrEqual, Self.milliseconds(now))
                .orderBy("next_check_at").limit(limit).all().map(WorkOrderTransaction.stage)
        }
    }
}
