import Foundation
import GridStore
import Logging

/// The backends every store contract test runs on.
public enum TestBackend: String, CaseIterable, Sendable {
    case sqlite
    case postgres


    /// A fresh, empty database of this backend (a new SQLite file, or a new PostgreSQL database).
    public func makeLocation() async throws -> DatabaseLocation {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gridbot-test-\(UUID().uuidString)")
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
