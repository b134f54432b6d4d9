import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import Testing

/// No report lost: a message the parser is unsure of reaches the grid's staff, who turn it into a
/// report or dismiss it in chat; staff chats are for staff. Driven through signed webhooks.
@Suite struct TriageScenarioTests {
    static let resident = "resident.wangfang"

    @Test(arguments: TestBackend.allCases)
    func anUnclearMessageIsNotedPromotedAndAnswered(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            // Too vague to be sure of: kept for staff, and the grid's staff chat is told.
            try await loop.say(client, Self.resident, in: "building-3", "电梯那个事", name: "王芳")
            var queued = try await loop.newMessages()
            #expect(queued.texts(in: "building-3").isEmpty, "the resident is not answered before staff decide: \(queued.texts(in: "building-3"))")
            let note = try #require(queued.texts(in: "staff-g01").first, "the grid's staff chat gets a triage note: \(queued.map(\.message.text))")
            #expect(note.contains("待甄别") && note.contains("电梯那个事") && note.contains("王芳") && note.contains("上报"))
            let original = try #require(try await loop.lastMessage())
            #expect(try await loop.services.store.triageCandidate(messageID: original.id)?.status == .open)
            #expect(try await loop.services.store.reportCount() == 0)
            let open = try await loop.services.store.openTriage(scope: .grids(["G01"]))
            #expect(open.map(\.message.id) == [original.id])
            #expect(try await loop.services.store.openTriage(scope: .grids(["G05"])).isEmpty, "another grid does not see it")

            // A grid worker of another grid may not act on it.
            let noteID = try #require(try await loop.noteID(messageID: original.id, chat: "staff-g01"))
            try await loop.say(client, "worker05", in: "staff-g01", "上报", quoting: noteID)
            #expect(try await loop.newMessages().texts(in: "staff-g01").first?.contains("不在您负责的范围内") == true)

            // The grid's worker replies to the note: it becomes a report through the normal path.
            try await loop.say(client, "worker01", in: "staff-g01", "上报 紧急", quoting: noteID)
            queued = try await loop.newMessages()
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.urgency == .emergency && order.location.building == "3" && order.assigneeGrid == "G01")
            #expect(order.text == "电梯那个事")
            #expect(queued.texts(in: "building-3").first?.contains("编号 #1") == true, "the resident is told: \(queued.texts(in: "building-3"))")
            let staff = queued.texts(in: "staff-g01")
            #expect(staff.contains { $0.contains("工单 #1") }, "the card is posted: \(staff)")
            #expect(staff.contains { $0.contains("已上报为 #1") }, "the worker is answered: \(staff)")
            #expect(try await loop.timeline(1).contains("promoted"))
            let decided = try await loop.services.store.triageCandidate(messageID: original.id)
            #expect(decided?.status == .promoted && decided?.reportID == 1 && decided?.decidedBy == "W01")
            #expect(try await loop.services.store.openTriage(scope: .everything).isEmpty)

