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
