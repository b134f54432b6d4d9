import Foundation
import GridCore
import PostgresKit
import SQLKit

/// What posting a transfer did.
public enum PostingOutcome: Sendable, Equatable {
    /// Posted now.
    case created
    /// The same transfer was posted before (a retry): nothing changed.
    case exists
}

/// Ledger writes inside a caller's transaction, so a posting commits together with whatever
/// caused it (a task approval, a voucher issue) or not at all.
public struct LedgerTransaction: Sendable {
    let db: any SQLDatabase

    public init(db: any SQLDatabase) {
        self.db = db
    }

    static let columns = ["id", "debit_account", "credit_account", "amount", "code", "reference", "reverses", "at"]

    static func transfer(_ row: any SQLRow) throws -> LedgerTransfer {
        let codeText = try row.decode(column: "code", as: String.self)
        guard let code = TransferCode(rawValue: codeText) else { throw StoreError.corrupt("ledger transfer code '\(codeText)'") }
        return LedgerTransfer(
            id: try row.decode(column: "id"), debitAccount: try row.decode(column: "debit_account"),
            creditAccount: try row.decode(column: "credit_account"), amount: try row.decode(column: "amount"), code: code,
            reference: try row.decode(column: "reference"), reverses: try row.decode(column: "reverses"),
            at: SQLStore.date(try row.decode(column: "at")))
    }

    public func openAccount(_ code: String, kind: LedgerAccountKind, at date: Date) async throws {
        try await db.insert(into: "ledger_accounts").columns("code", "kind", "may_go_negative", "balance", "created_at")
            .values(SQLBind(code), SQLBind(kind.rawValue), SQLBind(kind.mayGoNegative ? 1 : 0), SQLBind(0), SQLBind(SQLStore.milliseconds(date)))
            .ignoringConflicts(with: ["code"]).run()
    }

    /// An account's balance (nil when it does not exist).
    public func balance(of account: String) async throws -> Int64? {
        try await db.select().column("balance").from("ledger_accounts").where("code", .equal, account)
            .first(decodingColumn: "balance", as: Int64.self)
    }

    public func transfer(id: String) async throws -> LedgerTransfer? {
        try await db.raw("""
            SELECT id, debit_account, credit_account, amount, code, reference, reverses, at FROM ledger_transfers WHERE id = \(bind: id)
            """).first().map(Self.transfer)
    }

    /// Posts a transfer that the caller's own conditional write in this transaction has just
    /// made due (an enrolment moved to approved, a voucher's status changed, a fresh voucher
    /// code): it cannot have been posted before, so finding it posted means the stored data
    /// contradicts itself, and the transaction is refused rather than half-applied.
    public func postDue(_ transfer: LedgerTransfer) async throws {
        guard try await post(transfer) == .created else {
            throw StoreError.corrupt("ledger transfer \(transfer.id) was posted before the change that makes it due")
        }
    }

    /// Posts a transfer: idempotent by id, refused when it would take an account that may not go
    /// negative below zero. The chain head is locked first, so concurrent postings (and retries of
    /// one id) queue behind each other on PostgreSQL as SQLite's write lock queues them.
    ///
    /// Every posting runs these statements, so they are written out as SQL with binds rather
    /// than built per call.
    public func post(_ transfer: LedgerTransfer) async throws -> PostingOutcome {
        guard transfer.amount > 0 else { throw LedgerError.invalidAmount(transfer.amount) }
        guard transfer.debitAccount != transfer.creditAccount else { throw LedgerError.sameAccount(transfer.debitAccount) }
        let lock: SQLQueryString = db.dialect.name == PostgresDialect().name ? " FOR UPDATE" : ""
        guard let head = try await db.raw("SELECT seq, hash FROM ledger_head WHERE id = 1\(lock)").first() else {
            throw StoreError.corrupt("the ledger has no chain head")
        }
        if let existing = try await self.transfer(id: transfer.id) {
            guard existing.sameRequest(as: transfer) else { throw LedgerError.idReusedDifferently(transfer.id) }
            return .exists
        }
        if let reversed = transfer.reverses {
            guard try await self.transfer(id: reversed) != nil else { throw LedgerError.notFound(reversed) }
            guard try await db.select().column("id").from("ledger_transfers").where("reverses", .equal, reversed).first() == nil else {
                throw LedgerError.alreadyReversed(reversed)
            }
        }
        // The balance rule is part of the write itself, never a read before it.
        let debited = try await db.raw("""
            UPDATE ledger_accounts SET balance = balance - \(bind: transfer.amount)
            WHERE code = \(bind: transfer.debitAccount) AND (may_go_negative = 1 OR balance >= \(bind: transfer.amount))
            RETURNING balance
            """).all()
        if debited.isEmpty {
            guard let balance = try await balance(of: transfer.debitAccount) else { throw LedgerError.accountNotFound(transfer.debitAccount) }
            throw LedgerError.exceedsBalance(account: transfer.debitAccount, balance: balance, amount: transfer.amount)
        }
        let credited = try await db.raw("""
            UPDATE ledger_accounts SET balance = balance + \(bind: transfer.amount) WHERE code = \(bind: transfer.creditAccount) RETURNING balance
            """).all()
        guard !credited.isEmpty else { throw LedgerError.accountNotFound(transfer.creditAccount) }

        let previous = try head.decode(column: "hash", as: String.self)
        let at = SQLStore.milliseconds(transfer.at)
        let hash = transfer.chainHash(previous: previous, atMilliseconds: at)
        try await db.raw("""
            INSERT INTO ledger_transfers (id, debit_account, credit_account, amount, code, reference, reverses, at, prev_hash, hash)
            VALUES (\(bind: transfer.id), \(bind: transfer.debitAccount), \(bind: transfer.creditAccount), \(bind: transfer.amount),
                \(bind: transfer.code.rawValue), \(bind: transfer.reference), \(WorkOrderTransaction.optional(transfer.reverses)), \(bind: at),
                \(bind: previous), \(bind: hash))
            """).run()
        try await db.raw("UPDATE ledger_head SET seq = \(bind: try head.decode(column: "seq", as: Int64.self) + 1), hash = \(bind: hash) WHERE id = 1").run()
        return .created
    }
}
