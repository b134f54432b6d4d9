import ArgumentParser
import Foundation
import GridCore
import GridServer
import GridStore

/// `gridbot seed FILE`: loads a community seed file; loading it again changes nothing.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Load a community seed file (idempotent).",
        discussion: """
            The file is checked as a whole first: a malformed file is reported with its file, \
            line and field, and nothing is written. seeds/README.md documents the format.
            """
    )

    @Argument(help: "The seed file to load, e.g. seeds/demo-community.seed.")
    var file: String

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        var configuration = try options.resolve()
        let logger = bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat)
        let seed: CommunitySeed
        do {
            seed = try loadSeedFile(file)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        configuration.seedFile = nil  // load exactly this file, never the default on top
        let services = try await prepareServices(configuration, logger: logger)
        do {
            try await services.store.load(seed)
            let counts = try await services.store.counts()
            print("""
                loaded \(file) into \(configuration.database)
                  grids \(counts.grids), buildings \(counts.buildings), households \(counts.households), \
                people \(counts.people), departments \(counts.departments), chat groups \(counts.chatGroups), \
                routing rules \(counts.routingRules), merchants \(counts.merchants), offers \(counts.offers), tasks \(counts.tasks)
                """)
        } catch {
            try await services.database.shutdown()
            throw error
        }
        try await services.database.shutdown()
    }
}
