import Crypto
import Foundation
import GridCore

/// DingTalk enterprise robot, HTTP mode: headers `timestamp` (ms) and
/// `sign` = Base64(HMAC-SHA256(appSecret, timestamp + "\n" + appSecret)), within one hour.
///
/// The signature covers the timestamp, not the body, so one seen request could carry any body for
/// an hour: the server lets each signature carry one message (`singleUseSignature(of:)`), and the
/// message's own `createAt` must agree with the signed timestamp.
public struct DingTalkAdapter: WebhookAdapter {
    public static let window: TimeInterval = 3600
    /// How far a message's `createAt` may be from the signed timestamp.
    public static let createdWindow: TimeInterval = 300
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
        guard WebhookSupport.isFresh(seconds: milliseconds / 1000, window: Self.window, now: now) else {
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
        let created = try WebhookSupport.sendTime(seconds: (body["createAt"] as? Double).map { $0 / 1000 }, field: "createAt", now: now)
        guard abs(created.timeIntervalSince1970 - milliseconds / 1000) <= Self.createdWindow else {
            throw .unauthorized("createAt does not match the signed timestamp")
        }
        return .message(InboundMessage(
            platform: .dingtalk, botCode: request.botCode, chatID: conversation, senderID: sender,
            senderName: body["senderNick"] as? String, text: text, attachments: attachments, sentAt: created,
            platformMessageID: messageID, replyURL: body["sessionWebhook"] as? String))
    }

    public var acknowledgement: WebhookResponseBody { .json("{}") }

    public func singleUseSignature(of request: WebhookRequest) -> (value: String, expiresAt: Date)? {
        guard let sign = request.header("sign"), let milliseconds = request.header("timestamp").flatMap(Double.init), milliseconds.isFinite else {
            return nil
        }
        return (sign, Date(timeIntervalSince1970: milliseconds / 1000 + Self.window))
    }
}
