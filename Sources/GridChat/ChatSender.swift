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
    func send(_ message: OutboundMessage, bot: Bot) async throws(SendFailure)
}

/// Sends over HTTP. Every platform's API base URL is a bot setting (`api_base`, `reply_url`), so
/// tests and private deployments point it at a server of their own.
public struct HTTPChatSender: ChatSender {
    let client: HTTPClient
    let environment: [String: String]

    public init(client: HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.client = client
        self.environment = environment
    }

    public func send(_ message: OutboundMessage, bot: Bot) async throws(SendFailure) {
        func setting(_ key: String) throws(SendFailure) -> String {
            guard var value = bot.settings[key], !value.isEmpty else { throw SendFailure("bot '\(bot.code)' has no '\(key)' setting", permanent: true) }
            if value.hasPrefix("env:") {
                guard let resolved = environment[String(value.dropFirst(4))], !resolved.isEmpty else {
                    throw SendFailure("bot '\(bot.code)' setting '\(key)' names an unset environment variable", permanent: true)
                }
                value = resolved
            }
            return value
        }
        var request: HTTPClientRequest
        switch bot.platform {
        case .generic:
            // GridBot's own format, signed like inbound requests so the gateway can trust it.
            request = HTTPClientRequest(url: try setting("reply_url"))
            var fields: [String: Any] = ["chat_id": message.chatID, "text": message.text]
            if let replyTo = message.replyTo { fields["reply_to"] = replyTo }
            let data = Self.json(fields)
            let timestamp = String(Int(Date().timeIntervalSince1970))
            request.headers.add(name: GenericGateway.timestampHeader, value: timestamp)
            request.headers.add(name: GenericGateway.signatureHeader, value: GenericGateway(secret: try setting("secret")).signature(timestamp: timestamp, body: data))
            request.body = .bytes(ByteBuffer(bytes: data))
        case .telegram:
            let base = bot.settings["api_base"] ?? "https://api.telegram.org"
            request = HTTPClientRequest(url: "\(base)/bot\(try setting("bot_token"))/sendMessage")
            var fields: [String: Any] = ["chat_id": message.chatID, "text": message.text]
            if let reply = message.replyTo?.split(separator: ":").last.flatMap({ Int64($0) }) { fields["reply_to_message_id"] = reply }
            request.body = .bytes(ByteBuffer(bytes: Self.json(fields)))
        case .wecom, .dingtalk, .feishu:
            throw SendFailure("sending to \(bot.platform.rawValue) through its API is not supported yet", permanent: true)
        }
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let response: HTTPClientResponse
        let responseBody: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(15))
            responseBody = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw SendFailure("cannot reach the \(bot.platform.rawValue) API: \(error)")
        }
        switch response.status.code {
        case 200..<300:
            return
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

    /// Only strings and numbers go in, so serialisation cannot fail.
    static func json(_ object: [String: Any]) -> [UInt8] {
        [UInt8]((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }
}
