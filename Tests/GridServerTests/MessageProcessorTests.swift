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
        var configuration = AppConfiguration()
        configuration.database = try await backend.makeLocation()
        configuration.seedFile = packageRoot.appendingPathComponent("seeds/demo-community.seed").path
        return try await prepareServices(configuration, logger: Logger(label: "test"))
    }

    static func message(_ id: String, _ text: String, chat: String = "building-3") -> InboundMessage {
        InboundMessage(platform: .generic, botCode: "demo", chatID: chat, senderID: "resident.wangfang", senderName: "王芳",
                       text: text, sentAt: Date(), platformMessageID: id)
    }

    static func processor(_ services: GridBotServices) -> MessageProcessor {
        MessageProcessor(store: services.store, parser: services.parser, replies: services.replies, desk: services.desk, points: services.pointsDesk, logger: Logger(label: "test"), now: { Date() })
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
        let first = try #require(try await services.store.workOrder(id: 1))
        #expect(first.category == .elevator)
        #expect(first.urgency == .emergency)
        #expect(first.location == Location(building: "3", unit: "2"), "the group's building fills in")
        let second = try #require(try await services.store.workOrder(id: 2))
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

    @Test func aWebhookMessageBecomesAReportWithoutAnyoneWaiting() async throws {
        let services = try await Self.services(.sqlite)
        let body = #"{"message_id":"live-1","chat_id":"building-12","sender":{"id":"u9","name":"陈磊"},"text":"楼上1202漏水到我家了 天花板一直在滴","attachments":[]}"#
        try await buildApplication(services).test(.router) { client in
            let response = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GenericWebhookTests.signedHeaders(body), body: ByteBuffer(string: body))
            #expect(response.status == .ok)
            var report: WorkOrder?
            for _ in 0..<100 where report == nil {
                try await Task.sleep(for: .milliseconds(50))
                report = try await services.store.workOrder(id: 1)
            }
            let recorded = try #require(report, "the processor did not record the report")
            #expect(recorded.category == .water)
            #expect(recorded.location == Location(building: "12", room: "1202"))
            #expect(recorded.groupCode == "chat-b12")
        }
    }
}

/// Records what would have been sent into chats.
actor RecordingSender: ChatSender {
    private(set) var sent: [OutboundMessage] = []
    /// Answers with an id like a platform would, so replies can quote what was sent.
    nonisolated func send(_ message: OutboundMessage, bot: Bot) async throws(SendFailure) -> String? {
        await record(message)
    }
    private func record(_ message: OutboundMessage) -> String {
        sent.append(message)
        return "sent-\(sent.count)"
    }
}

@Suite struct ChatReplyTests {
    @Test func aReportIsAnsweredInItsChatFromTheTemplateAndChatGetsNoReply() async throws {
        var services = try await MessageProcessorTests.services(.sqlite)
        let recorder = RecordingSender()
        services.chatSender = recorder
        let report = #"{"message_id":"r-1","chat_id":"building-3","sender":{"id":"u1","name":"王芳"},"text":"2单元电梯停了 有人被困在里面 快来人","attachments":[]}"#
        let thanks = #"{"message_id":"r-2","chat_id":"building-3","sender":{"id":"u2","name":"李强"},"text":"谢谢楼长","attachments":[]}"#
        let store = services.store
        try await buildApplication(services).test(.router) { client in
            for body in [report, thanks] {
                let response = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GenericWebhookTests.signedHeaders(body), body: ByteBuffer(string: body))
                #expect(response.status == .ok)
            }
            // Both messages processed and everything queued delivered, however busy the machine.
            for _ in 0..<200 {
                let unprocessed = try await store.unprocessedMessages(limit: 1).count
                let queued = try await store.outboundQueueDepth()
                if unprocessed == 0, queued == 0, await !recorder.sent.isEmpty { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let sent = await recorder.sent
            let answers = sent.filter { $0.chatID == "building-3" }
            #expect(answers.count == 1, "only the report is answered in the residents' chat")
            #expect(sent.contains { $0.chatID == "staff-g01" && $0.text.contains("工单 #1") }, "the card goes to the grid's staff chat")
            let reply = try #require(answers.first)
            #expect(reply.chatID == "building-3")
            #expect(reply.replyTo == "r-1")
            #expect(reply.text.contains("编号 #1"))
            #expect(reply.text.contains("类别：电梯"))
            #expect(reply.text.contains("位置：3号楼2单元"))
            #expect(reply.text.contains("紧急程度：紧急"))
            #expect(reply.text.contains("和谐物业服务中心"))
            #expect(reply.text.contains("网格员"))
            #expect(!reply.text.contains("请补充楼号"))
        }
    }
}

@Suite struct BindingCommandTests {
    static func post(_ client: some TestClientProtocol, id: String, chat: String, sender: String, text: String) async throws {
        let body = #"{"message_id":"\#(id)","chat_id":"\#(chat)","sender":{"id":"\#(sender)"},"text":"\#(text)","attachments":[]}"#
        let response = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GenericWebhookTests.signedHeaders(body), body: ByteBuffer(string: body))
        #expect(response.status == .ok)
    }

    static func waitForReplies(_ recorder: RecordingSender, count: Int) async throws -> [OutboundMessage] {
        for _ in 0..<100 {
            let sent = await recorder.sent
            if sent.count >= count { return sent }
            try await Task.sleep(for: .milliseconds(50))
        }
        return await recorder.sent
    }

    @Test func staffBindAnUnknownChatAndResidentsCannot() async throws {
        var services = try await MessageProcessorTests.services(.sqlite)
        let recorder = RecordingSender()
        services.chatSender = recorder
        let store = services.store
        try await buildApplication(services).test(.router) { client in
            // A resident tries first: refused.
            try await Self.post(client, id: "b-1", chat: "new-chat", sender: "resident.wangfang", text: "绑定 7号楼")
            var sent = try await Self.waitForReplies(recorder, count: 1)
            #expect(sent.first?.text.contains("只有网格员") == true)
            #expect(try await store.chatGroup(botCode: "demo", chatID: "new-chat") == nil)
            // The building's grid worker binds it.
            try await Self.post(client, id: "b-2", chat: "new-chat", sender: "worker02", text: "@GridBot 绑定 7号楼")
            sent = try await Self.waitForReplies(recorder, count: 2)
            #expect(sent.last?.text.contains("已绑定为 7号楼") == true)
            let group = try #require(try await store.chatGroup(botCode: "demo", chatID: "new-chat"))
            #expect(group.buildingCode == "7")
            #expect(try await store.messages(botCode: "demo", limit: 10).allSatisfy { $0.groupCode == group.code }, "earlier messages are filed under the group")
            // From now on a report there names building 7 without saying so.
            try await Self.post(client, id: "b-3", chat: "new-chat", sender: "resident.wangfang", text: "楼道灯坏了好几天了")
            sent = try await Self.waitForReplies(recorder, count: 3)
            #expect(sent.last?.text.contains("位置：7号楼") == true)
        }
    }
}
