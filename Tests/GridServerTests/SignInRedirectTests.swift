import HTTPTypes
import HummingbirdTesting
import GridTestSupport
import Testing

/// After sign-in, `next` leads only to a path on this site, whatever a browser would strip from it.
@Suite struct SignInRedirectTests {
    @Test func nextNeverLeavesTheSite() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { _, client in
            let hostile = ["/\t/evil.example/", "/\n/evil.example/", "\r\n//evil.example/", "  //evil.example/", "/\\evil.example/",
                           "//evil.example/", "https://evil.example/", "\t/\t/evil.example", "/\u{1}/evil.example", "javascript:alert(1)"]
            for next in hostile {
                let browser = Browser(client)
                let page = try await browser.get("/login")
                let answer = try await browser.post("/login", form: ["account": "W01", "password": "demo-worker-g01", "next": next], csrf: Browser.csrf(in: page))
                #expect(answer.status == .seeOther)
                #expect(answer.headers[.location] == "/", "next=\(next.debugDescription) went to \(answer.headers[.location] ?? "nowhere")")
            }
            let browser = Browser(client)
            let page = try await browser.get("/login")
            let answer = try await browser.post("/login", form: ["account": "W01", "password": "demo-worker-g01", "next": "/reports?status=received"], csrf: Browser.csrf(in: page))
            #expect(answer.headers[.location] == "/reports?status=received", "a path on this site is kept")
        }
    }
}
