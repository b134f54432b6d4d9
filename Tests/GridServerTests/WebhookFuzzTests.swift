import Crypto
import Foundation
import GridChat
import GridServer
import GridTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Hostile requests on every platform's webhook, each signed as the route requires: every field of
/// every payload replaced by out-of-range, non-finite, wrong-typed, oversized, deeply nested and
/// control-character values, plus truncated and random bodies. No case may answer 5xx, and the
/// service must still accept a good message afterwards (a trap would end the test process).
@Suite struct WebhookFuzzTests {
    /// A JSON value, with numbers kept as their literal text so that `NaN`, `1e400` and 20-digit
    /// integers can be written, which JSONSerialization would refuse or round.
    indirect enum JSON: Sendable {
        case raw(String)
        case string(String)
        case array([JSON])
        case object([(String, JSON)])

        var text: String {
            switch self {
            case .raw(let literal): literal
            case .string(let value): Self.quoted(value)
            case .array(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
            case .object(let fields): "{" + fields.map { Self.quoted($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
            }
        }

        static func quoted(_ value: String) -> String {
            var out = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }

        /// Every path to a value in this tree (the root excluded).
        var paths: [[String]] {
            switch self {
            case .raw, .string: []
            case .array(let items): items.indices.flatMap { index in [[String(index)]] + items[index].paths.map { [String(index)] + $0 } }
            case .object(let fields): fields.flatMap { key, value in [[key]] + value.paths.map { [key] + $0 } }
            }
        }

        func replacing(_ path: [String], with replacement: JSON) -> JSON {
            guard let head = path.first else { return replacement }
            let rest = Array(path.dropFirst())
            switch self {
            case .raw, .string: return self
            case .array(var items):
                if let index = Int(head), items.indices.contains(index) { items[index] = items[index].replacing(rest, with: replacement) }
                return .array(items)
            case .object(let fields):
                return .object(fields.map { $0.0 == head ? ($0.0, $0.1.replacing(rest, with: replacement)) : $0 })
            }
        }
    }

    /// What replaces each field in turn.
    static let hostileValues: [JSON] = [
        .raw("1e16"), .raw("-1e16"), .raw("1e20"), .raw("1e300"), .raw("-1e300"), .raw("1e400"), .raw("NaN"), .raw("Infinity"),
        .raw("-1"), .raw("0"), .raw("1.5"), .raw("9223372036854775807"), .raw("9223372036854775808"), .raw("-9223372036854775809"),
        .string("NaN"), .string("Infinity"), .string("1e20"), .string("-1"), .string(""), .string("\u{0001}\u{0000}"),
        .string("]]></Content><MsgType>x</MsgType>"), .string(String(repeating: "电梯坏了", count: 3000)),
        .raw("true"), .raw("null"), .array([]), .object([]), .array([.raw("1"), .array([.string("x")])]),
        .raw(String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000)),
        .object([("offset", .raw("9223372036854775807")), ("length", .raw("9223372036854775807")), ("type", .string("text_mention"))]),
    ]

    static let dingSecret = "SECtestsecret123"
    static let weComKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"

    /// One platform: a good payload for case `n` and how to send a body as a signed request.
    struct Platform: Sendable {
        var name: String
        var template: @Sendable (Int, Date) -> JSON
        var request: @Sendable (String, Date) throws -> (uri: String, headers: HTTPFields, body: String)
    }

    static func jsonHeaders(_ extra: [String: String] = [:]) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in extra { fields[HTTPField.Name(name)!] = value }
        return fields
    }

    static let platforms: [Platform] = [
        Platform(name: "generic", template: { n, now in
            .object([
                ("message_id", .string("fz-\(n)")), ("chat_id", .string("building-3")),
                ("sender", .object([("id", .string("u1")), ("name", .string("王芳"))])), ("text", .string("3号楼电梯坏了")),
                ("quoted_message_id", .raw("null")), ("attachments", .array([.string("https://img/1.jpg")])),
                ("sent_at", .raw(String(Int(now.timeIntervalSince1970)))),
            ])
        }, request: { body, now in
            let timestamp = String(Int(now.timeIntervalSince1970))
            let mac = HMAC<SHA256>.authenticationCode(for: Data((timestamp + "\n" + body).utf8), using: SymmetricKey(data: Data("demo-generic-secret".utf8)))
            let signature = "v1=" + mac.map { String(format: "%02x", $0) }.joined()
            return ("/webhooks/generic/demo", jsonHeaders(["X-GridBot-Timestamp": timestamp, "X-GridBot-Signature": signature]), body)
        }),
        Platform(name: "dingtalk", template: { n, now in
            .object([
                ("msgId", .string("fz-\(n)")), ("msgtype", .string("text")), ("text", .object([("content", .string(" 5号楼电梯坏了"))])),
                ("createAt", .raw(String(Int(now.timeIntervalSince1970 * 1000)))), ("conversationId", .string("cidDING5")),
                ("senderId", .string("x")), ("senderNick", .string("张三")), ("senderStaffId", .string("m807")),
                ("content", .object([("downloadCode", .string("dc"))])), ("sessionWebhook", .string("session-webhook")),
            ])
        }, request: { body, now in
            // A fresh timestamp per case: each signature carries one message.
            let timestamp = String(Int(now.timeIntervalSince1970 * 1000))
            let sign = Data(HMAC<SHA256>.authenticationCode(for: Data((timestamp + "\n" + dingSecret).utf8), using: SymmetricKey(data: Data(dingSecret.utf8)))).base64EncodedString()
            return ("/webhooks/dingtalk/ding", jsonHeaders(["timestamp": timestamp, "sign": sign]), body)
        }),
        Platform(name: "telegram", template: { n, now in
            .object([
                ("update_id", .raw(String(n))),
                ("message", .object([
                    ("message_id", .raw(String(n))), ("from", .object([("id", .raw("1")), ("first_name", .string("三"))])),
                    ("chat", .object([("id", .raw("-1001234567890")), ("type", .string("supergroup"))])),
                    ("date", .raw(String(Int(now.timeIntervalSince1970)))), ("text", .string("楼道灯坏了")),
                    ("entities", .array([.object([("type", .string("text_mention")), ("offset", .raw("0")), ("length", .raw("2")),
                                                  ("user", .object([("id", .raw("2")), ("first_name", .string("A"))]))])])),
                    ("photo", .array([.object([("file_id", .string("f1"))])])),
                    ("reply_to_message", .object([("message_id", .raw("1"))])),
                ])),
            ])
        }, request: { body, _ in
            ("/webhooks/telegram/tg", jsonHeaders(["X-Telegram-Bot-Api-Secret-Token": "tg_secret-1"]), body)
        }),
        Platform(name: "feishu", template: { n, now in
            let created = String(Int(now.timeIntervalSince1970 * 1000))
            return .object([
                ("schema", .string("2.0")),
                ("header", .object([("event_id", .string("ev-\(n)")), ("event_type", .string("im.message.receive_v1")), ("create_time", .string(created)), ("token", .string("vt-123"))])),
                ("event", .object([
                    ("sender", .object([("sender_id", .object([("open_id", .string("ou_1")), ("user_id", .string("e33g"))]))])),
                    ("message", .object([
                        ("message_id", .string("om-\(n)")), ("parent_id", .string("")), ("create_time", .string(created)), ("chat_id", .string("oc_1")),
                        ("message_type", .string("text")), ("content", .string(#"{"text":"@_user_1 7号楼楼道灯坏了"}"#)),
                        ("mentions", .array([.object([("key", .string("@_user_1")), ("name", .string("物业助手"))])])),
                    ])),
                ])),
            ])
        }, request: { plain, now in
            let iv = (0..<16).map { _ in UInt8.random(in: 0...255) }
            let body = #"{"encrypt":"\#(try FeishuAdapter.encrypt(plain, encryptKey: "lark-key", iv: iv))"}"#
            let timestamp = String(Int(now.timeIntervalSince1970))
            let signature = SHA256.hash(data: Data((timestamp + "n" + "lark-key" + body).utf8)).map { String(format: "%02x", $0) }.joined()
            return ("/webhooks/feishu/lark", jsonHeaders(["X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": "n", "X-Lark-Signature": signature]), body)
        }),
        Platform(name: "wecom", template: { n, _ in
            .object([
                ("msgid", .string("fz-\(n)")), ("chatid", .string("wrkGroup3")), ("from", .object([("userid", .string("ZhangSan"))])),
                ("msgtype", .string("mixed")),
                ("mixed", .object([("msg_item", .array([.object([("text", .object([("content", .string("3号楼电梯坏了"))]))]),
                                                       .object([("image", .object([("url", .string("https://img"))]))])]))])),
                ("response_url", .string("response-url")),
            ])
        }, request: { plain, now in
            let crypto = try WeComCrypto(token: "QDG6eK", encodingAESKey: weComKey, receiveID: "")
            let encrypted = try crypto.encrypt(plain)
            let timestamp = String(Int(now.timeIntervalSince1970))
            let signature = crypto.signature(timestamp: timestamp, nonce: "n1", encrypted: encrypted)
            return ("/webhooks/wecom/wx?msg_signature=\(signature)&timestamp=\(timestamp)&nonce=n1", jsonHeaders(), #"{"encrypt":"\#(encrypted)"}"#)
        }),
    ]

    /// WeCom's self-built app sends XML: each element's text is replaced in turn.
    static func weComAppRequest(fields: [(String, String)], now: Date) throws -> (uri: String, headers: HTTPFields, body: String) {
        let xml = "<xml>" + fields.map { "<\($0.0)><![CDATA[\($0.1)]]></\($0.0)>" }.joined() + "</xml>"
        let crypto = try WeComCrypto(token: "QDG6eK", encodingAESKey: weComKey, receiveID: "wx5823bf96d3bd56c7")
        let encrypted = try crypto.encrypt(xml)
        let timestamp = String(Int(now.timeIntervalSince1970))
        let signature = crypto.signature(timestamp: timestamp, nonce: "n2", encrypted: encrypted)
        var headers = HTTPFields()
        headers[.contentType] = "text/xml"
        return ("/webhooks/wecom/wxapp?msg_signature=\(signature)&timestamp=\(timestamp)&nonce=n2",
                headers, "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[\(encrypted)]]></Encrypt></xml>")
    }

    static let hostileText = ["NaN", "Infinity", "1e20", "-1e20", "99999999999999999999", "", "\u{0001}", "]]><x>", String(repeating: "水", count: 5000)]

    /// Sends one case and checks that it was answered below 500.
    static func send(_ client: some TestClientProtocol, _ request: (uri: String, headers: HTTPFields, body: String), label: String) async throws {
        let response = try await client.execute(uri: request.uri, method: .post, headers: request.headers, body: ByteBuffer(string: request.body))
        #expect(response.status.code < 500, "\(label): \(response.status) \(String(buffer: response.body).prefix(200))")
    }

    @Test func hostileFieldsNeverCrashOrAnswer5xx() async throws {
        let services = try await PlatformWebhookTests.services()
        try await buildApplication(services).test(.router) { client in
            var generator = SplitMix(state: 20261201)
            var n = 0
            for platform in Self.platforms {
                let paths = platform.template(0, Date()).paths
                for path in paths {
                    for value in Self.hostileValues {
                        n += 1
                        let body = platform.template(n, Date()).replacing(path, with: value).text
                        try await Self.send(client, try platform.request(body, Date()), label: "\(platform.name) \(path.joined(separator: ".")) = \(value.text.prefix(40))")
                    }
                }
                // Truncated and random bodies, and a body of random bytes under a valid signature.
                let whole = platform.template(n + 1, Date()).text
                for cut in stride(from: 0, to: whole.utf8.count, by: max(1, whole.utf8.count / 12)) {
                    let truncated = String(decoding: Array(whole.utf8).prefix(cut), as: UTF8.self)
                    try await Self.send(client, try platform.request(truncated, Date()), label: "\(platform.name) cut at \(cut)")
                }
                for _ in 0..<20 {
                    let bytes = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                    try await Self.send(client, try platform.request(String(decoding: bytes, as: UTF8.self), Date()), label: "\(platform.name) random bytes")
                }
                // A good message still lands after all of that.
                // (Half a second on, so DingTalk's signature is not one a case above already used.)
                n += 1
                let later = Date().addingTimeInterval(0.5)
                let good = try platform.request(platform.template(n, later).text, later)
                let after = try await client.execute(uri: good.uri, method: .post, headers: good.headers, body: ByteBuffer(string: good.body))
                #expect(after.status == .ok, "\(platform.name): a good message after the fuzz: \(String(buffer: after.body))")
            }
            let appFields = [("ToUserName", "wx5823bf96d3bd56c7"), ("FromUserName", "ZhangSan"), ("CreateTime", String(Int(Date().timeIntervalSince1970))),
                             ("MsgType", "text"), ("Content", "3号楼电梯坏了"), ("MsgId", "1"), ("PicUrl", "https://img")]
            for index in appFields.indices {
                for value in Self.hostileText {
                    n += 1
                    var fields = appFields
                    fields[index].1 = value
                    if index != 5 { fields[5].1 = String(n) }
                    try await Self.send(client, try Self.weComAppRequest(fields: fields, now: Date()), label: "wecom app \(appFields[index].0) = \(value.prefix(20))")
                }
            }
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
    }
}
