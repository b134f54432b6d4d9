import Foundation
import GridCore
import Testing

/// What a notice is about and until when it holds, read from its words and dates.
@Suite struct NoticeTopicTests {
    static func beijing(_ month: Int, _ day: Int, _ hour: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .shanghai
        return calendar.date(from: DateComponents(year: 2026, month: month, day: day, hour: hour))!
    }

    @Test func topicsComeFromTheWords() {
        #expect(NoticeTopic.topics(of: "【停水通知】明天上午8:00至下午5:00，3号楼停水") == [.water])
        #expect(NoticeTopic.topics(of: "本周六小区开展消防演练，请大家报名参加") == [.event])
        #expect(NoticeTopic.topics(of: "今年供暖从11月15日开始，请缴纳采暖费") == [.heating, .fee])
        #expect(NoticeTopic.topics(of: "大家好").isEmpty)
    }

    @Test func aNoticeHoldsUntilTheEndOfTheLastDayItNames() {
        let posted = Self.beijing(11, 18, 10)
        #expect(NoticeTopic.validUntil(of: "明天上午停水", posted: posted) == Self.beijing(11, 20, 0))
        #expect(NoticeTopic.validUntil(of: "11月25日至11月27日电梯检修", posted: posted) == Self.beijing(11, 28, 0))
        #expect(NoticeTopic.validUntil(of: "22号停电", posted: posted) == Self.beijing(11, 23, 0))
        #expect(NoticeTopic.validUntil(of: "近期请注意用水安全", posted: posted) == posted.addingTimeInterval(3 * 86_400), "no date: three days")
        #expect(NoticeTopic.validUntil(of: "1月5日物业费截止", posted: Self.beijing(12, 20, 10)) > Self.beijing(12, 20, 10), "January is next year's")
        #expect(NoticeTopic.validUntil(of: "99号 45月", posted: posted) == posted.addingTimeInterval(3 * 86_400), "no real date")
    }
}
