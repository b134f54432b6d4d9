import Foundation
import GridCore
import GridStore
import GridTestSupport
import SQLKit
import Testing

@Suite struct LedgerContractTests {
    static let day = Date(timeIntervalSince1970: 1_763_712_000)
    static let household = LedgerAccounts.household("H-3-2-502")

    static func open(_ store: SQLStore) async throws {
        try await store.openAccount(LedgerAccounts.issuance, kind: .issuance, at: day)
        try await store.openAccount(LedgerAccounts.escrow, kind: .escrow, at: day)
        try await store.openAccount(household, kind: .household, at: day)
        try await store.openAccount(LedgerAccounts.merchant("M1"), kind: .merchant, at: day)
    }

    static func reward(_ id: String, _ amount: Int64 = 10, to account: String = household) -> LedgerTransfer {
        LedgerTransfer(id: id, debitAccount: LedgerAccounts.issuance, creditAccount: account, amount: amount, code: .taskReward, reference: "T1:R1:\(id)", at: day)
    }

    @Test(arguments: TestBackend.allCases)
    func aRetriedPostingCountsOnceAndAReusedIdIsRefused(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await Self.open(store)
            #expect(try await store.post(Self.reward("t-1")) == .created)
            #expect(try await store.post(Self.reward("t-1")) == .exists, "a retry is the same transfer")
            #expect(try await store.balance(of: Self.household) == 10)
            await #expect(throws: LedgerError.idReusedDifferently("t-1")) { try await store.post(Self.reward("t-1", 99)) }
            await #expect(throws: LedgerError.invalidAmount(0)) { try await store.post(Self.reward("t-0", 0)) }
            await #expect(throws: LedgerError.accountNotFound("household:nobody")) { try await store.post(Self.reward("t-2", to: "household:nobody")) }
            #expect(try await store.balance(of: LedgerAccounts.issuance) == -10, "a refused posting changed nothing")
            #expect(try await store.verifyLedger().isSound)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aHouseholdNeverGoesBelowZeroEvenUnderParallelSpends(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await Self.open(store)
            try await store.post(Self.reward("earn", 100))
            // 40 parallel reservations of 10 points from a balance of 100: exactly 10 succeed.
            let results = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let spend = LedgerTransfer(id: "spend-\(index)", debitAccount: Self.household, creditAccount: LedgerAccounts.escrow,
                                                   amount: 10, code: .voucherReserve, reference: "V\(index)", at: Self.day)
                        do {
                            return try await store.post(spend) == .created
                        } catch let error as LedgerError {
                            if case .exceedsBalance = error { return false }
                            Issue.record("unexpected refusal \(error)")
                            return false
                        } catch {
                            Issue.record("unexpected error \(String(reflecting: error))")
                            return false
                        }
                    }
                }
                var outcomes: [Bool] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(results.filter { $0 }.count == 10)
            #expect(try await store.balance(of: Self.household) == 0)
            #expect(try await store.balance(of: LedgerAccounts.escrow) == 100)
            let report = try await store.verifyLedger()
            #expect(report.isSound, "\(report.breaches)")
            #expect(report.transfers == 11)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aTransferIsReversedOnceAndNeverEdited(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await Self.open(store)
            try await store.post(Self.reward("mistake", 30))
            #expect(try await store.reverse("mistake", reversalID: "fix-1", reason: "approved in error", at: Self.day) == .created)
            #expect(try await store.reverse("mistake", reversalID: "fix-1", reason: "approved in error", at: Self.day) == .exists)
            await #expect(throws: LedgerError.alreadyReversed("mistake")) {
                try await store.reverse("mistake", reversalID: "fix-2", reason: "again", at: Self.day)
            }
            #expect(try await store.balance(of: Self.household) == 0)
            let report = try await store.verifyLedger()
            #expect(report.isSound)
            #expect(report.pointsIssued == 0, "a reversed reward is not issued")
            // A reversal that would overdraw is refused like any posting.
            try await store.post(Self.reward("earn", 20))
            try await store.post(LedgerTransfer(id: "spend", debitAccount: Self.household, creditAccount: LedgerAccounts.escrow, amount: 20,
                                                code: .voucherReserve, reference: "V1", at: Self.day))
            await #expect(throws: LedgerError.exceedsBalance(account: Self.household, balance: 0, amount: 20)) {
                try await store.reverse("earn", reversalID: "fix-3", reason: "late correction", at: Self.day)
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func theAuditNamesEveryKindOfTampering(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await Self.open(store)
            for index in 0..<5 { try await store.post(Self.reward("r-\(index)")) }
            #expect(try await store.verifyLedger().isSound)
            try await database.withConnection { db in
                try await db.update("ledger_transfers").set("amount", to: 1000).where("id", .equal, "r-2").run()
            }
            let edited = try await store.verifyLedger()
            #expect(edited.breaches.contains { $0.contains("r-2") && $0.contains("changed after posting") })
            #expect(edited.breaches.contains { $0.contains("stored balance") })
            try await database.withConnection { db in
                try await db.update("ledger_transfers").set("amount", to: 10).where("id", .equal, "r-2").run()
                try await db.update("ledger_accounts").set("balance", to: 7).where("code", .equal, Self.household).run()
            }
            let balance = try await store.verifyLedger()
            #expect(balance.breaches.contains { $0.contains("not conserved") })
            try await database.withConnection { db in
                try await db.update("ledger_accounts").set("balance", to: 50).where("code", .equal, Self.household).run()
                try await db.delete(from: "ledger_transfers").where("id", .equal, "r-4").run()
            }
            let removed = try await store.verifyLedger()
            #expect(removed.breaches.contains { $0.contains("chain head") })
        }
    }
}
