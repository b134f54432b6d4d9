import Crypto
import Foundation
import GridCore
import Testing

@Suite struct PointsCommandTests {
    static let parser = PointsCommandParser()
    /// Wednesday 2026-11-18, 10:00 in Beijing.
    static let wednesday = Date(timeIntervalSince1970: 1_794_967_200)

    static func command(_ text: String) -> PointsCommand? {
        guard case .success(let command)? = parser.command(in: text, now: wednesday) else { return nil }
        return command
    }

    @Test func aStaffMemberPostsATaskInOneLine() {
        #expect(Self.command("发布任务 清理3号楼楼道小广告 10分 2人 周五前")
                == .postTask(TaskDraft(title: "清理3号楼楼道小广告", points: 10, slots: 2, deadline: "2026-11-20", deadlineGiven: true)))
        #expect(Self.command("@GridBot 发布任务 垃圾分类督导 15积分 限3人 12月1日前")
                == .postTask(TaskDraft(title: "垃圾分类督导", points: 15, slots: 3, deadline: "2026-12-01", deadlineGiven: true)))
        // No deadline: a week from today, and the reply says so. No slots: one person.
        #expect(Self.command("发布任务 整理活动室 5分")
                == .postTask(TaskDraft(title: "整理活动室", points: 5, slots: 1, deadline: "2026-11-25", deadlineGiven: false)))
        // `10分钟` is a duration in the title, not points.
        #expect(Self.command("发布任务 每天巡查10分钟 8分 2人 下周一前")
                == .postTask(TaskDraft(title: "每天巡查10分钟", points: 8, slots: 2, deadline: "2026-11-23", deadlineGiven: true)))
    }

    @Test(arguments: [
        ("周三前", "2026-11-18"), ("周二前", "2026-11-24"), ("周日前", "2026-11-22"), ("下周五", "2026-11-27"),
        ("2026-12-31", "2026-12-31"), ("2027年1月5日前", "2027-01-05"), ("1月5日前", "2027-01-05"), ("明天", "2026-11-19"),
        ("3天内", "2026-11-20"), ("月底前", "2026-11-30"),
    ])
    func deadlinePhrasesNameADay(phrase: String, day: String) {
        #expect(Self.parser.deadlineDay(in: phrase, now: Self.wednesday)?.0 == day)
    }

    @Test func malformedTaskPostsSayHowToWriteThem() {
        guard case .failure(let error)? = Self.parser.command(in: "发布任务 清理楼道", now: Self.wednesday) else {
            Issue.record("a task without points must be refused")
            return
        }
        #expect(error.reason.contains("积分"))
        guard case .failure? = Self.parser.command(in: "发布任务 清理楼道 10分 2025-01-01前", now: Self.wednesday) else {
            Issue.record("a deadline in the past must be refused")
            return
        }
        guard case .failure? = Self.parser.command(in: "驳回 T12 @张三", now: Self.wednesday) else {
            Issue.record("a rejection without a reason must be refused")
            return
        }
    }

    @Test func residentsAndReviewersNameTasksAndOffersByCode() {
        #expect(Self.command("报名 T12") == .signUp(task: "T12"))
        #expect(Self.command("报名t3") == .signUp(task: "T3"))
        #expect(Self.command("取消报名 T12") == .withdraw(task: "T12"))
        #expect(Self.command("完成 T12 已清理干净，照片见上") == .complete(task: "T12", note: "已清理干净,照片见上"), "full-width punctuation is folded")
        #expect(Self.command("通过 T12 @张三") == .approve(task: "T12", person: "张三"))
        #expect(Self.command("通过 T12") == .approve(task: "T12", person: nil))
        #expect(Self.command("驳回 T12 @张三 还有两层没清理") == .reject(task: "T12", person: "张三", reason: "还有两层没清理"))
        #expect(Self.command("兑换 O3") == .redeem(offer: "O3"))
        #expect(Self.command("积分") == .balance)
        #expect(Self.command("我的积分？") == .balance)
        #expect(Self.command("兑换记录") == .vouchers)
        #expect(Self.command("积分商城") == .listOffers)
        #expect(Self.command("任务") == .listTasks)
    }

    @Test func reportsAndOrdinaryChatAreNotPointsCommands() {
        for text in ["已完成 #12", "收到 #12", "积分怎么用？", "完成了吗", "报名参加明天的活动", "兑换O3x", "3号楼电梯坏了"] {
            #expect(Self.parser.command(in: text, now: Self.wednesday) == nil, "\(text)")
        }
    }

    /// `需拍照` and its variants ask for a photo and are not part of the title; a task about
    /// photos does not ask for one.
    @Test func aTaskDraftReadsThePhotoWords() {
        for text in ["发布任务 清理楼道 10分 需拍照", "发布任务 清理楼道 10分（需附照片）", "发布任务 清理楼道 10分 拍照为证", "发布任务 清理楼道 10分 须上传照片"] {
            guard case .postTask(let draft)? = Self.command(text) else { Issue.record("\(text) was not read"); continue }
            #expect(draft.photoRequired, "\(text)")
            #expect(draft.title == "清理楼道", "\(text) → \(draft.title)")
        }
        guard case .postTask(let plain)? = Self.command("发布任务 整理社区老照片 10分") else { Issue.record("not read"); return }
        #expect(!plain.photoRequired)
        #expect(plain.title == "整理社区老照片")
    }
}
