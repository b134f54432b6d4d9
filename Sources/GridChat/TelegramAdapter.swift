import Foundation
import GridCore

/// Telegram Bot API webhook: the `X-Telegram-Bot-Api-Secret-Token` header must equal the secret
/// given to `setWebhook`. Messages are keyed `chat:message_id`, stable across redeliveries.
public struct TelegramAdapter: WebhookAdapter {
    let secretToken: String

    public init(secretToken: String) {
        self.secretToken = secretToken
    }

    public func handle(_ request: WebhookRequest, now: Date) throws(WebhookError) -> WebhookOutcome {
        guard let given = request.header("X-Telegram-Bot-Api-Secret-Token") else {
            throw .unauthorized("missing X-Telegram-Bot-Api-Secret-Token header")
        }
        guard WebhookSupport.constantTimeEqual(given, secretToken) else { throw .unauthorized("secret token does not match") }
        let update = try WebhookSupport.jsonObject(request.body)
        guard update["update_id"] != nil else { throw .malformed("missing field 'update_id'") }
        guard let message = update["message"] as? [String: Any] else { return .ignored("update without a new message") }
        guard let chat = message["chat"] as? [String: Any], let chatID = Self.integer(chat["id"]),
              let messageID = Self.integer(message["message_id"]) else {
            throw .malformed("message without chat.id or message_id")
        }
        let from = message["from"] as? [String: Any]
        let name = [from?["first_name"] as? String, from?["last_name"] as? String].compactMap { $0 }.joined(separator: " ")
        var text = message["text"] as? String ?? message["caption"] as? String ?? ""
        text = Self.resolveMentions(text, entities: (message["entities"] ?? message["caption_entities"]) as? [[String: Any]] ?? [])
        var attachments: [String] = []
        if let photos = message["photo"] as? [[String: Any]], let largest = photos.last?["file_id"] as? String {
            attachments.append(largest)
        }
        let quoted = (message["reply_to_message"] as? [String: Any]).flatMap { Self.integer($0["message_id"]) }.map { "\(chatID):\($0)" }
        let sent = try WebhookSupport.sendTime(seconds: Self.integer(message["date"]).map(Double.init), field: "message.date", now: now)
        return .message(InboundMessage(
            platform: .telegram, botCode: request.botCode, chatID: String(chatID),
            senderID: from.flatMap { Self.integer($0["id"]) }.map(String.init) ?? "unknown",
            senderName: name.isEmpty ? nil : name, text: text, quotedMessageID: quoted, attachments: attachments,
            sentAt: sent, platformMessageID: "\(chatID):\(messageID)"))
    }

    public var acknowledgement: WebhookResponseBody { .json("{}") }

    static func integer(_ value: Any?) -> Int64? {
        switch value {
        case let number as NSNumber:
            // A number no Int64 holds (1e20, NaN) is no id or offset at all.
            number.doubleValue.isFinite && abs(number.doubleValue) < 9.2e18 ? number.int64Value : nil
        case let text as String: Int64(text)
        default: nil
        }
    }

    /// Replaces `text_mention` entities (users without a username) by `@name`. Offsets count
    /// UTF-16 code units, as Telegram documents.
    static func resolveMentions(_ text: String, entities: [[String: Any]]) -> String {
        var units = Array(text.utf16)
        let mentions = entities.filter { $0["type"] as? String == "text_mention" }
            .compactMap { entity -> (Int, Int, String)? in
                guard let offset = integer(entity["offset"]), let length = integer(entity["length"]),
                      let user = entity["user"] as? [String: Any], let name = user["first_name"] as? String,
                      offset >= 0, length >= 0, offset <= units.count, length <= units.count - Int(offset) else { return nil }
                return (Int(offset), Int(length), "@" + name)
            }
            .sorted { $0.0 > $1.0 }
        for (offset, length, replacement) in mentions {
            units.replaceSubrange(offset..<(offset + length), with: Array(replacement.utf16))
        }
        return String(decoding: units, as: UTF16.self)
    }
}
