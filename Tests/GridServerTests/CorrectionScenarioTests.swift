import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import Testing

/// Staff correct what the parser got wrong, in chat: a new category or place re-routes the report
/// and tells the old assignee it moved; a new urgency counts the deadlines from the report's time.
@Suite struct CorrectionScenarioTests {
    @Test(arguments: TestBackend.allCases)
    func categoryUrgencyAndPlaceAreCorrectedAndReRouted(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼2单元楼道灯不亮了")
            let received = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(received.category == .power && received.departmentCode == "property")
            _ = try await loop.newMessages()

            // A resident cannot correct a report.
            try await loop.say(client, "resident.wangfang", in: "building-3", "改类 #1 燃气")
            #expect(try await loop.newMessages().texts(in: "building-3").first?.contains("只有承办人、网格长或社区工作人员可以更正工单") == true)
            #expect(try await loop.services.store.workOrder(id: 1)?.category == .power)

            // A new category another department handles: the old department's chat is told it moved.
            try await loop.say(client, "worker01", in: "staff-g01", "改类 #1 燃气")
            var queued = try await loop.newMessages()
            var order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.category == .gas && order.departmentCode == "gas" && order.assigneeGrid == "G01")
            #expect(queued.texts(in: "dept-property").contains { $0.contains("#1") && $0.contains("燃气公司") }, "\(queued.texts(in: "dept-property"))")
            #expect(queued.texts(in: "staff-g01").contains { $0.contains("工单 #1") && $0.contains("燃气") }, "a new card: \(queued.texts(in: "staff-g01"))")
            try await loop.say(client, "worker01", in: "staff-g01", "改类 #1 燃气")
            #expect(try await loop.newMessages().texts(in: "staff-g01").first?.contains("已经是「燃气」") == true)

            // A raised urgency: the deadlines count from when the report came in.
            loop.clock.advance(20 * 60)
            try await loop.say(client, "worker01", in: "staff-g01", "改级 #1 紧急")
            queued = try await loop.newMessages()
            order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.urgency == .emergency)
            let acknowledge = try #require(try await loop.services.store.stages(reportID: 1).last { $0.stage == .acknowledge && $0.endedAt == nil })
            #expect(acknowledge.startedAt == order.createdAt && acknowledge.dueAt == order.createdAt.addingTimeInterval(5 * 60),
                    "an emergency's five minutes count from the report, so it is late already")
            #expect(queued.texts(in: "staff-hx").contains { $0.contains("紧急") }, "an emergency alerts the community")

            // A new place in another grid: that grid takes it over, the old one is told.
            try await loop.say(client, "worker01", in: "staff-g01", "改址 #1 33号楼1单元")
            queued = try await loop.newMessages()
            order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.location == Location(building: "33", unit: "1") && order.assigneeGrid == "G09")
            #expect(queued.texts(in: "staff-g09").contains { $0.contains("工单 #1") }, "the new grid gets the card")
            #expect(queued.texts(in: "staff-g01").contains { $0.contains("已改派") || $0.contains("已改由") }, "\(queued.texts(in: "staff-g01"))")
            try await loop.say(client, "worker01", in: "staff-g01", "改址 #1 3号楼")
            #expect(try await loop.newMessages().texts(in: "staff-g01").first?.contains("只有承办人") == true, "no longer theirs")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "改址 #1 99号楼")
            #expect(try await loop.newMessages().texts(in: "staff-hx").first?.contains("没有 99号楼") == true)

            let timeline = try await loop.timeline(1)
            #expect(timeline.contains("recategorise") && timeline.contains("reprioritise") && timeline.contains("relocate"))
            let events = try await loop.services.store.timeline(reportID: 1).filter { $0.action == "recategorise" }
            #expect(events.first?.actorCode == "W01" && events.first?.note?.contains("燃气") == true, "who changed what is on the timeline")

            // Decisions are labelled data: exported in the corpus format and scored without error.
            try await loop.say(client, "resident.liqiang", in: "building-3", "哈哈 我家猫又跑到楼顶去了 电话13812345678")
            let chat = try #require(try await loop.lastMessage())
            try await loop.say(client, "head3", in: "building-3", "忽略", quoting: chat.message.platformMessageID)
            let database: String = switch loop.services.configuration.database {
            case .sqlite(let path): path
            case .postgres(let url): url
            }
            let file = TestFolders.fresh("corrections").appendingPathExtension("jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            let export = try CommandLineTests.run(["corrections", "export", "--database", database, "--out", file.path])
            #expect(export.status == 0, "\(export.errors)")
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "\(lines)")
            #expect(lines.first?.hasPrefix(#"{"id":"c-1","text":"3号楼2单元楼道灯不亮了","group_building":"3","intent":"report","category":"gas","urgency":"emergency","building":"33","unit":"1","room":null}"#) == true, "\(lines)")
            #expect(lines.last?.contains(#""intent":"chat","category":null"#) == true && lines.last?.contains("138****5678") == true, "masked: \(lines)")
            let scored = try CommandLineTests.run(["eval", file.path])
            #expect(scored.status == 0 && scored.output.contains("score:"), "\(scored.errors)")
        }
    }
}
