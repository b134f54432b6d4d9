/// One labelled line of a corpus (the format of `shared/eval/*.jsonl`).
public struct LabelledMessage: Codable, Sendable {
    public var id: String
    public var text: String
    public var groupBuilding: String?
    public var intent: Intent
    public var category: ReportCategory?
    public var urgency: Urgency?
    public var building: String?
    public var unit: String?
    public var room: String?

    enum CodingKeys: String, CodingKey {
        case id, text, intent, category, urgency, building, unit, room
        case groupBuilding = "group_building"
    }

    public init(id: String, text: String, groupBuilding: String?, intent: Intent, category: ReportCategory? = nil,
                urgency: Urgency? = nil, building: String? = nil, unit: String? = nil, room: String? = nil) {
        self.id = id
        self.text = text
        self.groupBuilding = groupBuilding
        self.intent = intent
        self.category = category
        self.urgency = urgency
        self.building = building
        self.unit = unit
        self.room = room
    }
}

/// Scores parses against labels exactly as `shared/eval/score.py` does.
public struct ParseEvaluation: Sendable {
    public var intentAccuracy = 0.0
    public var reportPrecision = 0.0
    public var reportRecall = 0.0
    public var reportF1 = 0.0
    public var categoryAccuracy = 0.0
    public var urgencyAccuracy = 0.0
    public var locationExact = 0.0
    /// Emergencies labelled so that were parsed as reports of emergency urgency.
    public var emergencyRecall = 0.0
    /// Non-emergency reports parsed as emergencies, as a share of the non-emergency reports.
    public var falseEmergencies = 0.0
    /// Labelled reports parsed as non-reports without a triage flag: lost without a trace.
    public var silentlyDropped = 0.0
    /// The lines with at least one wrong field: (line, wrong field names).
    public var errors: [(LabelledMessage, MessageParse, [String])] = []

    public init(corpus: [LabelledMessage], parses: [MessageParse]) {
        precondition(corpus.count == parses.count)
        var intentOK = 0, tp = 0, fp = 0, fn = 0, reports = 0, categoryOK = 0, urgencyOK = 0, locationOK = 0
        var emergencies = 0, emergenciesFound = 0, falseAlarms = 0, dropped = 0
        for (gold, got) in zip(corpus, parses) {
            if got.intent == gold.intent { intentOK += 1 }
            let goldReport = gold.intent == .report
            let gotReport = got.intent == .report
            if goldReport && gotReport { tp += 1 }
            if !goldReport && gotReport { fp += 1 }
            if goldReport && !gotReport { fn += 1 }
            var wrong: [String] = got.intent == gold.intent ? [] : ["intent"]
            if goldReport {
                reports += 1
                let gotEmergency = gotReport && got.urgency == .emergency
                if gold.urgency == .emergency {
                    emergencies += 1
                    if gotEmergency { emergenciesFound += 1 }
                } else if gotEmergency {
                    falseAlarms += 1
                }
                if !gotReport && !got.needsTriage { dropped += 1 }
                if got.category == gold.category { categoryOK += 1 } else { wrong.append("category") }
                if got.urgency == gold.urgency { urgencyOK += 1 } else { wrong.append("urgency") }
                let location = got.intent == .report ? got.location : Location()
                if location.building == gold.building && location.unit == gold.unit && location.room == gold.room {
                    locationOK += 1
                } else {
                    wrong.append("location")
                }
            }
            if !wrong.isEmpty { errors.append((gold, got, wrong)) }
        }
        let n = Double(max(corpus.count, 1))
        intentAccuracy = Double(intentOK) / n
        reportPrecision = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0
        reportRecall = tp + fn > 0 ? Double(tp) / Double(tp + fn) : 0
        reportF1 = reportPrecision + reportRecall > 0 ? 2 * reportPrecision * reportRecall / (reportPrecision + reportRecall) : 0
        let r = Double(max(reports, 1))
        categoryAccuracy = Double(categoryOK) / r
        urgencyAccuracy = Double(urgencyOK) / r
        locationExact = Double(locationOK) / r
        emergencyRecall = Double(emergenciesFound) / Double(max(emergencies, 1))
        falseEmergencies = Double(falseAlarms) / Double(max(reports - emergencies, 1))
        silentlyDropped = Double(dropped) / r
    }

    /// The safety figures `score.py` does not print: emergencies found and false, reports lost.
    public var safetyScores: [(String, Double)] {
        [("emergency_recall", emergencyRecall), ("false_emergencies", falseEmergencies), ("silently_dropped", silentlyDropped)]
    }

    /// The scores as `score.py` names them, in its order.
    public var scores: [(String, Double)] {
        [
            ("intent_accuracy", intentAccuracy), ("report_precision", reportPrecision),
            ("report_recall", reportRecall), ("report_f1", reportF1), ("category_accuracy", categoryAccuracy),
            ("urgency_accuracy", urgencyAccuracy), ("location_exact", locationExact),
        ]
    }
}
