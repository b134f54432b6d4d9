import Foundation
import GridCore
import GridStore
import Logging

/// Everything the service can be configured with, resolved once at start and validated.
///
/// Each key is read from a command-line flag first, then from its `GRIDBOT_*` environment
/// variable, then from its default. A bad value stops the start with a message naming the key.
public struct AppConfiguration: Sendable {
    /// `--host` / `GRIDBOT_HOST`: the address to listen on. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// `--port` / `GRIDBOT_PORT`: the TCP port to listen on, 0 for any free port. Default `8080`.
    public var port: Int = 8080
    /// `--database` / `GRIDBOT_DATABASE`: a SQLite file path or a `postgres://` URL.
    /// Default `data/gridbot.sqlite`.
    public var database: DatabaseLocation = .sqlite(path: "data/gridbot.sqlite")
    /// `--seed` / `GRIDBOT_SEED`: the seed file loaded when the database holds no community,
    /// or `none` to start empty. Default `seeds/demo-community.seed`.
    public var seedFile: String? = "seeds/demo-community.seed"
    /// `--templates` / `GRIDBOT_TEMPLATES`: the folder of Mustache templates. Default `templates`.
    public var templatesDirectory: String = "templates"
    /// `--log-level` / `GRIDBOT_LOG_LEVEL`: trace, debug, info, notice, warning, error or critical.
    /// Default `info`.
    public var logLevel: Logger.Level = .info
    /// `--deadlines` / `GRIDBOT_DEADLINES`: overrides of the standard deadlines, as
    /// `urgency.stage=limit` entries separated by commas (`normal.resolve=5wd,emergency.acknowledge=10m`;
    /// limits in m, h, d or wd for working days). Default: acknowledge 5m/30m/2h, resolve 2h/24h/3wd.
    public var deadlines: DeadlinePolicy = .standard
    /// `--calendar` / `GRIDBOT_CALENDAR`: a working-day calendar file (format of the bundled
    /// `calendar-cn.txt`). Default: the bundled mainland China calendar.
    public var calendarFile: String?
    /// `--duplicate-window` / `GRIDBOT_DUPLICATE_WINDOW`: how long an open report absorbs new
    /// reports of the same building and category (m, h or d). Default `24h`.
    public var duplicateWindow: TimeInterval = 24 * 3600
    /// `--session-lifetime` / `GRIDBOT_SESSION_LIFETIME`: how long a web sign-in lasts (m, h or
    /// d). Default `12h`: a shift at the counter or the office.
    public var sessionLifetime: TimeInterval = 12 * 3600
    /// `--public-url` / `GRIDBOT_PUBLIC_URL`: the address people reach the service at
    /// (`https://grid.example.org`), for links GridBot writes such as Open311's discovery; nil
    /// builds them from the request.
    public var publicURL: String?
    /// `--metrics-token` / `GRIDBOT_METRICS_TOKEN`: when set, `/metrics` answers only a request
    /// with `Authorization: Bearer <token>`.
    public var metricsToken: String?
    /// `--light-password-hashing` / `GRIDBOT_LIGHT_PASSWORD_HASHING`: for demos and tests only,
    /// seed passwords are hashed at scrypt's lowest cost (2^10) instead of the full 2^15, so a
    /// seed loads fast. Never set it where the passwords matter.
    public var lightPasswordHashing = false
    /// `--log-format` / `GRIDBOT_LOG_FORMAT`: `text` (one readable line per entry) or `json`
    /// (one JSON object per line, for log shipping). Default `text`.
    public var logFormat: LogFormat = .text
    /// `--backup-every` / `GRIDBOT_BACKUP_EVERY`: with the embedded SQLite database, how often
    /// `serve` writes a checked backup (m, h or d, at least 10m). Default: never.
    public var backupEvery: TimeInterval?
    /// `--backup-keep` / `GRIDBOT_BACKUP_KEEP`: how many rotating backups are kept; the oldest
    /// beyond that are removed. Default `28` (a week at every 6h).
    public var backupKeep = 28
    /// `--backup-folder` / `GRIDBOT_BACKUP_FOLDER`: where rotating backups are written, a folder
    /// of their own. Default `backups` beside the database file.
    public var backupFolder: String?
    /// `--retain-messages` / `GRIDBOT_RETAIN_MESSAGES`: how long stored chat messages keep their
    /// text and sender (d or h). Older ones that made no report lose both; those that made a
    /// report closed at least that long have their personal data masked. Default: kept.
    public var retainMessages: TimeInterval?
    /// The environment that bots' and chat groups' `env:NAME` settings (secrets, post URLs) are
    /// read from: the process's own when resolved, empty by default so tests name what they set.
    public var secrets: [String: String] = [:]

    public init() {}

    /// The keys, with the flag and environment variable each is read from.
    public enum Key: String, CaseIterable, Sendable {
        case host
        case port
        case database
        case seed
        case templates
        case logLevel = "log-level"
        case deadlines
        case calendar
        case duplicateWindow = "duplicate-window"
        case sessionLifetime = "session-lifetime"
        case publicURL = "public-url"
        case metricsToken = "metrics-token"
        case lightPasswordHashing = "light-password-hashing"
        case logFormat = "log-format"
        case backupEvery = "backup-every"
        case backupKeep = "backup-keep"
        case backupFolder = "backup-folder"
        case retainMessages = "retain-messages"

