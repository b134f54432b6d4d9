@testable import GridCore
import Testing

/// The safety figures `gridbot eval` prints beside `score.py`'s.
@Suite struct ParseEvaluationTests {
    static func gold(_ id: String, _ intent: Intent, _ urgency: Urgency? = nil) -> LabelledMessage {
        LabelledMessage(id: id, text: id, groupBuilding: nil, intent: intent, category: intent == .report ? .water : nil,
                        urgency: urgency, building: nil, unit: nil, room: nil)
    }

    static func parse(_ intent: Intent, _ urgency: Urgency? = nil, triage: Bool = false) -> MessageParse {
        MessageParse(intent: intent, category: intent == .report ? .water : nil, urgency: urgency, location: Location(),
                     confidence: 1, needsTriage: triage, cues: [], personalData: [])
    }

    @Test func emergencyRecallFalseAlarmsAndSilentDrops() {
        let corpus = [
            Self.gold("e1", .report, .emergency), Self.gold("e2", .report, .emergency), Self.gold("e3", .report, .emergency),
            Self.gold("u1", .report, .urgent), Self.gold("n1", .report, .normal), Self.gold("n2", .report, .normal),
            Self.gold("c1", .chat),
        ]
        let parses = [
            Self.parse(.report, .emergency), Self.parse(.report, .urgent), Self.parse(.chat, triage: true),
            Self.parse(.report, .emergency), Self.parse(.chat), Self.parse(.report, .normal),
            Self.parse(.report, .emergency),
        ]
        let evaluation = ParseEvaluation(corpus: corpus, parses: parses)
        #expect(evaluation.emergencyRecall == 1.0 / 3, "one of three emergencies found")
        #expect(evaluation.falseEmergencies == 1.0 / 3, "one of three non-emergency reports raised; a chat line does not count")
        #expect(evaluation.silentlyDropped == 1.0 / 6, "the triaged miss is not silent, the other miss is")
    }
}
