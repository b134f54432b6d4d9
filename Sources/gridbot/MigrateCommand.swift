import ArgumentParser
import Foundation
import GridStore

/// `gridbot migrate`: applies the schema migrations the database does not have yet.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (serve also does this on start)."
    )

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "List the migrations that would be applied, and apply nothing.")
    var dryRun = false

    func run() async throws {
        let configuration = try options.resolve()
        let logger = bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat)
        if dryRun, case .sqlite(let path) = configuration.database, !FileManager.default.fileExists(atPath: path) {
            // A dry run creates nothing, not even the file.
            print("\(configuration.database): no database yet; all \(Migrator.all.count) migrations would be applied (dry run, nothing applied)")
            return
        }
        let database = try GridDatabase.open(configuration.database, logger: logger)
        do {
            let migrator = Migrator(database: database, logger: logger)
            if dryRun {
                let pending = try await migrator.pending()
                if pending.isEmpty {
                    print("\(configuration.database): up to date at version \(migrator.latestVersion); nothing to apply")
                } else {
                    print("\(configuration.database): \(pending.count) pending (dry run, nothing applied):")
                    for migration in pending { print("  \(migration.version) \(migration.name)") }
                }
                try await database.shutdown()
                return
            }
            let applied = try await migrator.migrate(now: Int64(Date().timeIntervalSince1970 * 1000))
            let current = try await migrator.appliedVersions().max() ?? 0
            if applied.isEmpty {
                print("\(configuration.database): up to date at version \(current)")
            } else {
                print("\(configuration.database): applied \(applied.map(String.init).joined(separator: ", ")); now at version \(current)")
            }
        } catch {
            try await database.shutdown()
            throw error
        }
        try await database.shutdown()
    }
}
