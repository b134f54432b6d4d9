/// What the parser understood of one message.
public struct MessageParse: Sendable, Equatable {
    public var intent: Intent
    /// For reports only.
    public var category: ReportCategory?
    /// For reports only.
    public var urgency: Urgency?
    /// For reports only: the named building wins over the group's.
    public var location: Location
    /// How sure the parser is of the intent, from 0 to 1.
    public var confidence: Double
    /// A message that may be a report but was not understood well enough: a person should look.
    public var needsTriage: Bool
    /// The cues that decided the parse, for people and for `gridbot parse`'s explanation.
    public var cues: [CueHit]
    /// Phone and ID numbers in the message, to be masked in logs and public views.
    public var personalData: [PersonalData.Match]
    /// The learned signal's probabilities, when the parser has a model.
    public var model: TextClassifier.Prediction? = nil
}

/// One cue found in a message.
public struct CueHit: Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var feature: Lexicon.Feature
    public var weight: Int
    /// Cancelled by a negation right before it (`没有人被困`).
    public var negated: Bool

    public var description: String {
        "\(text)→\(feature)\(weight == 1 ? "" : "×\(weight)")\(negated ? " (negated)" : "")"
    }
}

/// Turns a free-text building-group message into intent, category, urgency and location.
///
/// It reads the message once through the lexicon's trie, summing weighted evidence per feature
/// (each lexicon section is matched longest cue first, without counting a cue inside a longer one
/// twice), then decides in the order that keeps non-reports out of the queue: spam, then status
/// questions, then notices, then "already fixed", then questions versus reports.
public struct MessageParser: Sendable {
    public let lexicon: Lexicon
    /// The learned second signal, blended with the lexicon's evidence; nil reads by the lexicon alone.
    public let classifier: TextClassifier?
    /// How the two signals make one parse.
    public let blend: ParseBlend
    let normaliser: TextNormaliser

    /// A parser of the lexicon and the shipped model; `classifier: nil` reads by the lexicon alone.
    public init(lexicon: Lexicon = .standard, classifier: TextClassifier? = .standard, blend: ParseBlend = .standard) {
        self.lexicon = lexicon
        self.classifier = classifier
        self.blend = blend
        self.normaliser = TextNormaliser(lexicon: lexicon)
    }

    /// Categories in the order their departments must act when evidence ties (LABELS.md: water
    /// through a ceiling is water, smoke from a flat is fire safety).
    static let categoryPriority: [ReportCategory] = [
        .fireSafety, .gas, .elevator, .heating, .pests, .water, .power, .welfare, .security,
        .facilities, .greenery, .parking, .noise, .pets, .sanitation, .dispute, .suggestion, .other,
    ]

    static let categoryPrioritySlots: [(ReportCategory, Int)] = categoryPriority.map { ($0, Lexicon.Feature.category($0).slot) }

    /// Categories whose faults become urgent when many households are affected.
    static let utilityCategories: Set<ReportCategory> = [.water, .power, .gas, .heating, .elevator]

    /// The building, unit and room a text names, whatever its intent (for staff commands such as
    /// `绑定 3号楼`).
    public func location(in text: String) -> Location {
        var scalars: [UInt32] = []
        normaliser.normalise(text, into: &scalars)
        return scalars.withUnsafeBufferPointer { LocationExtractor.extract($0) }
    }

    /// The text in the normalised form the lexicon and the classifier read.
    public func normalised(_ text: String) -> [UInt32] {
        var scalars: [UInt32] = []
        normaliser.normalise(text, into: &scalars)
        return scalars
    }

    /// Parses `text` from a group bound to `groupBuilding` (nil for a community-wide group).
    public func parse(_ text: String, groupBuilding: String?) -> MessageParse {
        var scalars: [UInt32] = []
        normaliser.normalise(text, into: &scalars)
        return scalars.withUnsafeBufferPointer { buffer in
            let byLexicon = parse(normalised: buffer, original: text, groupBuilding: groupBuilding)
            guard let classifier else { return byLexicon }
            let prediction = classifier.predict(features: classifier.features(of: buffer, cues: byLexicon.cues))
            return blend.blend(byLexicon, prediction: prediction, normalised: buffer, groupBuilding: groupBuilding)
        }
    }

