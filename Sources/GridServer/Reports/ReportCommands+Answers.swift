import Foundation
import GridCore
import GridStore

/// A reporter answering what GridBot asked about their report without its number: most people
/// answer "请补充楼号（例如回复「#3 3号楼2单元」）" with just `3号楼2单元`.
extension ReportCommands {
    /// How long after reporting a reporter's next message in the same chat may still be the
    /// building GridBot asked for.
    static let answerWindow: TimeInterval = 15 * 60

    /// The supplement a message stands for when it answers GridBot about a report, or nil:
    /// - a reply quoting GridBot's message about a report, from one of that report's reporters
    ///   (a bare 好的 or 谢谢 is not an answer);
    /// - a message of the reporter's in that chat within `answerWindow` of the report that names
    ///   a building, while the report still names none (the newest such report), unless its
    ///   words report another problem (that is a new report).
    /// A reply quoting GridBot about a closed or merged report, or one reporting another
    /// problem, is an ordinary message.
    func answer(in message: InboundMessage, now: Date) async throws -> ChatCommand? {
        let text = message.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        if let quoted = message.quotedMessageID,
           let id = try await store.reportForCard(botCode: message.botCode, chatID: message.chatID, platformMessageID: quoted),
           let report = try await store.workOrder(id: id), report.status.isOpen {
            let reporters = try await store.reporters(reportID: id)
            guard reporters.contains(where: { $0.platform == message.platform && $0.userID == message.senderID }) else { return nil }
            let parse = parser.parse(text, groupBuilding: nil)
            guard parse.intent != .chat || parser.location(in: text).building != nil, !reportsAnotherProblem(parse, than: report.category) else { return nil }
            return ChatCommand(verb: .supplement, reportIDs: [id], note: text)
        }
        // In a building's chat every report takes the chat's building, so none there awaits one.
        if let chat = store.lastReadDirectory()?.chatGroup(botCode: message.botCode, chatID: message.chatID), chat.kind == .building { return nil }
        guard parser.location(in: text).building != nil,
              let pending = try await store.reportAwaitingBuilding(platform: message.platform, userID: message.senderID, botCode: message.botCode,
                                                                   chatID: message.chatID, since: now.addingTimeInterval(-Self.answerWindow))
        else { return nil }
        if reportsAnotherProblem(parser.parse(text, groupBuilding: nil), than: pending.category) { return nil }
        return ChatCommand(verb: .supplement, reportIDs: [pending.id], note: text)
    }

    /// Whether a parse reports a problem other than `category`. Only words that name a problem
    /// count: a bare place (`33号楼1单元`) can still be guessed a category by the model, and is
    /// an answer all the same.
    private func reportsAnotherProblem(_ parse: MessageParse, than category: ReportCategory) -> Bool {
        let namesAProblem = parse.cues.contains { cue in
            guard !cue.negated else { return false }
            switch cue.feature {
            case .category(let named): return named != category
            case .problem: return true
            default: return false
            }
        }
        return parse.intent == .report && parse.category != category && namesAProblem
    }
}
