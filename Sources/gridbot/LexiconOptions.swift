import ArgumentParser
import Foundation
import GridCore

/// `--lexicon FILE`: a community's own words, added to the bundled lexicon.
struct LexiconOptions: ParsableArguments {
    @Option(help: "A lexicon file of local words added to the built-in one (GRIDBOT_LEXICON).")
    var lexicon: String?

    func load() throws -> Lexicon {
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
