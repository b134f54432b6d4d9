import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import HummingbirdTesting
import GridTestSupport
import Testing

/// Open311's XML stays well-formed whatever residents type: characters XML 1.0 does not allow
/// are dropped, so one message cannot break the whole feed.
@Suite struct Open311XMLTests {
    @Test func aControlCharacterInAMessageKeepsTheFeedWellFormed() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼2单元电梯停了\u{1}\u{8} <b>&\u{FFFF}")
            let feed = try await client.execute(uri: "/open311/v2/requests.xml", method: .get)
            #expect(feed.status == .ok)
            let text = String(buffer: feed.body)
            #expect(text.contains("电梯停了 &lt;b&gt;&amp;"), "\(text)")
            #expect(!text.unicodeScalars.contains { $0.value == 1 || $0.value == 8 || $0.value == 0xFFFF })
            let parser = XMLParser(data: Data(text.utf8))
            #expect(parser.parse(), "requests.xml is well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        }
    }
}
