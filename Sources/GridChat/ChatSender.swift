import AsyncHTTPClient
import Foundation
import GridCore
import NIOCore
import NIOFoundationCompat

/// Why a send failed, and whether trying again can help.
public struct SendFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    /// The platform refused the message itself: retrying cannot help.
    public var permanent: Bool
    /// The platform asked to wait this many seconds (HTTP 429).
    public var retryAfter: Double?

    public init(_ reason: String, permanent: Bool = false, retryAfter: Double? = nil) {
        self.reason = reason
        self.permanent = permanent
        self.retryAfter = retryAfter
    }

    public var description: String { reason }
}

/// Sends a message into a chat through the platform's send API.
public protocol ChatSender: Sendable {
    /// Sends; returns the platform's id of the sent message where the platform tells it, in the
    /// form inbound messages quote it, so a reply to a report card finds the report.
    @discardableResult
    func send(_ message: OutboundMessage, bot: Bot) async throws(SendFailure) -> String?
}

/// Sends over HTTP. Every platform's API base URL is a bot setting (`api_base`, `reply_url`), so
/// tests and private deployments point it at a server of their own.
public struct HTTPChatSender: ChatSender {
    let client: HTTPClient
    let environment: [String: String]
    let feishuTokens = FeishuTokenCache()
    let accessTokens = AccessTokenCache()

    /// How long one call to a platform may take. A send may need a token first, so two calls
    /// fit well inside the outbound queue's lease (20 s).
    public static let timeout = TimeAmount.seconds(8)
    /// The header that carries a generic-gateway reply's delivery key.
    public static let idempotencyHeader = "Idempotency-Key"

    public init(client: HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.client = client
        self.environment = environment
    }

