import AsyncKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// Where GridBot keeps its data: an embedded SQLite file (the default) or a PostgreSQL server.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite database file; its folder is created when missing.
    case sqlite(path: String)
    /// A PostgreSQL server, as a `postgres://user:password@host:port/database` URL.
    case postgres(url: String)

    /// Reads `--database`: a `postgres://` or `postgresql://` URL, otherwise a SQLite path.
    public init(parsing text: String) throws(DatabaseLocationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw DatabaseLocationError(message: "the database location is empty") }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            guard (try? SQLPostgresConfiguration(url: trimmed)) != nil else {
                throw DatabaseLocationError(message: "'\(DatabaseLocation.redacted(trimmed))' is not a valid postgres:// URL (postgres://user:password@host:port/database)")
            }
            self = .postgres(url: trimmed)
        } else if trimmed.contains("://") {
            throw DatabaseLocationError(message: "'\(trimmed)' is neither a SQLite file path nor a postgres:// URL")
        } else {
            self = .sqlite(path: trimmed)
        }
    }

    /// The location with any password hidden, for logs.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): DatabaseLocation.redacted(url)
        }
    }

    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }
}

/// Why a database location was refused.
public struct DatabaseLocationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The SQL dialect behind a ``GridDatabase``; a few statements differ between the two.
public enum DatabaseBackend: String, Sendable {
    case sqlite
    case postgres
}

/// A pool of connections to GridBot's database, with transactions that both backends honour.
///
/// sql-kit has no transaction API, so this type provides one: a transaction pins one pooled
/// connection for its whole life. On SQLite a writing transaction starts with `BEGIN IMMEDIATE`,
/// taking the write lock up front so that two writers wait for each other (busy timeout) instead
/// of failing when a read lock cannot be upgraded.
public final class GridDatabase: Sendable {
    /// Which backend this is.
    public let backend: DatabaseBackend
    private let pool: any ConnectionPool
    /// Gathers concurrent write transactions into batches with one commit each.
    private let commits: GroupCommit
    /// The community directory as last read, with the revision it was read at.
    let directoryCache = DirectoryCache()
    let logger: Logger
    /// On SQLite, the file's lock held shared for this pool's life, so `gridbot restore` never
    /// replaces the file under any process using it.
    private let fileLock: DatabaseLock?

    private init(backend: DatabaseBackend, pool: any ConnectionPool, writer: (any ConnectionPool)? = nil, fileLock: DatabaseLock? = nil, logger: Logger) {
        self.fileLock = fileLock
        self.backend = backend
        self.pool = pool
        self.logger = logger
        // SQLite has one writer: one lane, whose BEGIN IMMEDIATE takes the write lock up front
        // so another process sharing the file waits (busy timeout) instead of failing to
        // upgrade a read lock. PostgreSQL runs a few batches at once on separate connections.
        let begin = backend == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        let lanes = backend == .sqlite ? 1 : 3
        let batches = BatchTransaction(pool: writer ?? pool, logger: logger, begin: begin,
                                       budget: backend == .sqlite ? .milliseconds(5) : .milliseconds(50))
        commits = GroupCommit(lanes: lanes, maxBatch: 128, execute: batches.run)
    }

