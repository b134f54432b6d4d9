import ArgumentParser
import Foundation
import GridServer
import GridStore

/// `gridbot bench cluster`: N `gridbot serve` instances against one PostgreSQL, working through
/// one stored backlog; prints messages processed per second for each N.
struct BenchClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run N gridbot serve instances on one PostgreSQL and print processed messages per second for each N.",
        discussion: """
            Each N gets a fresh database of its own on the server named by --database (created and \
            dropped by the bench), the demo community and the same backlog of group messages. The \
            rate is timed from the first message processed to the last, so instances' start-up is \
            not counted.
            """)

    @Option(help: "A postgres:// URL of a server the bench may create databases on.")
    var database: String

    @Option(help: "Instance counts to run, comma-separated.")
    var instances = "1,2"

    @Option(help: "Messages in the backlog.")
    var messages = 6000

    func run() async throws {
        let counts = instances.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ (1...16).contains($0) }) else { throw ValidationError("--instances takes counts 1…16, e.g. 1,2") }
        guard case .postgres = try DatabaseLocation(parsing: database) else { throw ValidationError("--database must be a postgres:// URL") }
        guard messages > 0, messages <= 1_000_000 else { throw ValidationError("--messages must be 1…1000000") }
        let logger = bootstrapLogging(level: .warning)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        print("bench cluster: \(messages) stored group messages, PostgreSQL, instances \(counts.map(String.init).joined(separator: ", "))")
        var rates: [Int: Double] = [:]
        for count in counts {
            let bench = try await BenchDatabase.make(database, label: "cluster", logger: logger)
            guard case .postgres(let url) = bench.location else { continue }
            let services = try await bench.services(logger: logger)
            try await BenchMessages.store(messages, into: services.store, runID: String(UUID().uuidString.prefix(8)))
            let children = try (0..<count).map { _ in try Self.spawn(executable, database: url) }
            defer { for child in children where child.isRunning { child.terminate() } }
            let clock = ContinuousClock()
            var first: (at: ContinuousClock.Instant, left: Int)?
            var last = clock.now
            let deadline = clock.now + .seconds(900)
            while clock.now < deadline {
                let left = try await services.store.unprocessedCount()
                if first == nil, left < messages { first = (clock.now, left) }
                if left == 0 { last = clock.now; break }
                if children.contains(where: { !$0.isRunning }) { throw ValidationError("an instance exited early; run `\(executable) serve --database …` to see why") }
                try await Task.sleep(for: .milliseconds(20))
            }
            for child in children { child.terminate() }
            for child in children { child.waitUntilExit() }
            let left = try await services.store.unprocessedCount()
            try await services.database.shutdown()
            await bench.drop(logger: logger)
            guard left == 0, let first else { throw ValidationError("\(left) messages were still unprocessed after 900 s with \(count) instances") }
            let rate = Double(first.left) / (last - first.at).seconds
            rates[count] = rate
            print(String(format: "  %2d instance%@  %8.0f messages/s", count, count == 1 ? " " : "s", rate))
        }
        if let one = rates[1] {
            for (count, rate) in rates.sorted(by: { $0.key < $1.key }) where count > 1 {
                print(String(format: "  %d instances give %.2f × one", count, rate / one))
            }
        }
    }

    /// Starts `gridbot serve` on any free port against the database, logging warnings and worse.
    static func spawn(_ executable: String, database: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--database", database, "--port", "0", "--seed", "none", "--light-password-hashing", "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }
}
