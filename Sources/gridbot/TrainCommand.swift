import ArgumentParser
import Foundation
import GridCore

/// `gridbot train CORPUS…`: trains the learned signal on labelled corpora, deterministically.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the parser's classifier on labelled corpora (never on the validation set).",
        discussion: """
            With --cross-validate, each corpus file is held out in turn and scored by a model \
            trained on the others: an estimate of how the model does on writers it has not seen.
            """
    )

    @Argument(help: "Labelled corpora in the format of shared/eval/LABELS.md.")
    var corpora: [String]

    @Flag(help: "Hold out each file in turn and print the model's scores on it.")
    var crossValidate = false

    @Flag(inversion: .prefixedNo, help: "Give the model the lexicon's cues as extra features.")
    var withCues = true

    @Option(help: "Training passes over the corpus.")
    var epochs = 12

    @Option(help: "The seed of the training order (same corpus and seed: same model).")
    var seed: UInt64 = 1

    @Option(help: "Where to write the trained model.")
    var out: String?

    @Option(help: "Hash buckets for the n-grams (a power of two).")
    var buckets = 1 << 16

    @Option(help: "The model's shape: linear (hashed n-gram logistic regression) or embedding-bag.")
    var shape = "linear"

    @Option(help: "The embedding size of the embedding-bag shape.")
    var dimensions = 16

    @Option(help: "The starting learning rate (default: 0.2 linear, 0.5 embedding-bag).")
    var learningRate: Float?

    @Option(help: "Weight decay per step (L2).")
    var l2: Float = 3e-4

    @Option(help: "With --cross-validate, also score the blend with one threshold at other values, e.g. emergencyRaise=0.3,0.6 (repeatable).")
    var sweep: [String] = []

    @Option(help: "With --cross-validate, start the blend from this threshold value, e.g. categoryWeight=0.2 (repeatable).")
    var set: [String] = []

    static var thresholds: [String: WritableKeyPath<ParseBlend, Double>] {
        [
            "intentWeight": \.intentWeight, "categoryWeight": \.categoryWeight, "emergencyWeight": \.emergencyWeight,
            "emergencyRaise": \.emergencyRaise, "urgencyWeight": \.urgencyWeight, "triageChance": \.triageChance,
            "deniedDangerShare": \.deniedDangerShare,
        ]
    }

    /// The blend that `--set` describes.
    func baseBlend() throws -> ParseBlend {
        var blend = ParseBlend.standard
        for (_, path, values) in try settings(set) {
            guard values.count == 1 else { throw ValidationError("--set takes one value") }
            blend[keyPath: path] = values[0]
        }
        return blend
    }

    /// The `--sweep` settings as threshold and values.
    func sweeps() throws -> [(String, WritableKeyPath<ParseBlend, Double>, [Double])] {
        try settings(sweep)
    }

    func settings(_ list: [String]) throws -> [(String, WritableKeyPath<ParseBlend, Double>, [Double])] {
        try list.map { setting in
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let path = Self.thresholds[parts[0]] else {
                throw ValidationError("--sweep takes NAME=V1,V2 with NAME one of \(Self.thresholds.keys.sorted().joined(separator: ", "))")
            }
            let values = parts[1].split(separator: ",").compactMap { Double($0) }
            guard !values.isEmpty, values.count == parts[1].split(separator: ",").count else { throw ValidationError("--sweep \(setting): values must be numbers") }
            return (parts[0], path, values)
        }
    }

    var modelShape: ClassifierTraining.Shape {
        shape == "linear" ? .linear : .embeddingBag(dimensions: dimensions)
    }

    func validate() throws {
        guard buckets > 0, buckets & (buckets - 1) == 0, buckets <= 1 << 24 else { throw ValidationError("--buckets must be a power of two up to 2^24") }
        guard epochs > 0 else { throw ValidationError("--epochs must be at least 1") }
        guard ["linear", "embedding-bag"].contains(shape) else { throw ValidationError("--shape must be linear or embedding-bag") }
        guard (1...256).contains(dimensions) else { throw ValidationError("--dimensions must be 1…256") }
        _ = try sweeps()
        _ = try baseBlend()
    }

    func run() throws {
        let lexicon = MessageParser(classifier: nil)
        let files = try corpora.map { ($0, try LabelledCorpus.load($0)) }
        func examples(_ lines: [LabelledMessage]) -> [ClassifierTraining.Example] {
            lines.map { line in
                let cues = withCues ? lexicon.parse(line.text, groupBuilding: line.groupBuilding).cues : []
                return TrainingLabels.example(line, features: TextClassifier.features(of: lexicon.normalised(line.text), cues: cues, bucketCount: buckets))
            }
        }
        func trained(_ lines: [LabelledMessage]) -> TextClassifier {
            var training = ClassifierTraining(shape: modelShape, bucketCount: buckets, seed: seed)
            training.train(examples(lines), epochs: epochs, learningRate: learningRate, l2: l2, seed: seed)
            return training.model()
        }
        guard crossValidate else {
            let model = trained(files.flatMap(\.1))
            let count = files.map(\.1.count).reduce(0, +)
            guard let out else {
                print("trained a \(modelShape) model on \(count) messages; name a file with --out to keep it")
                return
            }
            let bytes = model.serialized()
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw ValidationError("cannot write \(out): \(error.localizedDescription)")
            }
            print("trained a \(modelShape) model on \(count) messages; wrote \(out) (\(bytes.count) bytes)")
            return
        }
        var totals = HeldOutScore()
        var allHeld: [LabelledMessage] = [], lexiconParses: [MessageParse] = []
        var models: [(TextClassifier, [LabelledMessage])] = []
        for (index, (name, held)) in files.enumerated() {
            let model = trained(files.enumerated().filter { $0.offset != index }.flatMap(\.element.1))
            var score = HeldOutScore()
            for (line, example) in zip(held, examples(held)) { score.add(line, prediction: model.predict(features: example.features)) }
            print("\(name): model alone \(score)")
            totals.merge(score)
            models.append((model, held))
            lexiconParses.append(contentsOf: held.map { lexicon.parse($0.text, groupBuilding: $0.groupBuilding) })
            allHeld.append(contentsOf: held)
        }
        print("all held out, \(modelShape) model alone: \(totals)")
        func line(_ label: String, _ parses: [MessageParse]) {
            let evaluation = ParseEvaluation(corpus: allHeld, parses: parses)
            print("all held out, \(label): " + (evaluation.scores + evaluation.safetyScores).map { "\($0.0)=\(String(format: "%.3f", $0.1))" }.joined(separator: " "))
        }
        func blended(_ blend: ParseBlend) -> [MessageParse] {
            models.flatMap { model, held in
                let parser = MessageParser(classifier: model, blend: blend)
                return held.map { parser.parse($0.text, groupBuilding: $0.groupBuilding) }
            }
        }
        line("lexicon alone", lexiconParses)
        line("lexicon and model", blended(try baseBlend()))
        for (name, path, values) in try sweeps() {
            for value in values {
                var blend = try baseBlend()
                blend[keyPath: path] = value
                line("blend, \(name)=\(value)", blended(blend))
            }
        }
    }
}

