import Crypto
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

/// Every platform's request is built here with that platform's documented algorithm and sent
/// through the application; a message lands exactly once, a tampered one is refused.
@Suite struct PlatformWebhookTests {
    static let extraBots = """
        bot code=ding platform=dingtalk app_secret=SECtestsecret123
        bot code=lark platform=feishu verification_token=vt-123 encrypt_key=lark-key
        bot code=tg platform=telegram secret_token=tg_secret-1
        bot code=wx platform=wecom mode=aibot token=QDG6eK aes_key=jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C
        bot code=wxapp platform=wecom mode=app token=QDG6eK aes_key=jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C corp_id=wx5823bf96d3bd56c7
        group code=ding-b5 name=5号楼钉钉群 bot=ding chat=cidDING5 kind=building building=5
        group code=tg-b6 name=6号楼电报群 bot=tg chat=-1001234567890 kind=building building=6
        """

    static func services() async throws -> GridBotServices {
        var configuration = AppConfiguration()
        configuration.lightPasswordHashing = true
        configuration.database = try await TestBackend.sqlite.makeLocation()
        configuration.seedFile = nil
        let services = try await prepareServices(configuration, logger: Logger(label: "test"))
        let path = packageRoot.appendingPathComponent("seeds/demo-community.seed").path
        let text = try String(contentsOfFile: path, encoding: .utf8) + "\n" + extraBots
        try await services.store.load(try CommunitySeed.parse(text, fileName: "test.seed"))
        return services
    }

