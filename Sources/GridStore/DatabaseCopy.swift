import Foundation
import GridCore
import Logging
import SQLKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What checking a copy of the embedded database found: it is whole, its schema is one this
/// binary knows, and its points ledger is sound.
public struct DatabaseCopyCheck: Sendable {
    public var path: String
    public var schemaVersion: Int
    /// Rows in the tables that matter most, in a fixed order.
    public var counts: [(table: String, rows: Int)]
    public var ledger: LedgerAuditReport

    /// One line each: the schema version, the counts and the ledger.
    public var summary: [String] {
        [
            "schema version \(schemaVersion); integrity check ok",
            counts.map { "\($0.table) \($0.rows)" }.joined(separator: ", "),
            "ledger: \(ledger.accounts) accounts, \(ledger.transfers) transfers, sound",
        ]
    }
}

/// Why a copy of the database was refused, in words for the operator.
public struct DatabaseCopyRefused: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Backups and restores of the embedded SQLite database, taken while the service runs.
///
/// A backup is `VACUUM INTO` on a connection of the running pool: SQLite writes a consistent
/// snapshot of the database as of one read transaction, and in WAL mode writers go on
/// meanwhile, so intake never waits on it. The copy is written beside its destination, checked
/// (integrity, schema, ledger audit) and only then moved into place: a backup that exists is
/// a backup that passed.
public enum DatabaseCopy {
    /// The tables whose rows a check counts.
    static let countedTables = ["inbound_messages", "reports", "report_events", "ledger_transfers", "households", "task_enrolments", "vouchers"]

