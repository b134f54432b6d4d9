import Foundation

/// The learned signal beside the lexicon: a fastText-style linear model over hashed character
/// 1–3-grams of the normalised text, with one softmax head each for intent, category and urgency.
///
/// Character n-grams need no word segmentation and carry regional words, typos and loanwords the
/// lexicon never listed; the heads are trained only on the corpus (`gridbot train`), never on the
/// validation set. Training is deterministic: the same corpus and seed give the same weights.
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
    }

    /// How many hash buckets the n-grams share (a power of two).
    public let bucketCount: Int
    /// Weights per head: `bucketCount × classCount` row-major, then one bias per class.
    var weights: [[Float]]

    /// An untrained model.
    public init(bucketCount: Int = 1 << 18) {
        precondition(bucketCount > 0 && bucketCount & (bucketCount - 1) == 0, "bucket count must be a power of two")
        self.bucketCount = bucketCount
        self.weights = Head.allCases.map { [Float](repeating: 0, count: (bucketCount + 1) * $0.classCount) }
    }

    /// The hashed n-gram buckets of a normalised text, each once, with a bucket for each length
    /// class so "short" and "long" messages can differ, and one for each lexicon cue feature found.
    public func features(of scalars: some Collection<UInt32>, cues: [CueHit] = []) -> [Int] {
        let s = Array(scalars.filter { $0 != 0x20 && $0 != 0x0A })
        var seen = Set<Int>()
        var result: [Int] = []
        func add(_ hash: UInt64) {
            let bucket = Int(truncatingIfNeeded: hash) & (bucketCount - 1)
            if seen.insert(bucket).inserted { result.append(bucket) }
        }
        for start in s.indices {
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for length in 1...3 where start + length <= s.count {
                hash = (hash ^ UInt64(s[start + length - 1])) &* 0x0000_0100_0000_01B3
                add(hash ^ UInt64(length) &* 0x9E37_79B9_7F4A_7C15)
            }
        }
        add(0x1E57_0000 &+ UInt64(min(s.count / 8, 12)))
        // The lexicon's cues as extra features: what the hand-written rules know, the model weighs.
        for cue in cues where !cue.negated {
            add(0xC0E5_0000_0000 &+ UInt64(cue.feature.slot) &* 0x0000_0100_0000_01B3)
        }
        return result
    }

    /// The probabilities of one head for a text's features.
    public func probabilities(_ head: Head, features: [Int]) -> [Double] {
        let classes = head.classCount
        let w = weights[head.rawValue]
        var logits = [Float](repeating: 0, count: classes)
        let bias = bucketCount * classes
        for c in 0..<classes { logits[c] = w[bias + c] }
        for bucket in features {
            let row = bucket * classes
            for c in 0..<classes { logits[c] += w[row + c] }
        }
        let top = logits.max() ?? 0
        let exps = logits.map { Double(exp($0 - top)) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    /// One labelled example: its features and the class of each head (nil where the label has none,
    /// such as category on a non-report).
    public struct Example: Sendable {
        public var features: [Int]
        public var labels: [Int?]

        public init(features: [Int], labels: [Int?]) {
            self.features = features
            self.labels = labels
        }
    }

    /// Trains every head by stochastic gradient descent on the softmax loss, visiting the examples in
    /// an order drawn from `seed`, so that training is repeatable.
    public mutating func train(_ examples: [Example], epochs: Int = 12, learningRate: Float = 0.2, l2: Float = 1e-6, seed: UInt64 = 1) {
        var order = Array(examples.indices)
        var random = DeterministicRandom(state: seed)
        for epoch in 0..<epochs {
            order.shuffle(using: &random)
            let rate = learningRate * (1 - Float(epoch) / Float(epochs + 1))
            for index in order {
                let example = examples[index]
                for head in Head.allCases {
                    guard let label = example.labels[head.rawValue] else { continue }
                    step(head, features: example.features, label: label, rate: rate, l2: l2)
                }
            }
        }
    }

    private mutating func step(_ head: Head, features: [Int], label: Int, rate: Float, l2: Float) {
        let classes = head.classCount
        let p = probabilities(head, features: features)
        // The gradient of the loss per logit is p - y; features are scaled by 1/sqrt(n) so long
        // messages do not take larger steps.
        let scale = rate / Float(max(features.count, 1)).squareRoot()
        weights[head.rawValue].withUnsafeMutableBufferPointer { w in
            for c in 0..<classes {
                let g = Float(p[c]) - (c == label ? 1 : 0)
                if g == 0 { continue }
                for bucket in features {
                    let i = bucket * classes + c
                    w[i] -= scale * g + l2 * w[i]
                }
                w[bucketCount * classes + c] -= rate * g * 0.1
            }
        }
    }
}

/// SplitMix64: a small deterministic generator, for the training order and for property and fuzz
/// tests whose failing seed must replay exactly.
public struct DeterministicRandom: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The model file: weights quantised to one byte each per head (with the head's scale), rows of
/// buckets no n-gram reached left out, so the shipped file stays small.
///
/// Layout, little-endian: `GBTC1\n`, the bucket count (UInt32), then per head its scale (Float32),
/// its row count (UInt32), each row as bucket (UInt32) and one Int8 per class, then its biases
/// (Float32 per class).
extension TextClassifier {
    static let magic = Array("GBTC1\n".utf8)

    /// A model file could not be read.
    public struct FileError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The model as file bytes.
    public func serialized() -> [UInt8] {
        var out = Self.magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt32(bucketCount))
        for head in Head.allCases {
            let classes = head.classCount
            let w = weights[head.rawValue]
            let largest = w[0..<(bucketCount * classes)].reduce(Float(0)) { max($0, abs($1)) }
            let scale = largest > 0 ? largest / 127 : 1
            put(scale.bitPattern)
            let rows = (0..<bucketCount).filter { bucket in (0..<classes).contains { (w[bucket * classes + $0] / scale).rounded() != 0 } }
            put(UInt32(rows.count))
            for bucket in rows {
                put(UInt32(bucket))
                for c in 0..<classes { out.append(UInt8(bitPattern: Int8(max(-127, min(127, (w[bucket * classes + c] / scale).rounded()))))) }
            }
            for c in 0..<classes { put(w[bucketCount * classes + c].bitPattern) }
        }
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
        guard Array(try take(Self.magic.count)) == Self.magic else { throw FileError(description: "not a GridBot model file (no GBTC1 header)") }
        let buckets = Int(try uint32())
        guard buckets > 0, buckets <= 1 << 24, buckets & (buckets - 1) == 0 else { throw FileError(description: "bucket count \(buckets) is not a power of two up to 2^24") }
        self.init(bucketCount: buckets)
        for head in Head.allCases {
            let classes = head.classCount
            let scale = Float(bitPattern: try uint32())
            guard scale.isFinite, scale > 0 else { throw FileError(description: "head \(head) has no valid scale") }
            let rows = Int(try uint32())
            guard rows <= buckets else { throw FileError(description: "head \(head) has more rows than buckets") }
            for _ in 0..<rows {
                let bucket = Int(try uint32())
                guard bucket < buckets else { throw FileError(description: "head \(head) names bucket \(bucket) of \(buckets)") }
                for (c, byte) in try take(classes).enumerated() { weights[head.rawValue][bucket * classes + c] = Float(Int8(bitPattern: byte)) * scale }
            }
            for c in 0..<classes {
                let bias = Float(bitPattern: try uint32())
                guard bias.isFinite else { throw FileError(description: "head \(head) has a non-finite bias") }
                weights[head.rawValue][buckets * classes + c] = bias
            }
        }
        guard offset == bytes.count else { throw FileError(description: "the model file has \(bytes.count - offset) bytes after its end") }
    }
}
