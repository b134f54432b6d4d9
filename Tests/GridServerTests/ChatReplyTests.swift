import Foundation
import GridChat
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct ChatReplyTests {
    @Test func aReportIsAnsweredInItsChatFromTheTemplateAndChatGetsNoReply() async throws {
        var services = try await MessageProcessorTests.services(.sqlite)
        let recorder = RecordingSender()
        services.chatSender = recorder
        let report = #"{"message_id":"r-1","chat_id":"building-3","sender":{"id":"u1","name":"王芳"},"text":"2单元电梯停了 有人被困在里面 快来人","attachments":[]}"#
        let thanks = #"{"message_id":"r-2","chat_id":"building-3","sender":{"id":"u2","name":"李强"},"text":"谢谢楼长","attachments":[]}"#
        let work = BackgroundWork(services)
        try await buildApplication(services, background: .driven(work)).test(.router) { client in
            for body in [report, thanks] {
                let response = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(body), body: ByteBuffer(string: body))
                #expect(response.status == .ok)
            }
            try await work.drain()
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
