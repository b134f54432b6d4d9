@testable import GridCore
import Testing

/// The model file: what is written reads back to the same model, and a damaged file is refused
/// with a reason, never a trap.
@Suite struct TextClassifierFileTests {
    @Test(arguments: [ClassifierTraining.Shape.linear, .embeddingBag(dimensions: 8)])
    func roundTripAndDamagedFiles(shape: ClassifierTraining.Shape) throws {
        let model = TextClassifierTests.trained(shape)
        let bytes = model.serialized()
        let loaded = try TextClassifier(serialized: bytes)
        for example in TextClassifierTests.examples(buckets: 1 << 12) {
            #expect(model.predict(features: example.features) == loaded.predict(features: example.features))
        }
        #expect(loaded.serialized() == bytes, "a loaded model writes the same file")
        for cut in [0, 3, 10, bytes.count / 2, bytes.count - 1] {
            #expect(throws: TextClassifier.FileError.self) { try TextClassifier(serialized: Array(bytes.prefix(cut))) }
        }
        #expect(throws: TextClassifier.FileError.self) { try TextClassifier(serialized: bytes + [0]) }
        var badBuckets = bytes
        badBuckets[6] = 3
        #expect(throws: TextClassifier.FileError.self) { try TextClassifier(serialized: badBuckets) }
        var badDimensions = bytes
        badDimensions[10] = 0
        badDimensions[11] = 2
        #expect(throws: TextClassifier.FileError.self) { try TextClassifier(serialized: badDimensions) }
        var notANumber = bytes
        notANumber.replaceSubrange((bytes.count - 4)..<bytes.count, with: [0x00, 0x00, 0xC0, 0x7F])
        #expect(throws: TextClassifier.FileError.self) { try TextClassifier(serialized: notANumber) }
    }
}
