import GridCore
import Testing

@Test func lexiconLoads() {
    #expect(Lexicon.standard.cueCount > 500)
}
