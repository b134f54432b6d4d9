import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import Logging
import SQLKit
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Kills the real server with SIGKILL while merchants are redeeming vouchers through the API;
/// after the crash the ledger must be sound and hold every redemption the server acknowledged.
@Suite(.serialized) struct CrashRecoveryTests {
    static let vouchers = 120

    /// A database with the demo community and `vouchers` issued O3 vouchers; returns their codes
    /// and an API token for M3's till.
    static func prepare(_ path: String) async throws -> ([VoucherCode], String) {
        var configuration = AppConfiguration()
        configuration.lightPasswordHashing = true
        configuration.database = .sqlite(path: path)
        configuration.seedFile = packageRoot.appendingPathComponent("seeds/demo-community.seed").path
        configuration.templatesDirectory = packageRoot.appendingPathComponent("templates").path
        let services = try await prepareServices(configuration, logger: Logger(label: "test"))
        let store = services.store
        let now = Date()
        try await store.post(LedgerTransfer(id: "grant", debitAccount: LedgerAccounts.issuance, creditAccount: LedgerAccounts.household("H-3-2-502"),
                                            amount: Int64(50 * vouchers), code: .adjustment, reference: "crash test grant", at: now))
        var codes: [VoucherCode] = []
        for index in 0..<vouchers {
            let issue = try await store.withPoints { tx in
                var generator = SystemRandomNumberGenerator()
                let contact = ChatContact(platform: .generic, userID: "resident.wangfang", botCode: "demo", chatID: "building-3", replyURL: nil)
                return try await tx.issueVoucher(offer: "O3", person: "R1", household: "H-3-2-502", contact: contact, requestKey: "crash-\(index)",
                                                 at: now, using: &generator)
            }
            guard case .issued(let voucher) = issue else { throw CommandLineTests.CommandLineFailure(message: "voucher \(index) not issued") }
            codes.append(voucher.code)
        }
        let token = try #require(try await store.createAPIToken(person: "MA3", label: "till", at: now))
        try await services.database.shutdown()
        return (codes, token)
    }

    /// Posts one redemption; true only when the server answered 200.
    static func redeem(_ code: VoucherCode, at url: String, token: String) async -> Bool {
        var request = URLRequest(url: URL(string: url + "/api/v1/merchant/vouchers/redeem")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 20
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(#"{"code":"\#(code)"}"#.utf8)
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return false }
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    @Test func aKilledServerLosesNoAcknowledgedTransferAndItsLedgerStaysSound() async throws {
        let path = CommandLineTests.temporaryDatabase()
        let (codes, token) = try await Self.prepare(path)
        let server = try CommandLineTests.startServer(["--database", path, "--seed", "none", "--log-level", "warning"])
        defer { if server.process.isRunning { server.process.terminate() } }

        // Eight tills redeem at once; once 30 are acknowledged the server is killed mid-stream.
        let acknowledged = try await withThrowingTaskGroup(of: VoucherCode?.self) { group in
            var acknowledged: [VoucherCode] = []
            var next = 0
            func start() {
                guard next < codes.count else { return }
                let code = codes[next]
                next += 1
                group.addTask { await Self.redeem(code, at: server.url, token: token) ? code : nil }
            }
            for _ in 0..<8 { start() }
            while let result = try await group.next() {
                if let code = result { acknowledged.append(code) }
                if acknowledged.count == 30, server.process.isRunning {
                    kill(server.process.processIdentifier, SIGKILL)
                }
                if server.process.isRunning { start() }
            }
            return acknowledged
        }
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .uncaughtSignal, "the server was killed, not stopped")
        #expect(acknowledged.count >= 30)
        #expect(acknowledged.count < codes.count, "the kill came while redemptions were in flight")

        let verify = try CommandLineTests.run(["ledger", "verify", "--database", path])
        #expect(verify.status == 0, "\(verify.output)\(verify.errors)")
        #expect(verify.output.contains("sound"))

        // Every acknowledged redemption is there, with its transfer.
        let logger = Logger(label: "test")
        let database = try GridDatabase.open(.sqlite(path: path), logger: logger)
        let store = SQLStore(database: database)
        // Some redemptions may have committed just before the kill without their answer arriving.
        var unused: [VoucherCode] = []
        for code in codes where try await store.readingPoints({ tx in try await tx.voucher(code: code, lock: false)?.status }) == .issued {
            unused.append(code)
        }
        #expect(!unused.isEmpty)
        for code in acknowledged {
            let voucher = try await store.readingPoints { tx in try await tx.voucher(code: code, lock: false) }
            #expect(voucher?.status == .redeemed, "\(code) was acknowledged")
            let transfer = try await database.withConnection { db in
                try await db.select().column("amount").from("ledger_transfers").where("id", .equal, VoucherRules.redeemTransferID(code))
                    .first(decodingColumn: "amount", as: Int64.self)
            }
            #expect(transfer == 50)
        }
        try await database.shutdown()

        // After a restart the rest can still be redeemed, and the ledger stays sound.
        let restarted = try CommandLineTests.startServer(["--database", path, "--seed", "none", "--log-level", "warning"])
        defer { if restarted.process.isRunning { restarted.process.terminate() } }
        for code in unused.prefix(5) { #expect(await Self.redeem(code, at: restarted.url, token: token)) }
        kill(restarted.process.processIdentifier, SIGTERM)
        restarted.process.waitUntilExit()
        let again = try CommandLineTests.run(["ledger", "verify", "--database", path])
        #expect(again.status == 0, "\(again.output)\(again.errors)")
    }
}
