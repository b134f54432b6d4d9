import Foundation

/// The learned signal beside the lexicon: a fastText-style model over hashed character 1–3-grams of
/// the normalised text, with one softmax head each for intent, category and urgency.
///
/// Character n-grams need no word segmentation and carry regional words, typos and loanwords the
/// lexicon never listed. Each n-gram bucket has a row in a table; a message's rows are added up
/// (the linear shape, whose rows are the classes' logits) or averaged into a small vector that one
/// projection turns into logits (the embedding-bag shape). The table is kept as one signed byte per
/// entry with a scale per column, as it ships, so a loaded model is a few megabytes. Models are
/// made by `ClassifierTraining` from the corpus (`gridbot train`), never from the validation set.
public struct TextClassifier: Sendable {
    /// One output of the model: a probability per class, in the enum's declaration order.
    public enum Head: Int, CaseIterable, Sendable {
        case intent, category, urgency

        /// How many classes the head chooses between.
        public var classCount: Int {
            switch self {
            case .intent: Intent.allCases.count
            case .category: ReportCategory.allCases.count
            case .urgency: Urgency.allCases.count
            }
        }

        /// Where the head's logits start among all classes.
        var offset: Int {
            switch self {
            case .intent: 0
            case .category: Head.intentCount
            case .urgency: Head.intentCount + Head.categoryCount
            }
        }

        static let intentCount = Intent.allCases.count, categoryCount = ReportCategory.allCases.count
        /// Every head's classes, one after the other.
        static let totalClasses = Head.allCases.map(\.classCount).reduce(0, +)
        /// The classes of each head, in order (an enum's `allCases` is built anew at each use).
        static let intents = Intent.allCases, categories = ReportCategory.allCases, urgencies = Urgency.allCases
        static let heads = Head.allCases
    }

    /// How many hash buckets the n-grams share (a power of two).
    public let bucketCount: Int
    /// The width of a table row: the class count for the linear shape, the embedding size otherwise.
    public let dimensions: Int
    /// One row of signed bytes per bucket, `stride` bytes apart: the row's `dimensions` entries,
    /// then zeros up to a multiple of 32, so a row is read as whole 32-lane vectors.
    let rows: [Int8]
    let stride: Int
    /// One scale per column of the table.
    let scales: [Float]
    /// `dimensions × totalClasses` weights from the averaged row to the logits; empty for the linear shape.
    let projection: [Float]
    /// One bias per class.
    let biases: [Float]

    /// The shape of the model: rows added into logits, or averaged and projected.
    public var isLinear: Bool { projection.isEmpty }

    init(bucketCount: Int, dimensions: Int, table: [Int8], scales: [Float], projection: [Float], biases: [Float]) {
        precondition(table.count == bucketCount * dimensions && scales.count == dimensions)
        precondition(biases.count == Head.totalClasses && (projection.isEmpty ? dimensions == Head.totalClasses : projection.count == dimensions * Head.totalClasses))
        self.bucketCount = bucketCount
        self.dimensions = dimensions
        stride = (dimensions + 31) / 32 * 32
        var rows = [Int8](repeating: 0, count: bucketCount * stride)
        for bucket in 0..<bucketCount {
            for j in 0..<dimensions { rows[bucket * stride + j] = table[bucket * dimensions + j] }
        }
        self.rows = rows
        self.scales = scales
        self.projection = projection
        self.biases = biases
    }

    /// The model shipped with GridCore (`Parsing/Resources/model.gbtc`, made by
    /// `gridbot train corpus/training/*.jsonl --out …`); nil only if the build left it out.
    public static let standard: TextClassifier? = {
        guard let url = Bundle.module.url(forResource: "model", withExtension: "gbtc"),
              let data = try? Data(contentsOf: url)
        else { return nil }
        return try? TextClassifier(serialized: [UInt8](data))
    }()