    private func parse(normalised s: UnsafeBufferPointer<UInt32>, original: String, groupBuilding: String?) -> MessageParse {
        let featureCount = Lexicon.Feature.all.count
        var scores = [Int](repeating: 0, count: featureCount)
        var coveredUntil = [Int](repeating: 0, count: featureCount)
        var hits: [CueHit] = []
        var lastNegationEnd = -10
        let emergencySlot = Lexicon.Feature.urgency(.emergency).slot
        let urgentSlot = Lexicon.Feature.urgency(.urgent).slot
        let negationSlot = Lexicon.Feature.negation.slot
        // Categories named by the very words that raise an emergency (摔倒, 被困, 着火): of several
        // problems, the most urgent one labels the report.
        var emergencyCategories: [Int] = []
        // A cue repeated in one message is one piece of evidence, not several.
        var counted: [Int32] = []
        // One-character category cues speak only where nothing longer did.
        var fallback = [Int](repeating: 0, count: featureCount)

        // Longest cue per feature starting at each position.
        var best: [(cue: Int32, end: Int)] = Array(repeating: (-1, 0), count: featureCount)
        var touched: [Int] = []
        touched.reserveCapacity(8)
        for start in 0..<s.count {
            touched.removeAll(keepingCapacity: true)
            lexicon.forEachCue(in: s, startingAt: start) { cueIndex, end in
                let slot = lexicon.cues[Int(cueIndex)].slot
                if best[slot].cue < 0 { touched.append(slot) }
                best[slot] = (cueIndex, end)
            }
            var emergencyEnd = -1
            var categoryAtEmergency: [(slot: Int, end: Int)] = []
            for slot in touched {
                let (cueIndex, end) = best[slot]
                best[slot] = (-1, 0)
                guard start >= coveredUntil[slot] else { continue }
                coveredUntil[slot] = end
                let cue = lexicon.cues[Int(cueIndex)]
                if cue.digitEdged, isDigit(at: start - 1, in: s) || isDigit(at: end, in: s) { continue }
                if slot == negationSlot {
                    lastNegationEnd = end
                    continue
                }
                let negated = (slot == emergencySlot || slot == urgentSlot) && lastNegationEnd <= start && start - lastNegationEnd <= 1
                hits.append(CueHit(text: cue.text, feature: cue.feature, weight: cue.weight, negated: negated))
                if negated || counted.contains(cueIndex) { continue }
                counted.append(cueIndex)
                if case .category = cue.feature {
                    if cue.isFallback {
                        fallback[slot] += cue.weight
                        continue
                    }
                    categoryAtEmergency.append((slot, end))
                }
                scores[slot] += cue.weight
                if slot == emergencySlot { emergencyEnd = end }
            }
            if emergencyEnd >= 0 {
                for entry in categoryAtEmergency where entry.end == emergencyEnd { emergencyCategories.append(entry.slot) }
            }
        }

        // A sentence-final 不 or 没 asks a question (开门不, 修了没) the way 吗 does.
        if scores[Lexicon.Feature.chat.slot] == 0, let last = lastMeaningfulScalar(s), last == 0x4E0D || last == 0x6CA1 {
            scores[Lexicon.Feature.question.slot] += 2
        }
        for category in ReportCategory.allCases {
            let slot = Lexicon.Feature.category(category).slot
            if scores[slot] == 0 { scores[slot] = fallback[slot] }
        }
        let personalData = PersonalData.find(in: original)
        return decide(scores: scores, hits: hits, emergencyCategories: emergencyCategories, personalData: personalData, s: s, groupBuilding: groupBuilding)
    }

