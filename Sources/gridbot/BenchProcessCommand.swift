import ArgumentParser
import Foundation
import GridCore
import GridServer
import GridStore
import Logging

/// `gridbot bench process`: messages processed end to end per second (stored → parsed → report,
/// command or triage → reply queued), from a backlog stored beforehand.
struct BenchProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Store a backlog of group messages, then time the processor working through it.")

    @Option(help: "Messages to store and process.")
    var messages = 5000

    @Option(help: "A SQLite file path or a postgres:// URL (default: a new SQLite file in a temporary folder). A postgres:// server gets a database of its own for the run, dropped afterwards.")
    var database: String?

    func run() async throws {
        guard messages > 0, messages <= 1_000_000 else { throw ValidationError("--messages must be 1…1000000") }
        let logger = bootstrapLogging(level: .warning)
        let bench = try await BenchDatabase.make(database, label: "process", logger: logger)
        defer { bench.cleanUp() }
        let services = try await bench.services(logger: logger)
        let storeStarted = ContinuousClock.now
        try await BenchMessages.store(messages, into: services.store, runID: String(UUID().uuidString.prefix(8)))
        let storeSeconds = (ContinuousClock.now - storeStarted).seconds
        let work = BackgroundWork(services)
        let started = ContinuousClock.now
        let processed = try await work.processor.processPending()
        let seconds = (ContinuousClock.now - started).seconds
        let figures = try await services.store.operationalFigures(now: Date())
        let reports = try await services.store.reportCount()
        try await services.database.shutdown()
        await bench.drop(logger: logger)
        print("""
            bench process: \(messages) stored group messages on \(bench.location.kind), one instance
              stored       \(String(format: "%.0f", Double(messages) / storeSeconds)) messages/s (\(messages) concurrent writes, group commit)
              processed    \(String(format: "%.0f", Double(processed) / seconds)) messages/s (\(processed) in \(String(format: "%.2f", seconds)) s)
              made         \(reports) reports, \(figures.outboundByState["pending", default: 0]) replies queued, \(figures.unprocessedMessages) left unprocessed
            """)
        if processed != messages { throw ExitCode(1) }
    }
}

/// The messages the benches send: residents' reports of several kinds, thanks, questions and
/// chat, spread over the demo community's forty building chats.
enum BenchMessages {
    static let texts = [
        "楼道灯坏了，晚上黑漆漆的", "电梯又停了，2单元", "楼下垃圾好几天没人收了，味道很大", "谢谢楼长，辛苦了",
        "明天几点停水？", "家里水管漏水，楼下天花板都湿了", "有人在消防通道堆了好多纸箱", "今天天气不错",
        "小区门口的路灯不亮了", "楼上装修太吵了，中午都不停", "301的下水道堵了，反映一下", "大家晚上好",
        "单元门禁坏了，刷卡没反应", "绿化带里有好多垃圾", "请问物业电话是多少", "车库入口积水很深",
        "好的收到", "楼道里有一股煤气味", "外墙瓷砖掉下来了，差点砸到人", "今晚有广场舞吗",
    ]

    static func body(index: Int, runID: String) -> (chat: String, text: String, id: String) {
        let building = index % 40 + 1
        return ("building-\(building)", texts[(index / 40) % texts.count], "bench-\(runID)-\(index)")
    }

    /// Stores `count` messages as webhooks would, 64 at a time.
    static func store(_ count: Int, into store: SQLStore, runID: String) async throws {
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    while let index = await next.take(below: count) {
                        let (chat, text, id) = body(index: index, runID: runID)
                        let message = InboundMessage(platform: .generic, botCode: "demo", chatID: chat, senderID: "bench-\(index % 97)",
                                                     senderName: "压测", text: text, sentAt: Date(), platformMessageID: id)
                        _ = try await store.record(message, groupCode: "chat-b\(index % 40 + 1)", receivedAt: Date())
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// A database for one bench run: a new SQLite file, the SQLite file named, or a database of its
/// own on the PostgreSQL server named (created now, dropped by ``drop(logger:)``).
struct BenchDatabase: Sendable {
    var location: DatabaseLocation
    /// The temporary folder to remove, for a SQLite file the bench made.
    var folder: URL?
    /// The server URL and the database made on it, for PostgreSQL.
    var server: (url: String, name: String)?

    static func make(_ text: String?, label: String, logger: Logger) async throws -> BenchDatabase {
        guard let text else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gridbot-bench-\(label)-\(UUID().uuidString)")
            return BenchDatabase(location: .sqlite(path: folder.appendingPathComponent("bench.sqlite").path), folder: folder)
        }
        let location = try DatabaseLocation(parsing: text)
        guard case .postgres(let url) = location, var components = URLComponents(string: url) else {
            return BenchDatabase(location: location)
        }
        let name = "gridbot_bench_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try GridDatabase.open(location, logger: logger)
        try await admin.withConnection { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        try await admin.shutdown()
        components.path = "/" + name
        return BenchDatabase(location: .postgres(url: components.string ?? url), server: (url, name))
    }

    /// The service on this database, migrated and with the demo community, on any free port.
    func services(logger: Logger) async throws -> GridBotServices {
        var configuration = AppConfiguration()
        configuration.port = 0
        configuration.database = location
        configuration.lightPasswordHashing = true
        return try await prepareServices(configuration, logger: logger)
    }

    /// Drops the PostgreSQL database the bench made; the pool on it must be shut down first.
    func drop(logger: Logger) async {
        guard let server, let admin = try? GridDatabase.open(.postgres(url: server.url), logger: logger) else { return }
        try? await admin.withConnection { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: server.name)").run() }
        try? await admin.shutdown()
    }

    func cleanUp() {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }
}

extension DatabaseLocation {
    /// "SQLite" or "PostgreSQL", for a bench's heading.
    var kind: String {
        switch self {
        case .sqlite: "SQLite (synchronous=FULL)"
        case .postgres: "PostgreSQL"
        }
    }
}
