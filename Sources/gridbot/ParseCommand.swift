import ArgumentParser
import Foundation
import GridCore

/// `gridbot parse`: JSONL in, JSONL out (for `score.py`), or one message explained for a person.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse chat messages into reports.",
        discussion: """
            With a TEXT argument, prints a readable parse with the cues that decided it. Without, \
            reads JSONL on standard input (each line with at least id, text and group_building) and \
            writes one JSON line per input line with id, intent, category, urgency, building, unit \
            and room. A line that is not valid JSON gets an error line naming its number; the rest \
            are still parsed.
            """
    )

    @Argument(help: "A message to parse and explain; omit to read JSONL from standard input.")
    var text: String?

    @Option(name: .customLong("group-building"), help: "The building whose group the message came from.")
    var groupBuilding: String?

    @OptionGroup var parserOptions: ParserOptions

    func run() throws {
        let parser = try parserOptions.parser()
        if let text {
            print(ParseExplanation(parse: parser.parse(text, groupBuilding: groupBuilding), text: text).render())
            return
        }
        var output = ""
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.allSatisfy(\.isWhitespace) { continue }
            output += ParseLine.process(line, number: lineNumber, parser: parser)
            output += "\n"
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}

/// One JSONL line through the parser.
enum ParseLine {
    struct Input: Decodable {
        var id: String
        var text: String
        var groupBuilding: String?

        enum CodingKeys: String, CodingKey {
            case id, text
            case groupBuilding = "group_building"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let id = try? container.decode(String.self, forKey: .id) {
                self.id = id
            } else {
                self.id = String(try container.decode(Int.self, forKey: .id))
            }
            text = try container.decode(String.self, forKey: .text)
            // A building may be written as a number or a string.
            if let building = try? container.decodeIfPresent(String.self, forKey: .groupBuilding) {
                groupBuilding = building
            } else if let number = try? container.decodeIfPresent(Int.self, forKey: .groupBuilding) {
                groupBuilding = String(number)
            } else {
                groupBuilding = nil
            }
        }
    }

    struct Output: Encodable {
        var id: String
        var intent: String
        var category: String?
        var urgency: String?
        var building: String?
        var unit: String?
        var room: String?
        var confidence: Double
        var needsTriage: Bool

        enum CodingKeys: String, CodingKey {
            case id, intent, category, urgency, building, unit, room, confidence
            case needsTriage = "needs_triage"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(intent, forKey: .intent)
            // Explicit nulls: the contract prints every field.
            try container.encode(category, forKey: .category)
            try container.encode(urgency, forKey: .urgency)
            try container.encode(building, forKey: .building)
            try container.encode(unit, forKey: .unit)
            try container.encode(room, forKey: .room)
            try container.encode((confidence * 100).rounded() / 100, forKey: .confidence)
            try container.encode(needsTriage, forKey: .needsTriage)
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func process(_ line: String, number: Int, parser: MessageParser) -> String {
        let input: Input
        do {
            input = try JSONDecoder().decode(Input.self, from: Data(line.utf8))
        } catch {
            return errorLine(number: number, message: "line \(number) is not a JSON object with id and text: \(describe(error))")
        }
        let parse = parser.parse(input.text, groupBuilding: input.groupBuilding)
        let output = Output(
            id: input.id, intent: parse.intent.rawValue, category: parse.category?.rawValue,
            urgency: parse.urgency?.rawValue, building: parse.location.building, unit: parse.location.unit,
            room: parse.location.room, confidence: parse.confidence, needsTriage: parse.needsTriage)
        guard let data = try? encoder.encode(output) else {
            return errorLine(number: number, message: "line \(number) could not be encoded")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func errorLine(number: Int, message: String) -> String {
        struct ErrorLine: Encodable { var line: Int; var error: String }
        let data = (try? encoder.encode(ErrorLine(line: number, error: message))) ?? Data("{\"line\":\(number)}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        default: "not valid JSON"
        }
    }
}

/// A parse explained for a person.
struct ParseExplanation {
    let parse: MessageParse
    let text: String

    func render() -> String {
        var lines = ["text:       \(PersonalData.mask(text))"]
        lines.append("intent:     \(parse.intent.rawValue)  (confidence \(String(format: "%.2f", parse.confidence))\(parse.needsTriage ? ", needs triage" : ""))")
        if parse.intent == .report {
            lines.append("category:   \(parse.category?.rawValue ?? "-") (\(parse.category?.chineseName ?? "-"))")
            lines.append("urgency:    \(parse.urgency?.rawValue ?? "-") (\(parse.urgency?.chineseName ?? "-"))")
            let location = parse.location
            lines.append("location:   building \(location.building ?? "-"), unit \(location.unit ?? "-"), room \(location.room ?? "-")")
        }
        if !parse.personalData.isEmpty {
            lines.append("personal:   \(parse.personalData.map(\.kind.rawValue).joined(separator: ", ")) (masked in logs)")
        }
        lines.append("cues:       " + (parse.cues.isEmpty ? "no cue matched" : parse.cues.map(\.description).joined(separator: "  ")))
        if let model = parse.model {
            func top<Class>(_ head: TextClassifier.Head, _ classes: [Class]) -> String {
                model[head].enumerated().sorted { $0.element > $1.element }.prefix(3)
                    .map { "\(classes[$0.offset]) \(String(format: "%.2f", $0.element))" }.joined(separator: ", ")
            }
            lines.append("model:      intent \(top(.intent, Intent.allCases.map(\.rawValue)))")
            lines.append("            category \(top(.category, ReportCategory.allCases.map(\.rawValue)))")
            lines.append("            urgency \(top(.urgency, Urgency.allCases.map(\.rawValue)))")
        } else {
            lines.append("model:      none (lexicon alone)")
        }
        return lines.joined(separator: "\n")
    }
}
