import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HummingbirdTesting
import Logging
import Testing

/// Volunteer points as people use them in chat: a grid worker posts a task, residents take it,
/// a reviewer pays the household, and the household spends its points on a voucher.
@Suite struct PointsScenarioTests {
    @Test(arguments: TestBackend.allCases)
    func aTaskIsPostedTakenReviewedAndPaidOnce(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            // Wednesday 2026-11-18: 周五前 is Friday the 20th.
            try await loop.say(client, "worker01", in: "staff-g01", "发布任务 清理3号楼楼道小广告 10分 2人 周五前")
            var sent = try await loop.newMessages()
            #expect(sent.texts(in: "staff-g01").first?.contains("已发布志愿任务 T4") == true, "\(sent.map(\.message.text))")
            let announcement = try #require(sent.texts(in: "building-3").first)
            #expect(announcement.contains("【志愿任务 T4】清理3号楼楼道小广告"))
            #expect(announcement.contains("2026-11-20"))
            #expect(sent.texts(in: "building-12").isEmpty, "a building's task is announced in that building's group only")

            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T4")
            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T4")
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "报名 T4")
            try await loop.say(client, "resident.chenlei", in: "building-12", "报名 T4")
            sent = try await loop.newMessages()
            let answers = sent.texts(in: "building-3")
            #expect(answers[0].contains("已为您报名任务 T4") && answers[0].contains("剩余名额 1 个"), "\(answers)")
            #expect(answers[1].contains("每人限报一次"), "\(answers)")
            #expect(answers[2].contains("剩余名额 0 个"), "\(answers)")
            #expect(sent.texts(in: "building-12").first?.contains("名额已满") == true)

            try await loop.say(client, "resident.wangfang", in: "building-3", "完成 T4 三个单元都清理了", attachments: ["photo-1", "photo-2"])
            sent = try await loop.newMessages()
            #expect(sent.texts(in: "building-3").first?.contains("等待网格员审核") == true)
            let request = try #require(sent.texts(in: "staff-g01").first)
            #expect(request.contains("王芳 已完成志愿任务 T4") && request.contains("照片 2 张") && request.contains("通过 T4 @王芳"))

            // A resident (here her own husband) cannot review.
            try await loop.say(client, "resident.liqiang", in: "building-3", "通过 T4 @王芳")
            #expect(try await loop.newMessages().texts(in: "building-3").first?.contains("只有网格员") == true)

            // The approval arrives twice (two reviewers at once, or a resent message): one payment.
            try await loop.say(client, "worker01", in: "staff-g01", "通过 T4 @王芳")
            try await loop.say(client, "zheng.jianguo", in: "staff-g01", "通过 T4 @王芳")
            sent = try await loop.newMessages()
            let staff = sent.texts(in: "staff-g01")
            #expect(staff[0].contains("已通过 王芳 的任务 T4"), "\(staff)")
            #expect(staff[1].contains("不会重复发放"), "\(staff)")
            #expect(sent.texts(in: "building-3").first?.contains("10 积分已记入家庭账户，当前余额 10 积分") == true)
            #expect(try await loop.services.store.balance(of: LedgerAccounts.household("H-3-2-502")) == 10)

