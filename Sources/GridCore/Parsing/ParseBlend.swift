/// How the lexicon's parse and the classifier's probabilities make one parse.
///
/// The lexicon stays in charge where it is sure; the model decides where the lexicon's evidence
/// is weak or where the model is confident against it. Urgency is safety first: a model that
/// gives an emergency a fair chance raises the report, since a missed emergency costs far more
/// than a false alarm. The thresholds are set by cross-validation on the training batches
/// (`gridbot train --cross-validate`), never on the validation set.
enum ParseBlend {
    /// The model's intent replaces the lexicon's when the model gives the lexicon's intent less
    /// than this and its own top intent at least `intentTake`.
    static let intentDoubt = 0.25
    static let intentTake = 0.6
    /// Category: the model's choice wins at this probability.
    static let categoryTake = 0.35
    /// An emergency at this probability is treated as one.
    static let emergencyRaise = 0.45
    /// The model's urgency replaces a non-emergency lexicon urgency at this probability.
    static let urgencyTake = 0.4
    /// A non-report the model gives this chance of being a report goes to triage.
    static let triageChance = 0.2

    static func blend(_ parse: MessageParse, model: TextClassifier, normalised s: UnsafeBufferPointer<UInt32>, groupBuilding: String?) -> MessageParse {
        let features = model.features(of: s, cues: parse.cues)
        let intents = model.probabilities(.intent, features: features)
        var result = parse
        let lexiconIntent = Intent.allCases.firstIndex(of: parse.intent) ?? 0
        let top = intents.indices.max { intents[$0] < intents[$1] } ?? 0
        if intents[lexiconIntent] < intentDoubt, intents[top] >= intentTake {
            result.intent = Intent.allCases[top]
        }
        let reportChance = intents[Intent.allCases.firstIndex(of: .report) ?? 0]
        guard result.intent == .report else {
            result.category = nil
            result.urgency = nil
            result.location = Location()
            result.needsTriage = parse.needsTriage || (result.intent != .spam && reportChance >= triageChance)
            return result
        }
        let categories = model.probabilities(.category, features: features)
        let topCategory = categories.indices.max { categories[$0] < categories[$1] } ?? 0
        if parse.category == nil || categories[topCategory] >= categoryTake {
            result.category = ReportCategory.allCases[topCategory]
        }
        let urgencies = model.probabilities(.urgency, features: features)
        let emergencyChance = urgencies[Urgency.allCases.firstIndex(of: .emergency) ?? 0]
        let topUrgency = urgencies.indices.max { urgencies[$0] < urgencies[$1] } ?? 0
        if parse.urgency == .emergency || emergencyChance >= emergencyRaise {
            result.urgency = .emergency
        } else if parse.urgency == nil || urgencies[topUrgency] >= urgencyTake {
            result.urgency = Urgency.allCases[topUrgency]
        }
        if parse.intent != .report {
            result.location = LocationExtractor.extract(s)
            if result.location.building == nil { result.location.building = groupBuilding }
            result.needsTriage = true
        }
        return result
    }
}
