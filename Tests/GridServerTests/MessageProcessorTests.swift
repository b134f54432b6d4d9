import Foundation
import GridChat
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@Suite struct MessageProcessorTests {
    static func services(_ backend: TestBackend) async throws -> GridBotServices {
        try await TestServices.demo(backend)
    }

    static func message(_ id: String, _ text: String, chat: String = "building-3") -> InboundMessage {
        InboundMessage(platform: .generic, botCode: "demo", chatID: chat, senderID: "resident.wangfang", senderName: "王芳",
                       text: text, sentAt: Date(), platformMessageID: id)
    }

    static func processor(_ services: GridBotServices) -> MessageProcessor {
        BackgroundWork(services).processor
    }

    @Test(arguments: TestBackend.allCases)
    func storedMessagesLeftByACrashAreProcessedOnRestart(backend: TestBackend) async throws {
        let services = try await Self.services(backend)
        // Stored and answered, then the process died before parsing.
        _ = try await services.store.record(Self.message("m1", "2单元电梯停了 有人被困在里面"), groupCode: "chat-b3", receivedAt: Date())
        _ = try await services.store.record(Self.message("m2", "谢谢楼长 辛苦了"), groupCode: "chat-b3", receivedAt: Date())
        _ = try await services.store.record(Self.message("m3", "33号楼消防通道堆满纸箱", chat: "community"), groupCode: "chat-community", receivedAt: Date())

        #expect(try await Self.processor(services).processPending() == 3)
        #expect(try await services.store.unprocessedMessages(limit: 10).isEmpty)
        #expect(try await services.store.reportCount() == 2, "thanks is not a report")
        // Different chats are processed side by side: which report is #1 is not fixed.
        let reports = [try await services.store.workOrder(id: 1), try await services.store.workOrder(id: 2)].compactMap { $0 }
        let first = try #require(reports.first { $0.location.building == "3" })
        #expect(first.category == .elevator)
        #expect(first.urgency == .emergency)
        #expect(first.location == Location(building: "3", unit: "2"), "the group's building fills in")
        let second = try #require(reports.first { $0.location.building != "3" })
        #expect(second.category == .fireSafety)
        #expect(second.location.building == "33", "the named building in a community group")
        try await services.database.shutdown()
    }

    @Test(arguments: TestBackend.allCases)
    func twoProcessorsNeverMakeTwoReportsOfOneMessage(backend: TestBackend) async throws {
        let services = try await Self.services(backend)
        for index in 0..<20 {
            _ = try await services.store.record(Self.message("race-\(index)", "3号楼楼道灯坏了"), groupCode: "chat-b3", receivedAt: Date())
        }
        async let first = Self.processor(services).processPending(batchSize: 5)
        async let second = Self.processor(services).processPending(batchSize: 5)
        let total = try await first + second
        #expect(total == 20)
        #expect(try await services.store.reportCount() == 20)
        try await services.database.shutdown()
    }

    /// The running application processes what the webhook stored by itself: the resident's
    /// answer arrives with nobody driving the workers.
    @Test func aWebhookMessageBecomesAReportWithoutAnyoneWaiting() async throws {
        var running = try await Self.services(.sqlite)
        let recorder = RecordingSender()
        running.chatSender = recorder
        let services = running
        let body = #"{"message_id":"live-1","chat_id":"building-12","sender":{"id":"u9","name":"陈磊"},"text":"楼上1202漏水到我家了 天花板一直在滴","attachments":[]}"#
        try await buildApplication(services).test(.router) { client in
            let response = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(body), body: ByteBuffer(string: body))
            #expect(response.status == .ok)
            let answer = await recorder.first { $0.chatID == "building-12" }
            #expect(answer?.text.contains("编号 #1") == true, "the resident is answered")
            let recorded = try #require(try await services.store.workOrder(id: 1), "the processor did not record the report")
            #expect(recorded.category == .water)
            #expect(recorded.location == Location(building: "12", room: "1202"))
            #expect(recorded.groupCode == "chat-b12")
        }
    }
}
