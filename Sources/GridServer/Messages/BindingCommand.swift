import Foundation
import GridCore
import GridStore
import Logging

/// `绑定 3号楼` in a chat nobody has bound yet: a member of staff binds it to the building's group,
/// and the messages it already sent are filed under that group. Anyone else is told who may.
struct BindingCommand: ChatCommandReader {
    let store: SQLStore
    let parser: MessageParser
    let replies: ChatReplies
    let logger: Logger

    func job(for stored: StoredInboundMessage, now: Date) async throws -> CommandJob? {
        guard stored.groupCode == nil, let code = Self.building(named: stored.message.text, parser: parser) else { return nil }
        let message = stored.message
        let person = try await store.person(platform: message.platform, userID: message.senderID)
        guard person?.role.isStaff == true else { return refusal(stored, replies.line(.bindForbidden), now: now) }
        guard let building = try await store.building(code: code) else { return refusal(stored, replies.line(.bindNoBuilding, ["building": code]), now: now) }
        let gridName = try await store.grid(code: building.gridCode)?.name
        return CommandJob(name: "bind") { [replies, logger] tx, keys in
            let bound = try await tx.bindBuildingChat(botCode: message.botCode, chatID: message.chatID, buildingCode: code,
                                                      name: "\(code)号楼群（\(message.platform.rawValue)）")
            let answer = bound == nil ? replies.bindRefused(replies.line(.bindAlreadyBound)) : replies.groupBound(building: code, gridName: gridName)
            if let answer { try await tx.enqueue(.answer(to: message, answer), dedupeKey: keys.next(), at: now) }
            if bound != nil {
                logger.info("chat bound to a building", metadata: ["chat.bot": "\(message.botCode)", "chat.id": "\(message.chatID)", "building": "\(code)"])
            }
        }
    }

    /// A `绑定` refused with its reason: nothing is bound, the sender is answered.
    private func refusal(_ stored: StoredInboundMessage, _ reason: String, now: Date) -> CommandJob {
        let answer = replies.bindRefused(reason)
        return CommandJob(name: "bind") { tx, keys in
            if let answer { try await tx.enqueue(.answer(to: stored.message, answer), dedupeKey: keys.next(), at: now) }
        }
    }

    /// The building `绑定 3号楼` names (after an optional @-mention), or nil for any other text.
    static func building(named text: String, parser: MessageParser) -> String? {
        var rest = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if rest.hasPrefix("@"), let space = rest.firstIndex(where: { $0 == " " || $0 == "\u{2005}" }) {
            rest = rest[space...].drop(while: { $0.isWhitespace || $0 == "\u{2005}" })
        }
        guard rest.hasPrefix("绑定") else { return nil }
        return parser.location(in: String(rest.dropFirst(2))).building
    }
}
