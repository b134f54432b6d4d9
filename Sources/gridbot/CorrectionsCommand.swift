import ArgumentParser
import Foundation
import GridCore
import GridServer
import GridStore

/// `gridbot corrections export`: what staff decided about messages, as labelled data.
struct CorrectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corrections",
        abstract: "Staff's promotions, dismissals and corrections as labelled data for retraining.",
        subcommands: [CorrectionsExportCommand.self]
    )
}

/// Writes every message staff promoted, dismissed or corrected in the corpus format of
/// `shared/eval/LABELS.md`, phone and ID numbers masked, ready for `gridbot train`.
struct CorrectionsExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write staff's decisions as labelled JSONL (LABELS.md format, personal data masked).",
        discussion: """
            Add the file to corpus/training/ and retrain with `gridbot train corpus/training/*.jsonl \
            --out Sources/GridCore/Parsing/Resources/model.gbtc` to teach the parser a community's own words.
            """
    )

    @Option(help: "Where to write the JSONL (default: standard output).")
    var out: String?

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try options.resolve()
        let services = try await prepareServices(configuration, logger: bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat))
        let lines: [LabelledMessage]
        do {
            lines = try await Self.labelled(services)
            try await services.database.shutdown()
        } catch {
            try await services.database.shutdown()
            throw error
        }
        var text = ""
        for line in lines { text += try Self.jsonLine(line) + "\n" }
        guard let out else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw ValidationError("cannot write \(out): \(error.localizedDescription)")
        }
        printError("wrote \(lines.count) labelled messages to \(out)")
    }

    /// One line with the fields in the order of LABELS.md and every null written out.
    static func jsonLine(_ line: LabelledMessage) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        func value(_ text: String?) throws -> String {
            guard let text else { return "null" }
            return String(decoding: try encoder.encode(text), as: UTF8.self)
        }
        let fields: [(String, String?)] = [
            ("id", line.id), ("text", line.text), ("group_building", line.groupBuilding), ("intent", line.intent.rawValue),
            ("category", line.category?.rawValue), ("urgency", line.urgency?.rawValue), ("building", line.building),
            ("unit", line.unit), ("room", line.room),
        ]
        return "{" + (try fields.map { "\"\($0.0)\":\(try value($0.1))" }).joined(separator: ",") + "}"
    }

    static func labelled(_ services: GridBotServices) async throws -> [LabelledMessage] {
        let directory = try await services.store.directory()
        return try await services.store.correctedMessages().map { message in
            let group = directory.chatGroup(botCode: message.botCode, chatID: message.chatID)
            return LabelledMessage(
                id: "c-\(message.messageID)", text: PersonalData.mask(message.text),
                groupBuilding: group?.kind == .building ? group?.buildingCode : nil, intent: message.intent,
                category: message.category, urgency: message.urgency, building: message.location.building,
                unit: message.location.unit, room: message.location.room)
        }
    }
}
