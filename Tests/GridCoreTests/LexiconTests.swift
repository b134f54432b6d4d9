import GridCore
import Testing

@Suite struct LexiconTests {
    @Test func theBundledLexiconIsLarge() {
        #expect(Lexicon.standard.cueCount > 1000)
        #expect(Lexicon.standard.traditional.count > 300)
    }

    @Test func badEntriesNameTheirLine() {
        let cases: [(String, Int, String)] = [
            ("[category elevator]\n电梯 4\n扶梯 x", 3, "weight 'x'"),
            ("电梯 4", 1, "before any [section]"),
            ("[category unicorn]\n独角兽", 1, "unknown section"),
            ("[urgency normal]\n还行", 1, "unknown section"),
            ("[chat]\n谢谢 3\n谢谢 2", 3, "listed twice"),
            ("[traditional]\n電电 樓", 2, "'樓' is not a traditional character"),
            ("[problem\n坏了", 1, "must end with ]"),
            ("[problem]\n坏 了 3", 2, "a cue and an optional weight"),
        ]
        for (text, line, message) in cases {
            do {
                _ = try Lexicon.parse(text, fileName: "local.txt")
                Issue.record("expected an error for \(text)")
            } catch {
                #expect(error.line == line, "\(text)")
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
    }

    @Test func localWordsExtendTheParserWithoutRecompiling() throws {
        // The lexicon alone, so the test sees what the local words add (the model may know them).
        let parser = MessageParser(classifier: nil)
        #expect(parser.parse("楼下的冬青全秃噜了", groupBuilding: "3").intent != .report)
        var lexicon = Lexicon.standard
        try lexicon.add("[category greenery]\n冬青 4\n[problem]\n秃噜 3\n", fileName: "local.txt")
        let local = MessageParser(lexicon: lexicon, classifier: nil)
        let parse = local.parse("楼下的冬青全秃噜了", groupBuilding: "3")
        #expect(parse.intent == .report)
        #expect(parse.category == .greenery)
    }
}
