import Foundation
import GridChat
import GridCore
import GridServer
import GridStore
import GridTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@Suite struct ClosedLoopScenarioTests {
    static let resident = "resident.wangfang"

    /// 发现上报 → 派单 → 签收 → 处置 → 核实 → 办结 → 回访, with the reporter told at each step.
    @Test(arguments: TestBackend.allCases)
    func aReportGoesRoundTheWholeLoop(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "2单元电梯坏了，一直停在5楼不动", name: "王芳")
            var queued = try await loop.newMessages()
            let answer = try #require(queued.texts(in: "building-3").first)
            #expect(answer.contains("编号 #1"))
            #expect(answer.contains("位置：3号楼2单元"))
            let card = try #require(queued.texts(in: "staff-g01").first, "the card goes to the grid's staff chat")
            #expect(card.contains("工单 #1"))
            #expect(card.contains("3号楼2单元"))
            #expect(card.contains("电梯坏了"))
            #expect(card.contains("第一网格（网格员潘红梅）"))
            #expect(!card.contains("（）") && !card.contains("照片"), "empty parts are left out: \(card)")
            #expect(queued.texts(in: "dept-property").first?.contains("工单 #1") == true, "and to the property department's chat")
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.status == .assigned)
            #expect(order.assigneeGrid == "G01")
            #expect(order.departmentCode == "property")

            // The grid worker replies to the card.
            let cardID = try #require(try await loop.cardID(report: 1, chat: "staff-g01"))
            _ = try await loop.newMessages()
            loop.clock.advance(10 * 60)
            try await loop.say(client, "worker01", in: "staff-g01", "收到", quoting: cardID)
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("已签收 #1") == true)
            #expect(queued.texts(in: "building-3").first?.contains("已由潘红梅签收") == true, "the reporter is told")
            #expect(try await loop.services.store.workOrder(id: 1)?.status == .acknowledged)

            loop.clock.advance(3 * 3600)
            try await loop.say(client, "worker01", in: "staff-g01", "已处理 #1 已联系电梯公司，更换门机板", attachments: ["img-after"])
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "building-3").first?.contains("处理完毕") == true)
            #expect(queued.texts(in: "building-3").first?.contains("已联系电梯公司，更换门机板") == true, "the note as written, full-width comma kept")

            // The resolver cannot verify their own work.
            try await loop.say(client, "worker01", in: "staff-g01", "核实 #1")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("核实须由处置人以外的人进行") == true)
            #expect(try await loop.services.store.workOrder(id: 1)?.status == .resolved)

            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "核实 #1 现场已恢复运行")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-hx").first?.contains("已核实并办结") == true)
            let closing = try #require(queued.texts(in: "building-3").first)
            #expect(closing.contains("已办结"))
            #expect(closing.contains("满意 #1"), "the reporter is asked for satisfaction")

            try await loop.say(client, Self.resident, in: "building-3", "满意")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "building-3").first?.contains("感谢") == true)
            let final = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(final.status == .closed)
            #expect(final.rated)
            // A lift out in 2单元, where 王秀兰 of the care register lives: her worker was asked to check on her.
            #expect(try await loop.timeline(1) == ["received", "assign", "care_check", "acknowledge", "resolve", "verify", "close", "rate"])
            let events = try await loop.services.store.timeline(reportID: 1)
            #expect(events[3].actorName == "潘红梅" && events[3].actorRole == "grid_worker")
            #expect(events[5].actorCode == "GH1")
            let stages = try await loop.services.store.stages(reportID: 1)
            #expect(final.urgency != .emergency)
            #expect(stages.count == 2)
            #expect(stages.allSatisfy { $0.outcome == "done" && $0.onTime == true }, "acknowledged in 10 minutes and resolved in 3 hours: both in time")
            #expect(stages.first { $0.stage == .acknowledge }?.endedAt == ManualClock.beijing(2026, 11, 18, 10, 10))
        }
    }

    /// 转办 keeps the grid and changes the department; 退回 goes to the grid head, who re-dispatches
    /// to another grid, whose worker may then act and the first worker may not.
    @Test func transferAndReturn() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "楼下有人私搭乱建，在绿地上盖了个棚子")
            _ = try await loop.newMessages()
            try await loop.say(client, "worker01", in: "staff-g01", "转办 #1")
            var queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("请写明派往的部门或网格") == true, "a transfer names its target")
            try await loop.say(client, "worker01", in: "staff-g01", "转办 #1 城管")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("请写明原因") == true, "and its reason")

            try await loop.say(client, "worker01", in: "staff-g01", "转办 #1 城管 原因：违建须城管执法")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").contains { $0.contains("已转办至第一网格（网格员潘红梅）、幸福街道城管中队") })
            #expect(queued.texts(in: "staff-g01").contains { $0.contains("工单 #1") && $0.contains("由潘红梅转办：违建须城管执法") }, "a new card")
            var order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.departmentCode == "city")
            #expect(order.status == .assigned)

            // Department staff of the new department may act; a worker of another grid may not.
            try await loop.say(client, "worker05", in: "staff-g05", "收到 #1")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g05").first?.contains("#1 属于第一网格（幸福街道城管中队承办），由潘红梅负责，不在你负责的范围内，无法签收") == true,
                    "\(queued.texts(in: "staff-g05"))")

            try await loop.say(client, "worker01", in: "staff-g01", "退回 #1 不属于本网格，棚子在隔壁小区")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("已退回") == true)
            #expect(queued.texts(in: "staff-hx").first?.contains("请回复「派单 #1") == true, "the grid head is asked to re-dispatch")
            order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.status == .received)
            #expect(order.assigneeGrid == "HX")

            try await loop.say(client, "worker05", in: "staff-g05", "派单 #1 第五网格")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g05").first?.contains("派单须由网格长或社区进行") == true, "a worker cannot dispatch")

            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "派单 #1 第五网格")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g05").contains { $0.contains("工单 #1") }, "the card goes to grid 5")
            try await loop.say(client, "worker01", in: "staff-g01", "收到 #1")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("属于第五网格") == true, "grid 1 no longer has it")
            try await loop.say(client, "worker05", in: "staff-g05", "收到 #1")
            #expect(try await loop.services.store.workOrder(id: 1)?.status == .acknowledged)
            #expect(try await loop.timeline(1) == ["received", "assign", "transfer", "return", "assign", "acknowledge"])
            let transfer = try await loop.services.store.timeline(reportID: 1)[2]
            #expect(transfer.note?.contains("违建须城管执法") == true)
        }
    }

    /// Signing for a report whose deadline has passed says so and by how long, rather than
    /// asking for it to be resolved by a time already gone.
    @Test func aLateAcknowledgementIsToldItIsOverdue() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "3号楼2单元楼道灯坏了")
            loop.clock.advance(10 * 86_400)
            _ = try await loop.newMessages()
            try await loop.say(client, "worker01", in: "staff-g01", "收到 #1")
            let answer = try #require(try await loop.newMessages().texts(in: "staff-g01").last)
            #expect(answer.contains("已签收 #1") && answer.contains("已过") && answer.contains("天"), "\(answer)")
            #expect(!answer.contains("前办结"))
        }
    }

    /// An emergency not acknowledged: a reminder before the deadline, then 逐级吹哨 to the grid
    /// head and on to the community, each on the timeline; the late acknowledgement is recorded as
    /// late for good.
    @Test func overdueReportsAreRemindedAndEscalatedUpTwoLevels() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "2单元电梯困人了！有老人被困在里面")
            var queued = try await loop.newMessages()
            #expect(try await loop.services.store.workOrder(id: 1)?.urgency == .emergency)
            #expect(queued.texts(in: "staff-hx").first?.contains("紧急警报 #1") == true, "an emergency alerts the community at once")

            loop.clock.advance(3 * 60)
            #expect(try await loop.watcher.checkDue() == 0, "nothing is due after 3 minutes")
            loop.clock.advance(60)
            #expect(try await loop.watcher.checkDue() == 1)
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("即将超时") == true)

            loop.clock.advance(61)
            #expect(try await loop.watcher.checkDue() == 1, "the acknowledge stage escalates; the resolve stage has 2 hours")
            queued = try await loop.newMessages()
            let escalation = try #require(queued.texts(in: "staff-hx").first { $0.contains("超时督办·网格长") })
            #expect(escalation.contains("网格长郑建国"))
            #expect(escalation.contains("签收已超时"))
            let told = queued.texts(in: "building-3")
            #expect(told.count == 1 && told.first?.contains("已超过处理时限，已督促网格长郑建国跟进") == true, "the reporter hears it is late: \(told)")

            loop.clock.advance(5 * 60)
            try await loop.watcher.checkDue()
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-hx").contains { $0.contains("超时督办·社区") && $0.contains("社区周敏") })
            #expect(queued.texts(in: "building-3").isEmpty, "told once, not at every level")
            let escalations = try await loop.services.store.timeline(reportID: 1).filter { $0.action == "escalate" }.compactMap(\.note)
            #expect(escalations.contains("签收超时，升级至网格长（网格长郑建国）"))
            #expect(escalations.contains("签收超时，升级至社区（社区周敏）"))

            // A restart changes nothing: the stage state is in the database.
            let restarted = BackgroundWork(loop.services).deadlines
            #expect(try await restarted.checkDue() == 0)

            try await loop.say(client, "worker01", in: "staff-g01", "收到 #1")
            let stage = try #require(try await loop.services.store.stages(reportID: 1).first { $0.stage == .acknowledge })
            #expect(stage.onTime == false)
            #expect(stage.escalationLevel == .community)
            loop.clock.advance(3600)
            try await loop.watcher.checkDue()
            #expect(try await loop.services.store.stages(reportID: 1).first { $0.stage == .acknowledge }?.onTime == false, "never changes after")
        }
    }

    /// A normal report the day before National Day: three working days skip the holiday and land
    /// on the Saturday make-up day.
    @Test func deadlinesFollowTheHolidayCalendar() async throws {
        let loop = try await LoopHarness(.sqlite, at: ManualClock.beijing(2026, 9, 30, 15))
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "楼道里的灯坏了好几天了，晚上看不见")
            let answer = try #require(try await loop.newMessages().texts(in: "building-3").first)
            #expect(answer.contains("10月10日 15:00 前办结"), "Oct 1–7 are holidays, Oct 10 is a make-up working day: \(answer)")
            let resolve = try #require(try await loop.services.store.stages(reportID: 1).first { $0.stage == .resolve })
            #expect(resolve.dueAt == ManualClock.beijing(2026, 10, 10, 15))
        }
    }

    /// Each reporter of a merged report rates the return visit once, with or without the number,
    /// and is answered; a second rating by the same person is told it was counted already.
    @Test func everyReporterOfAMergedReportRatesTheirOwnVisit() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "2单元电梯又坏了", name: "王芳")
            loop.clock.advance(20 * 60)
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "3号楼2单元的电梯停了，上不去楼", name: "张秀英")
            try await loop.say(client, "worker01", in: "staff-g01", "收到 #1")
            try await loop.say(client, "worker01", in: "staff-g01", "已处理 #1 已修好")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "核实 #1")
            let asked = try await loop.newMessages().texts(in: "building-3").filter { $0.contains("满意 #1") }
            #expect(asked.count == 2, "both reporters are asked: \(asked)")

            try await loop.say(client, Self.resident, in: "building-3", "满意 #1")
            #expect(try await loop.newMessages().texts(in: "building-3").last?.contains("感谢您的评价") == true)
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "满意")
            let second = try await loop.newMessages().texts(in: "building-3")
            #expect(second.last?.contains("感谢您的评价") == true, "a plain 满意 from the merged reporter is answered: \(second)")
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "满意 #1")
            #expect(try await loop.newMessages().texts(in: "building-3").last?.contains("已经评价过 #1") == true)
            #expect(try await loop.timeline(1).filter { $0 == "rate" }.count == 2, "two ratings, one each")
        }
    }

    /// A second resident reporting the same problem joins the first report and hears every step.
    @Test func duplicatesMergeAndBothReportersAreTold() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "2单元电梯又坏了", name: "王芳")
            _ = try await loop.newMessages()
            loop.clock.advance(20 * 60)
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "3号楼2单元的电梯停了，上不去楼", name: "张秀英")
            var queued = try await loop.newMessages()
            #expect(queued.texts(in: "building-3").first?.contains("已合并到 #1") == true)
            #expect(queued.texts(in: "staff-g01").isEmpty, "no second card")
            #expect(try await loop.services.store.workOrder(id: 2)?.status == .merged)
            #expect(try await loop.services.store.reporters(reportID: 1).map(\.name) == ["王芳", "张秀英"])
            #expect(try await loop.timeline(1).last == "duplicate")

            try await loop.say(client, "worker01", in: "staff-g01", "收到 #1")
            queued = try await loop.newMessages()
            let notices = queued.texts(in: "building-3")
            #expect(notices.count == 2)
            #expect(notices.contains { $0.hasPrefix("@王芳") } && notices.contains { $0.hasPrefix("@张秀英") })

            // A different problem in the same building is not a duplicate.
            try await loop.say(client, "resident.liqiang", in: "building-3", "3号楼门口垃圾桶满了没人清", name: "李强")
            #expect(try await loop.services.store.workOrder(id: 3)?.status == .assigned)
            _ = try await loop.newMessages()

            // A merge naming a report that does not exist merges nothing, not the ones before it.
            try await loop.say(client, "worker01", in: "staff-g01", "合并 #1 #3 #99")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").count == 1)
            #expect(queued.texts(in: "staff-g01").first?.contains("#99") == true, "\(queued.texts(in: "staff-g01"))")
            #expect(!queued.texts(in: "building-3").contains { $0.contains("已合并") })
            #expect(try await loop.services.store.workOrder(id: 3)?.status == .assigned)
            #expect(try await loop.services.store.reporters(reportID: 1).count == 2)

            // Staff merge and split by command; another category merges only when confirmed.
            try await loop.say(client, "worker01", in: "staff-g01", "合并 #1 #3")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("「合并 #1 #3 确认」") == true)
            try await loop.say(client, "worker01", in: "staff-g01", "合并 #1 #3 确认")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").first?.contains("已将 #3 并入 #1") == true)
            #expect(try await loop.services.store.reporters(reportID: 1).count == 3)
            try await loop.say(client, "worker01", in: "staff-g01", "拆分 #3")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "staff-g01").contains { $0.contains("#3 已从 #1 拆分") })
            #expect(try await loop.services.store.workOrder(id: 3)?.status == .assigned)
            #expect(try await loop.services.store.reporters(reportID: 1).map(\.name) == ["王芳", "张秀英"])
        }
    }

    /// Refused and malformed commands get one line saying why; nothing changes.
    @Test func refusedCommandsSayWhy() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "3号楼1单元楼道堆满杂物，消防通道堵了")
            _ = try await loop.newMessages()
            let cases: [(sender: String, chat: String, text: String, says: String)] = [
                (Self.resident, "building-3", "已处理 #1", "只有承办人可以办结处置"),
                (Self.resident, "building-3", "核实 #1", "只有网格工作人员可以核实"),
                ("worker01", "staff-g01", "收到 #99", "#99 未执行：没有找到这个工单"),
                ("worker01", "staff-g01", "核实 #1", "当前状态为「已派单」"),
                ("worker01", "staff-g01", "退回 #1", "请写明原因"),
                ("worker01", "staff-g01", "合并 #1", "请写明两个工单号"),
                ("worker01", "staff-g01", "已处理 修好了", "请注明工单号"),
                ("worker05", "staff-g05", "已处理 #1 已清理", "不在你负责的范围内，无法办结处置"),
                ("worker05", "staff-g05", "核实 #1", "#1 属于第一网格"),
                ("worker05", "staff-g05", "核实 #1", "由潘红梅"),
                ("worker01", "staff-g01", "满意 #1", "只有反映人可以评价"),
            ]
            for item in cases {
                try await loop.say(client, item.sender, in: item.chat, item.text)
                let replies = try await loop.newMessages().texts(in: item.chat)
                #expect(replies.count == 1, "\(item.text) gets one reply: \(replies)")
                #expect(replies.first?.contains(item.says) == true, "\(item.text) → \(replies)")
            }
            #expect(try await loop.services.store.workOrder(id: 1)?.status == .assigned)
            // A blocked fire exit in 1单元, where a wheelchair user of the care register lives.
            #expect(try await loop.timeline(1) == ["received", "assign", "care_check"])
            // A resident saying 收到 without a number is only chatting.
            try await loop.say(client, Self.resident, in: "building-3", "收到，谢谢")
            #expect(try await loop.newMessages().isEmpty)
        }
    }

    /// 不满意 reopens once and tells the grid head; a second 不满意 after the next closure does not.
    @Test func dissatisfactionReopensOnceAndTellsTheGridHead() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "3号楼2单元502楼上漏水到我家了")
            for _ in 0..<2 {
                try await loop.say(client, "worker01", in: "staff-g01", "已处理 #1 已关闭楼上水阀")
                try await loop.say(client, "zheng.jianguo", in: "staff-hx", "核实 #1")
                _ = try await loop.newMessages()
                try await loop.say(client, Self.resident, in: "building-3", "不满意 还在滴水")
            }
            let statuses = try await loop.services.store.timeline(reportID: 1).filter { $0.action == "rate" }.compactMap(\.toStatus)
            #expect(statuses == [.assigned, .closed], "the first 不满意 reopens, the second does not")
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.status == .closed)
            #expect(order.reopenedByRating)
            let all = try await loop.services.store.queuedOutbound()
            #expect(all.texts(in: "staff-hx").filter { $0.contains("回访不满意") }.count == 1)
        }
    }

    /// The supervisor's numbers over a period.
    @Test func supervisorStatistics() async throws {
        let loop = try await LoopHarness(.sqlite)
        let start = loop.clock.now()
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "2单元电梯坏了")
            try await loop.say(client, "resident.chenlei", in: "building-12", "楼上1202漏水到我家了")
            try await loop.say(client, "resident.liuyang", in: "building-33", "33号楼消防通道堆满纸箱")
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "3号楼2单元电梯停了")
            loop.clock.advance(20 * 60)
            try await loop.say(client, "worker01", in: "staff-g01", "收到 #1")
            loop.clock.advance(40 * 60)
            try await loop.say(client, "worker01", in: "staff-g01", "已处理 #1 已修好")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "核实 #1")
            loop.clock.advance(3 * 3600)
            try await loop.say(client, "worker03", in: "staff-g03", "收到 #2")

            let stats = try await loop.services.store.statistics(from: start, to: loop.clock.now().addingTimeInterval(1))
            #expect(stats.total == 3)
            #expect(stats.merged == 1)
            #expect(stats.byStatus == ["closed": 1, "acknowledged": 1, "assigned": 1])
            #expect(stats.byCategory["elevator"] == 1 && stats.byCategory["water"] == 1 && stats.byCategory["fire_safety"] == 1)
            #expect(stats.byGrid["G01"] == 1)
            #expect(stats.completionRate.map { abs($0 - 1.0 / 3) < 1e-9 } == true)
            #expect(stats.acknowledgedOnTimeRate == 0.5, "#1 in 20 minutes, #2 after 4 hours")
            #expect(stats.resolvedOnTimeRate == 1)
            #expect(stats.averageSecondsToAcknowledge.map { abs($0 - 7800) < 0.001 } == true, "\(String(describing: stats.averageSecondsToAcknowledge))")
            #expect(stats.averageSecondsToResolve == 3600)
            #expect(stats.overdueNow >= 1, "#3 waits past its acknowledge deadline")
        }
    }

    /// Ten acknowledgements of one report delivered at once: exactly one takes effect, the rest
    /// are told it is already acknowledged (the report row is locked for each command).
    @Test(arguments: TestBackend.allCases)
    func concurrentCommandsOnOneReportApplyOnce(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            try await loop.say(client, Self.resident, in: "building-3", "2单元电梯坏了")
            _ = try await loop.newMessages()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<10 {
                    let body = #"{"message_id":"ack-\#(index)","chat_id":"staff-g01","sender":{"id":"worker01"},"text":"收到 #1","attachments":[]}"#
                    let headers = GatewaySigning.headers(body, at: loop.clock.now())
                    group.addTask {
                        let response = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: headers, body: ByteBuffer(string: body))
                        #expect(response.status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            try await loop.settle()
            #expect(try await loop.timeline(1).filter { $0 == "acknowledge" }.count == 1)
            let replies = try await loop.newMessages().texts(in: "staff-g01")
            #expect(replies.count == 10, "every command is answered")
            #expect(replies.filter { $0.contains("已签收 #1") }.count == 1)
            #expect(replies.filter { $0.contains("当前状态为「已签收」") }.count == 9)
        }
    }

    /// A report with no building goes to the community grid (兜底); the reporter's `#N 3号楼`
    /// supplement moves it to the building's grid with a new card.
    @Test func aReportWithoutABuildingIsRoutedToTheCommunityUntilOneIsGiven() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, "resident.chenlei", in: "community", "小区东门的路灯坏了，晚上黑漆漆的")
            var queued = try await loop.newMessages()
            #expect(queued.texts(in: "community").first?.contains("请补充楼号") == true)
            #expect(queued.texts(in: "staff-hx").first?.contains("工单 #1") == true, "the community grid's staff chat gets the card")
            #expect(try await loop.services.store.workOrder(id: 1)?.assigneeGrid == "HX")

            try await loop.say(client, "resident.chenlei", in: "community", "#1 在12号楼旁边")
            queued = try await loop.newMessages()
            #expect(queued.texts(in: "community").first?.contains("已补充到 #1，位置：12号楼") == true)
            #expect(queued.texts(in: "staff-g03").first?.contains("补充楼号后派单") == true)
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.assigneeGrid == "G03")
            #expect(order.location.building == "12")
            #expect(try await loop.timeline(1) == ["received", "assign", "supplement", "assign"])
        }
    }
}
