import ArgumentParser
import Foundation
import GridServer
import Logging

/// The options every data-touching command shares; each maps to one `AppConfiguration` key.
struct ConfigurationOptions: ParsableArguments {
    @Option(help: "Address to listen on (GRIDBOT_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on, 0 for any free port (GRIDBOT_PORT; default 8080).")
    var port: String?

    @Option(help: "A SQLite file path or a postgres:// URL (GRIDBOT_DATABASE; default data/gridbot.sqlite).")
    var database: String?

    @Option(help: "Seed file loaded when the database holds no community, or 'none' (GRIDBOT_SEED; default seeds/demo-community.seed).")
    var seed: String?

    @Option(help: "Folder of Mustache templates (GRIDBOT_TEMPLATES; default templates).")
    var templates: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (GRIDBOT_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(help: "Deadline overrides, e.g. 'normal.resolve=5wd,emergency.acknowledge=10m' (GRIDBOT_DEADLINES; limits in m, h, d, wd).")
    var deadlines: String?

    @Option(help: "Working-day calendar file (GRIDBOT_CALENDAR; default the bundled mainland China calendar).")
    var calendar: String?

    @Option(name: .customLong("duplicate-window"), help: "How long an open report absorbs duplicates, e.g. 24h (GRIDBOT_DUPLICATE_WINDOW; default 24h).")
    var duplicateWindow: String?

    @Option(name: .customLong("session-lifetime"), help: "How long a web sign-in lasts, e.g. 12h (GRIDBOT_SESSION_LIFETIME; default 12h).")
    var sessionLifetime: String?

    @Option(name: .customLong("public-url"), help: "The address people reach GridBot at, e.g. https://grid.example.org (GRIDBOT_PUBLIC_URL; default: from each request).")
    var publicURL: String?

    @Option(name: .customLong("metrics-token"), help: "A token /metrics requires as 'Authorization: Bearer …' (GRIDBOT_METRICS_TOKEN; default: none).")
    var metricsToken: String?

    @Option(name: .customLong("log-format"), help: "text or json, one object per line for log shipping (GRIDBOT_LOG_FORMAT; default text).")
    var logFormat: String?

    @Option(name: .customLong("backup-every"), help: "serve: write a checked backup of the SQLite database this often, e.g. 6h (GRIDBOT_BACKUP_EVERY; default never).")
    var backupEvery: String?

    @Option(name: .customLong("backup-keep"), help: "serve: how many rotating backups to keep (GRIDBOT_BACKUP_KEEP; default 28).")
    var backupKeep: String?

    @Option(name: .customLong("backup-folder"), help: "Where rotating backups go (GRIDBOT_BACKUP_FOLDER; default backups/ beside the database).")
    var backupFolder: String?

    @Option(name: .customLong("retain-messages"), help: "Keep chat messages' text and sender this long, e.g. 180d (GRIDBOT_RETAIN_MESSAGES; default forever).")
    var retainMessages: String?

    @Flag(name: .customLong("light-password-hashing"),
          help: "Demos and tests only: hash seed passwords at scrypt's lowest cost (GRIDBOT_LIGHT_PASSWORD_HASHING; default: full cost).")
    var lightPasswordHashing = false

    /// Resolves flags over the environment over defaults, or exits with the key at fault.
    func resolve() throws -> AppConfiguration {
        var flags: [AppConfiguration.Key: String] = [:]
        flags[.host] = host
        flags[.port] = port
        flags[.database] = database
        flags[.seed] = seed
        flags[.templates] = templates
        flags[.logLevel] = logLevel
        flags[.deadlines] = deadlines
        flags[.calendar] = calendar
        flags[.duplicateWindow] = duplicateWindow
        flags[.sessionLifetime] = sessionLifetime
        flags[.publicURL] = publicURL
        flags[.metricsToken] = metricsToken
        flags[.logFormat] = logFormat
        flags[.backupEvery] = backupEvery
        flags[.backupKeep] = backupKeep
        flags[.backupFolder] = backupFolder
        flags[.retainMessages] = retainMessages
        if lightPasswordHashing { flags[.lightPasswordHashing] = "yes" }
        do {
            return try AppConfiguration.resolve(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

/// Sets up logging once for the process, to standard error, as text lines or JSON objects.
func bootstrapLogging(level: Logger.Level, format: LogFormat = .text) -> Logger {
    LoggingSystem.bootstrap { label in
        switch format {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        case .json:
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
    var logger = Logger(label: "gridbot")
    logger.logLevel = level
    return logger
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