    /// Writes a checked copy of `database` (SQLite) to `path`, which must not exist yet.
    public static func backup(_ database: GridDatabase, to path: String, logger: Logger) async throws -> DatabaseCopyCheck {
        guard database.backend == .sqlite else {
            throw DatabaseCopyRefused("gridbot backup copies the embedded SQLite database; for PostgreSQL use pg_dump (see the README)")
        }
        let destination = URL(fileURLWithPath: path)
        guard !FileManager.default.fileExists(atPath: destination.path) else {
            throw DatabaseCopyRefused("\(destination.path) already exists; choose a new file name")
        }
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let partial = destination.path + ".partial-" + UUID().uuidString
        do {
            try await database.withConnection { db in try await db.raw("VACUUM INTO \(bind: partial)").run() }
            let check = try await self.check(sqliteAt: partial, logger: logger)
            for suffix in ["-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: partial + suffix) }
            try FileManager.default.moveItem(atPath: partial, toPath: destination.path)
            var moved = check
            moved.path = destination.path
            return moved
        } catch {
            for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: partial + suffix) }
            throw error
        }
    }

    /// Checks a SQLite file as a GridBot database: SQLite's integrity check, a schema no newer
    /// than this binary's, and the ledger audit. Throws `DatabaseCopyRefused` saying what failed.
    public static func check(sqliteAt path: String, logger: Logger) async throws -> DatabaseCopyCheck {
        guard FileManager.default.fileExists(atPath: path) else { throw DatabaseCopyRefused("\(path) does not exist") }
        let database = try GridDatabase.open(.sqlite(path: path), logger: logger)
        do {
            let check = try await check(database, path: path)
            try await database.shutdown()
            return check
        } catch {
            try? await database.shutdown()
            if error is DatabaseCopyRefused || error is SchemaNewerThanBinary { throw error }
            throw DatabaseCopyRefused("\(path) is not a readable GridBot database: \(DatabaseErrorText.describe(error))")
        }
    }

    private static func check(_ database: GridDatabase, path: String) async throws -> DatabaseCopyCheck {
        let integrity = try await database.withConnection { db in
            try await db.raw("PRAGMA integrity_check").all().map { try $0.decode(column: "integrity_check", as: String.self) }
        }
        guard integrity == ["ok"] else {
            throw DatabaseCopyRefused("\(path) failed SQLite's integrity check: \(integrity.prefix(5).joined(separator: "; "))")
        }
        let versions = try await database.withConnection { db in try await Migrator.recordedVersions(on: db) }
        guard let versions, let version = versions.max() else { throw DatabaseCopyRefused("\(path) is not a GridBot database (it has no schema_migrations)") }
        let known = Migrator.all.map(\.version).max() ?? 0
        if version > known { throw SchemaNewerThanBinary(databaseVersion: version, binaryVersion: known) }
        let ledger = try await SQLStore(database: database).verifyLedger()
        guard ledger.isSound else {
            throw DatabaseCopyRefused("\(path): the points ledger is not sound: \(ledger.breaches.prefix(5).joined(separator: "; "))")
        }
        var counts: [(String, Int)] = []
        for table in countedTables {
            let rows = try await database.withConnection { db in
                try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table).first(decodingColumn: "n", as: Int.self)
            }
            counts.append((table, rows ?? 0))
        }
        return DatabaseCopyCheck(path: path, schemaVersion: version, counts: counts, ledger: ledger)
    }

    /// Restores a checked backup as the database at `target`, which no running GridBot may hold
    /// (see ``DatabaseLock``). The database there, with its WAL, is kept beside it under the
    /// name returned, never deleted. The backup file itself is left as it was.
    public static func restore(_ backup: String, into target: String, logger: Logger, now: Date = Date()) async throws
        -> (check: DatabaseCopyCheck, keptAs: String?) {
        let lock = try DatabaseLock(database: target)
        guard lock.tryExclusive() else {
            throw DatabaseCopyRefused("\(target) is in use by a running gridbot; stop the service before restoring")
        }
        defer { lock.release() }
        guard !FileManager.default.fileExists(atPath: backup + "-wal") else {
            throw DatabaseCopyRefused("\(backup) has a write-ahead log beside it (\(backup)-wal): it is a live database, not a backup; make one with gridbot backup")
        }
        // Check a private copy, so the backup file is never touched (opening it could leave a WAL).
        let staged = target + ".restoring-" + UUID().uuidString
        try? FileManager.default.removeItem(atPath: staged)
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: target).deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backup, toPath: staged)
        let check: DatabaseCopyCheck
        do {
            check = try await self.check(sqliteAt: staged, logger: logger)
        } catch {
            for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: staged + suffix) }
            throw error
        }
        var keptAs: String?
        if FileManager.default.fileExists(atPath: target) {
            var aside = "\(target).replaced-\(Self.stamp(now))"
            var attempt = 1
            while FileManager.default.fileExists(atPath: aside) {
                attempt += 1
                aside = "\(target).replaced-\(Self.stamp(now))-\(attempt)"
            }
            // The main file and its WAL move together, so the old database stays openable.
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: target + suffix) {
                try FileManager.default.moveItem(atPath: target + suffix, toPath: aside + suffix)
            }
            keptAs = aside
        }
        for suffix in ["-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: staged + suffix) }
        try FileManager.default.moveItem(atPath: staged, toPath: target)
        var restored = check
        restored.path = target
        return (restored, keptAs)
    }

    /// `20261202-174501`, in UTC: sorts as it reads.
    public static func stamp(_ date: Date) -> String { stampFormatter().string(from: date) }

    /// The moment a stamp names, nil when it is not one.
    public static func date(fromStamp text: String) -> Date? { stampFormatter().date(from: text) }

    private static func stampFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter
    }
}

/// An advisory lock beside a SQLite database (`FILE.lock`): every `gridbot serve` on the file
/// holds it shared for its whole life, and a restore takes it exclusively, so a restore never
/// replaces a database under a running service. The lock is the kernel's (`flock`): a process
/// that dies, even by SIGKILL, releases it.
public final class DatabaseLock: Sendable {
    private let descriptor: Int32
    public let path: String

    public init(database: String) throws {
        path = database + ".lock"
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DatabaseCopyRefused("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
    }

    /// Takes the lock shared (a running service); false when a restore holds it.
    public func tryShared() -> Bool { flock(descriptor, LOCK_SH | LOCK_NB) == 0 }

    /// Takes the lock exclusively (a restore); false while any service holds it.
    public func tryExclusive() -> Bool { flock(descriptor, LOCK_EX | LOCK_NB) == 0 }

    public func release() { _ = flock(descriptor, LOCK_UN) }

    deinit { close(descriptor) }
}
