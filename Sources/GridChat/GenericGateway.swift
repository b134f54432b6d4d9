import Crypto
import Foundation
import GridCore

/// GridBot's own webhook format, for any gateway that is not one of the supported platforms.
///
/// ```
/// POST /webhooks/generic/{bot}
/// Content-Type: application/json
/// X-GridBot-Timestamp: 1763712000                      (Unix seconds)
/// X-GridBot-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "\n" + body)>
///
/// {"message_id": "m-1", "chat_id": "building-3", "sender": {"id": "u1", "name": "王芳"},
///  "text": "3号楼2单元电梯坏了", "quoted_message_id": null, "attachments": [], "sent_at": 1763712000}
/// ```
///
/// The timestamp must be within five minutes of GridBot's clock, so a captured request cannot be
/// replayed later; `message_id` is the exactly-once key.
public struct GenericGateway: Sendable {
    public static let timestampHeader = "X-GridBot-Timestamp"
    public static let signatureHeader = "X-GridBot-Signature"
    /// How far a request's timestamp may be from now.
    public static let window: TimeInterval = 300

    let secret: SymmetricKey

    public init(secret: String) {
        self.secret = SymmetricKey(data: Data(secret.utf8))
    }

    /// The signature header value for a body sent at `timestamp`.
    public func signature(timestamp: String, body: some Sequence<UInt8>) -> String {
        var mac = HMAC<SHA256>(key: secret)
        mac.update(data: Data(timestamp.utf8))
        mac.update(data: Data([0x0A]))
        mac.update(data: Data(body))
        return "v1=" + WebhookSupport.hex(mac.finalize())
    }

    /// Checks the headers against the body; throws `.unauthorized` with the one-line reason.
    public func verify(timestamp: String?, signature: String?, body: [UInt8], now: Date) throws(WebhookError) {
        guard let timestamp, !timestamp.isEmpty else { throw .unauthorized("missing \(Self.timestampHeader) header") }
        guard let signature, !signature.isEmpty else { throw .unauthorized("missing \(Self.signatureHeader) header") }
        guard let seconds = TimeInterval(timestamp) else { throw .unauthorized("\(Self.timestampHeader) is not Unix seconds") }
        guard WebhookSupport.isFresh(seconds: seconds, window: Self.window, now: now) else {
            throw .unauthorized("timestamp is outside the 5-minute window")
        }
        guard WebhookSupport.constantTimeEqual(signature.lowercased(), self.signature(timestamp: timestamp, body: body)) else {
            throw .unauthorized("signature does not match the body")
        }
    }

    /// The request body.
    struct Payload: Decodable {
        struct Sender: Decodable {
            var id: String
            var name: String?
        }

        var messageID: String
        var chatID: String
        var sender: Sender
        var text: String
        var quotedMessageID: String?
        var attachments: [String]?
        var sentAt: Double?

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id"
            case chatID = "chat_id"
            case sender, text, attachments
            case quotedMessageID = "quoted_message_id"
            case sentAt = "sent_at"
        }
    }

    /// Turns a verified body into the normalised message; throws `.malformed` with the reason.
    public static func decode(_ body: [UInt8], botCode: String, receivedAt: Date) throws(WebhookError) -> InboundMessage {
        let payload = try payload(body)
        guard !payload.messageID.isEmpty, payload.messageID.count <= 200 else { throw .malformed("message_id must be 1 to 200 characters") }
        guard !payload.chatID.isEmpty else { throw .malformed("chat_id is empty") }
        return InboundMessage(
            platform: .generic, botCode: botCode, chatID: payload.chatID, senderID: payload.sender.id,
            senderName: payload.sender.name, text: payload.text, quotedMessageID: payload.quotedMessageID,
            attachments: payload.attachments ?? [],
            sentAt: try WebhookSupport.sendTime(seconds: payload.sentAt, field: "sent_at", now: receivedAt),
            platformMessageID: payload.messageID)
    }

    private static func payload(_ body: [UInt8]) throws(WebhookError) -> Payload {
        do {
            return try JSONDecoder().decode(Payload.self, from: Data(body))
        } catch let DecodingError.keyNotFound(key, _) {
            throw .malformed("missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .malformed("field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .malformed("field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is null")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw .malformed("field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is not a valid value")
        } catch {
            throw .malformed("the body is not valid JSON")
        }
    }
}

extension GenericGateway: WebhookAdapter {
    public func handle(_ request: WebhookRequest, now: Date) throws(WebhookError) -> WebhookOutcome {
        try verify(timestamp: request.header(Self.timestampHeader), signature: request.header(Self.signatureHeader), body: request.body, now: now)
        return .message(try Self.decode(request.body, botCode: request.botCode, receivedAt: now))
    }

    public var acknowledgement: WebhookResponseBody { .json(#"{"status":"accepted"}"#) }
}
