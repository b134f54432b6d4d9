import ArgumentParser
import Foundation
import GridCore

/// `gridbot bench …`: speed and memory measurements (run them on a release build).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed and memory (use a release build: swift run -c release gridbot bench …).",
        subcommands: [BenchParseCommand.self, BenchIntakeCommand.self, BenchProcessCommand.self, BenchLedgerCommand.self, BenchClusterCommand.self]
    )
}

/// `gridbot bench parse`: messages per second and median microseconds per message.
struct BenchParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse a corpus many times over; print throughput, median and p99 time per message, and memory."
    )

    @Option(help: "The corpora to parse (JSONL with text and group_building; default: corpus/training/*.jsonl).")
    var corpus: [String] = []

    @Option(help: "How many times each message is parsed per timing sample.")
    var repetitions = 20

    @OptionGroup var parserOptions: ParserOptions

    /// The corpus files to read: those named, or the project's training corpus.
    func corpusFiles() throws -> [String] {
        guard corpus.isEmpty else { return corpus }
        let folder = "corpus/training"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let files = names.filter { $0.hasSuffix(".jsonl") }.sorted().map { "\(folder)/\($0)" }
        guard !files.isEmpty else { throw ValidationError("no corpus named and none in \(folder); run from the project folder or pass --corpus FILE") }
        return files
    }

    @Option(help: "How many passes over the corpus.")
    var rounds = 5

    func run() throws {
        let rssBefore = MemoryUsage.residentBytes()
        let parser = try parserOptions.parser()
        let files = try corpusFiles()
        let messages = try files.flatMap { try LabelledCorpus.load($0) }.map { ($0.text, $0.groupBuilding) }
        guard !messages.isEmpty else { throw ValidationError("\(files.joined(separator: ", ")) hold no messages") }
        // Warm up: the lexicon is loaded and every code path taken once.
        var sink = 0
        for (text, group) in messages { sink &+= parser.parse(text, groupBuilding: group).cues.count }
        let rssParser = MemoryUsage.residentBytes()

        var samples: [Double] = []
        samples.reserveCapacity(messages.count * rounds)
        let clock = ContinuousClock()
        var total = Duration.zero
        for _ in 0..<rounds {
            for (text, group) in messages {
                let elapsed = clock.measure {
                    for _ in 0..<repetitions { sink &+= parser.parse(text, groupBuilding: group).cues.count }
                }
                total += elapsed
                samples.append(elapsed.seconds / Double(repetitions) * 1_000_000)
            }
        }
        samples.sort()
        let parsed = Double(messages.count * rounds * repetitions)
        let perSecond = parsed / total.seconds
        let median = samples[samples.count / 2]
        let p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
        print("bench parse: \(messages.count) messages × \(repetitions) × \(rounds) rounds on one core")
        print(String(format: "  throughput   %.0f messages/s", perSecond))
        print(String(format: "  median       %.2f µs/message", median))
        print(String(format: "  p99          %.2f µs/message", p99))
        print(String(format: "  memory       %.1f MB resident after loading the parser (+%.1f MB for the parser), peak %.1f MB",
                     Double(rssParser) / 1_048_576, Double(rssParser - rssBefore) / 1_048_576, Double(MemoryUsage.peakResidentBytes()) / 1_048_576))
        print("  lexicon      \(parser.lexicon.cueCount) cues, \(parser.lexicon.traditional.count) traditional characters")
        if let model = parser.classifier {
            print("  model        \(model.isLinear ? "linear" : "embedding-bag"), \(model.bucketCount) buckets × \(model.dimensions)")
        } else {
            print("  model        none (lexicon alone)")
        }
        if sink == 42 { print("") }  // keeps the optimiser from dropping the work
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Resident memory of this process, from /proc.
enum MemoryUsage {
    static func residentBytes() -> Int { field("VmRSS:") }
    static func peakResidentBytes() -> Int { field("VmHWM:") }

    private static func field(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }
}
