import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HummingbirdTesting
import Testing

/// Merging and splitting as staff do it in chat: a merge that would bury another building's or
/// another kind of problem needs `确认`, and a split gives a report back as it was.
@Suite struct MergeSplitScenarioTests {
    /// Three reports in the first grid: #1 sanitation at 1号楼, #2 lighting at 2号楼 (dealt
    /// with), #3 lighting at 2号楼 (acknowledged).
    static func threeReports(_ loop: LoopHarness, _ client: any TestClientProtocol) async throws {
        try await loop.say(client, "resident.wangfang", in: "building-1", "1号楼门口垃圾堆了好几天没人清", name: "王芳")
        try await loop.say(client, "resident.liqiang", in: "building-2", "2号楼3单元楼道灯坏了，晚上看不见", name: "李强")
        try await loop.say(client, "resident.zhaomin", in: "building-2", "2号楼1单元楼道的灯也不亮", name: "赵敏")
        try await loop.say(client, "worker01", in: "staff-g01", "收到 #2")
        try await loop.say(client, "worker01", in: "staff-g01", "已处理 #2 已换灯泡")
        try await loop.say(client, "worker01", in: "staff-g01", "收到 #3")
        #expect(try await loop.services.store.workOrder(id: 1)?.category == .sanitation)
        #expect(try await loop.services.store.workOrder(id: 2)?.status == .resolved)
        #expect(try await loop.services.store.workOrder(id: 3)?.status == .acknowledged)
        _ = try await loop.newMessages()
    }

    @Test func aMergeOfAnotherBuildingOrCategoryWaitsForConfirmation() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.threeReports(loop, client)
            try await loop.say(client, "worker01", in: "staff-g01", "合并 #1 #2")
            var queued = try await loop.newMessages()
            let refusal = try #require(queued.texts(in: "staff-g01").first)
            #expect(refusal.contains("未合并"), "\(refusal)")
            #expect(refusal.contains("#2 在2号楼，#1 在1号楼"))
            let lighting = try #require(try await loop.services.store.workOrder(id: 2)).category
            #expect(lighting != .sanitation)
            #expect(refusal.contains("#2 是\(lighting.chineseName)，#1 是\(ReportCategory.sanitation.chineseName)"))
            #expect(refusal.contains("「合并 #1 #2 确认」"))
            #expect(queued.texts(in: "building-2").isEmpty, "the reporter is not told of a merge that did not happen")
            #expect(try await loop.services.store.workOrder(id: 2)?.status == .resolved)
            #expect(try await loop.services.store.reporters(reportID: 1).count == 1)

            // Merging into a report already dealt with is questioned too, same building and category or not.
            try await loop.say(client, "worker01", in: "staff-g01", "合并 #2 #3")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("#2 已「已处置」，并入的问题不会再单独办理") == true)
            #expect(try await loop.services.store.workOrder(id: 3)?.status == .acknowledged)

            try await loop.say(client, "worker01", in: "staff-g01", "合并 #1 #2 确认")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01") == ["已将 #2 并入 #1。"])
            #expect(try await loop.services.store.workOrder(id: 2)?.status == .merged)
            #expect(queued.texts(in: "building-2").first?.contains("已与 #1 合并处理") == true)
        }
    }

    @Test func aSplitGivesTheReportBackAsItWasAndTellsItsReporter() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.threeReports(loop, client)
            let store = loop.services.store
            let resolvedBefore = try #require(try await store.workOrder(id: 2))
            let openBefore = try await store.stages(reportID: 3).filter { $0.endedAt == nil }
            #expect(!openBefore.isEmpty, "an acknowledged report has its resolve deadline running")

            try await loop.say(client, "worker01", in: "staff-g01", "合并 #1 #2 #3 确认")
            #expect(try await store.stages(reportID: 3).allSatisfy { $0.endedAt != nil })
            _ = try await loop.newMessages()
            loop.clock.advance(600)

            // Only its handlers (or those above them) split it.
            try await loop.say(client, "worker05", in: "staff-g05", "拆分 #2")
            #expect(try await loop.newMessages().texts(in: "staff-g05").first?.contains("未执行") == true)
            #expect(try await store.workOrder(id: 2)?.status == .merged)
            try await loop.say(client, "worker01", in: "staff-g01", "拆分 #2")
            var queued = try await loop.newMessages()
            let answers = queued.texts(in: "staff-g01")
            #expect(answers.count == 1 && answers[0].hasPrefix("#2 已从 #1 拆分，恢复为「已处置」，原期限继续有效"), "\(answers)")
            let restored = try #require(try await store.workOrder(id: 2))
            #expect(restored.status == .resolved, "its resolution is not lost")
            #expect(restored.resolvedBy == resolvedBefore.resolvedBy)
            #expect(restored.assigneeGrid == resolvedBefore.assigneeGrid)
            #expect(restored.mergedInto == nil)
            let told = queued.texts(in: "building-2")
            #expect(told.count == 1 && told[0].hasPrefix("@李强") && told[0].contains("已从 #1 拆分出来单独办理，当前状态「已处置」"), "\(told)")
            #expect(try await store.reporters(reportID: 1).map(\.name) == ["王芳", "赵敏"])

            try await loop.say(client, "worker01", in: "staff-g01", "拆分 #3")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").contains { $0.contains("#3 已从 #1 拆分，恢复为「已签收」，原期限继续有效") })
            #expect(try await store.workOrder(id: 3)?.status == .acknowledged)
            let openAfter = try await store.stages(reportID: 3).filter { $0.endedAt == nil }
            #expect(openAfter.map(\.id) == openBefore.map(\.id), "the deadlines the merge ended run on, not new ones")
            #expect(openAfter.map(\.dueAt) == openBefore.map(\.dueAt))
            #expect(openAfter.allSatisfy { $0.nextCheckAt != nil })
            #expect(queued.texts(in: "building-2").first?.hasPrefix("@赵敏") == true)
            #expect(try await store.reporters(reportID: 1).map(\.name) == ["王芳"])

            // The restored deadline still escalates when it passes.
            let due = try #require(openAfter.map(\.dueAt).max())
            loop.clock.advance(due.timeIntervalSince(loop.clock.now()) + 60)
            try await loop.watcher.checkDue()
            #expect(try await loop.timeline(3).contains("escalate"))
        }
    }

    /// On the console the merge form's box is the confirmation word.
    @Test func theConsoleMergeFormAsksForTheSameConfirmation() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.threeReports(loop, client)
            let worker = Browser(client)
            _ = try await worker.signIn("W01", "demo-worker-g01")
            let page = try await worker.get("/reports/1")
            #expect(page.text.contains(#"<input type="checkbox" name="confirm" value="1">确认合并"#))
            let csrf = try #require(Browser.csrf(in: page))
            let refused = try await worker.post("/reports/1/actions", form: ["verb": "merge", "key": "merge-key-00000001", "other": "#2"], csrf: csrf)
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("#2 在2号楼，#1 在1号楼"))
            #expect(try await loop.services.store.workOrder(id: 2)?.status == .resolved)
            let merged = try await worker.post("/reports/1/actions", form: ["verb": "merge", "key": "merge-key-00000002", "other": "2", "confirm": "1"],
                                               csrf: csrf)
            #expect(merged.status == .seeOther)
            #expect(try await loop.services.store.workOrder(id: 2)?.mergedInto == 1)
        }
    }
}
