import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HummingbirdTesting
import Testing

/// Asked "请补充楼号（直接回复例如「3号楼2单元」）", residents answer as they would a person: with
/// `33号楼1单元`, or by replying to the bot's message. Either is taken as the answer.
@Suite struct ReporterAnswerTests {
    static let resident = "resident.chenlei"

    /// A report with no building, from the community chat (not a building's).
    static func reportWithoutBuilding(_ loop: LoopHarness, _ client: any TestClientProtocol) async throws {
        try await loop.say(client, resident, in: "community", "小区东门的路灯坏了，晚上黑漆漆的")
        let asked = try await loop.newMessages().texts(in: "community")
        #expect(asked.first?.contains("请补充楼号") == true)
    }

    @Test func theReportersNextMessageNamingABuildingIsTheAnswer() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.reportWithoutBuilding(loop, client)
            loop.clock.advance(120)
            try await loop.say(client, Self.resident, in: "community", "33号楼1单元")
            let queued = try await loop.newMessages()
            #expect(queued.texts(in: "community") == ["已补充到 #1，位置：33号楼1单元。"])
            #expect(queued.texts(in: "staff-g09").first?.contains("补充楼号后派单") == true, "the building's grid gets the card")
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.location.building == "33")
            #expect(order.location.unit == "1")
            #expect(order.assigneeGrid == "G09")
            #expect(try await loop.timeline(1) == ["received", "assign", "supplement", "assign"])
            #expect(try await loop.services.store.reportCount() == 1, "the answer made no second report")
        }
    }

    @Test func aReplyQuotingTheBotsQuestionIsTheAnswer() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.reportWithoutBuilding(loop, client)
            let question = try #require(try await loop.cardID(report: 1, chat: "community"))
            // Long after the window: quoting the question is answer enough.
            loop.clock.advance(3 * 3600)
            try await loop.say(client, Self.resident, in: "community", "在5号楼后面那条路上", quoting: question)
            #expect(try await loop.newMessages().texts(in: "community") == ["已补充到 #1，位置：5号楼。"])
            #expect(try await loop.services.store.workOrder(id: 1)?.assigneeGrid == "G02")

            // Another problem quoting it is a new report, not a supplement.
            try await loop.say(client, Self.resident, in: "community", "另外7号楼门口垃圾堆了好几天没人清，臭死了", quoting: question)
            #expect(try await loop.newMessages().texts(in: "community").first?.contains("#2") == true)
            // A bare thank-you quoting it is not an answer, and no one else's reply is.
            try await loop.say(client, Self.resident, in: "community", "好的谢谢", quoting: question)
            try await loop.say(client, "resident.wangfang", in: "community", "8号楼也是", quoting: question)
            #expect(try await loop.newMessages().texts(in: "community").isEmpty)
            #expect(try await loop.timeline(1).filter { $0 == "supplement" }.count == 1)
        }
    }

    @Test func onlyTheReportersOwnMessageInTheWindowAnswers() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.reportWithoutBuilding(loop, client)
            // Someone else naming a building is not the reporter's answer.
            try await loop.say(client, "resident.wangfang", in: "community", "我住12号楼")
            #expect(try await loop.newMessages().texts(in: "community").isEmpty)
            // The reporter, after the window, is not answering any more.
            loop.clock.advance(ReporterAnswerTests.window + 60)
            try await loop.say(client, Self.resident, in: "community", "我住12号楼")
            #expect(try await loop.newMessages().texts(in: "community").isEmpty)
            #expect(try await loop.services.store.workOrder(id: 1)?.location.building == nil)
        }
    }

    @Test func aNewReportOfSomethingElseIsANewReportNotTheAnswer() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.reportWithoutBuilding(loop, client)
            loop.clock.advance(60)
            try await loop.say(client, Self.resident, in: "community", "还有7号楼门口垃圾堆了好几天没人清，臭死了")
            let replies = try await loop.newMessages().texts(in: "community")
            #expect(replies.first?.contains("#2") == true, "the new problem is a report of its own: \(replies)")
            #expect(try await loop.services.store.workOrder(id: 1)?.location.building == nil)
            #expect(try await loop.services.store.workOrder(id: 2)?.location.building == "7")
        }
    }

    @Test func aBuildingTheCommunityDoesNotHaveIsQuestionedNotRouted() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.reportWithoutBuilding(loop, client)
            try await loop.say(client, Self.resident, in: "community", "99号楼")
            let replies = try await loop.newMessages().texts(in: "community")
            #expect(replies == ["已补充到 #1。本社区没有找到「99号楼」，请核对楼号后再回复，例如「3号楼2单元」。"])
            #expect(try await loop.services.store.workOrder(id: 1)?.assigneeGrid == "HX")
        }
    }

    static let window: TimeInterval = 15 * 60
}
