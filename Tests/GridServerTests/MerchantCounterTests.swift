import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The merchant counter page and its JSON API, over the real application.
@Suite struct MerchantCounterTests {
    /// Earns 150 points for 王芳's household and redeems an O1 voucher (M1's supermarket) and an
    /// O3 voucher (M3's breakfast shop) in chat; returns their codes and the O3 QR payload.
    static func vouchers(_ loop: LoopHarness, _ client: any TestClientProtocol) async throws -> (o1: VoucherCode, o3: VoucherCode, payload: String) {
        try await loop.say(client, "worker01", in: "staff-g01", "发布任务 清理3号楼自行车棚 30分 2人 周五前")
        for (resident, task) in [("resident.wangfang", "T4"), ("resident.liqiang", "T4"), ("resident.wangfang", "T2"), ("resident.liqiang", "T2"), ("resident.wangfang", "T3"), ("resident.liqiang", "T3"),
                                 ("resident.wangfang", "T1"), ("resident.liqiang", "T1")] {
            try await loop.say(client, resident, in: "building-3", "报名 \(task)")
            try await loop.say(client, resident, in: "building-3", "完成 \(task)")
        }
        for (task, name) in [("T4", "王芳"), ("T4", "李强"), ("T2", "王芳"), ("T2", "李强"), ("T3", "王芳"), ("T3", "李强"), ("T1", "王芳"), ("T1", "李强")] {
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "通过 \(task) @\(name)")
        }
        _ = try await loop.newMessages()
        try await loop.say(client, "resident.wangfang", in: "building-3", "兑换 O1")
        try await loop.say(client, "resident.wangfang", in: "building-3", "兑换 O3")
        let issued = try await loop.newMessages().privateTexts(to: "resident.wangfang")
        func code(_ text: String) throws -> VoucherCode {
            try VoucherCode(reading: String(try #require(text.firstMatch(of: #/券码：([0-9A-Z]{5}-[0-9A-Z]{5}-.)/#)?.output.1)))
        }
        // The payload, written out or at the end of the voucher page's address.
        let payload = String(try #require(issued[1].firstMatch(of: #/(GBV1\.\S+)/#)?.output.1))
        return (try code(issued[0]), try code(issued[1]), payload)
    }

    @Test func aShopAssistantSignsInLooksUpAndRedeemsOnce() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            let (o1, _, _) = try await Self.vouchers(loop, client)
            let browser = Browser(client)
            #expect(try await browser.get("/counter").status == .seeOther, "signed out: to the sign-in page")

            let wrong = try await browser.signIn("MA1", "not-the-password")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("账号或密码不正确"))
            let signedIn = try await browser.signIn("MA1", "demo-counter-m1")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/counter")

            let page = try await browser.get("/counter")
            #expect(page.status == .ok)
            #expect(page.text.contains("和谐便利超市 · 兑换券核销"))
            // Only the page's own script runs: a nonce per page, no 'unsafe-inline' scripts.
            let policy = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
            let nonce = try #require(policy.firstMatch(of: #/script-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'/#).map { String($0.output.1) }, "\(policy)")
            #expect(page.text.contains("<script nonce=\"\(nonce)\">") && !policy.contains("script-src 'self' 'unsafe-inline'"))
            #expect(try await browser.get("/counter").headers[HTTPField.Name("Content-Security-Policy")!] != policy, "a new nonce per page")
            let csrf = try #require(Browser.csrf(in: page))

            // A typo is caught by the check symbol before any lookup.
            var typo = Array(o1.description)
            typo[1] = typo[1] == "7" ? "8" : "7"
            let mistyped = try await browser.post("/counter/lookup", form: ["code": String(typo)], csrf: csrf)
            #expect(mistyped.status == .badRequest)
            #expect(mistyped.text.contains("校验位不符"))

            let found = try await browser.post("/counter/lookup", form: ["code": o1.description.lowercased()], csrf: csrf)
            #expect(found.status == .ok)
            #expect(found.text.contains("10元代金券") && found.text.contains("未使用") && found.text.contains("确认核销"))

            let redeemed = try await browser.post("/counter/redeem", form: ["code": o1.description], csrf: csrf)
            #expect(redeemed.status == .ok)
            #expect(redeemed.text.contains("核销成功：10元代金券") && redeemed.text.contains("今日核销：1 张，合计 10 元"))
            #expect(redeemed.text.contains(#"<table id="today"><thead>"#) && redeemed.text.contains("<td>\(o1.description)</td>"), "today's redemptions in a table")
            let again = try await browser.post("/counter/redeem", form: ["code": o1.description], csrf: csrf)
            #expect(again.status == .conflict)
            #expect(again.text.contains("这张券已于 2026年11月18日 10:00 核销（核销人：孙丽）"), "\(again.text)")

            // The resident is told; the statement shows the day's total.
            #expect(try await loop.newMessages().texts(in: "building-3").contains { $0.contains("已于 10:00 在和谐便利超市使用") })
            let statement = try await browser.get("/counter/statement?from=2026-11-01&to=2026-11-30")
            #expect(statement.status == .ok)
            #expect(statement.text.contains("<td>2026-11-18</td><td class=\"num\">1</td><td class=\"num\">100</td><td class=\"num\">10</td>"))
            #expect(try await loop.services.store.verifyLedger().isSound)
        }
    }

    @Test func formsWithoutTheirTokenAndOtherMerchantsAndStaffAreRefused() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            let (o1, _, _) = try await Self.vouchers(loop, client)
            let browser = Browser(client)
            // Sign-in itself needs the form's token.
            let forged = try await browser.post("/login", form: ["account": "MA2", "password": "demo-counter-m2"], csrf: nil)
            #expect(forged.status == .forbidden)
            #expect(try await browser.signIn("MA2", "demo-counter-m2").status == .seeOther)
            let page = try await browser.get("/counter")
            let csrf = try #require(Browser.csrf(in: page))
            #expect(try await browser.post("/counter/redeem", form: ["code": o1.description], csrf: nil).status == .forbidden)
            #expect(try await browser.post("/counter/redeem", form: ["code": o1.description], csrf: "forged-token").status == .forbidden)
            let other = try await browser.post("/counter/redeem", form: ["code": o1.description], csrf: csrf)
            #expect(other.status == .forbidden)
            #expect(other.text.contains("这张券是「和谐便利超市」的，本店不能核销"))

            // A tampered session cookie is no session.
            let tampered = Browser(client)
            _ = try await tampered.get("/login")
            let cookie = try #require(browser.cookies["gridbot_session"])
            let forgedCookie = String(cookie.dropLast()) + (cookie.last == "A" ? "B" : "A")
            let response = try await client.execute(uri: "/counter", method: .get, headers: [.cookie: "gridbot_session=\(forgedCookie)"], body: nil)
            #expect(response.status == .seeOther)

            // Staff are not merchants: the counter is forbidden, not shown.
            let admin = Browser(client)
            #expect(try await admin.signIn("ADM1", "demo-admin-hx").status == .seeOther)
            #expect(try await admin.get("/counter").status == .forbidden)
            #expect(try await loop.services.store.readingPoints { tx in try await tx.voucher(code: o1, lock: false)?.status } == .issued)
        }
    }

    @Test func theJSONAPIUsesATokenAndTellsForgeriesAndRepeatsApart() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            let (o1, o3, payload) = try await Self.vouchers(loop, client)
            let token = try #require(try await loop.services.store.createAPIToken(person: "MA3", label: "till", at: loop.clock.now()))
            func call(_ path: String, _ body: String, token: String? = token) async throws -> (HTTPResponse.Status, [String: Any]) {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                let response = try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
                let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
                return (response.status, json)
            }
            #expect(try await call("/api/v1/merchant/vouchers/lookup", #"{"code":"\#(o3)"}"#, token: nil).0 == .unauthorized)
            #expect(try await call("/api/v1/merchant/vouchers/lookup", #"{"code":"\#(o3)"}"#, token: "gbt_unknown").0 == .unauthorized)
            #expect(try await call("/api/v1/merchant/vouchers/lookup", "not json").0 == .badRequest)

            let (status, found) = try await call("/api/v1/merchant/vouchers/lookup", #"{"code":"\#(payload)"}"#)
            #expect(status == .ok)
            #expect(found["code"] as? String == o3.description && found["status"] as? String == "issued" && found["valueFen"] as? Int == 500)

            // A payload signed with another key is a forgery; another merchant's voucher is refused.
            var parts = payload.split(separator: ".").map(String.init)
            parts[3] = String(parts[3].reversed())
            let (forgedStatus, forged) = try await call("/api/v1/merchant/vouchers/redeem", #"{"code":"\#(parts.joined(separator: "."))"}"#)
            #expect(forgedStatus == .badRequest && forged["error"] as? String == "forged")
            let (otherStatus, other) = try await call("/api/v1/merchant/vouchers/redeem", #"{"code":"\#(o1)"}"#)
            #expect(otherStatus == .forbidden && other["error"] as? String == "other_merchant")

            let (redeemStatus, redeemed) = try await call("/api/v1/merchant/vouchers/redeem", #"{"code":"\#(o3)"}"#)
            #expect(redeemStatus == .ok && redeemed["status"] as? String == "redeemed")
            let (repeatStatus, repeated) = try await call("/api/v1/merchant/vouchers/redeem", #"{"code":"\#(payload)"}"#)
            #expect(repeatStatus == .conflict && repeated["error"] as? String == "already_redeemed")
            #expect((repeated["message"] as? String)?.contains("已于 2026年11月18日 10:00 核销（核销人：吴霞）") == true)

            var headers: HTTPFields = [.authorization: "Bearer \(token)"]
            headers[.accept] = "application/json"
            let statement = try await client.execute(uri: "/api/v1/merchant/statement?from=2026-11-18&to=2026-11-18", method: .get, headers: headers, body: nil)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: statement.body)) as? [String: Any])
            let total = try #require(json["total"] as? [String: Any])
            #expect(total["vouchers"] as? Int == 1 && total["valueFen"] as? Int == 500 && total["points"] as? Int == 50)
            let bad = try await client.execute(uri: "/api/v1/merchant/statement?from=2026-13-01", method: .get, headers: headers, body: nil)
            #expect(bad.status == .badRequest)
        }
    }
}
