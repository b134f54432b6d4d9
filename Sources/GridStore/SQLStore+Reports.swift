import Foundation
import GridCore
import SQLKit

/// Finishing stored messages that are not reports, and counting reports. Reports themselves are
/// recorded by the closed loop (`withWorkOrders`), with their routing, in one transaction.
extension SQLStore {
    /// Marks a message processed with the intent the parser found and queues `reply`, if any,
    /// in the same transaction, so the answer is sent exactly once. False when the message was
    /// already processed (nothing changes).
    public func finishProcessing(of stored: StoredInboundMessage, intent: Intent, at date: Date, reply: OutboundMessage?) async throws -> Bool {
        try await withWorkOrders { tx in
            guard try await tx.claim(stored, intent: intent, at: date) else { return false }
            if let reply { try await tx.enqueue(reply, dedupeKey: WorkOrderTransaction.replyKey(stored), at: date) }
            return true
        }
    }

    /// How many reports exist (duplicates merged into another included).
    public func reportCount() async throws -> Int {
        try await database.withConnection { db in
            try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("reports").first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }
}
