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

    func run() async throws {
        let configuration = try options.resolve()
        let logger = bootstrapLogging(level: configuration.logLevel)
        let database = try GridDatabase.open(configuration.database, logger: logger)
        do {
            let migrator = Migrator(database: database, logger: logger)
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
