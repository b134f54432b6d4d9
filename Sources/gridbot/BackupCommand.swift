import ArgumentParser
import Foundation
import GridServer
import GridStore

/// `gridbot backup FILE`: a consistent, checked copy of the embedded database, taken while the
/// service runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the SQLite database to FILE while the service runs, and check the copy.",
        discussion: """
            The copy is one consistent snapshot (SQLite's VACUUM INTO); intake goes on meanwhile. \
            It is checked before it is kept: SQLite's integrity check, a schema this gridbot knows \
            and the ledger audit; counts are printed. Exits 1, keeping nothing, when a check fails. \
            For PostgreSQL use pg_dump (see the README).
            """
    )

    @OptionGroup var options: ConfigurationOptions

    @Argument(help: "The backup file to write; it must not exist yet.")
    var file: String

    func run() async throws {
        var configuration = try options.resolve()
        configuration.seedFile = nil
        let logger = bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat)
        guard case .sqlite(let path) = configuration.database else {
            printError("error: gridbot backup copies the embedded SQLite database; for PostgreSQL use pg_dump (see the README)")
            throw ExitCode(2)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            printError("error: there is no database at \(path)")
            throw ExitCode(1)
        }
        let database = try GridDatabase.open(configuration.database, logger: logger)
        do {
            let check = try await DatabaseCopy.backup(database, to: file, logger: logger)
            try await database.shutdown()
            print("backup \(check.path) of \(configuration.database)")
            for line in check.summary { print("  \(line)") }
        } catch {
            try? await database.shutdown()
            printError("error: backup failed, nothing kept: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `gridbot restore FILE`: a checked backup becomes the database, the service stopped.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Make a checked backup the SQLite database (the service must be stopped).",
        discussion: """
            Refuses a file that fails the backup's checks (integrity, schema, ledger audit) and a \
            database a running gridbot holds. The database it replaces is kept beside it as \
            FILE.replaced-YYYYMMDD-HHMMSS (with its WAL), never deleted.
            """
    )

    @OptionGroup var options: ConfigurationOptions

    @Argument(help: "The backup file to restore.")
    var file: String

    func run() async throws {
        let configuration = try options.resolve()
        let logger = bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat)
        guard case .sqlite(let path) = configuration.database else {
            printError("error: gridbot restore restores the embedded SQLite database; for PostgreSQL use pg_restore (see the README)")
            throw ExitCode(2)
        }
        do {
            let (check, keptAs) = try await DatabaseCopy.restore(file, into: path, logger: logger)
            print("restored \(file) as \(check.path)")
            for line in check.summary { print("  \(line)") }
            if let keptAs { print("  the database it replaced is kept as \(keptAs)") }
        } catch {
            printError("error: restore refused, nothing changed: \(error)")
            throw ExitCode(1)
        }
    }
}