        /// The environment variable: `GRIDBOT_` and the key in upper case with underscores.
        public var environmentName: String {
            "GRIDBOT_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_")
        }
    }

    /// Resolves the configuration from flags (given as text, `nil` when not passed) over the
    /// environment over the defaults.
    public static func resolve(flags: [Key: String], environment: [String: String]) throws(ConfigurationError) -> AppConfiguration {
        var configuration = AppConfiguration()
        configuration.secrets = environment
        for key in Key.allCases {
            let value: (text: String, source: String)?
            if let flag = flags[key] {
                value = (flag, "--\(key.rawValue)")
            } else if let env = environment[key.environmentName] {
                value = (env, key.environmentName)
            } else {
                value = nil
            }
            guard let (text, source) = value else { continue }
            try configuration.set(key, text, source: source)
        }
        return configuration
    }

    private mutating func set(_ key: Key, _ text: String, source: String) throws(ConfigurationError) {
        func fail(_ message: String) -> ConfigurationError { ConfigurationError(key: source, message: message) }
        switch key {
        case .host:
            guard !text.isEmpty, !text.contains(where: \.isWhitespace) else { throw fail("'\(text)' is not a host name or address") }
            host = text
        case .port:
            guard let port = Int(text), (0...65535).contains(port) else { throw fail("'\(text)' is not a port number from 0 to 65535") }
            self.port = port
        case .database:
            do {
                database = try DatabaseLocation(parsing: text)
            } catch {
                throw fail(error.message)
            }
        case .seed:
            seedFile = text == "none" || text.isEmpty ? nil : text
        case .templates:
            guard !text.isEmpty else { throw fail("the templates folder is empty") }
            templatesDirectory = text
        case .logLevel:
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw fail("'\(text)' is not a log level (trace, debug, info, notice, warning, error, critical)")
            }
            logLevel = level
        case .deadlines:
            do {
                deadlines = try DeadlinePolicy(overriding: text)
            } catch {
                throw fail(error.description)
            }
        case .calendar:
            guard !text.isEmpty else { throw fail("the calendar file name is empty") }
            calendarFile = text
        case .duplicateWindow:
            guard case .seconds(let seconds)? = TimeLimit(text) else { throw fail("'\(text)' is not a duration such as 30m, 24h or 2d") }
            duplicateWindow = TimeInterval(seconds)
        case .sessionLifetime:
            guard case .seconds(let seconds)? = TimeLimit(text), seconds >= 60, seconds <= 30 * 86_400 else {
                throw fail("'\(text)' is not a duration from 1m to 30d, such as 12h")
            }
            sessionLifetime = TimeInterval(seconds)
        case .publicURL:
            var trimmed = text.trimmingCharacters(in: .whitespaces)
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            guard let url = URL(string: trimmed), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false,
                  url.query == nil, url.fragment == nil, url.user == nil
            else { throw fail("'\(text)' is not a base URL such as https://grid.example.org") }
            publicURL = trimmed
        case .metricsToken:
            guard text.count >= 16, text.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw fail("the metrics token must be at least 16 visible ASCII characters")
            }
            metricsToken = text
        case .lightPasswordHashing:
            switch text.lowercased() {
            case "1", "true", "yes": lightPasswordHashing = true
            case "0", "false", "no", "": lightPasswordHashing = false
            default: throw fail("'\(text)' is not yes or no")
            }
        case .logFormat:
            guard let format = LogFormat(rawValue: text.lowercased()) else { throw fail("'\(text)' is not a log format (text or json)") }
            logFormat = format
        case .backupEvery:
            guard case .seconds(let seconds)? = TimeLimit(text), seconds >= 600 else {
                throw fail("'\(text)' is not a backup interval of at least 10m, such as 6h or 1d")
            }
            backupEvery = TimeInterval(seconds)
        case .backupKeep:
            guard let keep = Int(text), (1...10_000).contains(keep) else { throw fail("'\(text)' is not a number of backups from 1 to 10000") }
            backupKeep = keep
        case .backupFolder:
            guard !text.isEmpty else { throw fail("the backup folder is empty") }
            backupFolder = text
        case .retainMessages:
            guard case .seconds(let seconds)? = TimeLimit(text), seconds >= 86_400 else {
                throw fail("'\(text)' is not a retention of at least 1d, such as 180d")
            }
            retainMessages = TimeInterval(seconds)
        }
    }

    /// Where rotating backups go: `--backup-folder`, else `backups` beside the SQLite file.
    public var resolvedBackupFolder: String? {
        if let backupFolder { return backupFolder }
        guard case .sqlite(let path) = database else { return nil }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("backups").path
    }
}

/// How log entries are written.
public enum LogFormat: String, Sendable {
    /// One readable line per entry (swift-log's stream format).
    case text
    /// One JSON object per line: `time`, `level`, `label`, `message`, `source` and the metadata.
    case json
}

/// A configuration value that cannot be used, naming the flag or variable it came from.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The flag (`--port`) or environment variable (`GRIDBOT_PORT`) at fault.
    public var key: String
    public var message: String

    public var description: String { "configuration \(key): \(message)" }
}
