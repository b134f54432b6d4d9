import Foundation
import GridCore
import GridStore
import GridTestSupport
import Logging
import Testing

/// Logging at trace never writes what people wrote: the drivers' statement and bind logging is
/// kept below the level GridBot logs at.
@Suite struct TraceLoggingTests {
    /// Everything logged, as text.
    final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []

        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    struct CapturingHandler: LogHandler {
        let captured: Captured
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            captured.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aPhoneNumberStoredAtTraceLevelIsNeverLogged(backend: TestBackend) async throws {
        let captured = Captured()
        var logger = Logger(label: "trace") { _ in CapturingHandler(captured: captured) }
        logger.logLevel = .trace
        let database = try GridDatabase.open(try await backend.makeLocation(), logger: logger)
        do {
            try await Migrator(database: database, logger: logger).migrate(now: 0)
            let store = SQLStore(database: database)
            try await store.load(CommunityStoreContractTests.demoSeed, passwordCost: PasswordHash.minimumLogN)
            let message = InboundMessage(platform: .generic, botCode: "demo", chatID: "c1", senderID: "u1", senderName: "王芳",
                                         text: "3号楼电梯坏了 电话13812345678", sentAt: Date(), platformMessageID: "p1")
            _ = try await store.record(message, groupCode: nil, receivedAt: Date())
            _ = try await store.unprocessedMessages(limit: 10)
            try await database.shutdown()
        } catch {
            try? await database.shutdown()
            throw error
        }
        #expect(!captured.all.contains { $0.contains("13812345678") }, "a phone number reached the log")
        #expect(!captured.all.contains { $0.contains("王芳") }, "a name reached the log")
        #expect(!captured.all.contains { $0.contains("scrypt$") }, "a password hash reached the log")
    }
}
