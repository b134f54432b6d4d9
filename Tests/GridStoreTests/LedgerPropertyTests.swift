import Foundation
import GridCore
import GridStore
import GridTestSupport
import SQLKit
import Testing

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
