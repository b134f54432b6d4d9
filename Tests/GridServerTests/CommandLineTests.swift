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

/// Runs the real `gridbot` executable the way a user does.
@Suite(.serialized) struct CommandLineTests {
    /// The built `gridbot`, beside the test bundle in the build folder.
    static let executable: URL = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if folder.lastPathComponent.hasSuffix(".xctest") { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("gridbot")
    }()

    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self), errors: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryDatabase() -> String {
        TestFolders.fresh("cli").appendingPathComponent("g.sqlite").path
    }

    @Test func helpDocumentsEveryCommand() throws {
        let help = try Self.run(["--help"])
        #expect(help.status == 0)
        for command in ["serve", "migrate", "seed", "reports", "parse", "eval"] {
            #expect(help.output.contains(command), "\(command) missing from --help")
        }
        let serveHelp = try Self.run(["serve", "--help"])
        for option in ["--host", "--port", "--database", "--seed", "--log-level", "GRIDBOT_DATABASE", "--deadlines", "--calendar", "--duplicate-window"] {
            #expect(serveHelp.output.contains(option), "\(option) missing from serve --help")
        }
    }

    @Test func seedLoadsIdempotentlyAndMigrateReportsTheVersion() throws {
        let database = Self.temporaryDatabase()
        let first = try Self.run(["seed", "seeds/demo-community.seed", "--database", database])
        #expect(first.status == 0, "\(first.errors)")
        #expect(first.output.contains("buildings 46"))
        let second = try Self.run(["seed", "seeds/demo-community.seed", "--database", database])
        #expect(second.output == first.output)
        let migrate = try Self.run(["migrate", "--database", database])
        #expect(migrate.status == 0)
        #expect(migrate.output.contains("up to date"))
    }

    @Test func aMalformedSeedNamesFileLineAndFieldAndWritesNothing() throws {
        let folder = TestFolders.fresh("cli")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let seed = folder.appendingPathComponent("broken.seed").path
        try "street code=S name=x\ncommunity code=C name=c street=S\ngrid code=G name=g community=C\nbuilding code=1 grid=G units=two floors=6\n"
            .write(toFile: seed, atomically: true, encoding: .utf8)
        let database = folder.appendingPathComponent("g.sqlite").path
        let result = try Self.run(["seed", seed, "--database", database])
        #expect(result.status != 0)
        #expect(result.errors.contains("broken.seed:4: field 'units'"))
        #expect(!FileManager.default.fileExists(atPath: database), "nothing is written for a bad seed")
    }

    @Test func aBadConfigurationValueFailsNamingTheKey() throws {
        let result = try Self.run(["serve"], environment: ["GRIDBOT_PORT": "http"])
        #expect(result.status == 2)
        #expect(result.errors.contains("GRIDBOT_PORT"))
    }

    /// A running `gridbot serve` and where it listens.
    struct Server {
        var process: Process
        var url: String
        var errors: Pipe
    }

    /// Starts `gridbot serve` on a free port and waits for the URL it prints first.
    static func startServer(_ arguments: [String]) throws -> Server {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--port", "0"] + arguments
        process.currentDirectoryURL = packageRoot
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        var printed = Data()
        let deadline = Date().addingTimeInterval(60)
        while !printed.contains(UInt8(ascii: "\n")), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed.append(chunk)
        }
        let line = String(decoding: printed, as: UTF8.self)
        guard let url = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }).map(String.init) else {
            process.terminate()
            throw CommandLineFailure(message: "the server printed no URL: \(line)")
        }
        return Server(process: process, url: url, errors: errors)
    }

    struct CommandLineFailure: Error {
        var message: String
    }

    @Test func serveAnswersHealthAndShutsDownCleanlyOnSIGTERM() async throws {
        let server = try Self.startServer(["--database", Self.temporaryDatabase()])
        let process = server.process
        defer { if process.isRunning { process.terminate() } }
        // A watchdog, so a server that never answers cannot hang the suite.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(90))
            if process.isRunning { process.terminate() }
        }
        defer { watchdog.cancel() }
        let url = server.url
        let errors = server.errors
        #expect(url.hasPrefix("http://127.0.0.1:"))

        let (body, response) = try await URLSession.shared.data(from: URL(string: url + "/healthz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains("\"status\":\"ok\""))

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("database closed"), "\(log)")
    }

    /// A supervisor reads a report's timeline and the period's numbers from the command line.
    @Test func reportsShowTheTimelineAndTheNumbers() async throws {
        let path = Self.temporaryDatabase()
        var configuration = AppConfiguration()
        configuration.lightPasswordHashing = true
        configuration.database = .sqlite(path: path)
        configuration.seedFile = packageRoot.appendingPathComponent("seeds/demo-community.seed").path
        configuration.templatesDirectory = packageRoot.appendingPathComponent("templates").path
        let services = try await prepareServices(configuration, logger: Logger(label: "test"))
        let message = InboundMessage(platform: .generic, botCode: "demo", chatID: "building-3", senderID: "resident.wangfang", senderName: "王芳",
                                     text: "2单元电梯坏了 电话13912345678", sentAt: Date(), platformMessageID: "cli-1")
        _ = try await services.store.record(message, groupCode: "chat-b3", receivedAt: Date())
        #expect(try await BackgroundWork(services).processor.processPending() == 1)
        try await services.database.shutdown()

        let show = try Self.run(["reports", "show", "1", "--database", path, "--seed", "none"])
        #expect(show.status == 0, "\(show.errors)")
        #expect(show.output.contains("#1 elevator"))
        #expect(show.output.contains("received"))
        #expect(show.output.contains("assign → assigned"))
        #expect(!show.output.contains("已派单") && !show.output.contains("签收 "), "one language: English for operators")
        #expect(show.output.contains("139****5678"), "phone numbers are masked")
        #expect(!show.output.contains("13912345678"))
        let missing = try Self.run(["reports", "show", "99", "--database", path, "--seed", "none"])
        #expect(missing.status == 1)
        #expect(missing.errors.contains("there is no report #99"))

        let stats = try Self.run(["reports", "stats", "--json", "--from", "2020-01-01", "--to", "2099-01-01", "--database", path, "--seed", "none"])
        #expect(stats.status == 0, "\(stats.errors)")
        let numbers = try JSONSerialization.jsonObject(with: Data(stats.output.utf8)) as? [String: Any]
        #expect(numbers?["total"] as? Int == 1)
        #expect((numbers?["byCategory"] as? [String: Int])?["elevator"] == 1)
        let bad = try Self.run(["reports", "stats", "--from", "yesterday", "--database", path])
        #expect(bad.status == 2)
        let badDeadline = try Self.run(["reports", "stats", "--deadlines", "normal.resolve=soon", "--database", path])
        #expect(badDeadline.status == 2)
        #expect(badDeadline.errors.contains("--deadlines"))
    }

    /// `gridbot ledger verify` passes a sound ledger and names a breach, exiting non-zero.
    @Test func ledgerVerifyPassesASoundLedgerAndNamesABreach() async throws {
        let path = Self.temporaryDatabase()
        let logger = Logger(label: "test")
        let database = try GridDatabase.open(.sqlite(path: path), logger: logger)
        try await Migrator(database: database, logger: logger).migrate(now: 0)
        let store = SQLStore(database: database)
        let day = Date(timeIntervalSince1970: 1_763_712_000)
        try await store.openAccount(LedgerAccounts.issuance, kind: .issuance, at: day)
        try await store.openAccount(LedgerAccounts.household("H1"), kind: .household, at: day)
        try await store.post(LedgerTransfer(id: "r1", debitAccount: LedgerAccounts.issuance, creditAccount: LedgerAccounts.household("H1"),
                                            amount: 10, code: .taskReward, reference: "T1:R1", at: day))
        try await database.shutdown()

        let sound = try Self.run(["ledger", "verify", "--database", path])
        #expect(sound.status == 0, "\(sound.errors)")
        #expect(sound.output.contains("2 accounts, 1 transfers"))
        #expect(sound.output.contains("points issued 10"))
        #expect(sound.output.contains("sound"))

        let reopened = try GridDatabase.open(.sqlite(path: path), logger: logger)
        try await reopened.withConnection { db in
            try await db.update("ledger_accounts").set("balance", to: 1_000).where("code", .equal, "household:H1").run()
        }
        try await reopened.shutdown()
        let broken = try Self.run(["ledger", "verify", "--database", path])
        #expect(broken.status == 1)
        #expect(broken.errors.contains("BREACH: household:H1: stored balance 1000 but its transfers sum to 10"))
        #expect(broken.errors.contains("not conserved"))
    }
}
