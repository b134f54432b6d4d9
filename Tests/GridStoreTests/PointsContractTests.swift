import Foundation
import GridCore
import GridStore
import GridTestSupport
import SQLKit
import Testing

/// Tasks, rewards and vouchers over the real ledger, on SQLite and PostgreSQL.
@Suite struct PointsContractTests {
    static let now = Date(timeIntervalSince1970: 1_794_967_200)
    static let household = "H-3-2-502"
    static let contact = ChatContact(platform: .generic, userID: "resident.wangfang", botCode: "demo", chatID: "building-3", replyURL: nil)
    static let wangfang = Person(code: "R1", name: "王芳", role: .resident, householdCode: household)

    static func seeded(_ database: GridDatabase) async throws -> SQLStore {
        let store = SQLStore(database: database)
        try await store.load(CommunityStoreContractTests.demoSeed)
        return store
    }

    /// Signs R1 up to T1, completes it, and approves it for 10 points.
    static func earn(_ store: SQLStore, task: String = "T1") async throws {
        try await store.withPoints { tx in
            try await tx.signUp(task: task, person: wangfang, household: household, contact: contact, at: now)
            let signed = try #require(try await tx.enrolment(task: task, person: "R1"))
            #expect(try await tx.move(signed, to: .completed, note: "done", photos: 1, at: now))
            let completed = try #require(try await tx.enrolment(task: task, person: "R1"))
            #expect(try await tx.approve(completed, points: 100, reviewer: "W01", at: now))
        }
    }

    static func issue(_ store: SQLStore, offer: String = "O1", key: String) async throws -> Voucher {
        let issue = try await store.withPoints { tx in
            var generator = SystemRandomNumberGenerator()
            return try await tx.issueVoucher(offer: offer, person: "R1", household: household, contact: contact, requestKey: key, at: now, using: &generator)
        }
        switch issue {
        case .issued(let voucher), .existing(let voucher): return voucher
        }
    }

