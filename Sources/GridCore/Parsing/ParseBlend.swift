/// How the lexicon's parse and the classifier's probabilities make one parse.
///
/// Each field is a weighted vote: the lexicon's opinion is added to the model's probabilities
/// with a weight, and the class with the most support wins. The model already sees the lexicon's
/// cues as features, so its probabilities carry most of what the lexicon knows; the lexicon's own
/// vote keeps a confident hand-written reading from being overturned by a model that has seen few
/// messages like this one. Urgency is safety first: an emergency needs only a fair chance, since
/// a missed emergency costs far more than a false alarm. The weights and thresholds are set by
/// cross-validation on the training batches (`gridbot train --cross-validate --sweep …`), never
/// on the validation set.
public struct ParseBlend: Sendable, Equatable {
    /// The lexicon's share of the intent vote: its intent gets its confidence, the others share the rest.
    public var intentWeight = 0.3
    /// Added to the model's probability of the lexicon's category.
    public var categoryWeight = 0.0
    /// Added to the model's probability of an emergency when the lexicon reads one.
    public var emergencyWeight = 0.0
    /// An emergency with at least this support is treated as one.
    public var emergencyRaise = 0.35
    /// The share of the model's emergency probability kept when the message denies the very danger
    /// the lexicon found (`没有人被困`) and names no other: n-grams cannot see a negation.
    public var deniedDangerShare = 0.4
    /// Added to the model's probability of the lexicon's urgency when it is urgent or normal.
    public var urgencyWeight = 0.0
    /// A non-report the model gives this chance of being a report goes to triage.
    public var triageChance = 0.1

    /// The weights GridBot runs with.
    public static let standard = ParseBlend()

    public init() {}

    func blend(_ parse: MessageParse, prediction: TextClassifier.Prediction, normalised s: UnsafeBufferPointer<UInt32>, groupBuilding: String?) -> MessageParse {
        var result = parse
        result.model = prediction
        let intents = TextClassifier.Head.intents
        let others = (1 - parse.confidence) / Double(intents.count - 1)
        var best = 0, bestSupport = -1.0
        for (index, intent) in intents.enumerated() {
            let support = intentWeight * (intent == parse.intent ? parse.confidence : others) + (1 - intentWeight) * prediction.probability(of: intent)
            if support > bestSupport { (best, bestSupport) = (index, support) }
        }
        result.intent = intents[best]
        result.confidence = bestSupport
        guard result.intent == .report else {
            result.category = nil
            result.urgency = nil
            result.location = Location()
            result.needsTriage = (parse.needsTriage && parse.intent != .spam) || (result.intent != .spam && prediction.probability(of: .report) >= triageChance)
            return result
        }
        var bestCategory = prediction.category, bestCategorySupport = -1.0
        for category in TextClassifier.Head.categories {
            let support = prediction.probability(of: category) + (category == parse.category ? categoryWeight : 0)
            if support > bestCategorySupport { (bestCategory, bestCategorySupport) = (category, support) }
        }
        result.category = bestCategory
        let emergencyCue = Lexicon.Feature.urgency(.emergency)
        let denied = parse.cues.contains { $0.negated && $0.feature == emergencyCue } && !parse.cues.contains { !$0.negated && $0.feature == emergencyCue }
        let emergency = prediction.probability(of: .emergency) * (denied ? deniedDangerShare : 1) + (parse.urgency == .emergency ? emergencyWeight : 0)
        if emergency >= emergencyRaise {
            result.urgency = .emergency
        } else {
            // Below the emergency threshold the choice is between urgent and normal.
            let urgent = prediction.probability(of: .urgent) + (parse.urgency == .urgent ? urgencyWeight : 0)
            let normal = prediction.probability(of: .normal) + (parse.urgency == .normal ? urgencyWeight : 0)
            result.urgency = urgent > normal ? .urgent : .normal
        }
        if parse.intent != .report {
            result.location = LocationExtractor.extract(s)
            if result.location.building == nil { result.location.building = groupBuilding }
            result.needsTriage = true
        }
        return result
    }
}
