import Foundation
import Logging

/// `--log-format json`: one JSON object per line on standard error, for log shippers. Each has
/// `time` (ISO 8601, UTC, milliseconds), `level`, `label`, `message`, `source` and the entry's
/// metadata as string fields (a field named like one of those gets a `meta.` prefix).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, given in given }) {
            fields[Self.reserved.contains(key) ? "meta." + key : key] = "\(value)"
        }
        fields["time"] = Self.timestamp(Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = event.message.description
        fields["source"] = event.source
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        write(String(decoding: data, as: UTF8.self) + "\n")
    }

    static let reserved: Set<String> = ["time", "level", "label", "message", "source"]

    /// One format style for every line (a value, so no formatter is built per entry).
    static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func timestamp(_ date: Date) -> String {
        timeStyle.format(date)
    }

    /// Writes a line to standard error in one call, so lines from different tasks never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }
}
