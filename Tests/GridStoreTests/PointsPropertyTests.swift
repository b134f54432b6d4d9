import Foundation
import GridCore
import GridStore
import GridTestSupport
import Testing

/// Random sequences of sign-ups, completions, approvals (some repeated), voucher issues,
/// redemptions (some at the wrong shop, some repeated), expiries and reversed grants, checked
/// after every step against the audit and a model of every balance.
@Suite struct PointsPropertyTests {
    static let residents: [(code: String, name: String, household: String)] = [
        ("R1", "王芳", "H-3-2-502"), ("R2", "李强", "H-3-2-502"), ("R3", "张秀英", "H-3-1-301"),
        ("R4", "陈磊", "H-12-2-1002"), ("R5", "刘洋", "H-33-1-101"), ("R6", "赵静", "H-B3-1-1201"),
    ]

    static func contact(_ person: String) -> ChatContact {
        ChatContact(platform: .generic, userID: person, botCode: "demo", chatID: "building-3", replyURL: nil)
    }

    /// The model of a random history: every balance as the test expects it.
    final class History: @unchecked Sendable {
        let store: SQLStore
        var model: [String: Int64] = [:]
        var grants: [(id: String, household: String, amount: Int64, reversed: Bool)] = []
        var vouchers: [Voucher] = []
        /// What the history did, so a test can tell it covered every kind of step.
        var counts: [String: Int] = [:]

        init(store: SQLStore) {
            self.store = store
        }

        func move(_ amount: Int64, from debit: String, to credit: String) {
            model[debit, default: 0] -= amount
            model[credit, default: 0] += amount
        }

        /// Sign up and complete (the rules are the chat desk's; here the store's part).
        func complete(_ task: String, by person: Person, at now: Date) async throws {
            try await store.withPoints { tx in
                if try await tx.enrolment(task: task, person: person.code) == nil {
                    try await tx.signUp(task: task, person: person, household: person.householdCode ?? "", contact: PointsPropertyTests.contact(person.code), at: now)
                }
                if let enrolment = try await tx.enrolment(task: task, person: person.code), enrolment.status == .signedUp {
                    _ = try await tx.move(enrolment, to: .completed, note: nil, photos: 0, at: now)
                }
            }
        }

        /// Approve, sometimes twice: the household is paid once.
        func approve(_ task: String, points: Int64, of person: Person, attempts: Int, at now: Date) async throws {
            let paid = try await store.withPoints { tx -> Int in
                var paid = 0
                for _ in 0..<attempts {
                    guard let enrolment = try await tx.enrolment(task: task, person: person.code), enrolment.status == .completed else { break }
                    if try await tx.approve(enrolment, points: points, reviewer: "W01", at: now) { paid += 1 }
                }
                return paid
            }
            #expect(paid <= 1)
            if paid == 1 { counts["approved", default: 0] += 1 }
            if paid == 1 { move(points, from: LedgerAccounts.issuance, to: LedgerAccounts.household(person.householdCode ?? "")) }
        }

        /// A staff grant, perhaps reversed later.
        func grant(_ amount: Int64, to household: String, id: String, at now: Date) async throws {
            try await store.post(LedgerTransfer(id: id, debitAccount: LedgerAccounts.issuance, creditAccount: LedgerAccounts.household(household),
                                                amount: amount, code: .adjustment, reference: "grant", at: now))
            grants.append((id, household, amount, false))
            move(amount, from: LedgerAccounts.issuance, to: LedgerAccounts.household(household))
        }

        func issue(_ offer: String, price: Int64, to person: Person, key: String, at now: Date) async throws {
            let household = person.householdCode ?? ""
            let balance = model[LedgerAccounts.household(household), default: 0]
            do {
                let issue = try await store.withPoints { tx in
                    var generator = SystemRandomNumberGenerator()
                    return try await tx.issueVoucher(offer: offer, person: person.code, household: household, contact: PointsPropertyTests.contact(person.code),
                                                     requestKey: key, at: now, using: &generator)
                }
                guard case .issued(let voucher) = issue else {
                    Issue.record("a new request issued nothing")
                    return
                }
                #expect(balance >= price, "\(key): issued with \(balance) points for \(price)")
                vouchers.append(voucher)
                move(price, from: LedgerAccounts.household(household), to: LedgerAccounts.escrow)
            } catch PointsStoreError.insufficientPoints {
                #expect(balance < price, "\(key): refused with \(balance) points for \(price)")
            }
        }

