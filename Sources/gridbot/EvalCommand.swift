import ArgumentParser
import Foundation
import GridCore

/// `gridbot eval FILE.jsonl`: the scores of `score.py`, computed in process.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score the parser on a labelled corpus (same scores as shared/eval/score.py)."
    )

    @Argument(help: "A labelled corpus, e.g. ../shared/eval/dev.jsonl.")
    var file: String

    @Flag(help: "Also print the lines the parser gets wrong.")
    var errors = false

    @OptionGroup var parserOptions: ParserOptions

    func run() throws {
        let parser = try parserOptions.parser()
        let corpus = try LabelledCorpus.load(file)
        let evaluation = ParseEvaluation(corpus: corpus, parses: corpus.map { parser.parse($0.text, groupBuilding: $0.groupBuilding) })
        if errors {
            for (gold, got, wrong) in evaluation.errors {
                let want = wrong.map { field in LabelledCorpus.field(field, of: gold) }
                let have = wrong.map { field in LabelledCorpus.field(field, of: got) }
                print("  \(gold.id) \(gold.text)\n     want \(want) got \(have) (\(wrong.joined(separator: ", ")))")
                print("     why: \(got.cues.filter { !$0.negated }.map(\.description).joined(separator: " "))")
            }
        }
        for (name, value) in evaluation.scores + evaluation.safetyScores { print("\(name): \(String(format: "%.3f", value))") }
        print("score: " + evaluation.scores.map { "\($0.0)=\(String(format: "%.3f", $0.1))" }.joined(separator: " "))
        print("safety: " + evaluation.safetyScores.map { "\($0.0)=\(String(format: "%.3f", $0.1))" }.joined(separator: " "))
    }
}

/// Reading labelled corpora.
enum LabelledCorpus {
    static func load(_ path: String) throws -> [LabelledMessage] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
        var corpus: [LabelledMessage] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            do {
                corpus.append(try JSONDecoder().decode(LabelledMessage.self, from: Data(line.utf8)))
            } catch {
                throw ValidationError("\(path):\(index + 1): not a labelled message: \(ParseLine.describe(error))")
            }
        }
        return corpus
    }

    static func field(_ name: String, of gold: LabelledMessage) -> String {
        switch name {
        case "intent": gold.intent.rawValue
        case "category": gold.category?.rawValue ?? "null"
        case "urgency": gold.urgency?.rawValue ?? "null"
        default: "\(gold.building ?? "-")/\(gold.unit ?? "-")/\(gold.room ?? "-")"
        }
    }

    static func field(_ name: String, of parse: MessageParse) -> String {
        switch name {
        case "intent": parse.intent.rawValue
        case "category": parse.category?.rawValue ?? "null"
        case "urgency": parse.urgency?.rawValue ?? "null"
        default:
            parse.intent == .report
                ? "\(parse.location.building ?? "-")/\(parse.location.unit ?? "-")/\(parse.location.room ?? "-")" : "-/-/-"
        }
    }
}
