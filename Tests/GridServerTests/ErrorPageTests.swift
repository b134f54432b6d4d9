import Foundation
import GridServer
import GridTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// Errors as people and programs meet them: a browser gets a Chinese page in the site's style
/// with a way back; an API client or a webhook gets JSON with a stable code.
@Suite struct ErrorPageTests {
    static let html: HTTPFields = [.accept: "text/html,application/xhtml+xml,*/*;q=0.8"]

    @Test func aBrowserIsToldInChineseWhoseReportItIsAndHowToGoBack() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await ConsoleTests.twoReports(loop, client)
            let browser = Browser(client)
            _ = try await browser.signIn("W01", "demo-worker-g01")
            let page = try await browser.get("/reports/2", headers: Self.html)
            #expect(page.status == .forbidden)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("工单 #2 不在您负责的范围内"), "\(page.text)")
            #expect(page.text.contains("第九网格") || page.text.contains("G09") || page.text.contains("承办"), "it says whose report it is")
            #expect(page.text.contains(#"href="/console""#) || page.text.contains(#"href="/reports"#) || page.text.contains(#"href="/""#))
            #expect(!page.text.contains("outside your grid"), "no English on the page")
            #expect(!page.text.contains("{{"), "the page renders whole")

            let missing = try await browser.get("/reports/99", headers: Self.html)
            #expect(missing.status == .notFound)
            #expect(missing.text.contains("没有工单 #99"))
        }
    }

    @Test func programsGetJSONWithAStableCode() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await ConsoleTests.twoReports(loop, client)
            let browser = Browser(client)
            _ = try await browser.signIn("W01", "demo-worker-g01")
            let answer = try await browser.get("/reports/2", headers: [.accept: "application/json"])
            #expect(answer.status == .forbidden)
            #expect(answer.headers[.contentType]?.hasPrefix("application/json") == true)
            let body = try JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: [String: String]]
            #expect(body?["error"]?["code"] == "forbidden")
            #expect(body?["error"]?["message"] == "report #2 is outside your grid")

            let unsigned = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: [.contentType: "application/json"],
                                                    body: .init(string: "{}"))
            #expect(unsigned.status == .unauthorized)
            #expect(String(buffer: unsigned.body).contains(#""code":"unauthorized""#))
        }
    }
}
