import Crypto
import CryptoExtras
import Foundation
import GridCore

/// Feishu/Lark event subscription v2 (`im.message.receive_v1`).
///
/// With an Encrypt Key, bodies arrive as `{"encrypt": …}` (AES-256-CBC, key SHA-256 of the Encrypt
/// Key, IV the first 16 bytes) and carry `X-Lark-Signature` = hex SHA-256(timestamp + nonce +
/// key + raw body), checked here with a 5-minute window. Every event's `token` must equal the
/// Verification Token; the `url_verification` handshake is answered with its challenge.
public struct FeishuAdapter: WebhookAdapter {
    public static let window: TimeInterval = 300
    let verificationToken: String
    let encryptKey: String?

    public init(verificationToken: String, encryptKey: String?) {
        self.verificationToken = verificationToken
        self.encryptKey = encryptKey.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `X-Lark-Signature` for a request.
    public static func signature(timestamp: String, nonce: String, encryptKey: String, body: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(data: Data((timestamp + nonce + encryptKey).utf8))
        hash.update(data: Data(body))
        return WebhookSupport.hex(hash.finalize())
    }

    /// Encrypts a body the way Feishu does (for tests and tools).
    public static func encrypt(_ plaintext: String, encryptKey: String, iv: [UInt8]) throws -> String {
        let key = SymmetricKey(data: Data(SHA256.hash(data: Data(encryptKey.utf8))))
        let cipher = try AES._CBC.encrypt(Data(plaintext.utf8), using: key, iv: try AES._CBC.IV(ivBytes: iv))
        return (Data(iv) + cipher).base64EncodedString()
    }

    public func handle(_ request: WebhookRequest, now: Date) throws(WebhookError) -> WebhookOutcome {
        var signed = false
        if let encryptKey, let signature = request.header("X-Lark-Signature") {
            guard let timestamp = request.header("X-Lark-Request-Timestamp"), let nonce = request.header("X-Lark-Request-Nonce"),
                  let seconds = Double(timestamp) else {
                throw .unauthorized("X-Lark-Signature without X-Lark-Request-Timestamp and X-Lark-Request-Nonce")
            }
            guard abs(now.timeIntervalSince1970 - seconds) <= Self.window else { throw .unauthorized("timestamp is outside the 5-minute window") }
            let expected = Self.signature(timestamp: timestamp, nonce: nonce, encryptKey: encryptKey, body: request.body)
            guard WebhookSupport.constantTimeEqual(signature.lowercased(), expected) else { throw .unauthorized("X-Lark-Signature does not match") }
            signed = true
        }
        var body = try WebhookSupport.jsonObject(request.body)
        if let encrypted = body["encrypt"] as? String {
            guard let encryptKey else { throw .unauthorized("an encrypted body, but no Encrypt Key is configured") }
            body = try WebhookSupport.jsonObject(try Self.decrypt(encrypted, encryptKey: encryptKey))
        }
        if body["type"] as? String == "url_verification" {
            guard let token = body["token"] as? String, WebhookSupport.constantTimeEqual(token, verificationToken) else {
                throw .unauthorized("verification token does not match")
            }
            guard let challenge = body["challenge"] as? String else { throw .malformed("url_verification without challenge") }
            let answer = (try? JSONSerialization.data(withJSONObject: ["challenge": challenge])) ?? Data()
            return .handshake(.json(String(decoding: answer, as: UTF8.self)))
        }
        // With an Encrypt Key configured, events must be signed; the token check applies always.
        if encryptKey != nil, !signed { throw .unauthorized("missing X-Lark-Signature header") }
        guard let header = body["header"] as? [String: Any] else { throw .malformed("missing field 'header'") }
        guard let token = header["token"] as? String, WebhookSupport.constantTimeEqual(token, verificationToken) else {
            throw .unauthorized("verification token does not match")
        }
        guard header["event_type"] as? String == "im.message.receive_v1" else {
            return .ignored("event \(header["event_type"] as? String ?? "unknown")")
        }
        guard let event = body["event"] as? [String: Any], let message = event["message"] as? [String: Any],
              let messageID = message["message_id"] as? String, let chatID = message["chat_id"] as? String else {
            throw .malformed("im.message.receive_v1 without message.message_id and message.chat_id")
        }
        let senderIDs = (event["sender"] as? [String: Any])?["sender_id"] as? [String: Any]
        let sender = (senderIDs?["user_id"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? senderIDs?["open_id"] as? String ?? "unknown"
        let (text, attachments) = Self.content(message)
        guard message["create_time"] == nil || message["create_time"] is String else { throw .malformed("field 'message.create_time' is not a string") }
        let created = try WebhookSupport.sendTime(text: message["create_time"] as? String, perSecond: 1000, field: "message.create_time", now: now)
        return .message(InboundMessage(
            platform: .feishu, botCode: request.botCode, chatID: chatID, senderID: sender, senderName: nil,
            text: text, quotedMessageID: (message["parent_id"] as? String).flatMap { $0.isEmpty ? nil : $0 },
            attachments: attachments, sentAt: created, platformMessageID: messageID))
    }

    public var acknowledgement: WebhookResponseBody { .json(#"{"msg":"success"}"#) }

    static func decrypt(_ encrypted: String, encryptKey: String) throws(WebhookError) -> [UInt8] {
        guard let raw = Data(base64Encoded: encrypted), raw.count > 16, (raw.count - 16) % 16 == 0 else {
            throw .unauthorized("the encrypted body cannot be decrypted")
        }
        let key = SymmetricKey(data: Data(SHA256.hash(data: Data(encryptKey.utf8))))
        do {
            let plain = try AES._CBC.decrypt(raw.dropFirst(16), using: key, iv: try AES._CBC.IV(ivBytes: raw.prefix(16)))
            return [UInt8](plain)
        } catch {
            throw .unauthorized("the encrypted body cannot be decrypted")
        }
    }

    /// The text of a message with `@_user_N` placeholders resolved to names, and its images.
    static func content(_ message: [String: Any]) -> (String, [String]) {
        let content = (message["content"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any] ?? [:]
        var text = ""
        var images: [String] = []
        switch message["message_type"] as? String {
        case "text":
            text = content["text"] as? String ?? ""
        case "image":
            if let key = content["image_key"] as? String { images.append(key) }
        case "post":
            let rows = content["content"] as? [[[String: Any]]] ?? []
            var parts: [String] = []
            if let title = content["title"] as? String, !title.isEmpty { parts.append(title) }
            for row in rows {
                for element in row {
                    switch element["tag"] as? String {
                    case "text": parts.append(element["text"] as? String ?? "")
                    case "at": parts.append("@" + (element["user_name"] as? String ?? ""))
                    case "img": if let key = element["image_key"] as? String { images.append(key) }
                    default: break
                    }
                }
            }
            text = parts.joined(separator: " ")
        default:
            break
        }
        for mention in message["mentions"] as? [[String: Any]] ?? [] {
            if let key = mention["key"] as? String, let name = mention["name"] as? String {
                text = text.replacingOccurrences(of: key, with: "@" + name)
            }
        }
        return (text, images)
    }
}
