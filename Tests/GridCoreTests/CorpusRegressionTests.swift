import Foundation
import GridCore
import GridTestSupport
import Testing

/// Guards the parser's quality: the scores may only stay at or above what was reached. These are
/// regression floors, not targets to tune to.
///
/// The floors are those of the shipped parser, lexicon and model together. Both corpora were
/// written while the lexicon was tuned, so the lexicon alone fits them better than it reads
/// messages it has never seen (it misses half the emergencies of a blind set); the blend gives
/// up a little urgency here for far more on unseen messages (`corpus/README.md`).
@Suite struct CorpusRegressionTests {
    static func load(_ url: URL) throws -> [LabelledMessage] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(LabelledMessage.self, from: Data($0.utf8))
        }
    }

    static func evaluate(_ corpus: [LabelledMessage]) -> ParseEvaluation {
        let parser = MessageParser()
        return ParseEvaluation(corpus: corpus, parses: corpus.map { parser.parse($0.text, groupBuilding: $0.groupBuilding) })
    }

    @Test func devCorpusScoresStayAtTheirFloor() throws {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/eval/dev.jsonl")
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record("shared/eval/dev.jsonl is missing beside the repository")
            return
        }
        let evaluation = Self.evaluate(try Self.load(url))
        #expect(evaluation.intentAccuracy >= 0.99)
        #expect(evaluation.reportF1 >= 0.99)
        #expect(evaluation.categoryAccuracy >= 0.97)
        #expect(evaluation.urgencyAccuracy >= 0.95)
        #expect(evaluation.locationExact >= 0.99)
        #expect(evaluation.emergencyRecall >= 0.99)
        #expect(evaluation.silentlyDropped <= 0.01)
    }

    @Test func handwrittenCorpusScoresStayAtTheirFloor() throws {
        let url = try #require(Bundle.module.url(forResource: "handwritten", withExtension: "jsonl"))
        let evaluation = Self.evaluate(try Self.load(url))
        #expect(evaluation.intentAccuracy >= 0.98)
        #expect(evaluation.reportF1 >= 0.98)
        #expect(evaluation.categoryAccuracy >= 0.93)
        #expect(evaluation.urgencyAccuracy >= 0.88)
        #expect(evaluation.locationExact >= 0.99)
        #expect(evaluation.emergencyRecall >= 0.93)
        #expect(evaluation.silentlyDropped <= 0.01)
    }
}
