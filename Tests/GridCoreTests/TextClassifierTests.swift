@testable import GridCore
import Testing

/// The learned signal: it learns what it is shown, and the same corpus and seed give the same model.
@Suite struct TextClassifierTests {
    static let parser = MessageParser(classifier: nil)
    static let lines: [(String, Int)] = [
        ("电梯坏了有人被困", 0), ("电梯卡住了里面有人", 0), ("楼道里一股煤气味", 0), ("好大的烟味 像着火了", 0),
        ("请问明天停水吗", 1), ("物业电话多少", 1), ("几点来水啊", 1), ("快递放哪里了", 1),
        ("谢谢师傅", 3), ("收到", 3), ("好的 辛苦了", 3), ("早上好", 3),
    ]

    static func examples(buckets: Int) -> [ClassifierTraining.Example] {
        lines.map { ClassifierTraining.Example(features: TextClassifier.features(of: parser.normalised($0.0), bucketCount: buckets), labels: [$0.1, nil, nil]) }
    }

    static func trained(_ shape: ClassifierTraining.Shape, seed: UInt64 = 7) -> TextClassifier {
        var training = ClassifierTraining(shape: shape, bucketCount: 1 << 12, seed: seed)
        training.train(examples(buckets: 1 << 12), epochs: 40, seed: seed)
        return training.model()
    }

    @Test(arguments: [ClassifierTraining.Shape.linear, .embeddingBag(dimensions: 8)])
    func learnsItsTrainingLinesAndIsDeterministic(shape: ClassifierTraining.Shape) {
        let first = Self.trained(shape)
        #expect(first.serialized() == Self.trained(shape).serialized(), "same corpus and seed, same model")
        #expect(first.serialized() != Self.trained(shape, seed: 8).serialized(), "another seed, another model")
        for (line, example) in zip(Self.lines, Self.examples(buckets: 1 << 12)) {
            let prediction = first.predict(features: example.features)
            #expect(prediction.intent == Intent.allCases[line.1], "\(line.0)")
            for head in TextClassifier.Head.allCases {
                #expect(abs(prediction[head].reduce(0, +) - 1) < 1e-9, "each head's probabilities sum to one")
            }
        }
    }

    @Test func featuresAreBucketsWithinRange() {
        let features = TextClassifier.features(of: Self.parser.normalised("3号楼3号楼 电梯"), bucketCount: 1 << 10)
        #expect(features.allSatisfy { (0..<(1 << 10)).contains($0) })
        // 8 characters without the space: 8 unigrams, 7 bigrams, 6 trigrams and the length bucket.
        #expect(features.count == 22)
        #expect(TextClassifier.features(of: Self.parser.normalised(""), bucketCount: 1 << 10).count == 1, "an empty text still has its length bucket")
    }

    @Test func theShippedModelIsLoadedByDefault() throws {
        let model = try #require(TextClassifier.standard, "Parsing/Resources/model.gbtc is part of the build")
        #expect(MessageParser().classifier != nil)
        let parse = MessageParser().parse("楼道里好像有股煤气味", groupBuilding: "3")
        #expect(parse.model != nil && parse.intent == .report && parse.category == .gas && parse.urgency == .emergency)
        #expect(model.bucketCount.nonzeroBitCount == 1)
    }
}
