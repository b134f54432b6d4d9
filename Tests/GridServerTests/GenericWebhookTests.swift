import Crypto
import Foundation
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

/// The generic gateway webhook, driven through the real application with requests signed by the
/// documented algorithm: hex HMAC-SHA256(secret, timestamp + "\n" + body).
@Suite struct GenericWebhookTests {
    static let secret = "demo-generic-secret"

    static func body(id: String, chat: String = "building-3", text: String = "3号楼2单元电梯坏了") -> String {
        #"{"message_id":"\#(id)","chat_id":"\#(chat)","sender":{"id":"resident.wangfang","name":"王芳"},"text":"\#(text)","attachments":[],"sent_at":\#(Int(Date().timeIntervalSince1970))}"#
    }

    static func services(_ backend: TestBackend) async throws -> GridBotServices {
        var configuration = AppConfiguration()
        configuration.lightPasswordHashing = true
        configuration.database = try await backend.makeLocation()
        configuration.seedFile = packageRoot.appendingPathComponent("seeds/demo-community.seed").path
        return try await prepareServices(configuration, logger: Logger(label: "test"))
    }

    @Test(arguments: TestBackend.allCases)
    func aSignedMessageLandsExactlyOnce(backend: TestBackend) async throws {
        let services = try await Self.services(backend)
        try await buildApplication(services).test(.router) { client in
            let body = Self.body(id: "m-1")
            let first = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(body), body: ByteBuffer(string: body))
            #expect(first.status == .ok)
            let firstAnswer = try Self.answer(first.body)
            #expect(firstAnswer.duplicate == false)
            let again = try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(body), body: ByteBuffer(string: body))
            #expect(again.status == .ok)
            let againAnswer = try Self.answer(again.body)
            #expect(againAnswer.duplicate == true)
            #expect(againAnswer.id == firstAnswer.id, "a redelivery answers with the same id")

            #expect(try await services.store.messageCount(botCode: "demo") == 1)
            let stored = try await services.store.messages(botCode: "demo", limit: 10)
            #expect(stored.count == 1)
            #expect(stored.first?.groupCode == "chat-b3")
            #expect(stored.first?.message.text == "3号楼2单元电梯坏了")
            #expect(stored.first?.message.senderName == "王芳")
        }
    }

    struct Answer: Decodable {
        var status: String
        var id: Int64
        var duplicate: Bool
    }

    static func answer(_ body: ByteBuffer) throws -> Answer {
        try JSONDecoder().decode(Answer.self, from: Data(String(buffer: body).utf8))
    }

    @Test(arguments: TestBackend.allCases)
    func aConcurrentDeliveryStormStoresOneMessage(backend: TestBackend) async throws {
        let services = try await Self.services(backend)
        let body = Self.body(id: "storm-1")
        try await buildApplication(services).test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(body), body: ByteBuffer(string: body)).status
                    }
                }
                for try await status in group { #expect(status == .ok) }
            }
            #expect(try await services.store.messageCount(botCode: "demo") == 1)
        }
    }

    @Test func refusedRequestsAreA401AndStoreNothing() async throws {
        let services = try await Self.services(.sqlite)
        let body = Self.body(id: "bad-1")
        let tampered = Self.body(id: "bad-1", text: "改过的内容")
        var unsigned = HTTPFields()
        unsigned[.contentType] = "application/json"
        let cases: [(HTTPFields, String, String)] = [
            (GatewaySigning.headers(body), tampered, "signature does not match"),
            (GatewaySigning.headers(body, secret: "wrong-secret"), body, "signature does not match"),
            (GatewaySigning.headers(body, at: Date().addingTimeInterval(-301)), body, "outside the 5-minute window"),
            (unsigned, body, "missing X-GridBot-Timestamp"),
        ]
        try await buildApplication(services).test(.router) { client in
            for (headers, sent, reason) in cases {
                try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: headers, body: ByteBuffer(string: sent)) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body).contains(reason), "\(String(buffer: response.body))")
                }
            }
            #expect(try await services.store.messageCount(botCode: "demo") == 0)
        }
    }

    @Test func badInputGetsAClear4xx() async throws {
        let services = try await Self.services(.sqlite)
        try await buildApplication(services).test(.router) { client in
            let body = Self.body(id: "x-1")
            try await client.execute(uri: "/webhooks/generic/nobody", method: .post, headers: GatewaySigning.headers(body), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .notFound)
            }
            var text = GatewaySigning.headers(body)
            text[.contentType] = "text/plain"
            try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: text, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unsupportedMediaType)
            }
            let broken = #"{"message_id": "x-2", "chat_id": "building-3""#
            try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(broken), body: ByteBuffer(string: broken)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("not valid JSON"))
            }
            let missing = #"{"message_id": "x-3", "chat_id": "building-3", "text": "hi"}"#
            try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(missing), body: ByteBuffer(string: missing)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("missing field 'sender'"))
            }
            let huge = Self.body(id: "x-4", text: String(repeating: "很长", count: 20_000))
            try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(huge), body: ByteBuffer(string: huge)) { response in
                #expect(response.status == .contentTooLarge)
            }
            #expect(try await services.store.messageCount(botCode: "demo") == 0)
        }
    }

    @Test func aMessageFromAnUnboundChatIsStoredForBinding() async throws {
        let services = try await Self.services(.sqlite)
        let body = Self.body(id: "u-1", chat: "a-new-group")
        try await buildApplication(services).test(.router) { client in
            try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(body), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
            }
            let stored = try await services.store.messages(botCode: "demo", limit: 10)
            #expect(stored.map(\.groupCode) == [nil])
            #expect(stored.first?.message.chatID == "a-new-group")
        }
    }
}
