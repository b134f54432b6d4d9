import Foundation
import GridCore
import SQLKit

/// One transaction over every table, for work that spans features: a chat command claims its
/// message, changes reports or points, and queues its answers, and all of it commits together
/// or not at all.
public struct StoreTransaction: Sendable {
    let db: any SQLDatabase

    /// The reports, their timelines, stages and reporters.
    public var workOrders: WorkOrderTransaction { WorkOrderTransaction(db: db) }
    /// Tasks, enrolments, offers and vouchers.
    public var points: PointsTransaction { PointsTransaction(db: db) }
    /// The points ledger.
    public var ledger: LedgerTransaction { LedgerTransaction(db: db) }

    /// Marks a stored message processed, once: false when it already was, and then nothing else
    /// may be written.
    public func claim(_ stored: StoredInboundMessage, intent: Intent, at date: Date) async throws -> Bool {
        try await workOrders.claim(stored, intent: intent, at: date)
    }

    /// Queues a chat message; a repeated dedupe key queues nothing. `reportID` marks a report's
    /// card, so a reply quoting it finds the report.
    public func enqueue(_ message: OutboundMessage, dedupeKey: String, reportID: Int64? = nil, at date: Date) async throws {
        try await workOrders.enqueue(message, dedupeKey: dedupeKey, reportID: reportID, at: date)
    }
}

extension SQLStore {
    /// Runs `body` in one transaction over every table.
    public func transaction<R: Sendable>(_ body: @escaping @Sendable (StoreTransaction) async throws -> R) async throws -> R {
        try await database.withTransaction { db in try await body(StoreTransaction(db: db)) }
    }
}