            // Promoting it again says it is a report already; nothing new is made.
            try await loop.say(client, "worker01", in: "staff-g01", "上报", quoting: noteID)
            #expect(try await loop.newMessages().texts(in: "staff-g01").first?.contains("已经是工单 #1") == true)
            #expect(try await loop.services.store.reportCount() == 1)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func staffPromoteOrDismissAnyMessageAndStaffChatsAreForStaff(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            // A message the parser takes for chat, promoted by the building head who read it.
            try await loop.say(client, Self.resident, in: "building-3", "哈哈 我家猫又跑到楼顶去了", name: "王芳")
            #expect(try await loop.newMessages().isEmpty)
            #expect(try await loop.services.store.reportCount() == 0)
            let chat = try #require(try await loop.lastMessage())
            try await loop.say(client, "head3", in: "building-3", "上报 宠物 一般", quoting: chat.message.platformMessageID)
            var queued = try await loop.newMessages()
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.category == .pets && order.urgency == .normal && order.location.building == "3")
            let answers = queued.texts(in: "building-3")
            #expect(answers.contains { $0.contains("编号 #1") } && answers.contains { $0.contains("已上报为 #1") }, "\(answers)")
            #expect(try await loop.services.store.triageCandidate(messageID: chat.id)?.status == .promoted, "a promotion is on record")

            // 忽略 dismisses a message, on record; nothing is made of it.
            try await loop.say(client, Self.resident, in: "building-3", "谢谢大家 昨天那事儿后来怎么样了", name: "王芳")
            _ = try await loop.newMessages()
            let thanks = try #require(try await loop.lastMessage())
            try await loop.say(client, "worker01", in: "building-3", "忽略", quoting: thanks.message.platformMessageID)
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "building-3").first?.contains("已忽略") == true, "\(queued.texts(in: "building-3"))")
            let dismissed = try await loop.services.store.triageCandidate(messageID: thanks.id)
            #expect(dismissed?.status == .dismissed && dismissed?.decidedBy == "W01")
            #expect(try await loop.services.store.reportCount() == 1)

            // A resident who writes 上报 is describing a problem, not giving a command.
            let before = try await loop.services.store.reportCount()
            try await loop.say(client, "resident.liqiang", in: "building-3", "上报 3号楼2单元楼道灯坏了", name: "李强")
            #expect(try await loop.services.store.reportCount() == before + 1)
            _ = try await loop.newMessages()

            // In a staff chat, what staff write is never a resident's report…
            let staffBefore = try await loop.services.store.reportCount()
            try await loop.say(client, "worker01", in: "staff-g01", "3号楼门口的垃圾好几天没人收了")
            #expect(try await loop.newMessages().isEmpty)
            try await loop.say(client, "worker01", in: "staff-g01", "催办 #1 快点")
            let unknown = try await loop.newMessages().texts(in: "staff-g01")
            #expect(unknown.count == 1 && unknown.first?.contains("没有看懂") == true, "\(unknown)")
            #expect(try await loop.services.store.reportCount() == staffBefore)
            // …unless they file it with 上报.
            try await loop.say(client, "worker01", in: "staff-g01", "上报 3号楼门口的垃圾好几天没人收了")
            #expect(try await loop.services.store.reportCount() == staffBefore + 1)
            let filed = try #require(try await loop.services.store.workOrder(id: Int64(staffBefore + 1)))
            #expect(filed.location.building == "3" && filed.category == .sanitation && filed.text == "3号楼门口的垃圾好几天没人收了")
        }
    }
}

extension TriageScenarioTests {
    /// A noted candidate nobody decides on within an hour of working time is reminded once.
    @Test(arguments: TestBackend.allCases)
    func anUndecidedCandidateIsRemindedOnce(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "电梯那个事", name: "王芳")
            let waiting = try #require(try await loop.lastMessage())
            try await loop.say(client, Self.resident, in: "building-3", "水管那个事", name: "王芳")
            let decided = try #require(try await loop.lastMessage())
            #expect(try await loop.newMessages().texts(in: "staff-g01").count == 2, "two notes")
            try await loop.say(client, "worker01", in: "building-3", "忽略", quoting: decided.message.platformMessageID)
            _ = try await loop.newMessages()

