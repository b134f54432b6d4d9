import Crypto
import Foundation
import GridCore
import SQLKit

/// Why a points request was refused by the store.
public enum PointsStoreError: Error, Sendable, Equatable {
    case offerNotFound(String)
    case outOfStock(String)
    case voucherNotFound(VoucherCode)
    case insufficientPoints(balance: Int64, needed: Int64)
}

extension SQLStore {
    /// Runs `body` in one transaction over the points tables, the ledger and the message queue.
    public func withPoints<R: Sendable>(_ body: @escaping @Sendable (PointsTransaction) async throws -> R) async throws -> R {
        try await database.withTransaction { db in try await body(PointsTransaction(db: db)) }
    }

    /// Reads on one connection, outside any transaction.
    public func readingPoints<R: Sendable>(_ body: @escaping @Sendable (PointsTransaction) async throws -> R) async throws -> R {
        try await database.withConnection { db in try await body(PointsTransaction(db: db)) }
    }

    /// A 32-byte secret of this GridBot (voucher signatures, session cookies), made on first use
    /// and kept in the database so every instance sharing it agrees.
    public func serverSecret(named name: String) async throws -> SymmetricKey {
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        let stored = try await database.withTransaction { db in
            try await db.insert(into: "server_secrets").columns("name", "value").values(SQLBind(name), SQLBind(fresh))
                .ignoringConflicts(with: ["name"]).run()
            return try await db.select().column("value").from("server_secrets").where("name", .equal, name)
                .first(decodingColumn: "value", as: String.self)
        }
        guard let stored, let data = Data(base64Encoded: stored), data.count >= 32 else { throw StoreError.corrupt("server secret \(name)") }
        return SymmetricKey(data: data)
    }

    /// Issued vouchers past their expiry, oldest first.
    public func dueVouchers(now: Date, limit: Int) async throws -> [VoucherCode] {
        try await database.withConnection { db in
            try await db.select().column("code").from("vouchers").where("status", .equal, VoucherStatus.issued.rawValue)
                .where("expires_at", .lessThanOrEqual, Self.milliseconds(now)).orderBy("expires_at").limit(limit).all()
                .map { try VoucherCode(reading: try $0.decode(column: "code", as: String.self)) }
        }
    }
}