    /// Opens a pool to `location`. Connections are made lazily; call ``ping()`` to check reachability.
    public static func open(_ location: DatabaseLocation, logger: Logger) throws -> GridDatabase {
        let group = MultiThreadedEventLoopGroup.singleton
        // The drivers log statements and their bound values (phone numbers, message text,
        // password hashes) at debug and trace: they get a logger that never goes below info,
        // whatever level GridBot itself logs at.
        var logger = logger
        if logger.logLevel < .info { logger.logLevel = .info }
        switch location {
        case .sqlite(let path):
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let lock = try DatabaseLock(database: url.path)
            guard lock.tryShared() else {
                throw DatabaseCopyRefused("\(url.path) is being restored (\(lock.path) is held); try again when the restore has finished")
            }
            // The writer first: it can fail (a file that is not a database), and a pool must
            // never be dropped unshut.
            let writer = try SQLiteWriter(path: url.path)
            let pool = EventLoopGroupConnectionPool(
                source: SQLiteSource(path: url.path),
                maxConnectionsPerEventLoop: 2,
                requestTimeout: .seconds(30),
                pruneInterval: nil,
                logger: logger,
                on: group)
            return GridDatabase(backend: .sqlite, pool: SQLitePool(pool: pool), writer: SQLiteWriterPool(writer: writer), fileLock: lock, logger: logger)
        case .postgres(let url):
            let configuration = try SQLPostgresConfiguration(url: url)
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: configuration),
                maxConnectionsPerEventLoop: 4,
                // A burst (many tills redeeming at once) waits its turn rather than failing, also
                // on a busy two-core machine where 200 callers share eight connections.
                requestTimeout: .seconds(90),
                pruneInterval: nil,
                logger: logger,
                on: group)
            return GridDatabase(backend: .postgres, pool: PostgresPool(pool: pool), logger: logger)
        }
    }

    /// Runs `body` on one connection (statements run outside any explicit transaction).
    public func withConnection<R: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await pool.withConnection(logger: logger, body)
    }

    /// Runs `body` inside one transaction, committed when it returns and rolled back when it throws.
    ///
    /// Concurrent transactions are committed together (see ``GroupCommit``): `body` runs in a
    /// savepoint of a batch's transaction, and this returns once that batch is durable. A body
    /// must only use `db`: it must not begin another transaction (refused with
    /// ``NestedTransaction``) or wait on anything outside the database, which would hold up its
    /// whole batch. A busy database (another process holds SQLite's write lock) or a PostgreSQL
    /// deadlock runs the body again, a few times at most.
    public func withTransaction<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        guard !GroupCommitContext.insideBatch else { throw NestedTransaction() }
        let commits = self.commits
        let background = GroupCommitContext.background
        return try await withCheckedThrowingContinuation { continuation in
            commits.submit(GroupCommit.Work(
                run: { db in
                    let value = try await body(db)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) },
                background: background))
        }
    }

    /// Runs `work` as background work: its transactions wait for requests' in each batch.
    public static func inBackground<R>(_ work: () async throws -> R) async rethrows -> R {
        try await GroupCommitContext.$background.withValue(true, operation: work)
    }

    /// Checks that the database answers.
    public func ping() async throws {
        try await withConnection { db in try await db.raw("SELECT 1").run() }
    }

    /// Closes every connection; in-flight work should be finished first.
    public func shutdown() async throws {
        try await pool.shutdown()
    }
}

/// The two pools differ only in how a connection becomes an `SQLDatabase`.
protocol ConnectionPool: Sendable {
    func withConnection<R: Sendable>(logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> R) async throws -> R
    func shutdown() async throws
}

/// The async-kit pool guards its state with a lock and is safe to share, but is not marked Sendable.
private struct SQLitePool: ConnectionPool, @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<SQLiteSource>

    func withConnection<R: Sendable>(logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let connection = try await pool.requestConnection(logger: logger).get()
        defer { pool.releaseConnection(connection, logger: logger) }
        return try await body(connection.sql(queryLogLevel: nil))
    }

    func shutdown() async throws { try await pool.shutdownAsync() }
}

private struct PostgresPool: ConnectionPool, @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>

    func withConnection<R: Sendable>(logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let connection = try await pool.requestConnection(logger: logger).get()
        defer { pool.releaseConnection(connection, logger: logger) }
        return try await body(connection.sql(queryLogLevel: nil))
    }

    func shutdown() async throws { try await pool.shutdownAsync() }
}

/// Opens SQLite connections set up for a server: WAL so readers never block the writer, a busy
/// timeout so writers queue instead of failing, foreign keys enforced, full fsync on commit.
private struct SQLiteSource: ConnectionPoolSource {
    let path: String

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton, logger: logger, on: eventLoop)
            .flatMap { connection in
                let pragmas = [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA busy_timeout = 10000",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA synchronous = FULL",
                ]
                return pragmas.reduce(eventLoop.makeSucceededVoidFuture()) { chain, pragma in
                    chain.flatMap { connection.query(pragma).map { _ in } }
                }.map { connection }
            }
    }
}