    /// The hashed n-gram buckets of a normalised text, as many times as they occur, with a bucket
    /// for its length class so short and long messages can differ, and one for each lexicon cue
    /// feature found.
    public static func features(of scalars: some Collection<UInt32>, cues: [CueHit] = [], bucketCount: Int) -> [Int] {
        let mask = bucketCount - 1
        var result: [Int] = []
        result.reserveCapacity(scalars.count * 3 + cues.count + 1)
        // The last two characters read, spaces and line breaks skipped.
        var previous: UInt32 = 0, beforePrevious: UInt32 = 0
        var read = 0
        for scalar in scalars where scalar != 0x20 && scalar != 0x0A {
            let unigram = (0xCBF2_9CE4_8422_2325 ^ UInt64(scalar)) &* 0x0000_0100_0000_01B3
            result.append(Int(truncatingIfNeeded: unigram ^ 0x9E37_79B9_7F4A_7C15) & mask)
            if read >= 1 {
                let bigram = (((0xCBF2_9CE4_8422_2325 ^ UInt64(previous)) &* 0x0000_0100_0000_01B3) ^ UInt64(scalar)) &* 0x0000_0100_0000_01B3
                result.append(Int(truncatingIfNeeded: bigram ^ (2 &* 0x9E37_79B9_7F4A_7C15)) & mask)
            }
            if read >= 2 {
                var trigram = (0xCBF2_9CE4_8422_2325 ^ UInt64(beforePrevious)) &* 0x0000_0100_0000_01B3
                trigram = (trigram ^ UInt64(previous)) &* 0x0000_0100_0000_01B3
                trigram = (trigram ^ UInt64(scalar)) &* 0x0000_0100_0000_01B3
                result.append(Int(truncatingIfNeeded: trigram ^ (3 &* 0x9E37_79B9_7F4A_7C15)) & mask)
            }
            beforePrevious = previous
            previous = scalar
            read += 1
        }
        result.append(Int(truncatingIfNeeded: (0x1E57_0000 as UInt64) &+ UInt64(min(read / 8, 12))) & mask)
        // The lexicon's cues as extra features: what the hand-written rules know, the model weighs.
        // A negated cue (`没有人被困`) is a feature of its own, so the model can learn that the
        // danger it names is denied, which its n-grams alone cannot tell.
        for cue in cues {
            let base: UInt64 = cue.negated ? 0x4E06_0000_0000 : 0xC0E5_0000_0000
            result.append(Int(truncatingIfNeeded: base &+ UInt64(cue.feature.slot) &* 0x0000_0100_0000_01B3) & mask)
        }
        return result
    }

    /// The features of a normalised text for this model.
    public func features(of scalars: some Collection<UInt32>, cues: [CueHit] = []) -> [Int] {
        Self.features(of: scalars, cues: cues, bucketCount: bucketCount)
    }

    /// What the model makes of one text: a probability per class of each head.
    public struct Prediction: Sendable, Equatable {
        /// Every head's probabilities, one after the other (`Head.offset`).
        var probabilities: [Double]

        /// The probabilities of one head, in its enum's order.
        public subscript(head: Head) -> ArraySlice<Double> {
            probabilities[head.offset..<(head.offset + head.classCount)]
        }

        /// The probability of one class.
        public func probability(of intent: Intent) -> Double { probabilities[Head.intents.firstIndex(of: intent) ?? 0] }
        public func probability(of category: ReportCategory) -> Double { probabilities[Head.intentCount + (Head.categories.firstIndex(of: category) ?? 0)] }
        public func probability(of urgency: Urgency) -> Double { probabilities[Head.intentCount + Head.categoryCount + (Head.urgencies.firstIndex(of: urgency) ?? 0)] }

        /// The most likely class of a head, as its index in the head's enum.
        public func best(_ head: Head) -> Int {
            let p = self[head]
            return (p.indices.max { p[$0] < p[$1] } ?? head.offset) - head.offset
        }

        public var intent: Intent { Head.intents[best(.intent)] }
        public var category: ReportCategory { Head.categories[best(.category)] }
        public var urgency: Urgency { Head.urgencies[best(.urgency)] }
    }

    /// The model's probabilities for a text's features.
    public func predict(features: [Int]) -> Prediction {
        let classes = Head.totalClasses
        var logits = [Float](repeating: 0, count: classes)
        let stride = stride
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: stride) { sums in
            sums.initialize(repeating: 0)
            rows.withUnsafeBufferPointer { table in
                guard let base = table.baseAddress else { return }
                for bucket in features {
                    let row = base + bucket * stride
                    for j in 0..<stride { sums[j] &+= Int32(row[j]) }
                }
            }
            if isLinear {
                for c in 0..<classes { logits[c] = biases[c] + Float(sums[c]) * scales[c] }
            } else {
                let n = Float(max(features.count, 1))
                for c in 0..<classes { logits[c] = biases[c] }
                for j in 0..<dimensions {
                    let hidden = Float(sums[j]) * scales[j] / n
                    if hidden == 0 { continue }
                    let row = j * classes
                    for c in 0..<classes { logits[c] += projection[row + c] * hidden }
                }
            }
        }
        return Prediction(probabilities: Self.softmax(logits))
    }

    /// Each head's logits turned into probabilities.
    static func softmax(_ logits: [Float]) -> [Double] {
        var p = [Double](repeating: 0, count: logits.count)
        for head in Head.heads {
            let range = head.offset..<(head.offset + head.classCount)
            let top = logits[range].max() ?? 0
            var sum = 0.0
            for c in range {
                p[c] = Double(exp(logits[c] - top))
                sum += p[c]
            }
            for c in range { p[c] /= sum }
        }
        return p
    }
}

