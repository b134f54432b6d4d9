import AsyncHTTPClient
import Foundation
import GridChat
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// A local stand-in for a platform's send API: fails the first `failures` requests, answers 429
/// when told to, and records what it was sent.
actor StubPlatform {
    var failures: Int
    var throttleNext = false
    private(set) var received: [String] = []

    init(failures: Int) { self.failures = failures }

    func answer(_ body: String) -> HTTPResponse.Status {
        if throttleNext {
            throttleNext = false
            return .tooManyRequests
        }
        if failures > 0 {
            failures -= 1
            return .serviceUnavailable
        }
        received.append(body)
        return .ok
    }

    func throttleOnce() { throttleNext = true }
}

@Suite(.serialized) struct OutboundSenderTests {
    /// Runs `body` with a stub Telegram API on a loopback port and services whose bot points at it.
    static func withStub(failures: Int, _ body: (GridBotServices, StubPlatform, ManualClock, Int) async throws -> Void) async throws {
        let stub = StubPlatform(failures: failures)
        let router = Router()
        router.post("/:token/sendMessage") { request, _ -> Response in
            var request = request
            let text = String(buffer: try await request.collectBody(upTo: 1 << 20))
            let status = await stub.answer(text)
            let reply = status == .tooManyRequests ? #"{"ok":false,"parameters":{"retry_after":7}}"# : #"{"ok":true}"#
            return Response(status: status, body: ResponseBody(byteBuffer: ByteBuffer(string: reply)))
        }
        // WeCom's response_url and DingTalk's sessionWebhook: answer 200 with errcode 0.
        for path in ["/wecom/response", "/ding/session"] {
            router.post(RouterPath(path)) { request, _ -> Response in
                var request = request
                let text = String(buffer: try await request.collectBody(upTo: 1 << 20))
                _ = await stub.answer("\(path) \(text)")
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"errcode":0,"errmsg":"ok"}"#)))
            }
        }
        // Feishu: the token endpoint, then the send API that requires it.
        router.post("/open-apis/auth/v3/tenant_access_token/internal") { _, _ -> Response in
            _ = await stub.answer("token")
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"code":0,"tenant_access_token":"t-123","expire":7200}"#)))
        }
        router.post("/open-apis/im/v1/messages") { request, _ -> Response in
            var request = request
            let authorised = request.headers[.authorization] == "Bearer t-123"
            let text = String(buffer: try await request.collectBody(upTo: 1 << 20))
            _ = await stub.answer("feishu \(authorised) \(request.uri.query ?? "") \(text)")
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: authorised ? #"{"code":0}"# : #"{"code":99991663,"msg":"token invalid"}"#)))
        }
        // A WeCom self-built app: gettoken, then message/send with the token.
        router.get("/cgi-bin/gettoken") { request, _ -> Response in
            _ = await stub.answer("wecom token \(request.uri.query ?? "")")
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"errcode":0,"access_token":"wx-t","expires_in":7200}"#)))
        }
        router.post("/cgi-bin/message/send") { request, _ -> Response in
            var request = request
            let text = String(buffer: try await request.collectBody(upTo: 1 << 20))
            _ = await stub.answer("wecom app \(request.uri.query ?? "") \(text)")
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"errcode":0,"errmsg":"ok"}"#)))
        }
        // DingTalk's open API: an access token, then one-to-one robot messages.
        router.post("/v1.0/oauth2/accessToken") { request, _ -> Response in
            var request = request
            let text = String(buffer: try await request.collectBody(upTo: 1 << 20))
            _ = await stub.answer("ding token \(text)")
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"accessToken":"dt-1","expireIn":7200}"#)))
        }
        router.post("/v1.0/robot/oToMessages/batchSend") { request, _ -> Response in
            var request = request
            let token = request.headers[HTTPField.Name("x-acs-dingtalk-access-token")!] ?? ""
            let text = String(buffer: try await request.collectBody(upTo: 1 << 20))
            _ = await stub.answer("ding private \(token) \(text)")
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"processQueryKey":"q1"}"#)))
        }
        let server = try await StubHTTPServer.start(router)
        let port = server.port

        var configuration = AppConfiguration()

        configuration.lightPasswordHashing = true
        configuration.database = try await TestBackend.sqlite.makeLocation()
        configuration.seedFile = nil
        let services = try await prepareServices(configuration, logger: Logger(label: "test"))
        let path = packageRoot.appendingPathComponent("seeds/demo-community.seed").path
        let seed = try String(contentsOfFile: path, encoding: .utf8) + """

            bot code=tg platform=telegram secret_token=s bot_token=123:abc api_base=http://127.0.0.1:\(port)
            bot code=wx platform=wecom mode=aibot token=t aes_key=jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C
            bot code=ding platform=dingtalk app_secret=s
            bot code=ding2 platform=dingtalk app_key=k1 app_secret=s1 robot_code=r1 api_base=http://127.0.0.1:\(port)
            bot code=wxapp platform=wecom mode=app token=t aes_key=jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C corp_id=ww1 secret=sec1 agent_id=1000002 api_base=http://127.0.0.1:\(port)
            bot code=lark platform=feishu verification_token=v app_id=cli_1 app_secret=sec api_base=http://127.0.0.1:\(port)

            """
        try await services.store.load(try CommunitySeed.parse(seed, fileName: "test.seed"))
        do {
            try await body(services, stub, ManualClock(), port)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
        try await services.database.shutdown()
    }

    static func sender(_ services: GridBotServices, _ clock: ManualClock) -> OutboundSender {
        OutboundSender(store: services.store, sender: HTTPChatSender(client: .shared), logger: Logger(label: "test"), now: clock.now)
    }

    @Test func theQueueRetriesWithBackoffUntilTheStubAnswers() async throws {
        try await Self.withStub(failures: 2) { services, stub, clock, _ in
            let sender = Self.sender(services, clock)
            let id = try await services.store.enqueue(
                OutboundMessage(platform: .telegram, botCode: "tg", chatID: "-100", text: "已收到 #1", replyTo: "-100:7"),
                dedupeKey: "reply-1", at: clock.now())
            #expect(try await sender.deliverDue() == 0)
            #expect(try await services.store.outboundState(id: id)?.attempts == 1)
            #expect(try await sender.deliverDue() == 0, "not due before the 2 s backoff")
            clock.advance(2)
            #expect(try await sender.deliverDue() == 0)
            #expect(try await services.store.outboundState(id: id)?.attempts == 2)
            clock.advance(4)
            #expect(try await sender.deliverDue() == 1)
            let state = try #require(try await services.store.outboundState(id: id))
            #expect(state.state == "sent")
            let received = await stub.received
            #expect(received.count == 1)
            #expect(received.first?.contains(#""reply_to_message_id":7"#) == true)
            #expect(received.first?.contains(#""text":"已收到 #1""#) == true)
        }
    }

    @Test func aRepeatedEnqueueIsQueuedOnceAndA429IsNotAnAttempt() async throws {
        try await Self.withStub(failures: 0) { services, stub, clock, _ in
            let sender = Self.sender(services, clock)
            let message = OutboundMessage(platform: .telegram, botCode: "tg", chatID: "-100", text: "hi")
            let first = try await services.store.enqueue(message, dedupeKey: "once", at: clock.now())
            let again = try await services.store.enqueue(message, dedupeKey: "once", at: clock.now())
            #expect(first == again)
            await stub.throttleOnce()
            #expect(try await sender.deliverDue() == 0)
            #expect(try await services.store.outboundState(id: first)?.attempts == 0)
            clock.advance(7)
            #expect(try await sender.deliverDue() == 1)
            #expect(await stub.received.count == 1)
        }
    }

    @Test func eachChatGetsAtMostTwentyMessagesAMinute() async throws {
        try await Self.withStub(failures: 0) { services, stub, clock, _ in
            let sender = Self.sender(services, clock)
            for index in 0..<25 {
                try await services.store.enqueue(OutboundMessage(platform: .telegram, botCode: "tg", chatID: "-100", text: "m\(index)"), dedupeKey: nil, at: clock.now())
            }
            try await services.store.enqueue(OutboundMessage(platform: .telegram, botCode: "tg", chatID: "-200", text: "other chat"), dedupeKey: nil, at: clock.now())
            #expect(try await sender.deliverDue(limit: 100) == 21, "20 into the busy chat, 1 into the other")
            #expect(try await services.store.outboundQueueDepth() == 5)
            clock.advance(61)
            #expect(try await sender.deliverDue(limit: 100) == 5)
            #expect(await stub.received.count == 26)
        }
    }

    @Test func repliesReachWeComDingTalkAndFeishuThroughTheirOwnChannels() async throws {
        try await Self.withStub(failures: 0) { services, stub, clock, port in
            let sender = Self.sender(services, clock)
            try await services.store.enqueue(OutboundMessage(platform: .wecom, botCode: "wx", chatID: "wrk1", text: "已收到 #3", replyURL: "http://127.0.0.1:\(port)/wecom/response"), dedupeKey: nil, at: clock.now())
            try await services.store.enqueue(OutboundMessage(platform: .dingtalk, botCode: "ding", chatID: "cid1", text: "已收到 #4", replyURL: "http://127.0.0.1:\(port)/ding/session"), dedupeKey: nil, at: clock.now())
            try await services.store.enqueue(OutboundMessage(platform: .feishu, botCode: "lark", chatID: "oc_1", text: "已收到 #5", replyTo: "om_1"), dedupeKey: nil, at: clock.now())
            try await services.store.enqueue(OutboundMessage(platform: .feishu, botCode: "lark", chatID: "oc_1", text: "已收到 #6", replyTo: "om_2"), dedupeKey: nil, at: clock.now())
            #expect(try await sender.deliverDue() == 4)
            let received = await stub.received
            #expect(received.contains { $0.hasPrefix("/wecom/response") && $0.contains(#""msgtype":"markdown""#) && $0.contains("已收到 #3") })
            #expect(received.contains { $0.hasPrefix("/ding/session") && $0.contains(#""msgtype":"text""#) && $0.contains("已收到 #4") })
            #expect(received.filter { $0 == "token" }.count == 1, "the tenant token is fetched once and reused")
            #expect(received.filter { $0.hasPrefix("feishu true") && $0.contains(#""receive_id":"oc_1""#) }.count == 2)
        }
    }

    /// What is personal goes to the person: each platform's own way to reach one user.
    @Test func privateMessagesReachThePersonOnEveryPlatformThatAllowsIt() async throws {
        try await Self.withStub(failures: 0) { services, stub, clock, _ in
            let sender = Self.sender(services, clock)
            for (platform, bot) in [(ChatPlatform.telegram, "tg"), (.feishu, "lark"), (.wecom, "wxapp"), (.dingtalk, "ding2")] {
                try await services.store.enqueue(OutboundMessage(platform: platform, botCode: bot, chatID: "group-1", text: "券码 \(bot)",
                                                                 replyTo: "group-1:9", recipient: "user-\(bot)"), dedupeKey: nil, at: clock.now())
            }
            let aiBot = try await services.store.enqueue(OutboundMessage(platform: .wecom, botCode: "wx", chatID: "group-2", text: "券码 wx",
                                                                         replyURL: "http://x", recipient: "user-wx"), dedupeKey: nil, at: clock.now())
            #expect(try await sender.deliverDue() == 4)
            let received = await stub.received
            #expect(received.contains { $0.contains(#""chat_id":"user-tg""#) && !$0.contains("reply_to_message_id") }, "Telegram: the user's own chat")
            #expect(received.contains { $0.hasPrefix("feishu true receive_id_type=open_id") && $0.contains(#""receive_id":"user-lark""#) })
            #expect(received.contains { $0.hasPrefix("wecom token") && $0.contains("corpid=ww1") && $0.contains("corpsecret=sec1") })
            #expect(received.contains { $0.hasPrefix("wecom app access_token=wx-t") && $0.contains(#""touser":"user-wxapp""#) && $0.contains(#""agentid":1000002"#) })
            #expect(received.contains { $0.hasPrefix("ding token") && $0.contains(#""appKey":"k1""#) })
            #expect(received.contains { $0.hasPrefix("ding private dt-1") && $0.contains(#""userIds":["user-ding2"]"#) && $0.contains(#""robotCode":"r1""#) })
            #expect(!received.contains { $0.contains(#":"group-1""#) }, "nothing was addressed to the group")
            #expect(try await services.store.outboundState(id: aiBot)?.state == "dead", "a WeCom AI bot has no way to one person")
        }
    }

    @Test func aRefusedMessageIsDeadAtOnce() async throws {
        try await Self.withStub(failures: 0) { services, _, clock, _ in
            let sender = Self.sender(services, clock)
            let id = try await services.store.enqueue(OutboundMessage(platform: .dingtalk, botCode: "demo", chatID: "x", text: "hi"), dedupeKey: nil, at: clock.now())
            #expect(try await sender.deliverDue() == 0)
            let state = try #require(try await services.store.outboundState(id: id))
            #expect(state.state == "dead")
        }
    }
}
