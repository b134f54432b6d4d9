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
                            Issue.record("unexpected error \(error)")
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

/// Random sequences of rewards, reservations, redemptions, refunds and reversals, checked after
/// every step against the audit and a model of the balances.
@Suite struct LedgerPropertyTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomSequencesKeepEveryInvariant(seed: UInt64) async throws {
        try await TestBackend.sqlite.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            let day = LedgerContractTests.day
            let households = (1...3).map { LedgerAccounts.household("H\($0)") }
            try await store.openAccount(LedgerAccounts.issuance, kind: .issuance, at: day)
            try await store.openAccount(LedgerAccounts.escrow, kind: .escrow, at: day)
            try await store.openAccount(LedgerAccounts.merchant("M1"), kind: .merchant, at: day)
            for household in households { try await store.openAccount(household, kind: .household, at: day) }
            var random = SplitMix(state: seed)
            var model: [String: Int64] = [:]
            var posted: [LedgerTransfer] = []
            var openVouchers: [(voucher: String, household: String, amount: Int64)] = []
            for step in 0..<150 {
                let household = households.randomElement(using: &random)!
                let amount = Int64.random(in: 1...40, using: &random)
                var transfer: LedgerTransfer?
                var expectRefusal = false
                switch Int.random(in: 0..<6, using: &random) {
                case 0, 1:
                    transfer = LedgerTransfer(id: "s\(step)", debitAccount: LedgerAccounts.issuance, creditAccount: household, amount: amount,
                                              code: .taskReward, reference: "task-\(step)", at: day)
                case 2:
                    transfer = LedgerTransfer(id: "s\(step)", debitAccount: household, creditAccount: LedgerAccounts.escrow, amount: amount,
                                              code: .voucherReserve, reference: "V\(step)", at: day)
                    expectRefusal = model[household, default: 0] < amount
                    if !expectRefusal { openVouchers.append(("V\(step)", household, amount)) }
                case 3 where !openVouchers.isEmpty:
                    let voucher = openVouchers.remove(at: Int.random(in: 0..<openVouchers.count, using: &random))
                    let redeem = Bool.random(using: &random)
                    transfer = LedgerTransfer(id: "s\(step)", debitAccount: LedgerAccounts.escrow,
                                              creditAccount: redeem ? LedgerAccounts.merchant("M1") : voucher.household, amount: voucher.amount,
                                              code: redeem ? .voucherRedeem : .voucherExpiryRefund, reference: voucher.voucher, at: day)
                case 4 where !posted.isEmpty:
                    // A retry of an earlier posting: never counted twice.
                    let earlier = posted.randomElement(using: &random)!
                    #expect(try await store.post(earlier) == .exists)
                case 5 where !posted.isEmpty:
                    let earlier = posted.randomElement(using: &random)!
                    let alreadyReversed = posted.contains { $0.reverses == earlier.id }
                    if earlier.code != .reversal, earlier.code != .voucherReserve, earlier.code != .voucherRedeem, earlier.code != .voucherExpiryRefund {
                        transfer = LedgerTransfer(id: "s\(step)", debitAccount: earlier.creditAccount, creditAccount: earlier.debitAccount,
                                                  amount: earlier.amount, code: .reversal, reference: "correction", reverses: earlier.id, at: day)
                        expectRefusal = alreadyReversed || (earlier.creditAccount.hasPrefix("household:") && model[earlier.creditAccount, default: 0] < earlier.amount)
                    }
                default:
                    break
                }
                if let transfer {
                    do {
                        #expect(try await store.post(transfer) == .created)
                        #expect(!expectRefusal, "step \(step): \(transfer) should have been refused")
                        model[transfer.debitAccount, default: 0] -= transfer.amount
                        model[transfer.creditAccount, default: 0] += transfer.amount
                        posted.append(transfer)
                    } catch {
                        #expect(expectRefusal, "step \(step): \(transfer) refused: \(error)")
                    }
                }
                let report = try await store.verifyLedger()
                #expect(report.isSound, "seed \(seed) step \(step): \(report.breaches)")
                for (account, balance) in model { #expect(try await store.balance(of: account) == balance) }
                if !report.isSound { return }
            }
        }
    }
}
