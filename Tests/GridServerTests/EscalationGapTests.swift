import Foundation
import GridCore
import GridServer
import GridTestSupport
import Testing

/// Every escalation level must reach someone: gaps are named at start and on the admin page.
@Suite struct EscalationGapTests {
    @Test func theDemoCommunityReachesEveryLevelAndAMissingChatIsNamed() async throws {
        let services = try await TestServices.demo(.sqlite)
        let directory = try await services.store.directory()
        #expect(directory.escalationGaps().isEmpty, "\(directory.escalationGaps())")
        #expect(directory.escalationTarget(.street, grid: "G01").chats.map(\.code) == ["chat-street"], "the street level has its own chat")

        var missing = directory
        missing.chatGroups.removeAll { ["chat-street", "chat-g01", "chat-hx"].contains($0.code) }
        let gaps = missing.escalationGaps()
        #expect(gaps.contains { $0.contains("第一网格") && $0.contains("网格员") }, "\(gaps)")
        #expect(gaps.contains { $0.contains("幸福街道办事处没有群") }, "\(gaps)")
        try await services.database.shutdown()
    }

    @Test func theAdminPageShowsTheGaps() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.services.database.withConnection { db in
                try await db.delete(from: "chat_groups").where("code", .equal, "chat-street").run()
            }
            let admin = Browser(client)
            _ = try await admin.signIn("ADM1", "demo-admin-hx")
            let page = try await admin.get("/admin")
            #expect(page.text.contains("超时升级到街道时只发到社区网格工作群"))
        }
    }
}
