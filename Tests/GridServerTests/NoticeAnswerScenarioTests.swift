import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import Testing

/// A resident's question is answered from a current notice in the same chat on the same topic,
/// and otherwise left to people.
@Suite struct NoticeAnswerScenarioTests {
    @Test(arguments: TestBackend.allCases)
    func aQuestionIsAnsweredFromTheNoticeAndNothingIsInvented(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            try await loop.say(client, "worker01", in: "building-3", "【停水通知】明天上午8:00至下午5:00，3号楼二次供水设备检修停水，请各位住户提前储水。")
            #expect(try await loop.newMessages().isEmpty, "a notice gets no reply")
            try await loop.say(client, "resident.wangfang", in: "building-3", "明天几点停水？")
            let answer = try await loop.newMessages().texts(in: "building-3")
            #expect(answer.count == 1 && answer.first?.contains("停水通知") == true && answer.first?.contains("8:00") == true, "\(answer)")
            // Another topic, or another chat: no answer.
            try await loop.say(client, "resident.wangfang", in: "building-3", "电梯什么时候修好？")
            #expect(try await loop.newMessages().isEmpty)
            try await loop.say(client, "resident.x", in: "building-5", "明天几点停水？")
            #expect(try await loop.newMessages().isEmpty)
            // Once the notice's days are over, it answers nothing.
            loop.clock.advance(2 * 86_400)
            try await loop.say(client, "resident.wangfang", in: "building-3", "今天还停水吗？")
            #expect(try await loop.newMessages().isEmpty)
        }
    }
}