    @discardableResult
    public func send(_ message: OutboundMessage, bot: Bot) async throws(SendFailure) -> String? {
        func setting(_ key: String) throws(SendFailure) -> String {
            guard let value = bot.setting(key, environment: environment) else {
                throw SendFailure("bot '\(bot.code)' has no '\(key)' setting (or it names an unset environment variable)", permanent: true)
            }
            return value
        }
        var request: HTTPClientRequest
        switch bot.platform {
        case .generic:
            // GridBot's own format, signed like inbound requests so the gateway can trust it.
            request = HTTPClientRequest(url: try setting("reply_url"))
            var fields: [String: Any] = ["chat_id": message.chatID, "text": message.text]
            if let replyTo = message.replyTo, message.recipient == nil { fields["reply_to"] = replyTo }
            // A private message: the gateway delivers it to the user alone.
            if let recipient = message.recipient { fields["to_user"] = recipient }
            // The same key on every attempt of this delivery, from any instance: a gateway that
            // remembers keys drops a repeat.
            if let key = message.deliveryKey {
                fields["idempotency_key"] = key
                request.headers.add(name: Self.idempotencyHeader, value: key)
            }
            let data = Self.json(fields)
            let timestamp = String(Int(Date().timeIntervalSince1970))
            request.headers.add(name: GenericGateway.timestampHeader, value: timestamp)
            request.headers.add(name: GenericGateway.signatureHeader, value: GenericGateway(secret: try setting("secret")).signature(timestamp: timestamp, body: data))
            request.body = .bytes(ByteBuffer(bytes: data))
        case .telegram:
            let base = bot.settings["api_base"] ?? "https://api.telegram.org"
            request = HTTPClientRequest(url: "\(base)/bot\(try setting("bot_token"))/sendMessage")
            // A private message goes to the user's own chat with the bot (its id is the user's).
            var fields: [String: Any] = ["chat_id": message.recipient ?? message.chatID, "text": message.text]
            if message.recipient == nil, let reply = message.replyTo?.split(separator: ":").last.flatMap({ Int64($0) }) { fields["reply_to_message_id"] = reply }
            request.body = .bytes(ByteBuffer(bytes: Self.json(fields)))
        case .wecom where bot.settings["mode"] == "app":
            // A self-built app talks to one member at a time: its message API, with the app's token.
            let base = bot.settings["api_base"] ?? "https://qyapi.weixin.qq.com"
            let fetch = HTTPClientRequest(url: "\(base)/cgi-bin/gettoken?corpid=\(try setting("corp_id"))&corpsecret=\(try setting("secret"))")
            let token = try await accessTokens.token(for: bot.code, fetch: fetch, client: client) { answer in
                (answer["access_token"] as? String, answer["expires_in"] as? Double)
            }
            request = HTTPClientRequest(url: "\(base)/cgi-bin/message/send?access_token=\(token)")
            let user = message.recipient ?? (message.chatID.hasPrefix("user:") ? String(message.chatID.dropFirst(5)) : message.chatID)
            request.body = .bytes(ByteBuffer(bytes: Self.json([
                "touser": user, "msgtype": "text", "agentid": Int(try setting("agent_id")) ?? 0, "text": ["content": message.text],
            ])))
        case .wecom:
            // The AI bot's one-shot response_url (valid an hour) answers in the chat it came from.
            guard message.recipient == nil else { throw SendFailure("a WeCom AI bot cannot message a person directly", permanent: true) }
            guard let url = message.replyURL else { throw SendFailure("no response_url came with the WeCom message", permanent: true) }
            request = HTTPClientRequest(url: url)
            request.body = .bytes(ByteBuffer(bytes: Self.json(["msgtype": "markdown", "markdown": ["content": message.text]])))
        case .dingtalk where message.recipient != nil:
            // One-to-one robot messages through the open API, with the app's access token.
            let base = bot.settings["api_base"] ?? "https://api.dingtalk.com"
            var fetch = HTTPClientRequest(url: "\(base)/v1.0/oauth2/accessToken")
            fetch.method = .POST
            fetch.headers.add(name: "Content-Type", value: "application/json")
            fetch.body = .bytes(ByteBuffer(bytes: Self.json(["appKey": try setting("app_key"), "appSecret": try setting("app_secret")])))
            let token = try await accessTokens.token(for: bot.code, fetch: fetch, client: client) { answer in
                (answer["accessToken"] as? String, answer["expireIn"] as? Double)
            }
            request = HTTPClientRequest(url: "\(base)/v1.0/robot/oToMessages/batchSend")
            request.headers.add(name: "x-acs-dingtalk-access-token", value: token)
            let parameters = String(decoding: Self.json(["content": message.text]), as: UTF8.self)
            request.body = .bytes(ByteBuffer(bytes: Self.json([
                "robotCode": try setting("robot_code"), "userIds": [message.recipient ?? ""], "msgKey": "sampleText", "msgParam": parameters,
            ])))
        case .dingtalk:
            // The conversation's sessionWebhook (valid about 90 minutes).
            guard let url = message.replyURL else { throw SendFailure("no sessionWebhook came with the DingTalk message", permanent: true) }
            request = HTTPClientRequest(url: url)
            request.body = .bytes(ByteBuffer(bytes: Self.json(["msgtype": "text", "text": ["content": message.text]])))
        case .feishu:
            let base = bot.settings["api_base"] ?? "https://open.feishu.cn"
            let token = try await feishuTokens.token(base: base, appID: try setting("app_id"), appSecret: try setting("app_secret"), client: client)
            // A private message goes to the user's open_id.
            request = HTTPClientRequest(url: "\(base)/open-apis/im/v1/messages?receive_id_type=\(message.recipient == nil ? "chat_id" : "open_id")")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let content = String(decoding: Self.json(["text": message.text]), as: UTF8.self)
            // uuid: Feishu sends one message per uuid within an hour, so a retry never doubles it.
            var fields: [String: Any] = ["receive_id": message.recipient ?? message.chatID, "msg_type": "text", "content": content]
            if let key = message.deliveryKey { fields["uuid"] = String(key.prefix(50)) }
            request.body = .bytes(ByteBuffer(bytes: Self.json(fields)))
        }
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let response: HTTPClientResponse
        let responseBody: ByteBuffer
        do {
            response = try await client.execute(request, timeout: Self.timeout)
            responseBody = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw SendFailure("cannot reach the \(bot.platform.rawValue) API: \(error)")
        }
        switch response.status.code {
        case 200..<300:
            // WeCom, DingTalk and Feishu answer 200 with an error code in the body.
            let answer = (try? JSONSerialization.jsonObject(with: Data(buffer: responseBody))) as? [String: Any]
            if let answer, let code = (answer["errcode"] ?? answer["code"]) as? Int, code != 0 {
                let reason = (answer["errmsg"] ?? answer["msg"]) as? String ?? "error \(code)"
                throw SendFailure("\(bot.platform.rawValue) refused the message: \(reason)", permanent: true)
            }
            return Self.sentMessageID(answer, platform: bot.platform, chatID: message.chatID)
        case 429:
            let retry = (try? JSONSerialization.jsonObject(with: Data(buffer: responseBody))) as? [String: Any]
            let seconds = (retry?["parameters"] as? [String: Any])?["retry_after"] as? Double
                ?? response.headers.first(name: "Retry-After").flatMap(Double.init) ?? 30
            throw SendFailure("rate limited by \(bot.platform.rawValue)", retryAfter: seconds)
        case 400..<500:
            throw SendFailure("\(bot.platform.rawValue) refused the message: HTTP \(response.status.code)", permanent: true)
        default:
            throw SendFailure("\(bot.platform.rawValue) failed: HTTP \(response.status.code)")
        }
    }

