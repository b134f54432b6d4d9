import Crypto
import Foundation
import GridCore

/// DingTalk enterprise robot, HTTP mode: headers `timestamp` (ms) and
/// `sign` = Base64(HMAC-SHA256(appSecret, timestamp + "\n" + appSecret)), within one hour.
public struct DingTalkAdapter: WebhookAdapter {
    public static let window: TimeInterval = 3600
    let appSecret: String

    public init(appSecret: String) {
        self.appSecret = appSecret
    }

    /// The `sign` header for a timestamp in milliseconds.
    public func sign(timestamp: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data((timestamp + "\n" + appSecret).utf8), using: SymmetricKey(data: Data(appSecret.utf8)))
        return Data(mac).base64EncodedString()
    }

    public func handle(_ request: WebhookRequest, now: Date) throws(WebhookError) -> WebhookOutcome {
        guard let timestamp = request.header("timestamp"), let milliseconds = Double(timestamp) else {
            throw .unauthorized("missing or malformed timestamp header")
        }
        guard let sign = request.header("sign") else { throw .unauthorized("missing sign header") }
        guard abs(now.timeIntervalSince1970 - milliseconds / 1000) <= Self.window else {
            throw .unauthorized("timestamp is outside the one-hour window")
        }
        guard WebhookSupport.constantTimeEqual(sign, self.sign(timestamp: timestamp)) else {
            throw .unauthorized("sign does not match")
        }
        let body = try WebhookSupport.jsonObject(request.body)
        guard let messageID = body["msgId"] as? String, !messageID.isEmpty else { throw .malformed("missing field 'msgId'") }
        guard let conversation = body["conversationId"] as? String else { throw .malformed("missing field 'conversationId'") }
        guard let sender = (body["senderStaffId"] as? String) ?? (body["senderId"] as? String) else {
            throw .malformed("missing field 'senderId'")
        }
        let type = body["msgtype"] as? String ?? "text"
        var text = ""
        var attachments: [String] = []
        switch type {
        case "text":
            // An @-mention of the bot leaves a leading space.
            text = ((body["text"] as? [String: Any])?["content"] as? String ?? "").trimmingCharacters(in: .whitespaces)
        case "picture":
            if let code = (body["content"] as? [String: Any])?["downloadCode"] as? String { attachments.append(code) }
        default:
            return .ignored("msgtype \(type)")
        }
        let created = (body["createAt"] as? Double).map { Date(timeIntervalSince1970: $0 / 1000) } ?? now
        return .message(InboundMessage(
            platform: .dingtalk, botCode: request.botCode, chatID: conversation, senderID: sender,
            senderName: body["senderNick"] as? String, text: text, attachments: attachments, sentAt: created,
            platformMessageID: messageID, replyURL: body["sessionWebhook"] as? String))
    }

    public var acknowledgement: WebhookResponseBody { .json("{}") }
}
