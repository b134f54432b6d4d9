import ArgumentParser
import Foundation
import GridCore
import GridServer
import GridStore

/// `gridbot ledger …`: the points ledger.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Check the points ledger.",
        subcommands: [LedgerVerifyCommand.self]
    )
}

/// `gridbot ledger verify`: the audit; exits 1 naming every breach.
struct LedgerVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Audit the ledger: hash chain, conservation, stored balances, no balance below zero, rewards paid and vouchers settled at most once.",
        discussion: "Prints a summary; exits 0 when the ledger is sound and 1, naming each breach, when it is not."
    )

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        var configuration = try options.resolve()
        configuration.seedFile = nil  // an audit never writes
        let services = try await prepareServices(configuration, logger: bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat))
        let report: LedgerAuditReport
        do {
            report = try await services.store.verifyLedger()
        } catch {
            try await services.database.shutdown()
            throw error
        }
        try await services.database.shutdown()
        print("""
            ledger \(configuration.database): \(report.accounts) accounts, \(report.transfers) transfers
              points issued \(report.pointsIssued), redeemed at merchants \(report.pointsRedeemed), held for vouchers \(report.pointsInEscrow)
            """)
        if report.isSound {
            print("  sound: chain intact, points conserved, balances match their transfers, none below zero, no double payment")
            return
        }
        for breach in report.breaches { printError("BREACH: \(breach)") }
        throw ExitCode(1)
    }
}

/// `gridbot bench ledger`: transfers per second on the embedded default.
struct BenchLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Post transfers into a fresh SQLite ledger (the embedded default) and print transfers per second.")

    @Option(help: "Transfers to post.")
    var transfers = 5000

    @Option(help: "Postings in flight at once.")
    var concurrency = 8

    @Option(help: "Database to use (default: a new SQLite file in a temporary folder).")
    var database: String?

    func run() async throws {
        let path = database ?? FileManager.default.temporaryDirectory.appendingPathComponent("gridbot-bench-ledger-\(UUID().uuidString)/ledger.sqlite").path
        let logger = bootstrapLogging(level: .warning)
        let location = try DatabaseLocation(parsing: path)
        let db = try GridDatabase.open(location, logger: logger)
        try await Migrator(database: db, logger: logger).migrate(now: 0)
        let store = SQLStore(database: db)
        let now = Date()
        let households = (0..<100).map { LedgerAccounts.household("bench-\($0)") }
        try await store.openAccount(LedgerAccounts.issuance, kind: .issuance, at: now)
        try await store.openAccount(LedgerAccounts.escrow, kind: .escrow, at: now)
        for household in households { try await store.openAccount(household, kind: .household, at: now) }
        let total = transfers
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var index = worker
                    while index < total {
                        // Rewards and reservations alternate, so the balance check runs on half of them; a
                        // reservation spends from the household the reward before it paid.
                        let household = households[(index / 2) % households.count]
                        let transfer = index % 2 == 0
                            ? LedgerTransfer(id: "bench-\(index)", debitAccount: LedgerAccounts.issuance, creditAccount: household, amount: 10,
                                             code: .taskReward, reference: "bench-task-\(index)", at: now)
                            : LedgerTransfer(id: "bench-\(index)", debitAccount: household, creditAccount: LedgerAccounts.escrow, amount: 1,
                                             code: .voucherReserve, reference: "bench-voucher-\(index)", at: now)
                        do {
                            try await store.post(transfer)
                        } catch LedgerError.exceedsBalance {
                            // A reservation that ran ahead of its household's first reward: refused, as it must be.
                        }
                        index += concurrency
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let verifyStarted = ContinuousClock.now
        let report = try await store.verifyLedger()
        let verifyElapsed = ContinuousClock.now - verifyStarted
        try await db.shutdown()
        print("""
            bench ledger: \(total) transfers, \(concurrency) in flight, SQLite (synchronous=FULL) at \(path)
              \(String(format: "%.0f", Double(total) / seconds)) transfers/s (\(String(format: "%.2f", seconds)) s)
              posted \(report.transfers) (reservations that ran ahead of their reward are refused, as they must be)
              verify: \(report.transfers) transfers audited in \(verifyElapsed), \(report.isSound ? "sound" : "BREACHES: \(report.breaches)")
            """)
        if !report.isSound { throw ExitCode(1) }
    }
}