        /// Redeem at a shop: only its own, only once, only before it expires.
        func redeem(_ voucher: Voucher, at shop: String, now: Date) async throws {
            let current = try await store.readingPoints { tx in try await tx.voucher(code: voucher.code, lock: false) }
            let shouldWork = current?.status == .issued && shop == voucher.merchantCode && now < voucher.expiresAt
            do {
                _ = try await store.withPoints { tx in try await tx.redeem(voucher.code, merchant: shop, by: "MA", at: now) }
                #expect(shouldWork, "redeemed \(String(describing: current?.status)) at \(shop)")
                move(voucher.points, from: LedgerAccounts.escrow, to: LedgerAccounts.merchant(voucher.merchantCode))
                counts["redeemed", default: 0] += 1
            } catch is VoucherRuleError {
                #expect(!shouldWork, "refused a good redemption")
            }
        }

        /// Expire what is due; the household gets its points back once.
        func expireDue(at now: Date) async throws {
            for voucher in vouchers {
                guard let expired = try await store.withPoints({ tx in try await tx.expire(voucher.code, at: now) }) else { continue }
                #expect(now >= voucher.expiresAt)
                move(expired.points, from: LedgerAccounts.escrow, to: LedgerAccounts.household(expired.householdCode))
                counts["expired", default: 0] += 1
            }
        }

        func reverseGrant(_ index: Int, at now: Date) async throws {
            let grant = grants[index]
            let account = LedgerAccounts.household(grant.household)
            do {
                try await store.reverse(grant.id, reversalID: "reverse-\(grant.id)", reason: "entered twice", at: now)
                #expect(model[account, default: 0] >= grant.amount)
                grants[index].reversed = true
                move(grant.amount, from: account, to: LedgerAccounts.issuance)
                counts["reversed", default: 0] += 1
            } catch LedgerError.exceedsBalance {
                #expect(model[account, default: 0] < grant.amount, "a reversal the household could cover was refused")
            }
        }
    }

    @Test(arguments: [11, 12] as [UInt64])
    func randomPointsHistoriesKeepEveryInvariant(seed: UInt64) async throws {
        try await TestBackend.sqlite.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await store.load(CommunityStoreContractTests.demoSeed)
            let history = History(store: store)
            var random = SplitMix(state: seed)
            var clock = PointsContractTests.now
            let tasks: [(String, Int64)] = [("T1", 10), ("T2", 20), ("T3", 15)]
            let offers: [(String, Int64)] = [("O1", 100), ("O2", 150), ("O3", 50)]
            for step in 0..<200 {
                clock = clock.addingTimeInterval(Double.random(in: 60...(2 * 86_400), using: &random))
                let resident = Self.residents.randomElement(using: &random)!
                let person = Person(code: resident.code, name: resident.name, role: .resident, householdCode: resident.household)
                let (task, points) = tasks.randomElement(using: &random)!
                switch Int.random(in: 0..<7, using: &random) {
                case 0: try await history.complete(task, by: person, at: clock)
                case 1: try await history.approve(task, points: points, of: person, attempts: Int.random(in: 1...2, using: &random), at: clock)
                case 2: try await history.grant(Int64.random(in: 20...120, using: &random), to: resident.household, id: "grant-\(step)", at: clock)
                case 3:
                    let (offer, price) = offers.randomElement(using: &random)!
                    try await history.issue(offer, price: price, to: person, key: "step-\(step)", at: clock)
                case 4 where !history.vouchers.isEmpty:
                    let voucher = history.vouchers.randomElement(using: &random)!
                    try await history.redeem(voucher, at: ["M1", "M2", "M3"].randomElement(using: &random)!, now: clock)
                case 5: try await history.expireDue(at: clock)
                case 6 where history.grants.contains(where: { !$0.reversed }):
                    let index = history.grants.indices.filter { !history.grants[$0].reversed }.randomElement(using: &random)!
                    try await history.reverseGrant(index, at: clock)
                default: break
                }
                let audit = try await store.verifyLedger()
                #expect(audit.isSound, "seed \(seed) step \(step): \(audit.breaches)")
                for (account, balance) in history.model {
                    #expect(try await store.balance(of: account) == balance, "seed \(seed) step \(step): \(account)")
                }
                if !audit.isSound { return }
            }
            #expect(!history.vouchers.isEmpty, "the history issued vouchers")
            for kind in ["approved", "redeemed", "expired", "reversed"] {
                #expect(history.counts[kind, default: 0] > 0, "seed \(seed): no step was \(kind): \(history.counts)")
            }
        }
    }
}
