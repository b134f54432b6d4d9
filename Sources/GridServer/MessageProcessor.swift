import Foundation
import GridCore
import GridStore
import Logging
import ServiceLifecycle

/// Parses stored messages after the webhook has answered, and records the reports.
///
/// It works only from what is stored, so a crash after the answer loses nothing: on start it
/// processes whatever is still unprocessed. Each message is finished in one transaction that
/// claims it (`processed_at IS NULL`), so two processors, or a retry, never make two reports.
/// On graceful shutdown it finishes the batch in hand and stops.
public final class MessageProcessor: Service, Sendable {
    let store: SQLStore
    let parser: MessageParser
    let replies: ChatReplies
    let desk: WorkOrderDesk
    let points: PointsDesk
    let triage: TriageDesk
    let notices: NoticeBoard
    let logger: Logger
    let now: @Sendable () -> Date
    let pollInterval: Duration
    /// Called after a reply was queued, so the outbound sender starts at once.
    let onReplyQueued: @Sendable () -> Void
    private let loop = WorkLoop()

    public init(
        store: SQLStore, parser: MessageParser, replies: ChatReplies, desk: WorkOrderDesk, points: PointsDesk, logger: Logger,
        now: @escaping @Sendable () -> Date, pollInterval: Duration = .seconds(2),
        onReplyQueued: @escaping @Sendable () -> Void = {}
    ) {
        self.onReplyQueued = onReplyQueued
        self.store = store
        self.parser = parser
        self.replies = replies
        self.desk = desk
        self.points = points
        self.triage = desk.triage
        self.notices = NoticeBoard(store: store, replies: replies)
        self.logger = logger
        self.now = now
        self.pollInterval = pollInterval
    }

    /// Tells the processor a new message is stored.
    public func notify() {
        loop.notify()
    }

    public func run() async throws {
        try await loop.run(pollInterval: pollInterval, logger: logger, what: "processing stored messages") {
            try await self.processPending()
        }
    }

    /// Processes every stored message not yet processed, oldest first; returns how many it finished.
    @discardableResult
    public func processPending(batchSize: Int = 100) async throws -> Int {
        var finished = 0
        while true {
            let batch = try await store.unprocessedMessages(limit: batchSize)
            if batch.isEmpty { return finished }
            for stored in batch {
                if try await process(stored) { finished += 1 }
            }
            if batch.count < batchSize { return finished }
        }
    }

    /// Parses one message and records its outcome; false when another worker got there first.
    func process(_ stored: StoredInboundMessage) async throws -> Bool {
        if stored.groupCode == nil, let building = Self.bindingCommand(stored.message.text, parser: parser) {
            return try await bind(stored, building: building)
        }
        let moment = now()
        // Points commands name tasks and offers (T4, O3), 上报 and 忽略 name messages, report
        // commands name reports (#12): at most one desk takes a message.
        let desks: [@Sendable (StoredInboundMessage, Date) async throws -> CommandOutcome] = [
            points.handle(_:now:), triage.handle(_:now:), desk.handleCommand(_:now:),
        ]
        for handle in desks {
            switch try await handle(stored, moment) {
            case .handled:
                onReplyQueued()
                return true
            case .alreadyProcessed:
                return false
            case .notACommand:
                continue
            }
        }
        let group = try await store.chatGroup(botCode: stored.message.botCode, chatID: stored.message.chatID)
        let sender = try await store.person(platform: stored.message.platform, userID: stored.message.senderID)
        let staffChat = group?.kind == .gridStaff || group?.kind == .department
        if staffChat || sender?.role.isStaff == true {
            // Staff chats are for staff: what they write there is never a resident's report
            // (`上报 …` files one), and from staff anywhere a command not understood is said so.
            if Self.looksLikeCommand(stored.message.text) {
                let text = replies.render(.commandUnknown, ["text": String(stored.message.text.prefix(40))]) ?? "没有看懂这条指令。"
                guard try await store.finishProcessing(of: stored, intent: .chat, at: moment, reply: WorkOrderDesk.answer(stored.message, text)) else { return false }
                onReplyQueued()
                return true
            }
            if staffChat { return try await store.finishProcessing(of: stored, intent: .chat, at: moment, reply: nil) }
        }
        let groupBuilding = group?.kind == .building ? group?.buildingCode : nil
        let parse = parser.parse(stored.message.text, groupBuilding: groupBuilding)
        guard parse.intent == .report, let category = parse.category, let urgency = parse.urgency else {
            // A possible report is kept for staff to decide; questions, notices, chat and spam
            // are recorded as such and left alone.
            if parse.needsTriage, parse.intent != .spam, sender?.role.isStaff != true {
                guard try await triage.keep(stored, parse: parse, group: group, now: moment) else { return false }
                onReplyQueued()
                return true
            }
            if parse.intent == .notice, NoticeBoard.isStaffNotice(stored.message.text, from: sender) {
                return try await notices.remember(stored, now: moment)
            }
            if parse.intent == .question, let answer = try await notices.answer(to: stored.message, now: moment) {
                guard try await store.finishProcessing(of: stored, intent: .question, at: moment, reply: answer) else { return false }
                onReplyQueued()
                return true
            }
            return try await store.finishProcessing(of: stored, intent: parse.intent, at: moment, reply: nil)
        }
        let report = NewReport(category: category, urgency: urgency, location: parse.location, confidence: parse.confidence, needsTriage: parse.needsTriage)
        guard let reportID = try await desk.intake(stored, report: report, now: moment) else { return false }
        logger.info("report recorded", metadata: [
            "report.id": "\(reportID)", "report.category": "\(category.rawValue)",
            "report.urgency": "\(urgency.rawValue)", "chat.platform": "\(stored.message.platform.rawValue)",
        ])
        onReplyQueued()
        return true
    }

