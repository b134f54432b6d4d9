import ArgumentParser
import Foundation
import GridCore

/// `--lexicon FILE`, `--model FILE`, `--no-model`: which words and which model the parser reads with.
struct ParserOptions: ParsableArguments {
    @Option(help: "A lexicon file of local words added to the built-in one (GRIDBOT_LEXICON).")
    var lexicon: String?

    @Option(help: "A model file from `gridbot train --out` to use instead of the shipped one.")
    var model: String?

    @Flag(help: "Read by the lexicon alone, without the learned model.")
    var noModel = false

    func validate() throws {
        if noModel, model != nil { throw ValidationError("--model and --no-model cannot be used together") }
    }

    func parser() throws -> MessageParser {
        MessageParser(lexicon: try loadLexicon(), classifier: try loadModel())
    }

    private func loadModel() throws -> TextClassifier? {
        if noModel { return nil }
        guard let model else { return TextClassifier.standard }
        do {
            return try TextClassifier(serialized: [UInt8](try Data(contentsOf: URL(fileURLWithPath: model))))
        } catch let error as TextClassifier.FileError {
            printError("error: \(model): \(error)")
        } catch {
            printError("error: cannot read model \(model): \(error.localizedDescription)")
        }
        throw ExitCode(2)
    }

    private func loadLexicon() throws -> Lexicon {
        guard let path = lexicon ?? ProcessInfo.processInfo.environment["GRIDBOT_LEXICON"] else { return .standard }
        var combined = Lexicon.standard
        do {
            try combined.add(try String(contentsOfFile: path, encoding: .utf8), fileName: path)
        } catch let error as LexiconError {
            printError("error: \(error)")
            throw ExitCode(2)
        } catch {
            printError("error: cannot read lexicon \(path): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        return combined
    }
}
