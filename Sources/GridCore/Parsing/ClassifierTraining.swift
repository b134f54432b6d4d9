/// Training a `TextClassifier`: the weights in full precision while it learns, quantised to the
/// shipped form at the end.
///
/// Stochastic gradient descent on the softmax loss of each head, visiting the examples in an order
/// drawn from a seed, so the same corpus and seed give the same model byte for byte.
public struct ClassifierTraining: Sendable {
    /// How a message's n-gram rows become logits.
    public enum Shape: Sendable, Equatable, CustomStringConvertible {
        /// Hashed n-gram logistic regression: each bucket's row holds a weight per class, summed.
        case linear
        /// fastText's shape: each bucket's row is a small vector, averaged, then projected to logits.
        case embeddingBag(dimensions: Int)

        public var description: String {
            switch self {
            case .linear: "linear"
            case .embeddingBag(let dimensions): "embedding-bag(\(dimensions))"
            }
        }
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

    public let shape: Shape
    public let bucketCount: Int
    let dimensions: Int
    var table: [Float]
    var projection: [Float]
    var biases: [Float]

    static let classes = TextClassifier.Head.totalClasses

    /// An untrained model; an embedding table starts from small values drawn from `seed`.
    public init(shape: Shape = .linear, bucketCount: Int = 1 << 16, seed: UInt64 = 1) {
        precondition(bucketCount > 0 && bucketCount & (bucketCount - 1) == 0, "bucket count must be a power of two")
        self.shape = shape
        self.bucketCount = bucketCount
        switch shape {
        case .linear:
            dimensions = Self.classes
            table = [Float](repeating: 0, count: bucketCount * dimensions)
            projection = []
        case .embeddingBag(let size):
            precondition((1...256).contains(size), "embedding size must be 1…256")
            dimensions = size
            var random = DeterministicRandom(state: seed ^ 0xE3B0_C442_98FC_1C14)
            let bound = 1 / Float(size)
            table = (0..<(bucketCount * size)).map { _ in Float(Double(random.next() >> 11) / Double(1 << 53)) * 2 * bound - bound }
            projection = [Float](repeating: 0, count: size * Self.classes)
        }
        biases = [Float](repeating: 0, count: Self.classes)
    }

    /// The features of a normalised text for this model.
    public func features(of scalars: some Collection<UInt32>, cues: [CueHit] = []) -> [Int] {
        TextClassifier.features(of: scalars, cues: cues, bucketCount: bucketCount)
    }

    /// Trains every head, `epochs` passes over the examples with a learning rate falling linearly.
    public mutating func train(_ examples: [Example], epochs: Int = 12, learningRate: Float? = nil, l2: Float = 3e-4, seed: UInt64 = 1) {
        let rate0 = learningRate ?? (shape == .linear ? 0.2 : 0.5)
        var order = Array(examples.indices)
        var random = DeterministicRandom(state: seed)
        var gradient = [Float](repeating: 0, count: Self.classes)
        for epoch in 0..<epochs {
            order.shuffle(using: &random)
            let rate = rate0 * (1 - Float(epoch) / Float(epochs + 1))
            for index in order {
                let example = examples[index]
                guard !example.features.isEmpty else { continue }
                let hidden = self.hidden(example.features)
                let p = TextClassifier.softmax(logits(hidden: hidden))
                // The gradient of the loss per logit is p - y, for the heads this example labels.
                var any = false
                for head in TextClassifier.Head.allCases {
                    for c in 0..<head.classCount { gradient[head.offset + c] = 0 }
                    guard let label = example.labels[head.rawValue] else { continue }
                    any = true
                    for c in 0..<head.classCount { gradient[head.offset + c] = Float(p[head.offset + c]) - (c == label ? 1 : 0) }
                }
                if any { step(example.features, hidden: hidden, gradient: gradient, rate: rate, l2: l2) }
            }
        }
    }

    /// The summed rows (linear) or averaged vector (embedding bag) of a text's features.
    func hidden(_ features: [Int]) -> [Float] {
        var sums = [Float](repeating: 0, count: dimensions)
        table.withUnsafeBufferPointer { table in
            for bucket in features {
                let row = bucket * dimensions
                for j in 0..<dimensions { sums[j] += table[row + j] }
            }
        }
        if shape != .linear {
            let n = Float(features.count)
            for j in 0..<dimensions { sums[j] /= n }
        }
        return sums
    }

    func logits(hidden: [Float]) -> [Float] {
        guard shape != .linear else { return zip(hidden, biases).map(+) }
        var logits = biases
        for j in 0..<dimensions where hidden[j] != 0 {
            for c in 0..<Self.classes { logits[c] += projection[j * Self.classes + c] * hidden[j] }
        }
        return logits
    }

    private mutating func step(_ features: [Int], hidden: [Float], gradient g: [Float], rate: Float, l2: Float) {
        let classes = Self.classes
        let dimensions = dimensions
        for c in 0..<classes { biases[c] -= rate * g[c] * (shape == .linear ? 0.1 : 1) }
        switch shape {
        case .linear:
            // Features are scaled by 1/sqrt(n) so long messages do not take larger steps.
            let scale = rate / Float(features.count).squareRoot()
            table.withUnsafeMutableBufferPointer { w in
                for bucket in features {
                    let row = bucket * classes
                    for c in 0..<classes where g[c] != 0 { w[row + c] -= scale * g[c] + l2 * w[row + c] }
                }
            }
        case .embeddingBag:
            var toHidden = [Float](repeating: 0, count: dimensions)
            projection.withUnsafeMutableBufferPointer { w in
                for j in 0..<dimensions {
                    let row = j * classes
                    var sum: Float = 0
                    for c in 0..<classes {
                        sum += w[row + c] * g[c]
                        w[row + c] -= rate * g[c] * hidden[j]
                    }
                    toHidden[j] = sum
                }
            }
            let scale = rate / Float(features.count)
            table.withUnsafeMutableBufferPointer { e in
                for bucket in features {
                    let row = bucket * dimensions
                    for j in 0..<dimensions { e[row + j] -= scale * toHidden[j] }
                }
            }
        }
    }

    /// The trained model as it ships: the table quantised to one signed byte per entry, a scale per column.
    public func model() -> TextClassifier {
        var scales = [Float](repeating: 1, count: dimensions)
        for j in 0..<dimensions {
            var largest: Float = 0
            for bucket in 0..<bucketCount { largest = max(largest, abs(table[bucket * dimensions + j])) }
            if largest > 0 { scales[j] = largest / 127 }
        }
        var quantised = [Int8](repeating: 0, count: table.count)
        for (i, weight) in table.enumerated() {
            quantised[i] = Int8(max(-127, min(127, (weight / scales[i % dimensions]).rounded())))
        }
        return TextClassifier(bucketCount: bucketCount, dimensions: dimensions, table: quantised, scales: scales, projection: projection, biases: biases)
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