/// The class index of each head for a labelled line.
enum TrainingLabels {
    static func example(_ line: LabelledMessage, features: [Int]) -> ClassifierTraining.Example {
        ClassifierTraining.Example(features: features, labels: [
            Intent.allCases.firstIndex(of: line.intent),
            line.category.flatMap { ReportCategory.allCases.firstIndex(of: $0) },
            line.urgency.flatMap { Urgency.allCases.firstIndex(of: $0) },
        ])
    }
}

/// The model's own accuracy per head on held-out lines, and its emergency recall.
struct HeldOutScore: CustomStringConvertible {
    var lines = 0, intentOK = 0, reports = 0, categoryOK = 0, urgencyOK = 0, emergencies = 0, emergenciesFound = 0

    mutating func add(_ line: LabelledMessage, prediction: TextClassifier.Prediction) {
        lines += 1
        if prediction.intent == line.intent { intentOK += 1 }
        guard line.intent == .report else { return }
        reports += 1
        if prediction.category == line.category { categoryOK += 1 }
        if prediction.urgency == line.urgency { urgencyOK += 1 }
        if line.urgency == .emergency {
            emergencies += 1
            if prediction.urgency == .emergency { emergenciesFound += 1 }
        }
    }

    mutating func merge(_ other: HeldOutScore) {
        lines += other.lines; intentOK += other.intentOK; reports += other.reports; categoryOK += other.categoryOK
        urgencyOK += other.urgencyOK; emergencies += other.emergencies; emergenciesFound += other.emergenciesFound
    }

    var description: String {
        func share(_ a: Int, _ b: Int) -> String { String(format: "%.3f", Double(a) / Double(max(b, 1))) }
        return "intent=\(share(intentOK, lines)) category=\(share(categoryOK, reports)) urgency=\(share(urgencyOK, reports)) emergency_recall=\(share(emergenciesFound, emergencies)) (\(lines) lines)"
    }
}
