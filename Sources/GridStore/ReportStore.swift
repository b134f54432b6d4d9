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

/// Finishing stored messages that are not reports, and counting reports. Reports themselves are
/// recorded by the closed loop (`withWorkOrders`), with their routing, in one transaction.
public protocol ReportStore: Sendable {
    /// Marks a message processed with the intent the parser found and queues `reply`, if any,
    /// in the same transaction, so the answer is sent exactly once. False when the message was
    /// already processed (nothing changes).
    func finishProcessing(of stored: StoredInboundMessage, intent: Intent, at date: Date, reply: OutboundMessage?) async throws -> Bool
    /// How many reports exist (duplicates merged into another included).
    func reportCount() async throws -> Int
}

extension SQLStore: ReportStore {
    public func finishProcessing(of stored: StoredInboundMessage, intent: Intent, at date: Date, reply: OutboundMessage?) async throws -> Bool {
        try await withWorkOrders { tx in
            guard try await tx.claim(stored, intent: intent, at: date) else { return false }
            if let reply { try await tx.enqueue(reply, dedupeKey: WorkOrderTransaction.replyKey(stored), at: date) }
            return true
        }
    }

    public func reportCount() async throws -> Int {
        try await database.withConnection { db in
            try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("reports").first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }
}
