import Foundation
import GridCore
import GridServer
import GridTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// The voucher page the private message links to: the code, the expiry with its year, and a QR
/// image of the signed payload; nothing for a forged address.
@Suite struct VoucherPageTests {
    @Test func thePrivateMessageLinksToAPageWithTheCodeAndARealQRImage() async throws {
        let loop = try await LoopHarness(.sqlite) { $0.publicURL = "https://grid.example.org" }
        try await loop.run { loop, client in
            let (_, o3, payload) = try await MerchantCounterTests.vouchers(loop, client)
            try await loop.say(client, "resident.wangfang", in: "building-3", "我的券")
            let messages = try await loop.newMessages()
            let list = try #require(messages.privateTexts(to: "resident.wangfang").first)
            #expect(list.contains("https://grid.example.org/vouchers/GBV1."), "\(list)")
            #expect(messages.texts(in: "building-3").allSatisfy { !$0.contains("/vouchers/") }, "the link is not posted in the group")

            let page = try await client.execute(uri: "/vouchers/\(payload)", method: .get, headers: [.accept: "text/html"])
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains(o3.description))
            #expect(html.contains("年") && html.contains("有效期至"), "the expiry carries its year")
            let expected = try QRCode(payload).svg(scale: 6)
            #expect(html.contains(expected), "the QR image encodes the signed payload")
            #expect(!html.contains("{{"))

            var forged = payload
            forged.removeLast()
            forged.append(payload.last == "A" ? "B" : "A")
            let refused = try await client.execute(uri: "/vouchers/\(forged)", method: .get, headers: [.accept: "text/html"])
            #expect(refused.status == .notFound)
            #expect(!String(buffer: refused.body).contains(o3.description))
        }
    }
}
