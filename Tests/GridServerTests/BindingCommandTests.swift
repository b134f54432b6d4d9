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

@Suite struct BindingCommandTests {
    static func post(_ client: some TestClientProtocol, id: String, chat: String, sender: String, text: String) async throws {
        let body = #"{"message_id":"\#(id)","chat_id":"\#(chat)","sender":{"id":"\#(sender)"},"text":"\#(text)","attachments":[]}"#
        let response = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(body), body: ByteBuffer(string: body))
        #expect(response.status == .ok)
    }

    @Test func staffBindAnUnknownChatAndResidentsCannot() async throws {
        var services = try await MessageProcessorTests.services(.sqlite)
        let recorder = RecordingSender()
        services.chatSender = recorder
        let store = services.store
        let work = BackgroundWork(services)
        try await buildApplication(services, background: .driven(work)).test(.router) { client in
            // A resident tries first: refused.
            try await Self.post(client, id: "b-1", chat: "new-chat", sender: "resident.wangfang", text: "绑定 7号楼")
            try await work.drain()
            var sent = await recorder.sent
            #expect(sent.first?.text.contains("只有网格员") == true)
            #expect(try await store.chatGroup(botCode: "demo", chatID: "new-chat") == nil)
            // The building's grid worker binds it.
            try await Self.post(client, id: "b-2", chat: "new-chat", sender: "worker02", text: "@GridBot 绑定 7号楼")
            try await work.drain()
            sent = await recorder.sent
            #expect(sent.last?.text.contains("已绑定为 7号楼") == true)
            let group = try #require(try await store.chatGroup(botCode: "demo", chatID: "new-chat"))
            #expect(group.buildingCode == "7")
            #expect(try await store.messages(botCode: "demo", limit: 10).allSatisfy { $0.groupCode == group.code }, "earlier messages are filed under the group")
            // From now on a report there names building 7 without saying so.
            try await Self.post(client, id: "b-3", chat: "new-chat", sender: "resident.wangfang", text: "楼道灯坏了好几天了")
            try await work.drain()
            sent = await recorder.sent
            #expect(sent.last?.text.contains("位置：7号楼") == true)
        }
    }
}
