@testable import GridCore
import Testing

/// The blend of lexicon and model keeps a parse's invariants and takes the model where it is sure.
@Suite struct ParseBlendTests {
    @Test func blendedParsesFollowTheModelWhereTheLexiconIsUnsure() {
        let blended = MessageParser(classifier: TextClassifierTests.trained(.linear))
        for (text, intent) in TextClassifierTests.lines {
            let parse = blended.parse(text, groupBuilding: "3")
            #expect(parse.intent == Intent.allCases[intent], "\(text): trained as \(Intent.allCases[intent])")
            if parse.intent == .report {
                #expect(parse.category != nil && parse.urgency != nil && parse.location.building == "3")
            } else {
                #expect(parse.category == nil && parse.urgency == nil && parse.location == Location())
            }
        }
        let lexiconOnly = MessageParser(classifier: nil)
        #expect(lexiconOnly.parse("3号楼电梯坏了", groupBuilding: nil).category == .elevator)
        #expect(lexiconOnly.parse("3号楼电梯坏了", groupBuilding: nil).model == nil)
    }
}
