import ArgumentParser
import Foundation
import GridCore
import GridServer
import GridStore

/// `gridbot reports`: what a supervisor reads: one report's timeline, or the numbers of a period.
struct ReportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "Read reports: one report's timeline, or statistics over a period.",
        subcommands: [ReportsShowCommand.self, ReportsStatsCommand.self]
    )
}

/// `gridbot reports show 12`: a report with its timeline (时间轴), stages and reporters.
struct ReportsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a report and its timeline.")

    @Argument(help: "The report number (#12 → 12).")
    var id: Int64

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try options.resolve()
        let services = try await prepareServices(configuration, logger: bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat))
        do {
            try await show(services)
        } catch {
            try await services.database.shutdown()
            throw error
        }
        try await services.database.shutdown()
    }

    private func show(_ services: GridBotServices) async throws {
        guard let order = try await services.store.workOrder(id: id) else {
            printError("error: there is no report #\(id)")
            throw ExitCode(1)
        }
        let time = LocalTime.community
        // Operators read English here; what people wrote (the text, notes, the place) stays as written.
        print("#\(order.id) \(order.category.rawValue) \(order.urgency.rawValue) \(order.location.chineseDescription) — \(order.status.rawValue)")
        print("  \(PersonalData.mask(order.text))")
        print("  grid \(order.assigneeGrid ?? "-"), department \(order.departmentCode ?? "-")\(order.mergedInto.map { ", merged into #\($0)" } ?? "")")
        print("timeline")
        for event in try await services.store.timeline(reportID: id) {
            let status = event.toStatus.map { " → \($0.rawValue)" } ?? ""
            let note = event.note.map { "  \(PersonalData.mask($0))" } ?? ""
            print("  \(time.minute(event.at))  \(event.action)\(status)  \(event.actorName ?? event.actorCode) (\(event.actorRole))\(note)")
        }
        print("stages")
        for stage in try await services.store.stages(reportID: id) {
            let ended = stage.endedAt.map { "ended \(time.minute($0)) \(stage.outcome ?? "") \(stage.onTime == true ? "on time" : "late")" } ?? "open"
            print("  \(stage.stage.rawValue) \(stage.gridCode) due \(time.minute(stage.dueAt)) level \(stage.escalationLevel)  \(ended)")
        }
        print("reporters \(try await services.store.reporters(reportID: id).count)")
    }
}

/// `gridbot reports stats --from 2026-11-01 --to 2026-12-01`: the supervisor's numbers.
struct ReportsStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Reports by status, category and grid; completion, on-time rates and average times over a period.")

    @Option(help: "First day of the period, YYYY-MM-DD (Beijing time; default 30 days ago).")
    var from: String?

    @Option(help: "Day after the period, YYYY-MM-DD (default tomorrow).")
    var to: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let time = LocalTime.community
        let now = Date()
        func day(_ text: String?, _ name: String, default fallback: Date) throws -> Date {
            guard let text else { return fallback }
            guard let day = CalendarDay(text) else {
                printError("error: --\(name) '\(text)' is not a date (YYYY-MM-DD)")
                throw ExitCode(2)
            }
            return day.start()
        }
        let start = try day(from, "from", default: now.addingTimeInterval(-30 * 86400))
        let end = try day(to, "to", default: now.addingTimeInterval(86400))
        let configuration = try options.resolve()
        let services = try await prepareServices(configuration, logger: bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat))
        let stats: ReportStatistics
        do {
            stats = try await services.store.statistics(from: start, to: end)
        } catch {
            try await services.database.shutdown()
            throw error
        }
        try await services.database.shutdown()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(stats), as: UTF8.self))
            return
        }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
        func duration(_ seconds: Double?) -> String {
            guard let seconds else { return "-" }
            return seconds < 3600 ? String(format: "%.0f min", seconds / 60) : String(format: "%.1f h", seconds / 3600)
        }
        func list(_ counts: [String: Int]) -> String {
            counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        print("""
            reports \(time.minute(start)) – \(time.minute(end)): \(stats.total) (+\(stats.merged) duplicates merged)
              by status:   \(list(stats.byStatus))
              by category: \(list(stats.byCategory))
              by grid:     \(list(stats.byGrid))
              completion rate \(percent(stats.completionRate)); acknowledged on time \(percent(stats.acknowledgedOnTimeRate)); \
            resolved on time \(percent(stats.resolvedOnTimeRate))
              average time to acknowledge \(duration(stats.averageSecondsToAcknowledge)), to resolve \(duration(stats.averageSecondsToResolve)); \
            overdue now \(stats.overdueNow)
            """)
    }
}
