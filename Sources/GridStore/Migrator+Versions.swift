import Foundation
import SQLKit

/// A database whose schema is newer than this binary: it was migrated by a later GridBot, and
/// this one would run against columns and rules it does not know.
public struct SchemaNewerThanBinary: Error, Sendable, CustomStringConvertible {
    /// The newest migration recorded in the database.
    public var databaseVersion: Int
    /// The newest migration this binary has.
    public var binaryVersion: Int

    public var description: String {
        "the database is at schema version \(databaseVersion) but this gridbot knows versions up to \(binaryVersion): "
            + "it was upgraded by a newer gridbot. Run that version (or restore a backup made before the upgrade); refusing to start"
    }
}

extension Migrator {
    /// The newest migration this binary has.
    public var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// The migrations the database does not have yet, oldest first (all of them for a new
    /// database); throws `SchemaNewerThanBinary` for a database a newer GridBot migrated.
    public func pending() async throws -> [Migration] {
        let applied = try await database.withConnection { db in try await Self.recordedVersions(on: db) } ?? []
        if let newest = applied.max(), newest > latestVersion { throw SchemaNewerThanBinary(databaseVersion: newest, binaryVersion: latestVersion) }
        return migrations.filter { !applied.contains($0.version) }.sorted { $0.version < $1.version }
    }

    /// Refuses a database whose recorded schema is newer than the migrations known here.
    static func refuseNewerSchema(on db: any SQLDatabase, known migrations: [Migration]) async throws {
        let latest = migrations.map(\.version).max() ?? 0
        if let newest = try await recordedVersions(on: db)?.max(), newest > latest {
            throw SchemaNewerThanBinary(databaseVersion: newest, binaryVersion: latest)
        }
    }

    /// The versions in `schema_migrations`, or nil when the table does not exist yet.
    static func recordedVersions(on db: any SQLDatabase) async throws -> Set<Int>? {
        do {
            let rows = try await db.select().column("version").from("schema_migrations").all()
            return Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
        } catch {
            // No such table: a database nothing has migrated. Anything else is a real failure.
            let text = DatabaseErrorText.describe(error)
            if text.contains("no such table") || text.contains("does not exist") { return nil }
            throw error
        }
    }
}