    static func json(_ headers: [String: String] = [:]) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        return fields
    }

    /// Posts the same request twice and checks one stored message; returns the stored messages.
    static func deliverTwice(
        _ client: some TestClientProtocol, services: GridBotServices, uri: String, headers: HTTPFields, body: String
    ) async throws -> [StoredInboundMessage] {
        let bot = String(uri.dropFirst("/webhooks/".count).split(separator: "/")[1].split(separator: "?")[0])
        for _ in 0..<2 {
            let response = try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(response.status == .ok, "\(String(buffer: response.body))")
        }
        return try await services.store.messages(botCode: bot, limit: 10)
    }

    @Test func dingTalk() async throws {
        let services = try await Self.services()
        let timestamp = String(Int(Date().timeIntervalSince1970 * 1000))
        let sign = Data(HMAC<SHA256>.authenticationCode(for: Data((timestamp + "\nSECtestsecret123").utf8), using: SymmetricKey(data: Data("SECtestsecret123".utf8)))).base64EncodedString()
        let body = #"{"msgId":"msg-d1","msgtype":"text","text":{"content":" 5号楼电梯坏了"},"createAt":\#(timestamp),"conversationType":"2","conversationId":"cidDING5","senderId":"$:LWCP_v1:$x","senderNick":"张三","senderStaffId":"manager807"}"#
        try await buildApplication(services).test(.router) { client in
            let stored = try await Self.deliverTwice(client, services: services, uri: "/webhooks/dingtalk/ding", headers: Self.json(["timestamp": timestamp, "sign": sign]), body: body)
            #expect(stored.count == 1)
            #expect(stored.first?.message.text == "5号楼电梯坏了")
            #expect(stored.first?.message.senderName == "张三")
            #expect(stored.first?.groupCode == "ding-b5")
            let old = String(Int(Date().timeIntervalSince1970 * 1000) - 3_700_000)
            let oldSign = Data(HMAC<SHA256>.authenticationCode(for: Data((old + "\nSECtestsecret123").utf8), using: SymmetricKey(data: Data("SECtestsecret123".utf8)))).base64EncodedString()
            let expired = try await client.execute(uri: "/webhooks/dingtalk/ding", method: .post, headers: Self.json(["timestamp": old, "sign": oldSign]), body: ByteBuffer(string: body))
            #expect(expired.status == .unauthorized)
            let forged = try await client.execute(uri: "/webhooks/dingtalk/ding", method: .post, headers: Self.json(["timestamp": timestamp, "sign": "AAAA"]), body: ByteBuffer(string: body))
            #expect(forged.status == .unauthorized)
        }
    }

    @Test func feishuEncryptedAndSigned() async throws {
        let services = try await Self.services()
        let now = String(Int(Date().timeIntervalSince1970 * 1000))
        let event = #"{"schema":"2.0","header":{"event_id":"ev-1","event_type":"im.message.receive_v1","create_time":"\#(now)","token":"vt-123","app_id":"cli_x"},"event":{"sender":{"sender_id":{"open_id":"ou_1","user_id":"e33g"},"sender_type":"user"},"message":{"message_id":"om_1","parent_id":"","create_time":"\#(now)","chat_id":"oc_1","chat_type":"group","message_type":"text","content":"{\"text\":\"@_user_1 7号楼楼道灯坏了\"}","mentions":[{"key":"@_user_1","name":"物业助手"}]}}}"#
        // The documented algorithm, computed here: AES-256-CBC with key SHA-256(Encrypt Key) and a random IV first.
        let iv = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let encrypted = try FeishuAdapter.encrypt(event, encryptKey: "lark-key", iv: iv)
        let body = #"{"encrypt":"\#(encrypted)"}"#
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = SHA256.hash(data: Data((timestamp + "nonce-1" + "lark-key" + body).utf8)).map { String(format: "%02x", $0) }.joined()
        let headers = Self.json(["X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": "nonce-1", "X-Lark-Signature": signature])
        try await buildApplication(services).test(.router) { client in
            let stored = try await Self.deliverTwice(client, services: services, uri: "/webhooks/feishu/lark", headers: headers, body: body)
            #expect(stored.count == 1)
            #expect(stored.first?.message.text == "@物业助手 7号楼楼道灯坏了")
            #expect(stored.first?.message.platformMessageID == "om_1")
            let unsigned = try await client.execute(uri: "/webhooks/feishu/lark", method: .post, headers: Self.json(), body: ByteBuffer(string: body))
            #expect(unsigned.status == .unauthorized)
            let old = String(Int(Date().timeIntervalSince1970) - 600)
            let oldSignature = SHA256.hash(data: Data((old + "nonce-1" + "lark-key" + body).utf8)).map { String(format: "%02x", $0) }.joined()
            let replayed = try await client.execute(uri: "/webhooks/feishu/lark", method: .post, headers: Self.json(["X-Lark-Request-Timestamp": old, "X-Lark-Request-Nonce": "nonce-1", "X-Lark-Signature": oldSignature]), body: ByteBuffer(string: body))
            #expect(replayed.status == .unauthorized, "a correctly signed request replayed after 10 minutes")
            // The URL handshake: encrypted challenge, answered within the request.
            let challenge = try FeishuAdapter.encrypt(#"{"challenge":"ch-9","token":"vt-123","type":"url_verification"}"#, encryptKey: "lark-key", iv: iv)
            let handshake = try await client.execute(uri: "/webhooks/feishu/lark", method: .post, headers: Self.json(), body: ByteBuffer(string: #"{"encrypt":"\#(challenge)"}"#))
            #expect(handshake.status == .ok)
            #expect(String(buffer: handshake.body) == #"{"challenge":"ch-9"}"#)
        }
    }

    @Test func telegram() async throws {
        let services = try await Self.services()
        let now = Int(Date().timeIntervalSince1970)
        let body = #"{"update_id":10000123,"message":{"message_id":4521,"from":{"id":123456789,"is_bot":false,"first_name":"三","last_name":"张"},"chat":{"id":-1001234567890,"title":"6号楼","type":"supergroup"},"date":\#(now),"text":"楼道灯坏了","reply_to_message":{"message_id":4519,"chat":{"id":-1001234567890,"type":"supergroup"},"date":1715999000,"text":"?"}}}"#
        try await buildApplication(services).test(.router) { client in
            let stored = try await Self.deliverTwice(client, services: services, uri: "/webhooks/telegram/tg", headers: Self.json(["X-Telegram-Bot-Api-Secret-Token": "tg_secret-1"]), body: body)
            #expect(stored.count == 1)
            #expect(stored.first?.message.quotedMessageID == "-1001234567890:4519")
            #expect(stored.first?.groupCode == "tg-b6")
            let wrong = try await client.execute(uri: "/webhooks/telegram/tg", method: .post, headers: Self.json(["X-Telegram-Bot-Api-Secret-Token": "guess"]), body: ByteBuffer(string: body))
            #expect(wrong.status == .unauthorized)
        }
    }

    @Test func weComAIBotAndTheAppHandshake() async throws {
        let services = try await Self.services()
        let crypto = try WeComCrypto(token: "QDG6eK", encodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", receiveID: "")
        let plain = #"{"msgid":"wx-msg-1","aibotid":"AIBOT","chatid":"wrkGroup3","chattype":"group","from":{"userid":"ZhangSan"},"msgtype":"text","text":{"content":"@物业助手 3号楼2单元电梯坏了"}}"#
        let encrypted = try crypto.encrypt(plain)
        let timestamp = Int(Date().timeIntervalSince1970)
        let signature = crypto.signature(timestamp: String(timestamp), nonce: "n1", encrypted: encrypted)
        let body = #"{"encrypt":"\#(encrypted)"}"#
        let query = "msg_signature=\(signature)&timestamp=\(timestamp)&nonce=n1"
        try await buildApplication(services).test(.router) { client in
            let stored = try await Self.deliverTwice(client, services: services, uri: "/webhooks/wecom/wx?\(query)", headers: Self.json(), body: body)
            #expect(stored.count == 1)
            #expect(stored.first?.message.chatID == "wrkGroup3")
            #expect(stored.first?.groupCode == nil, "an unbound chat is stored for binding")
            let tampered = try await client.execute(uri: "/webhooks/wecom/wx?msg_signature=\(signature)&timestamp=\(timestamp + 1)&nonce=n1", method: .post, headers: Self.json(), body: ByteBuffer(string: body))
            #expect(tampered.status == .unauthorized)
        }
        // The official URL-verification vector, through the app callback (receive id = CorpID):
        // accepted at the moment it was signed, refused years later as a replay.
        let echo = "P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
        let vectorURI = "/webhooks/wecom/wxapp?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=\(echo)"
        let clock = ManualClock(Date(timeIntervalSince1970: 1_409_659_600))
        var signedThen = try await Self.services()
        signedThen.now = { clock.now() }
        try await buildApplication(signedThen).test(.router) { client in
            let handshake = try await client.execute(uri: vectorURI, method: .get)
            #expect(handshake.status == .ok)
            #expect(String(buffer: handshake.body) == "1616140317555161061")
            clock.advance(30 * 86_400)
            let replayed = try await client.execute(uri: vectorURI, method: .get)
            #expect(replayed.status == .unauthorized, "a validly signed echostr from 30 days ago")
            #expect(String(buffer: replayed.body).contains("timestamp"))
        }
    }

    /// DingTalk signs the timestamp alone: a seen signature must not carry another body.
    @Test func dingTalkSignatureCarriesOneMessage() async throws {
        let services = try await Self.services()
        let timestamp = String(Int(Date().timeIntervalSince1970 * 1000))
        let sign = Data(HMAC<SHA256>.authenticationCode(for: Data((timestamp + "\nSECtestsecret123").utf8), using: SymmetricKey(data: Data("SECtestsecret123".utf8)))).base64EncodedString()
        @Sendable func body(_ id: String, createAt: String) -> String {
            #"{"msgId":"\#(id)","msgtype":"text","text":{"content":"5号楼电梯坏了"},"createAt":\#(createAt),"conversationId":"cidDING5","senderId":"x","senderStaffId":"manager807"}"#
        }
        try await buildApplication(services).test(.router) { client in
            let headers = Self.json(["timestamp": timestamp, "sign": sign])
            let first = try await client.execute(uri: "/webhooks/dingtalk/ding", method: .post, headers: headers, body: ByteBuffer(string: body("d-1", createAt: timestamp)))
            #expect(first.status == .ok)
            let again = try await client.execute(uri: "/webhooks/dingtalk/ding", method: .post, headers: headers, body: ByteBuffer(string: body("d-1", createAt: timestamp)))
            #expect(again.status == .ok, "a redelivery of the same message is answered as before")
            let forged = try await client.execute(uri: "/webhooks/dingtalk/ding", method: .post, headers: headers, body: ByteBuffer(string: body("d-2", createAt: timestamp)))
            #expect(forged.status == .unauthorized)
            #expect(String(buffer: forged.body).contains("already used"))
            let early = String(Int(timestamp)! - 3_000_000)
            let mismatched = try await client.execute(uri: "/webhooks/dingtalk/ding", method: .post, headers: headers, body: ByteBuffer(string: body("d-3", createAt: early)))
            #expect(mismatched.status == .unauthorized)
            #expect(try await services.store.messages(botCode: "ding", limit: 10).map(\.message.platformMessageID) == ["d-1"])
        }
    }
}
