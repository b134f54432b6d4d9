import Foundation
import GridStore
import Logging

/// The backends every store contract test runs on.
///
/// The PostgreSQL lane runs where a PostgreSQL can be had: server binaries to start a throwaway
/// one (see `TestPostgresServer`) or `GRIDBOT_TEST_POSTGRES=postgres://…` naming a server to
/// create test databases on. Elsewhere it is skipped with one printed line, unless
/// `GRIDBOT_REQUIRE_POSTGRES=1` (set by `.ci/run`) makes its absence a failure.
public enum TestBackend: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    /// The backends this machine runs: SQLite always, PostgreSQL where it can be had.
    public static var allCases: [TestBackend] { available }

    private static let available: [TestBackend] = {
        let environment = ProcessInfo.processInfo.environment
        if environment["GRIDBOT_REQUIRE_POSTGRES"] == "1" || TestPostgresServer.canRun { return [.sqlite, .postgres] }
        FileHandle.standardError.write(Data("""
            GridBot tests: the PostgreSQL lane is skipped: no initdb/pg_ctl under /usr/lib/postgresql (or GRIDBOT_PG_BIN) \
            and no GRIDBOT_TEST_POSTGRES; install Debian's postgresql package to run it.

            """.utf8))
        return [.sqlite]
    }()

    /// A fresh, empty database of this backend (a new SQLite file, or a new PostgreSQL database).
    public func makeLocation() async throws -> DatabaseLocation {
        switch self {
        case .sqlite:
            let folder = TestFolders.fresh("sqlite")
            return .sqlite(path: folder.appendingPathComponent("gridbot.sqlite").path)
        case .postgres:
            return .postgres(url: try await TestPostgresServer.shared.makeDatabase())
        }
    }

    /// Opens a fresh, migrated database of this backend, runs `body`, and closes it.
    public func withDatabase<R: Sendable>(_ body: (GridDatabase) async throws -> R) async throws -> R {
        let logger = Logger(label: "test")
        let database = try GridDatabase.open(try await makeLocation(), logger: logger)
        do {
            try await Migrator(database: database, logger: logger).migrate(now: 0)
            let result = try await body(database)
            try await database.shutdown()
            return result
        } catch {
            try? await database.shutdown()
            throw error
        }
    }
}

/// The repository's root folder, found from this file's path, for tests that read `seeds/`.
public let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
