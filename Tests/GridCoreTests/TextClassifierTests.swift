@testable import GridCore
import Testing

/// The learned signal: it learns what it is shown, and the same corpus and seed give the same model.
@Suite struct TextClassifierTests {
    static let parser = MessageParser()
    static let lines: [(String, Int)] = [
        ("电梯坏了有人被困", 0), ("电梯卡住了里面有人", 0), ("楼道里一股煤气味", 0), ("好大的烟味 像着火了", 0),
        ("请问明天停水吗", 1), ("物业电话多少", 1), ("几点来水啊", 1), ("快递放哪里了", 1),
        ("谢谢师傅", 3), ("收到", 3), ("好的 辛苦了", 3), ("早上好", 3),
    ]

    static func examples(_ model: TextClassifier) -> [TextClassifier.Example] {
        lines.map { TextClassifier.Example(features: model.features(of: parser.normalised($0.0)), labels: [$0.1, nil, nil]) }
    }

    @Test func learnsItsTrainingLinesAndIsDeterministic() {
        var first = TextClassifier(bucketCount: 1 << 12)
        first.train(Self.examples(first), epochs: 30, seed: 7)
        var second = TextClassifier(bucketCount: 1 << 12)
        second.train(Self.examples(second), epochs: 30, seed: 7)
        #expect(first.weights == second.weights, "same corpus and seed, same weights")
        for (line, example) in zip(Self.lines, Self.examples(first)) {
            let p = first.probabilities(.intent, features: example.features)
            #expect(p.indices.max { p[$0] < p[$1] } == line.1, "\(line.0)")
            #expect(abs(p.reduce(0, +) - 1) < 1e-9)
        }
        var otherSeed = TextClassifier(bucketCount: 1 << 12)
        otherSeed.train(Self.examples(otherSeed), epochs: 30, seed: 8)
        #expect(otherSeed.weights != first.weights)
    }

    @Test func featuresAreBucketsWithinRangeEachOnce() {
        let model = TextClassifier(bucketCount: 1 << 10)
        let features = model.features(of: Self.parser.normalised("3号楼3号楼 电梯"))
        #expect(Set(features).count == features.count)
        #expect(features.allSatisfy { (0..<(1 << 10)).contains($0) })
        #expect(!model.features(of: Self.parser.normalised("")).isEmpty, "an empty text still has its length bucket")
    }
}

/// The model file: what is written reads back to nearly the same probabilities, and a damaged
/// file is refused with a reason, never a trap.
@Suite struct TextClassifierFileTests {
    @Test func roundTripAndDamagedFiles() throws {
        var model = TextClassifier(bucketCount: 1 << 12)
        model.train(TextClassifierTests.examples(model), epochs: 30, seed: 7)
        let bytes = model.serialized()
        let loaded = try TextClassifier(serialized: bytes)
        for example in TextClassifierTests.examples(model) {
            let before = model.probabilities(.intent, features: example.features)
            let after = loaded.probabilities(.intent, features: example.features)
            #expect(zip(before, after).allSatisfy { abs($0 - $1) < 0.02 }, "quantised weights keep the probabilities")
        }
        #expect(loaded.serialized() == bytes, "a loaded model writes the same file")
        for cut in [0, 3, 10, bytes.count / 2, bytes.count - 1] {
            #expect(throws: TextClassifier.FileError.self) { try TextClassifier(serialized: Array(bytes.prefix(cut))) }
        }
        #expect(throws: TextClassifier.FileError.self) { try TextClassifier(serialized: bytes + [0]) }
        var badBuckets = bytes
        badBuckets[6] = 3
        #expect(throws: TextClassifier.FileError.self) { try TextClassifier(serialized: badBuckets) }
    }
}

/// The blend of lexicon and model keeps a parse's invariants and takes the model where it is sure.
@Suite struct ParseBlendTests {
    @Test func blendedParsesFollowTheModelWhereTheLexiconIsUnsure() {
        var model = TextClassifier(bucketCount: 1 << 12)
        model.train(TextClassifierTests.examples(model), epochs: 30, seed: 7)
        let blended = MessageParser(classifier: model)
        for (text, intent) in TextClassifierTests.lines {
            let parse = blended.parse(text, groupBuilding: "3")
            #expect(parse.intent == Intent.allCases[intent], "\(text): trained as \(Intent.allCases[intent])")
            if parse.intent == .report {
                #expect(parse.category != nil && parse.urgency != nil && parse.location.building == "3")
            } else {
                #expect(parse.category == nil && parse.urgency == nil && parse.location == Location())
            }
        }
        let lexiconOnly = MessageParser()
        #expect(lexiconOnly.classifier == nil)
        #expect(lexiconOnly.parse("3号楼电梯坏了", groupBuilding: nil).category == .elevator)
    }
}
