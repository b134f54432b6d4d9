import ArgumentParser
import Foundation
import GridServer
import GridStore
import Hummingbird

/// `gridbot serve`: runs the service until SIGTERM or SIGINT, then drains and stops.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the GridBot service.",
        discussion: """
            Creates and migrates the database on first start and loads the demo community from \
            seeds/ when the database is empty. SIGTERM or SIGINT stop it gracefully: requests in \
            flight finish and the database is closed cleanly.
            """
    )

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try options.resolve()
        let logger = bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat)
        // (On SQLite the database holds the file's lock shared while open, so a restore waits for this service to stop.)
        if case .postgres = configuration.database, configuration.backupEvery != nil {
            printError("error: configuration --backup-every: rotating backups are for the embedded SQLite database; back up PostgreSQL with pg_dump (see the README)")
            throw ExitCode(2)
        }
        let services = try await prepareServices(configuration, logger: logger)
        let host = configuration.host
        let app = buildApplication(services) { port in
            // Written straight to the descriptor: stdout may be a pipe, and the URL must not wait in a buffer.
            FileHandle.standardOutput.write(Data("GridBot is listening on http://\(host):\(port)  (database: \(configuration.database))\n".utf8))
        }
        try await app.runService()
    }
}