/// The model file, little-endian: `GBTC2\n`, then bucket count and dimensions (UInt32 each), the
/// column scales (Float32 each), the number of rows kept (UInt32) and each row as its bucket
/// (UInt32) and one Int8 per column (rows no n-gram reached are left out), then the projection
/// (UInt32 count, Float32 each; zero for the linear shape) and one Float32 bias per class.
extension TextClassifier {
    static let magic = Array("GBTC2\n".utf8)

    /// A model file could not be read.
    public struct FileError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The model as file bytes.
    public func serialized() -> [UInt8] {
        var out = Self.magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt32(bucketCount))
        put(UInt32(dimensions))
        for scale in scales { put(scale.bitPattern) }
        let kept = (0..<bucketCount).filter { bucket in rows[(bucket * stride)..<(bucket * stride + dimensions)].contains { $0 != 0 } }
        put(UInt32(kept.count))
        for bucket in kept {
            put(UInt32(bucket))
            for j in 0..<dimensions { out.append(UInt8(bitPattern: rows[bucket * stride + j])) }
        }
        put(UInt32(projection.count))
        for weight in projection { put(weight.bitPattern) }
        for bias in biases { put(bias.bitPattern) }
        return out
    }

    /// Reads a model from file bytes; throws naming what is wrong.
    public init(serialized bytes: [UInt8]) throws(FileError) {
        var offset = 0
        func take(_ count: Int) throws(FileError) -> ArraySlice<UInt8> {
            guard count >= 0, offset + count <= bytes.count else { throw FileError(description: "the model file is cut short at byte \(offset)") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }
        func uint32() throws(FileError) -> UInt32 {
            try take(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        func finite(_ what: String) throws(FileError) -> Float {
            let value = Float(bitPattern: try uint32())
            guard value.isFinite else { throw FileError(description: "the model file has a non-finite \(what)") }
            return value
        }
        guard Array(try take(Self.magic.count)) == Self.magic else { throw FileError(description: "not a GridBot model file (no GBTC2 header)") }
        let buckets = Int(try uint32())
        guard buckets > 0, buckets <= 1 << 24, buckets & (buckets - 1) == 0 else { throw FileError(description: "bucket count \(buckets) is not a power of two up to 2^24") }
        let dimensions = Int(try uint32())
        guard (1...256).contains(dimensions) else { throw FileError(description: "dimensions \(dimensions) is not between 1 and 256") }
        var scales: [Float] = []
        for _ in 0..<dimensions { scales.append(try finite("scale")) }
        var table = [Int8](repeating: 0, count: buckets * dimensions)
        let rows = Int(try uint32())
        guard rows <= buckets else { throw FileError(description: "the model file has more rows than buckets") }
        for _ in 0..<rows {
            let bucket = Int(try uint32())
            guard bucket < buckets else { throw FileError(description: "the model file names bucket \(bucket) of \(buckets)") }
            for (j, byte) in try take(dimensions).enumerated() { table[bucket * dimensions + j] = Int8(bitPattern: byte) }
        }
        let projectionCount = Int(try uint32())
        guard projectionCount == 0 ? dimensions == Head.totalClasses : projectionCount == dimensions * Head.totalClasses else {
            throw FileError(description: "the projection has \(projectionCount) weights; \(dimensions) × \(Head.totalClasses) expected")
        }
        var projection: [Float] = []
        for _ in 0..<projectionCount { projection.append(try finite("projection weight")) }
        var biases: [Float] = []
        for _ in 0..<Head.totalClasses { biases.append(try finite("bias")) }
        guard offset == bytes.count else { throw FileError(description: "the model file has \(bytes.count - offset) bytes after its end") }
        self.init(bucketCount: buckets, dimensions: dimensions, table: table, scales: scales, projection: projection, biases: biases)
    }
}
