import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HummingbirdTesting
import Logging
import NIOCore
import SQLKit
import Synchronization
import Testing

/// Backups taken while the service works, restores that refuse what they should, rotation.
@Suite struct BackupRestoreTests {
    static let logger = Logger(label: "test")

    /// While signed webhooks and ledger postings stream in, a backup is taken; restored into a
    /// new folder, it holds every message and transfer acknowledged before it began, and its
    /// ledger is sound.
    @Test func aBackupTakenUnderLoadHoldsEverythingAcknowledgedBeforeIt() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            let store = loop.services.store
            let messages = Shared<[String]>([])
            let transfers = Shared<[String]>([])
            let stop = Shared(false)
            let household = LedgerAccounts.household("H-3-2-502")
            let started = loop.clock.now()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var index = 0
                    while !stop.withLock({ $0 }) {
                        index += 1
                        let id = "load-\(index)"
                        let body = #"{"message_id":"\#(id)","chat_id":"building-3","sender":{"id":"resident.wangfang"},"text":"3号楼\#(index)楼道灯坏了","sent_at":\#(Int(started.timeIntervalSince1970))}"#
                        let response = try await client.execute(uri: "/webhooks/generic/demo", method: .post,
                                                                headers: GatewaySigning.headers(body, at: started), body: ByteBuffer(string: body))
                        if response.status == .ok { messages.withLock { $0.append(id) } }
                    }
                }
                group.addTask {
                    var index = 0
                    while !stop.withLock({ $0 }) {
                        index += 1
                        let id = "backup-load-\(index)"
                        _ = try await store.post(LedgerTransfer(id: id, debitAccount: LedgerAccounts.issuance, creditAccount: household, amount: 1,
                                                                code: .taskReward, reference: "load-\(index)", at: started))
                        transfers.withLock { $0.append(id) }
                    }
                }
                // Let both streams run, then back up in the middle of them.
                while messages.withLock({ $0.count }) < 40 || transfers.withLock({ $0.count }) < 40 { try await Task.sleep(for: .milliseconds(20)) }
                let acknowledged = (messages.withLock { Set($0) }, transfers.withLock { Set($0) })
                let path = TestFolders.fresh("backup").appendingPathComponent("copy.sqlite").path
                let check = try await DatabaseCopy.backup(loop.services.database, to: path, logger: Self.logger)
                #expect(check.ledger.isSound)
                // The streams went on while the copy was written, and after.
                let during = messages.withLock { $0.count }
                while messages.withLock({ $0.count }) < during + 10 { try await Task.sleep(for: .milliseconds(20)) }
                stop.withLock { $0 = true }
                try await group.waitForAll()

                let target = TestFolders.fresh("restored").appendingPathComponent("gridbot.sqlite").path
                let (restored, keptAs) = try await DatabaseCopy.restore(path, into: target, logger: Self.logger)
                #expect(keptAs == nil, "nothing was there to keep")
                #expect(restored.ledger.isSound)
                let database = try GridDatabase.open(.sqlite(path: target), logger: Self.logger)
                let (storedMessages, storedTransfers) = try await database.withConnection { db in
                    (Set(try await db.select().column("platform_message_id").from("inbound_messages").all(decodingColumn: "platform_message_id", as: String.self)),
                     Set(try await db.select().column("id").from("ledger_transfers").all(decodingColumn: "id", as: String.self)))
                }
                let audit = try await SQLStore(database: database).verifyLedger()
                try await database.shutdown()
                #expect(acknowledged.0.isSubset(of: storedMessages), "acknowledged messages missing: \(acknowledged.0.subtracting(storedMessages).count)")
                #expect(acknowledged.1.isSubset(of: storedTransfers), "acknowledged transfers missing: \(acknowledged.1.subtracting(storedTransfers).count)")
                #expect(audit.isSound, "\(audit.breaches)")
            }
        }
    }

    /// A restore refuses a damaged file, a newer schema, and a database a service holds; what it
    /// replaces is kept.
    @Test func aRestoreRefusesWhatItShouldAndKeepsWhatItReplaces() async throws {
        let folder = TestFolders.fresh("restore-refusals")
        let good = folder.appendingPathComponent("good.sqlite").path
        let target = folder.appendingPathComponent("live/gridbot.sqlite").path
        try await TestBackend.sqlite.withDatabase { database in
            _ = try await DatabaseCopy.backup(database, to: good, logger: Self.logger)
        }
        let damaged = folder.appendingPathComponent("damaged.sqlite").path
        // Cut short, as a copy taken with cp in the middle of a write can be.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: damaged))
        await #expect(throws: (any Error).self) { try await DatabaseCopy.restore(damaged, into: target, logger: Self.logger) }
        #expect(!FileManager.default.fileExists(atPath: target), "a refused restore writes nothing")

        let newer = folder.appendingPathComponent("newer.sqlite").path
        try FileManager.default.copyItem(atPath: good, toPath: newer)
        do {
            let database = try GridDatabase.open(.sqlite(path: newer), logger: Self.logger)
            try await database.withConnection { db in
                try await db.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)").run()
            }
            try await database.shutdown()
            // A live database (its WAL beside it) is not a backup.
            if FileManager.default.fileExists(atPath: newer + "-wal") {
                await #expect(throws: DatabaseCopyRefused.self) { try await DatabaseCopy.restore(newer, into: target, logger: Self.logger) }
            }
        }
        // Closed (the last connection gone), the log is folded into the file.
        #expect(!FileManager.default.fileExists(atPath: newer + "-wal"))
        await #expect(throws: SchemaNewerThanBinary.self) { try await DatabaseCopy.restore(newer, into: target, logger: Self.logger) }

        // A first restore, then a second over it while a "service" holds the lock, then without.
        _ = try await DatabaseCopy.restore(good, into: target, logger: Self.logger)
        let service = try DatabaseLock(database: target)
        #expect(service.tryShared())
        await #expect(throws: DatabaseCopyRefused.self) { try await DatabaseCopy.restore(good, into: target, logger: Self.logger) }
        service.release()
        let (_, keptAs) = try await DatabaseCopy.restore(good, into: target, logger: Self.logger)
        let kept = try #require(keptAs)
        #expect(FileManager.default.fileExists(atPath: kept), "the database it replaced is kept")
        #expect(try await DatabaseCopy.check(sqliteAt: kept, logger: Self.logger).ledger.isSound)
    }

    /// A start against a database a newer gridbot migrated is refused, saying so.
    @Test func aDatabaseNewerThanTheBinaryIsRefusedAtStart() async throws {
        let location = try await TestBackend.sqlite.makeLocation()
        let database = try GridDatabase.open(location, logger: Self.logger)
        let migrator = Migrator(database: database, logger: Self.logger)
        #expect(try await migrator.pending().count == Migrator.all.count)
        try await migrator.migrate(now: 0)
        #expect(try await migrator.pending().isEmpty)
        try await database.withConnection { db in
            try await db.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(bind: migrator.latestVersion + 1), 'next', 0)").run()
        }
        await #expect(throws: SchemaNewerThanBinary.self) { try await migrator.pending() }
        await #expect(throws: SchemaNewerThanBinary.self) { try await migrator.migrate(now: 0) }
        try await database.shutdown()
        var configuration = AppConfiguration()
        configuration.database = location
        configuration.seedFile = nil
        configuration.templatesDirectory = packageRoot.appendingPathComponent("templates").path
        do {
            _ = try await prepareServices(configuration, logger: Self.logger)
            Issue.record("a start against a newer schema was not refused")
        } catch {
            #expect("\(error)".contains("newer gridbot"), "\(error)")
        }
    }

    /// Rotation writes a backup when the newest is older than the interval, and keeps `keep`.
    @Test func rotationBacksUpWhenDueAndKeepsTheNewest() async throws {
        let clock = ManualClock(ManualClock.beijing(2026, 11, 18, 10))
        let folder = TestFolders.fresh("rotation").appendingPathComponent("backups").path
        try await TestBackend.sqlite.withDatabase { database in
            let rotation = BackupRotation(database: database, folder: folder, every: 6 * 3600, keep: 2, logger: Self.logger, now: clock.now)
            #expect(try await rotation.backUpIfDue() != nil, "no backup yet: one is due")
            clock.advance(3600)
            #expect(try await rotation.backUpIfDue() == nil, "the newest is an hour old")
            for _ in 0..<3 {
                clock.advance(6 * 3600)
                #expect(try await rotation.backUpIfDue() != nil)
            }
            // A file the rotation did not write is never removed.
            #expect(FileManager.default.createFile(atPath: folder + "/notes.txt", contents: Data("keep me".utf8)))
            clock.advance(6 * 3600)
            _ = try await rotation.backUpIfDue()
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            #expect(names == ["gridbot-20261118-210000.sqlite", "gridbot-20261119-030000.sqlite", "notes.txt"], "\(names)")
        }
    }
}

/// A value tasks share behind a lock.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R {
        value.withLock { body(&$0) }
    }
}
