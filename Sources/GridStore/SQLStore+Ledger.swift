import Foundation
import GridCore
import SQLKit

/// The points ledger: double-entry, integer points, append-only and hash-chained. Balances are
/// kept beside the transfers for speed and checked against them by `verifyLedger()`.
extension SQLStore {
    /// Opens an account if it does not exist yet.
    public func openAccount(_ code: String, kind: LedgerAccountKind, at date: Date) async throws {
        try await database.withTransaction { db in
            try await LedgerTransaction(db: db).openAccount(code, kind: kind, at: date)
        }
    }

    /// Posts a transfer in its own transaction.
    @discardableResult
    public func post(_ transfer: LedgerTransfer) async throws -> PostingOutcome {
        try await database.withTransaction { db in
            try await LedgerTransaction(db: db).post(transfer)
        }
    }

    /// Reverses a transfer (once): a new transfer with the accounts swapped.
    @discardableResult
    public func reverse(_ transferID: String, reversalID: String, reason: String, at date: Date) async throws -> PostingOutcome {
        try await database.withTransaction { db in
            let tx = LedgerTransaction(db: db)
            guard let original = try await tx.transfer(id: transferID) else { throw LedgerError.notFound(transferID) }
            guard original.code != .reversal else { throw LedgerError.alreadyReversed(transferID) }
            return try await tx.post(LedgerTransfer(
                id: reversalID, debitAccount: original.creditAccount, creditAccount: original.debitAccount, amount: original.amount,
                code: .reversal, reference: reason, reverses: transferID, at: date))
        }
    }

    /// An account's balance (nil when it does not exist).
    public func balance(of account: String) async throws -> Int64? {
        try await database.withConnection { db in try await LedgerTransaction(db: db).balance(of: account) }
    }
}

extension SQLStore {
    /// Audits the whole ledger (see `LedgerAudit`) from what is stored.
    public func verifyLedger() async throws -> LedgerAuditReport {
        try await database.withConnection { db in
            let accounts = try await db.select().columns("code", "kind", "balance").from("ledger_accounts").orderBy("code").all().map { row in
                let kindText = try row.decode(column: "kind", as: String.self)
                guard let kind = LedgerAccountKind(rawValue: kindText) else { throw StoreError.corrupt("ledger account kind '\(kindText)'") }
                return AuditedAccount(code: try row.decode(column: "code"), kind: kind, storedBalance: try row.decode(column: "balance"))
            }
            let transfers = try await db.select().columns(LedgerTransaction.columns + ["prev_hash", "hash"]).from("ledger_transfers")
                .orderBy("seq").all().map { row in
                    ChainedTransfer(transfer: try LedgerTransaction.transfer(row), atMilliseconds: try row.decode(column: "at"),
                                    previousHash: try row.decode(column: "prev_hash"), hash: try row.decode(column: "hash"))
                }
            let head = try await db.select().column("hash").from("ledger_head").where("id", .equal, 1)
                .first(decodingColumn: "hash", as: String.self) ?? ""
            var approved: [String: Int64] = [:]
            for row in try await db.select().columns("task_code", "person_code", "reward_points").from("task_enrolments")
                .where("status", .equal, EnrolmentStatus.approved.rawValue).all() {
                let reference = PointsTransaction.rewardReference(task: try row.decode(column: "task_code"), person: try row.decode(column: "person_code"))
                approved[reference] = try row.decode(column: "reward_points", as: Int64?.self) ?? 0
            }
            let vouchers = try await db.select().columns("code", "status", "points").from("vouchers").all().map { row in
                let statusText = try row.decode(column: "status", as: String.self)
                guard let status = VoucherStatus(rawValue: statusText) else { throw StoreError.corrupt("voucher status '\(statusText)'") }
                return AuditedVoucher(reference: "voucher:\(try row.decode(column: "code", as: String.self))", status: status, points: try row.decode(column: "points"))
            }
            return LedgerAudit.audit(accounts: accounts, transfers: transfers, headHash: head, approvedRewards: approved, vouchers: vouchers)
        }
    }
}