    /// Whether a message not understood as a command still reads like one: it names a report
    /// number (`改类 #1 燃气`, `收到#12号`).
    static func looksLikeCommand(_ text: String) -> Bool {
        let folded = ChatCommandParser.fold(text)
        return folded.indices.contains { index in
            folded[index] == "#" && folded[folded.index(after: index)...].drop(while: { $0 == " " }).first?.isNumber == true
        }
    }

    /// `绑定 3号楼` (after an optional @-mention): the building named, or nil for any other text.
    static func bindingCommand(_ text: String, parser: MessageParser) -> String? {
        var rest = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if rest.hasPrefix("@"), let space = rest.firstIndex(where: { $0 == " " || $0 == "\u{2005}" }) {
            rest = rest[space...].drop(while: { $0.isWhitespace || $0 == "\u{2005}" })
        }
        guard rest.hasPrefix("绑定") else { return nil }
        return parser.location(in: String(rest.dropFirst(2))).building
    }

    /// Binds an unknown chat to a building when a member of staff asks; answers either way.
    private func bind(_ stored: StoredInboundMessage, building code: String) async throws -> Bool {
        let message = stored.message
        let person = try await store.person(platform: message.platform, userID: message.senderID)
        var answer: String?
        if person?.role.isStaff != true {
            answer = replies.bindRefused("只有网格员、网格长、楼长或社区工作人员可以绑定群。")
        } else if let building = try await store.building(code: code) {
            let grid = try await store.grid(code: building.gridCode)
            if try await store.bindBuildingChat(botCode: message.botCode, chatID: message.chatID, buildingCode: code, name: "\(code)号楼群（\(message.platform.rawValue)）") != nil {
                answer = replies.groupBound(building: code, gridName: grid?.name)
                logger.info("chat bound to a building", metadata: ["chat.bot": "\(message.botCode)", "chat.id": "\(message.chatID)", "building": "\(code)"])
            } else {
                answer = replies.bindRefused("本群已经绑定过了。")
            }
        } else {
            answer = replies.bindRefused("本社区没有 \(code)号楼，请检查楼号。")
        }
        let moment = now()
        let reply = answer.map { OutboundMessage(platform: message.platform, botCode: message.botCode, chatID: message.chatID, text: $0, replyTo: message.platformMessageID, replyURL: message.replyURL) }
        guard try await store.finishProcessing(of: stored, intent: .chat, at: moment, reply: reply) else { return false }
        if reply != nil { onReplyQueued() }
        return true
    }
}
