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
    var buckets = 1 << 18

    func validate() throws {
        guard buckets > 0, buckets & (buckets - 1) == 0 else { throw ValidationError("--buckets must be a power of two") }
        guard epochs > 0 else { throw ValidationError("--epochs must be at least 1") }
    }

    func run() throws {
        let parser = MessageParser()
        let files = try corpora.map { ($0, try LabelledCorpus.load($0)) }
        let model = TextClassifier(bucketCount: buckets)
        func examples(_ lines: [LabelledMessage]) -> [TextClassifier.Example] {
            lines.map { line in
                let cues = withCues ? parser.parse(line.text, groupBuilding: line.groupBuilding).cues : []
                return TrainingLabels.example(line, features: model.features(of: parser.normalised(line.text), cues: cues))
            }
        }
        guard crossValidate else {
            var trained = model
            trained.train(examples(files.flatMap(\.1)), epochs: epochs, seed: seed)
            let count = files.map(\.1.count).reduce(0, +)
            guard let out else {
                print("trained on \(count) messages; name a file with --out to keep the model")
                return
            }
            let bytes = trained.serialized()
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw ValidationError("cannot write \(out): \(error.localizedDescription)")
            }
            print("trained on \(count) messages; wrote \(out) (\(bytes.count) bytes)")
            return
        }
        var totals = HeldOutScore()
        var allHeld: [LabelledMessage] = [], lexiconParses: [MessageParse] = [], blendedParses: [MessageParse] = []
        for (index, (name, held)) in files.enumerated() {
            var trained = model
            trained.train(examples(files.enumerated().filter { $0.offset != index }.flatMap(\.element.1)), epochs: epochs, seed: seed)
            var score = HeldOutScore()
            for (line, example) in zip(held, examples(held)) { score.add(line, example: example, model: trained) }
            print("\(name): model alone \(score)")
            totals.merge(score)
            let blended = MessageParser(classifier: trained)
            blendedParses.append(contentsOf: held.map { blended.parse($0.text, groupBuilding: $0.groupBuilding) })
            lexiconParses.append(contentsOf: held.map { parser.parse($0.text, groupBuilding: $0.groupBuilding) })
            allHeld.append(contentsOf: held)
        }
        print("all held out, model alone: \(totals)")
        for (label, parses) in [("lexicon alone", lexiconParses), ("lexicon and model", blendedParses)] {
            let evaluation = ParseEvaluation(corpus: allHeld, parses: parses)
            print("all held out, \(label): " + (evaluation.scores + evaluation.safetyScores).map { "\($0.0)=\(String(format: "%.3f", $0.1))" }.joined(separator: " "))
        }
    }
}

/// The class index of each head for a labelled line.
enum TrainingLabels {
    static func example(_ line: LabelledMessage, features: [Int]) -> TextClassifier.Example {
        TextClassifier.Example(features: features, labels: [
            Intent.allCases.firstIndex(of: line.intent),
            line.category.flatMap { ReportCategory.allCases.firstIndex(of: $0) },
            line.urgency.flatMap { Urgency.allCases.firstIndex(of: $0) },
        ])
    }
}

/// The model's own accuracy per head on held-out lines, and its emergency recall.
struct HeldOutScore: CustomStringConvertible {
    var lines = 0, intentOK = 0, reports = 0, categoryOK = 0, urgencyOK = 0, emergencies = 0, emergenciesFound = 0

    mutating func add(_ line: LabelledMessage, example: TextClassifier.Example, model: TextClassifier) {
        func best(_ head: TextClassifier.Head) -> Int {
            let p = model.probabilities(head, features: example.features)
            return p.indices.max { p[$0] < p[$1] } ?? 0
        }
        lines += 1
        if best(.intent) == example.labels[0] { intentOK += 1 }
        guard line.intent == .report else { return }
        reports += 1
        if best(.category) == example.labels[1] { categoryOK += 1 }
        if best(.urgency) == example.labels[2] { urgencyOK += 1 }
        if line.urgency == .emergency {
            emergencies += 1
            if best(.urgency) == example.labels[2] { emergenciesFound += 1 }
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