            // 张秀英 did not finish: rejected with a reason, she may redo it before Friday.
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "完成 T4")
            _ = try await loop.newMessages()
            try await loop.say(client, "worker01", in: "staff-g01", "驳回 T4 @张秀英 五楼还有没清理的")
            sent = try await loop.newMessages()
            let notice = try #require(sent.texts(in: "building-3").first)
            #expect(notice.contains("未通过审核：五楼还有没清理的") && notice.contains("2026-11-20 前完善"))
            #expect(try await loop.services.store.balance(of: LedgerAccounts.household("H-3-1-301")) == 0)

            let audit = try await loop.services.store.verifyLedger()
            #expect(audit.isSound, "\(audit.breaches)")
            #expect(audit.pointsIssued == 10)
        }
    }

    @Test func aHouseholdSpendsItsPointsOnAVoucherAndSeesItsBalance() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            // 35 points from T2 (a community-wide patrol, posted by the seed) and T3: not enough for O3.
            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T2")
            try await loop.say(client, "resident.wangfang", in: "building-3", "完成 T2 周六晚巡逻两小时")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "通过 T2")
            try await loop.say(client, "resident.liqiang", in: "building-3", "报名 T3")
            try await loop.say(client, "resident.liqiang", in: "building-3", "完成 T3")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "通过 T3 @李强")
            try await loop.say(client, "resident.wangfang", in: "building-3", "积分")
            _ = try await loop.newMessages()
            #expect(try await loop.services.store.balance(of: LedgerAccounts.household("H-3-2-502")) == 35)

            try await loop.say(client, "resident.wangfang", in: "building-3", "积分商城")
            var sent = try await loop.newMessages()
            let offers = try #require(sent.texts(in: "building-3").first)
            #expect(offers.contains("O3 5元早餐券（邻里早餐铺）：50 积分"), "\(offers)")

            try await loop.say(client, "resident.wangfang", in: "building-3", "兑换 O3")
            #expect(try await loop.newMessages().texts(in: "building-3").first?.contains("家庭积分余额 35 分，兑换需要 50 分") == true)

            try await loop.say(client, "resident.liqiang", in: "building-3", "报名 T1")
            try await loop.say(client, "resident.liqiang", in: "building-3", "完成 T1")
            try await loop.say(client, "worker01", in: "staff-g01", "通过 T1 @李强")
            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T3")
            try await loop.say(client, "resident.wangfang", in: "building-3", "完成 T3")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "通过 T3 @王芳")
            try await loop.say(client, "resident.wangfang", in: "building-3", "兑换 O3")
            sent = try await loop.newMessages()
            // The code is the household's: it goes to 王芳 alone, and the group is told only that.
            let notice = try #require(sent.texts(in: "building-3").last)
            #expect(notice.contains("@王芳") && notice.contains("已私信发给您"), "\(notice)")
            #expect(!notice.contains("券码：") && !notice.contains("GBV1") && !notice.contains("余额"), "nothing spendable or personal in the group: \(notice)")
            let issued = try #require(sent.privateTexts(to: "resident.wangfang").last)
            #expect(issued.contains("兑换成功：5元早餐券") && issued.contains("家庭余额 10 分"), "\(issued)")
            let codeText = try #require(issued.firstMatch(of: #/券码：([0-9A-Z]{5}-[0-9A-Z]{5}-.)/#)?.output.1)
            let code = try VoucherCode(reading: String(codeText))
            let payload = try #require(issued.firstMatch(of: #/二维码内容：(GBV1\.\S+)/#)?.output.1)
            #expect(try VoucherTicket(payload: String(payload), key: loop.services.voucherKey).code == code)

            try await loop.say(client, "resident.liqiang", in: "building-3", "积分")
            sent = try await loop.newMessages()
            #expect(sent.texts(in: "building-3").allSatisfy { !$0.contains("积分余额：") }, "a balance is not told to the group")
            let balance = try #require(sent.privateTexts(to: "resident.liqiang").first)
            #expect(balance.contains("3号楼2单元502 家庭积分余额：10 分（另有 50 分用于未使用的兑换券）"), "\(balance)")
            #expect(balance.contains("−50　兑换券 \(code)") && balance.contains("+15　志愿任务 T3"), "\(balance)")

            try await loop.say(client, "resident.wangfang", in: "building-3", "兑换记录")
            sent = try await loop.newMessages()
            #expect(sent.texts(in: "building-3").allSatisfy { !$0.contains(code.description) }, "nor are the household's codes")
            let list = try #require(sent.privateTexts(to: "resident.wangfang").first)
            #expect(list.contains("\(code) 5元早餐券（邻里早餐铺）未使用"), "\(list)")
            #expect(try await loop.services.store.verifyLedger().isSound)
        }
    }

    @Test func malformedAndUnauthorisedPointsCommandsChangeNothing() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, "resident.wangfang", in: "building-3", "发布任务 打扫卫生 10分")
            try await loop.say(client, "worker01", in: "staff-g01", "发布任务 清理楼道")
            try await loop.say(client, "worker01", in: "staff-g01", "发布任务 清理12号楼楼道 5分")
            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T99")
            try await loop.say(client, "stranger", in: "building-3", "报名 T1")
            try await loop.say(client, "resident.wangfang", in: "building-3", "完成 T1")
            let replies = try await loop.newMessages().map(\.message.text)
            #expect(replies.count == 6, "\(replies)")
            #expect(replies[0].contains("只有网格员"))
            #expect(replies[1].contains("请写明任务积分"))
            #expect(replies[2].contains("12号楼不在您负责的范围内"))
            #expect(replies[3].contains("没有编号为 T99 的任务"))
            #expect(replies[4].contains("请联系网格员登记"))
            #expect(replies[5].contains("请先回复「报名 T1」"))
            let tasks = try await loop.services.store.readingPoints { tx in try await tx.openTasks(today: "2026-11-18").map(\.task.code) }
            #expect(tasks == ["T1", "T2", "T3"])
        }
    }

    @Test func anUnusedVoucherExpiresAndItsPointsComeBackOnce() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            for (resident, task) in [("resident.wangfang", "T2"), ("resident.liqiang", "T2"), ("resident.wangfang", "T3")] {
                try await loop.say(client, resident, in: "building-3", "报名 \(task)")
                try await loop.say(client, resident, in: "building-3", "完成 \(task)")
            }
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "通过 T2 @王芳")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "通过 T2 @李强")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "通过 T3 @王芳")
            try await loop.say(client, "resident.wangfang", in: "building-3", "兑换 O3")
            _ = try await loop.newMessages()
            let household = LedgerAccounts.household("H-3-2-502")
            #expect(try await loop.services.store.balance(of: household) == 5)

            let watcher = loop.work.expiry
            loop.clock.advance(13 * 86_400)
            #expect(try await watcher.expireDue() == 0, "O3 is valid for 14 days")
            loop.clock.advance(86_400)
            #expect(try await watcher.expireDue() == 1)
            #expect(try await watcher.expireDue() == 0, "a second pass refunds nothing")
            #expect(try await loop.services.store.balance(of: household) == 55)
            let notice = try #require(try await loop.newMessages().texts(in: "building-3").first)
            #expect(notice.contains("王芳，您的5元早餐券") && notice.contains("50 积分已退回家庭账户"), "\(notice)")
            let audit = try await loop.services.store.verifyLedger()
            #expect(audit.isSound, "\(audit.breaches)")
            #expect(audit.pointsInEscrow == 0)
        }
    }
}