    /// Runs `attempt` `count` times at once and counts the outcomes it names.
    static func tally(_ count: Int, _ attempt: @escaping @Sendable (Int) async -> String) async -> [String: Int] {
        await withTaskGroup(of: String.self) { group in
            for index in 0..<count { group.addTask { await attempt(index) } }
            return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func anApprovalDeliveredManyTimesAtOncePaysOnce(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = try await Self.seeded(database)
            try await store.withPoints { tx in
                try await tx.signUp(task: "T1", person: Self.wangfang, household: Self.household, contact: Self.contact, at: Self.now)
                let signed = try #require(try await tx.enrolment(task: "T1", person: "R1"))
                _ = try await tx.move(signed, to: .completed, note: nil, photos: 0, at: Self.now)
            }
            let approvals = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await store.withPoints { tx in
                            guard let enrolment = try await tx.enrolment(task: "T1", person: "R1"), enrolment.status == .completed else { return false }
                            return try await tx.approve(enrolment, points: 10, reviewer: "W01", at: Self.now)
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(approvals.filter { $0 }.count == 1)
            #expect(try await store.balance(of: LedgerAccounts.household(Self.household)) == 10)
            let audit = try await store.verifyLedger()
            #expect(audit.isSound, "\(audit.breaches)")
            #expect(audit.pointsIssued == 10)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func twoHundredParallelConsumptionsOfOneVoucherYieldOneSuccess(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = try await Self.seeded(database)
            try await Self.earn(store)
            let voucher = try await Self.issue(store, key: "request-1")
            #expect(try await store.balance(of: LedgerAccounts.escrow) == 100)
            let outcomes = await Self.tally(200) { index in
                do {
                    _ = try await store.withPoints { tx in try await tx.redeem(voucher.code, merchant: "M1", by: "MA1", at: Self.now.addingTimeInterval(Double(index))) }
                    return "redeemed"
                } catch VoucherRuleError.alreadyRedeemed(let at, let by) {
                    return at != nil && by == "MA1" ? "already" : "already, without when or who"
                } catch {
                    return "unexpected \(error)"
                }
            }
            #expect(outcomes == ["redeemed": 1, "already": 199])
            #expect(try await store.balance(of: LedgerAccounts.merchant("M1")) == 100)
            #expect(try await store.balance(of: LedgerAccounts.escrow) == 0)
            let audit = try await store.verifyLedger()
            #expect(audit.isSound, "\(audit.breaches)")
            #expect(audit.pointsRedeemed == 100)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func parallelVoucherRequestsCannotOverdrawAHousehold(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = try await Self.seeded(database)
            try await Self.earn(store)
            // 100 points, 20 parallel requests for a 50-point voucher: two are issued.
            let outcomes = await Self.tally(20) { index in
                do {
                    _ = try await Self.issue(store, offer: "O3", key: "parallel-\(index)")
                    return "issued"
                } catch PointsStoreError.insufficientPoints {
                    return "insufficient"
                } catch {
                    return "unexpected \(error)"
                }
            }
            #expect(outcomes == ["issued": 2, "insufficient": 18])
            #expect(try await store.balance(of: LedgerAccounts.household(Self.household)) == 0)
            let stock = try await store.readingPoints { tx in try await tx.offer(code: "O3")?.offer.stock }
            #expect(stock == 298, "a refused request gives its stock back")
            let audit = try await store.verifyLedger()
            #expect(audit.isSound, "\(audit.breaches)")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aRetriedRequestIssuesNothingNewAndAnUnusedVoucherIsRefundedOnce(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = try await Self.seeded(database)
            try await Self.earn(store)
            let first = try await Self.issue(store, offer: "O3", key: "message-7")
            let again = try await Self.issue(store, offer: "O3", key: "message-7")
            #expect(first == again)
            #expect(try await store.balance(of: LedgerAccounts.household(Self.household)) == 50)
            // O3 is valid for 14 days.
            let later = Self.now.addingTimeInterval(14 * 86_400)
            #expect(try await store.dueVouchers(now: later.addingTimeInterval(-1), limit: 10).isEmpty)
            #expect(try await store.dueVouchers(now: later, limit: 10) == [first.code])
            let expired = try await store.withPoints { tx in try await tx.expire(first.code, at: later) }
            #expect(expired?.status == .expired)
            #expect(try await store.withPoints { tx in try await tx.expire(first.code, at: later) } == nil, "a second expiry does nothing")
            #expect(try await store.balance(of: LedgerAccounts.household(Self.household)) == 100)
            await #expect(throws: VoucherRuleError.expired(at: first.expiresAt)) {
                try await store.withPoints { tx in try await tx.redeem(first.code, merchant: "M3", by: "MA3", at: later) }
            }
            let audit = try await store.verifyLedger()
            #expect(audit.isSound, "\(audit.breaches)")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aMerchantCannotConsumeAnotherMerchantsVoucher(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = try await Self.seeded(database)
            try await Self.earn(store)
            let voucher = try await Self.issue(store, key: "m1")
            await #expect(throws: VoucherRuleError.otherMerchant("M1")) {
                try await store.withPoints { tx in try await tx.redeem(voucher.code, merchant: "M2", by: "MA2", at: Self.now) }
            }
            let redeemed = try await store.withPoints { tx in try await tx.redeem(voucher.code, merchant: "M1", by: "MA1", at: Self.now) }
            #expect(redeemed.status == .redeemed)
            let statement = try await store.readingPoints { tx in
                try await tx.statement(merchant: "M1", from: Self.now.addingTimeInterval(-86_400), to: Self.now.addingTimeInterval(86_400))
            }
            #expect(statement == [StatementLine(day: "2026-11-18", vouchers: 1, points: 100, valueFen: 1000)])
        }
    }

    @Test(arguments: TestBackend.allCases)
    func theAuditNamesARewardOrSettlementWithoutItsCause(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = try await Self.seeded(database)
            try await Self.earn(store)
            let voucher = try await Self.issue(store, key: "tamper")
            #expect(try await store.verifyLedger().isSound)
            // A voucher marked redeemed with no transfer, and an approval undone behind the ledger's back.
            try await database.withConnection { db in
                try await db.update("vouchers").set("status", to: "redeemed").where("code", .equal, voucher.code.description).run()
                try await db.update("task_enrolments").set("status", to: "completed").where("task_code", .equal, "T1").run()
            }
            let audit = try await store.verifyLedger()
            #expect(audit.breaches.contains { $0.contains("voucher:\(voucher.code)") && $0.contains("redeemed 0") })
            #expect(audit.breaches.contains { $0.contains("task:T1:R1") && $0.contains("no approved enrolment") })
        }
    }
}
