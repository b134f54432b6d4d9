import Foundation
import GridCore
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
        try await db.select().columns(Self.columns).from("ledger_transfers").where("id", .equal, id).first().map(Self.transfer)
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
    public func post(_ transfer: LedgerTransfer) async throws -> PostingOutcome {
        guard transfer.amount > 0 else { throw LedgerError.invalidAmount(transfer.amount) }
        guard transfer.debitAccount != transfer.creditAccount else { throw LedgerError.sameAccount(transfer.debitAccount) }
        guard let head = try await db.select().columns("seq", "hash").from("ledger_head").where("id", .equal, 1).for(.update).first() else {
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
        let debited = try await db.update("ledger_accounts")
            .set(SQLIdentifier("balance"), to: SQLBinaryExpression(SQLColumn("balance"), .subtract, SQLBind(transfer.amount)))
            .where("code", .equal, transfer.debitAccount)
            .where { $0.where("may_go_negative", .equal, 1).orWhere("balance", .greaterThanOrEqual, transfer.amount) }
            .returning("balance").all()
        if debited.isEmpty {
            guard let balance = try await balance(of: transfer.debitAccount) else { throw LedgerError.accountNotFound(transfer.debitAccount) }
            throw LedgerError.exceedsBalance(account: transfer.debitAccount, balance: balance, amount: transfer.amount)
        }
        let credited = try await db.update("ledger_accounts")
            .set(SQLIdentifier("balance"), to: SQLBinaryExpression(SQLColumn("balance"), .add, SQLBind(transfer.amount)))
            .where("code", .equal, transfer.creditAccount).returning("balance").all()
        guard !credited.isEmpty else { throw LedgerError.accountNotFound(transfer.creditAccount) }

        let previous = try head.decode(column: "hash", as: String.self)
        let at = SQLStore.milliseconds(transfer.at)
        let hash = transfer.chainHash(previous: previous, atMilliseconds: at)
        try await db.insert(into: "ledger_transfers")
            .columns("id", "debit_account", "credit_account", "amount", "code", "reference", "reverses", "at", "prev_hash", "hash")
            .values(
                SQLBind(transfer.id), SQLBind(transfer.debitAccount), SQLBind(transfer.creditAccount), SQLBind(transfer.amount),
                SQLBind(transfer.code.rawValue), SQLBind(transfer.reference),
                transfer.reverses.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null, SQLBind(at), SQLBind(previous), SQLBind(hash))
            .run()
        try await db.update("ledger_head").set("seq", to: try head.decode(column: "seq", as: Int64.self) + 1).set("hash", to: hash)
            .where("id", .equal, 1).run()
        return .created
    }
}
