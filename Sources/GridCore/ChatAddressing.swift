import Foundation

/// How every outbound message is addressed, in one place: an answer quotes the message it
/// answers in its chat; a post into a group goes through the group's post URL where the platform
/// needs one; a notice to a person goes to the chat they wrote from.
extension OutboundMessage {
    /// The answer to a message, in its chat, quoting it.
    public static func answer(to message: InboundMessage, _ text: String) -> OutboundMessage {
        OutboundMessage(platform: message.platform, botCode: message.botCode, chatID: message.chatID, text: text,
                        replyTo: message.platformMessageID, replyURL: message.replyURL)
    }
}

/// A chat group that names a bot the community does not have: the directory was edited by hand.
public struct UnknownBotError: Error, Sendable, CustomStringConvertible {
    public var group: String
    public var bot: String

    public var description: String { "chat group \(group) names unknown bot \(bot)" }
}

extension CommunityDirectory {
    /// A message into a group chat, unprompted: through the group's post URL where the platform
    /// needs one (`env:NAME` reads it from `secrets`).
    public func outbound(_ text: String, to group: ChatGroup, secrets: [String: String]) throws -> OutboundMessage {
        guard let bot = bots[group.botCode] else { throw UnknownBotError(group: group.code, bot: group.botCode) }
        var url = group.postURL
        if let value = url, value.hasPrefix("env:") { url = secrets[String(value.dropFirst(4))] }
        return OutboundMessage(platform: bot.platform, botCode: bot.code, chatID: group.chatID, text: text, replyURL: url)
    }
}

extension CommunityDirectory {
    /// A message to one person alone, unprompted: through the first of their chat accounts that
    /// a bot of the community can message privately; nil when none can (a WeCom AI bot, or no
    /// account at all).
    public func privately(_ text: String, to person: Person) -> OutboundMessage? {
        // A channel's bot (Open311) is no chat at all.
        let capable = bots.values.filter { $0.canMessagePrivately && $0.settings["channel"] == nil }.sorted { $0.code < $1.code }
        for identity in person.identities {
            guard let bot = capable.first(where: { $0.platform == identity.platform }) else { continue }
            return OutboundMessage(platform: bot.platform, botCode: bot.code, chatID: identity.userID, text: text, recipient: identity.userID)
        }
        return nil
    }
}

extension ChatContact {
    /// A message to this person, in the chat they wrote from.
    public func outbound(_ text: String) -> OutboundMessage {
        OutboundMessage(platform: platform, botCode: botCode, chatID: chatID, text: text, replyURL: replyURL)
    }
}

extension Reporter {
    /// A notice to this reporter, in the chat they reported from, quoting their message.
    public func notice(_ text: String) -> OutboundMessage {
        OutboundMessage(platform: platform, botCode: botCode, chatID: chatID, text: text, replyTo: messageID, replyURL: replyURL)
    }
}
