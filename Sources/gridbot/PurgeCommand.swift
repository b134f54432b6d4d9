import ArgumentParser
import Foundation
import GridServer
import GridStore

/// `gridbot purge`: applies message retention now, or with `--dry-run` says what it would do.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Apply message retention (--retain-messages) now; --dry-run shows what would go.",
        discussion: """
            Stored chat messages older than the retention that made no report lose their text, \
            sender, photos and reply address; reports closed that long have personal data masked \
            in their text, messages, timeline notes and reporters' names. The ledger and the \
            reports' structured fields stay. A message not yet processed or waiting in triage is kept.
            """
    )

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "Count what would be cleared and masked; change nothing.")
    var dryRun = false

    func run() async throws {
        var configuration = try options.resolve()
        configuration.seedFile = nil
        guard let retain = configuration.retainMessages else {
            printError("error: say how long messages are kept: --retain-messages 180d (or GRIDBOT_RETAIN_MESSAGES)")
            throw ExitCode(2)
        }
        let services = try await prepareServices(configuration, logger: bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat))
        let now = Date()
        let cutoff = now.addingTimeInterval(-retain)
        do {
            let counts = dryRun ? try await services.store.retentionDue(before: cutoff)
                : try await services.store.applyRetention(before: cutoff, at: now)
            try await services.database.shutdown()
            let verb = dryRun ? "would clear" : "cleared"
            print("""
                retention \(TimeLimitText.describe(retain)) on \(configuration.database)\(dryRun ? " (dry run, nothing changed)" : ""):
                  \(verb) \(counts.messagesCleared) messages that made no report (text, sender, photos)
                  \(dryRun ? "would mask" : "masked") personal data in \(counts.reportsMasked) reports closed before \(ISO8601DateFormatter().string(from: cutoff))
                """)
        } catch {
            try? await services.database.shutdown()
            throw error
        }
    }
}

/// Durations as the options write them (`180d`, `6h`).
enum TimeLimitText {
    static func describe(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds)
        if whole % 86_400 == 0 { return "\(whole / 86_400)d" }
        if whole % 3600 == 0 { return "\(whole / 3600)h" }
        return "\(whole / 60)m"
    }
}