            loop.clock.advance(50 * 60)
            try await loop.watcher.checkDue()
            #expect(try await loop.newMessages().texts(in: "staff-g01").isEmpty, "not yet an hour")
            loop.clock.advance(11 * 60)
            try await loop.watcher.checkDue()
            let reminders = try await loop.newMessages().texts(in: "staff-g01")
            #expect(reminders.count == 1 && reminders.first?.contains("待甄别提醒") == true && reminders.first?.contains("电梯那个事") == true, "\(reminders)")
            loop.clock.advance(3 * 3600)
            try await loop.watcher.checkDue()
            #expect(try await loop.newMessages().texts(in: "staff-g01").isEmpty, "reminded once")
            #expect(try await loop.services.store.triageCandidate(messageID: waiting.id)?.status == .open)
        }
    }

    /// The console's triage list is scoped like the queue and has the chat's two buttons.
    @Test(arguments: TestBackend.allCases)
    func theConsoleListsCandidatesInScopeAndPromotesOrDismisses(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "电梯那个事", name: "王芳")
            let first = try #require(try await loop.lastMessage())
            try await loop.say(client, Self.resident, in: "building-3", "水管那个事", name: "王芳")
            let second = try #require(try await loop.lastMessage())
            for message in [first, second] {
                #expect(try await loop.services.store.triageCandidate(messageID: message.id)?.status == .open, "\(message.message.text) is kept")
            }
            _ = try await loop.newMessages()

            _ = try await loop.services.store.setPassword(person: "W09", hash: try PasswordHash.make("demo-worker-g09", logN: PasswordHash.minimumLogN), at: Date())
            let other = Browser(client)
            _ = try await other.signIn("W09", "demo-worker-g09")
            let elsewhere = try await other.get("/triage")
            #expect(elsewhere.status == .ok && elsewhere.text.contains("没有待甄别的消息"), "another grid's worker sees none of them")

            let worker = Browser(client)
            _ = try await worker.signIn("W01", "demo-worker-g01")
            let page = try await worker.get("/triage")
            #expect(page.status == .ok)
            #expect(page.text.contains("电梯那个事") && page.text.contains("水管那个事"))
            #expect(page.text.contains("系统判断") && page.text.contains("上报为工单") && page.text.contains("忽略"))
            let csrf = try #require(Browser.csrf(in: page))
            let key = try #require(page.text.firstMatch(of: #/name="key" value="([^"]+)"/#).map { String($0.output.1) })

            #expect(try await worker.post("/triage/\(first.id)", form: ["action": "promote", "key": key], csrf: "forged").status == .forbidden)
            #expect(try await worker.post("/triage/\(first.id)", form: ["action": "fly", "key": key], csrf: csrf).status == .badRequest)
            let elsewhereCSRF = try #require(Browser.csrf(in: elsewhere))
            #expect(try await other.post("/triage/\(first.id)", form: ["action": "dismiss"], csrf: elsewhereCSRF).status == .conflict,
                    "outside their scope")

            let promoted = try await worker.post("/triage/\(first.id)", form: ["action": "promote", "key": key, "category": "elevator", "urgency": "urgent", "building": "3"], csrf: csrf)
            #expect(promoted.status == .seeOther && promoted.headers[.location]?.hasPrefix("/reports/1") == true, "\(promoted.status) \(promoted.text.prefix(300))")
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.category == .elevator && order.urgency == .urgent && order.location.building == "3")
            #expect(try await loop.newMessages().texts(in: "building-3").contains { $0.contains("编号 #1") }, "the resident is told")
            let again = try await worker.post("/triage/\(first.id)", form: ["action": "promote", "key": key], csrf: csrf)
            #expect(again.status == .conflict && again.text.contains("已经是工单"))

            // The report page corrects it as 改类 does in chat.
            let reportPage = try await worker.get("/reports/1")
            #expect(reportPage.text.contains("更正类别") && reportPage.text.contains("更正位置"))
            let corrected = try await worker.post("/reports/1/actions", form: ["verb": "recategorise", "key": "correct-key-000000001", "note": "燃气"], csrf: csrf)
            #expect(corrected.status == .seeOther, "\(corrected.text.prefix(300))")
            #expect(try await loop.services.store.workOrder(id: 1)?.category == .gas)
            #expect(try await loop.timeline(1).contains("recategorise"))

            let dismissed = try await worker.post("/triage/\(second.id)", form: ["action": "dismiss"], csrf: csrf)
            #expect(dismissed.status == .seeOther)
            #expect(try await loop.services.store.triageCandidate(messageID: second.id)?.status == .dismissed)
            #expect(try await worker.get("/triage").text.contains("没有待甄别的消息"))
            #expect(try await loop.services.store.reportCount() == 1)
        }
    }
}
