import Foundation


/// One group-chat message as every platform adapter delivers it, whatever the platform's format.
public struct InboundMessage: Sendable, Equatable, Codable {
    public var platform: ChatPlatform
    /// The configured bot the message came through.
    public var botCode: String
    /// The platform's id of the chat.
    public var chatID: String
    public var senderID: String
    public var senderName: String?
    /// The text with mentions resolved to names.
    public var text: String
    /// The platform id of the message this one quotes or replies to.
    public var quotedMessageID: String?
    /// Image keys or URLs.
    public var attachments: [String]
    public var sentAt: Date
    /// The platform's message or event id: the key that makes delivery exactly-once.
    public var platformMessageID: String
    /// A reply address the platform handed out with this message (WeCom's `response_url`,
    /// DingTalk's `sessionWebhook`), where answers to it are posted.
    public var replyURL: String?

    public init(
        platform: ChatPlatform, botCode: String, chatID: String, senderID: String, senderName: String?,
        text: String, quotedMessageID: String? = nil, attachments: [String] = [], sentAt: Date,
        platformMessageID: String, replyURL: String? = nil
    ) {
        self.replyURL = replyURL
        self.platform = platform
        self.botCode = botCode
        self.chatID = chatID
        self.senderID = senderID
        self.senderName = senderName
        self.text = text
        self.quotedMessageID = quotedMessageID
        self.attachments = attachments
        self.sentAt = sentAt
        self.platformMessageID = platformMessageID
    }
}
