import Foundation
import GridServer
import GridTestSupport
import HummingbirdTesting
import Testing

/// A resident's phone number is for whoever calls them back: masked on the card everyone in the
/// staff chat reads, shown whole to the assignee on the console.
@Suite struct StaffCardPrivacyTests {
    @Test func theCardMasksThePhoneAndTheAssigneeSeesItToCallBack() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await ConsoleTests.twoReports(loop, client)
            let cards = try await loop.newMessages().texts(in: "staff-g01").filter { $0.contains("工单 #1") }
            let card = try #require(cards.first)
            #expect(card.contains("138****5678") && !card.contains("13812345678"), "\(card)")
            #expect(card.contains("反映人留了电话"))

            let worker = Browser(client)
            _ = try await worker.signIn("W01", "demo-worker-g01")
            let page = try await worker.get("/reports/1")
            #expect(page.text.contains(#"href="tel:13812345678""#), "the assignee can call back")
            #expect(page.text.contains("138****5678"), "the text itself stays masked")
        }
    }
}