    /// The sent message's id from a send API's answer: generic `message_id`, Telegram
    /// `result.message_id` (as `chat:id`, like inbound ids), Feishu `data.message_id`.
    static func sentMessageID(_ answer: [String: Any]?, platform: ChatPlatform, chatID: String) -> String? {
        guard let answer else { return nil }
        func text(_ value: Any?) -> String? {
            switch value {
            case let string as String: string.isEmpty ? nil : string
            case let number as NSNumber: number.stringValue
            default: nil
            }
        }
        switch platform {
        case .generic: return text(answer["message_id"])
        case .telegram: return text((answer["result"] as? [String: Any])?["message_id"]).map { "\(chatID):\($0)" }
        case .feishu: return text((answer["data"] as? [String: Any])?["message_id"])
        case .wecom, .dingtalk: return nil
        }
    }

    /// Only strings and numbers go in, so serialisation cannot fail.
    static func json(_ object: [String: Any]) -> [UInt8] {
        [UInt8]((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }
}

/// Feishu's tenant_access_token, fetched with the app's id and secret and reused until shortly
/// before it expires (about two hours).
actor FeishuTokenCache {
    private var cached: (token: String, base: String, appID: String, expires: Date)?

    func token(base: String, appID: String, appSecret: String, client: HTTPClient) async throws(SendFailure) -> String {
        if let cached, cached.base == base, cached.appID == appID, cached.expires > Date() { return cached.token }
        var request = HTTPClientRequest(url: "\(base)/open-apis/auth/v3/tenant_access_token/internal")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: HTTPChatSender.json(["app_id": appID, "app_secret": appSecret])))
        let answer: [String: Any]
        do {
            let response = try await client.execute(request, timeout: HTTPChatSender.timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code < 500 else { throw SendFailure("Feishu token endpoint failed: HTTP \(response.status.code)") }
            answer = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        } catch let failure as SendFailure {
            throw failure
        } catch {
            throw SendFailure("cannot reach Feishu for a token: \(error)")
        }
        guard let token = answer["tenant_access_token"] as? String else {
            throw SendFailure("Feishu gave no tenant_access_token: \(answer["msg"] as? String ?? "no reason")", permanent: true)
        }
        let lifetime = (answer["expire"] as? Double) ?? 7200
        cached = (token, base, appID, Date().addingTimeInterval(max(60, lifetime - 300)))
        return token
    }
}

/// Access tokens of the platforms' app APIs (a WeCom app's `gettoken`, DingTalk's
/// `oauth2/accessToken`), cached per bot until five minutes before they expire.
actor AccessTokenCache {
    private var cached: [String: (token: String, expires: Date)] = [:]

    /// The bot's token: the cached one, or a fresh one from `fetch`, read from its JSON answer by
    /// `read` (the token and its lifetime in seconds).
    func token(
        for bot: String, fetch: HTTPClientRequest, client: HTTPClient,
        read: @Sendable ([String: Any]) -> (token: String?, lifetime: Double?)
    ) async throws(SendFailure) -> String {
        if let hit = cached[bot], hit.expires > Date() { return hit.token }
        let answer: [String: Any]
        do {
            let response = try await client.execute(fetch, timeout: HTTPChatSender.timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code < 500 else { throw SendFailure("the token endpoint failed: HTTP \(response.status.code)") }
            answer = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        } catch let failure as SendFailure {
            throw failure
        } catch {
            throw SendFailure("cannot reach the token endpoint: \(error)")
        }
        let (token, lifetime) = read(answer)
        guard let token, !token.isEmpty else {
            throw SendFailure("no access token: \((answer["errmsg"] ?? answer["message"]) as? String ?? "no reason")", permanent: true)
        }
        cached[bot] = (token, Date().addingTimeInterval(max(60, (lifetime ?? 7200) - 300)))
        return token
    }
}