    private func decide(
        scores: [Int], hits: [CueHit], emergencyCategories: [Int], personalData: [PersonalData.Match],
        s: UnsafeBufferPointer<UInt32>, groupBuilding: String?
    ) -> MessageParse {
        func score(_ feature: Lexicon.Feature) -> Int { scores[feature.slot] }
        let emergency = score(.urgency(.emergency))
        let urgent = score(.urgency(.urgent))
        let problem = score(.problem)
        let request = score(.request)
        var question = score(.question)
        let status = score(.statusQuestion)
        let notice = score(.notice)
        var spam = score(.spam)
        let chat = score(.chat)
        let resolved = score(.resolved)
        if personalData.contains(where: { $0.kind == .mobile }) || containsMaskedNumber(s) { spam += 2 }

        // Category: strongest evidence; an emergency cue also counts for its own category, so
        // that of several problems the most urgent one labels the report.
        // The first of the highest scores, so ties go to the department that acts first.
        var topCategory: (ReportCategory, Int) = (.other, 0)
        for (category, slot) in Self.categoryPrioritySlots {
            let value = scores[slot] + (emergencyCategories.contains(slot) ? 3 : 0)
            if value > topCategory.1 { topCategory = (category, value) }
        }
        var category = topCategory.1 > 0 ? topCategory.0 : .other
        let suggestionScore = score(.category(.suggestion))
        if suggestionScore >= 3, problem <= 2, emergency == 0 { category = .suggestion }
        let topicStrength = topCategory.1

        // 不是…吗 with a problem described is a rhetorical complaint, not a question.
        if question == 2, topicStrength >= 3, isRhetorical(s) { question = 0 }
        let reportEvidence = problem + request + (emergency >= 4 ? 4 : 0) + (urgent >= 3 ? 1 : 0)
        let questionEvidence = question + status
        var intent: Intent
        var margin: Int

        if spam >= 4, spam > reportEvidence + 1, spam > notice {
            intent = .spam
            margin = spam - reportEvidence
        } else if status >= 4, reportEvidence < status + 2, emergency < 4 {
            intent = .question
            margin = status - reportEvidence / 2
        } else if notice >= 4, question < 2, notice > reportEvidence {
            intent = .notice
            margin = notice - reportEvidence
        } else if resolved >= 4, emergency < 4, problem + request <= resolved {
            intent = .chat
            margin = resolved - problem - request + 1
        } else if questionEvidence >= 2, reportEvidence <= questionEvidence, request < 3, emergency < 4 {
            intent = .question
            margin = questionEvidence - reportEvidence + 1
        } else if reportEvidence >= 2 || emergency >= 4 || (topicStrength >= 3 && reportEvidence >= 1) || (suggestionScore >= 4) {
            intent = .report
            margin = reportEvidence + min(topicStrength, 4) - max(questionEvidence, chat, notice, spam)
        } else if chat >= 2 {
            intent = .chat
            margin = chat - reportEvidence
        } else if topicStrength >= 4, chat == 0 {
            intent = .report
            margin = 0
        } else if questionEvidence > 0 {
            intent = .question
            margin = questionEvidence
        } else {
            intent = .chat
            margin = chat
        }

        let confidence = min(1, max(0.05, Double(margin + 1) / 6))
        let likelyReport = topicStrength >= 3 && (problem + request >= 2 || emergency >= 4)
        let needsTriage = intent == .report ? confidence < 0.35 : (likelyReport && intent != .spam && intent != .notice && confidence < 0.5)

        guard intent == .report else {
            return MessageParse(
                intent: intent, category: nil, urgency: nil, location: Location(),
                confidence: confidence, needsTriage: needsTriage, cues: hits, personalData: personalData)
        }
        // Many households affected makes an outage urgent, not a noisy neighbour.
        let scope = Self.utilityCategories.contains(category) ? score(.scope) : 0
        let urgency: Urgency = emergency >= 4 ? .emergency : urgent >= 3 || (scope >= 3 && urgent + scope >= 4) ? .urgent : .normal
        var location = LocationExtractor.extract(s)
        if location.building == nil { location.building = groupBuilding }
        return MessageParse(
            intent: .report, category: category, urgency: urgency, location: location,
            confidence: confidence, needsTriage: needsTriage, cues: hits, personalData: personalData)
    }

    /// `不是八点以后才能动工吗`: 不是 before a final 吗.
    private func isRhetorical(_ s: UnsafeBufferPointer<UInt32>) -> Bool {
        guard lastMeaningfulScalar(s) == 0x5417 else { return false }  // 吗
        for index in 0..<max(0, s.count - 1) where s[index] == 0x4E0D && s[index + 1] == 0x662F { return true }
        return false
    }

    /// The last character that is not punctuation, a space or an emoji.
    private func lastMeaningfulScalar(_ s: UnsafeBufferPointer<UInt32>) -> UInt32? {
        for scalar in s.reversed() where (0x4E00...0x9FFF).contains(scalar) || (0x30...0x5A).contains(scalar) {
            return scalar
        }
        return nil
    }

    @inline(__always)
    private func isDigit(at index: Int, in s: UnsafeBufferPointer<UInt32>) -> Bool {
        index >= 0 && index < s.count && (0x30...0x39).contains(s[index])
    }

    /// `158****2331`: a number someone already masked is still a phone number in an advert.
    private func containsMaskedNumber(_ s: UnsafeBufferPointer<UInt32>) -> Bool {
        var stars = 0
        for scalar in s {
            stars = scalar == 0x2A ? stars + 1 : 0
            if stars == 4 { return true }
        }
        return false
    }
}
