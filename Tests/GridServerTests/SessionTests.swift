import Foundation
import GridCore
import GridServer
import GridTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// Sessions live on the server: signing out, a new password or a revocation ends them at once;
/// password guessing is slowed per account; the admin sees who is signed in.
@Suite struct SessionTests {
    /// A browser signed in as the grid worker W01, and its session cookie.
    static func signedIn(_ client: any TestClientProtocol) async throws -> (Browser, String) {
        let browser = Browser(client)
        #expect(try await browser.signIn("W01", "demo-worker-g01").status == .seeOther)
        return (browser, try #require(browser.cookies["gridbot_session"]))
    }

    /// The same cookie in another browser, as someone who copied it would use it.
    static func replay(_ cookie: String, _ client: any TestClientProtocol) async throws -> HTTPResponse.Status {
        let thief = Browser(client)
        thief.setCookie("gridbot_session", cookie)
        return try await thief.get("/reports").status
    }

    @Test(arguments: TestBackend.allCases)
    func aCookieReplayedAfterSignOutOrANewPasswordOpensNothing(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            let (browser, cookie) = try await Self.signedIn(client)
            #expect(try await Self.replay(cookie, client) == .ok, "a live session works from anywhere it is copied to")
            let page = try await browser.get("/reports")
            #expect(try await browser.post("/logout", form: [:], csrf: Browser.csrf(in: page)).status == .seeOther)
            #expect(try await Self.replay(cookie, client) == .seeOther, "signed out means signed out, not a cleared cookie")

            let (_, second) = try await Self.signedIn(client)
            try await loop.services.store.setPassword(person: "W01", hash: try PasswordHash.make("a-new-password", logN: PasswordHash.minimumLogN),
                                                     at: loop.clock.now())
            #expect(try await Self.replay(second, client) == .seeOther, "a new password ends the sessions of the old one")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func guessingIsSlowedAndTheRightPasswordWaitsToo(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            let browser = Browser(client)
            for attempt in 1...5 {
                #expect(try await browser.signIn("W01", "guess-\(attempt)").status == .unauthorized)
            }
            let locked = try await browser.signIn("W01", "demo-worker-g01")
            #expect(locked.status == .tooManyRequests, "the sixth try waits, even with the right password")
            #expect(locked.headers[.retryAfter] == "30")
            #expect(locked.text.contains("尝试次数过多"))
            #expect(try await Browser(client).signIn("ADM1", "demo-admin-hx").status == .seeOther, "other accounts are not locked")

            loop.clock.advance(31)
            #expect(try await browser.signIn("W01", "guess-6").status == .unauthorized)
            #expect(try await browser.signIn("W01", "demo-worker-g01").status == .tooManyRequests, "each failure past five doubles the wait")
            loop.clock.advance(61)
            #expect(try await browser.signIn("W01", "demo-worker-g01").status == .seeOther)
        }
    }

    @Test func theAdminSeesWhoIsSignedInAndCanSignThemOut() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            let (_, cookie) = try await Self.signedIn(client)
            let admin = Browser(client)
            #expect(try await admin.signIn("ADM1", "demo-admin-hx").status == .seeOther)
            let page = try await admin.get("/admin")
            #expect(page.text.contains("登录会话") && page.text.contains("（W01）"), "the session list names W01")
            let ended = try await admin.post("/admin/sessions", form: ["person": "W01"], csrf: Browser.csrf(in: page))
            #expect(ended.status == .seeOther)
            #expect(try await Self.replay(cookie, client) == .seeOther)
        }
    }

    @Test func anUnknownAccountCostsTheSameScryptWorkAsAKnownOne() {
        #expect(PasswordHash.unknownAccount.logN == PasswordHash.defaultLogN)
        #expect(!PasswordHash.unknownAccount.matches(""))
    }
}
