import Foundation
import GridCore
import GridStore
import Logging
import ServiceLifecycle

/// Parses stored messages after the webhook has answered: a command goes through the command
/// pipeline; anything else is parsed, and a report goes to intake, a possible report to triage,
/// a notice to the notice board, and a question gets the notice that answers it.
///
/// It works only from what is stored, so a crash after the answer loses nothing: on start it
/// processes whatever is still unprocessed. Each message is finished in one transaction that
/// claims it (`processed_at IS NULL`), so two processors, or a retry, never make two reports.
/// On graceful shutdown it finishes the batch in hand and stops.
public final class MessageProcessor: Service, Sendable {
    let store: SQLStore
    let parser: MessageParser
    let replies: ChatReplies
    let commands: CommandPipeline
    let intake: ReportIntake
    let triage: TriageDesk
    let notices: NoticeBoard
    let logger: Logger
    let now: @Sendable () -> Date
    let pollInterval: Duration
    /// Called after a reply was queued, so the outbound sender starts at once.
    let onReplyQueued: @Sendable () -> Void
    private let loop = WorkLoop()

    init(
        store: SQLStore, parser: MessageParser, replies: ChatReplies, commands: CommandPipeline, intake: ReportIntake, triage: TriageDesk,
        logger: Logger, now: @escaping @Sendable () -> Date, pollInterval: Duration = .seconds(2),
        onReplyQueued: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.parser = parser
        self.replies = replies
        self.commands = commands
        self.intake = intake
        self.triage = triage
        self.notices = NoticeBoard(store: store, replies: replies)
        self.logger = logger
        self.now = now
        self.pollInterval = pollInterval
        self.onReplyQueued = onReplyQueued
    }

    /// Tells the processor a new message is stored.
    public func notify() {
        loop.notify()
    }

    /// Processes on start and whenever told of a message, until shutdown.
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

    /// Handles one message and records its outcome; false when another worker got there first.
    func process(_ stored: StoredInboundMessage) async throws -> Bool {
        let moment = now()
        switch try await commands.handle(stored, now: moment) {
        case .handled:
            onReplyQueued()
            return true
        case .alreadyProcessed:
            return false
        case .notACommand:
            break
        }
        let group = try await store.chatGroup(botCode: stored.message.botCode, chatID: stored.message.chatID)
        let sender = try await store.person(platform: stored.message.platform, userID: stored.message.senderID)
        let staffChat = group?.kind == .gridStaff || group?.kind == .department
        if staffChat || sender?.role.isStaff == true {
            // Staff chats are for staff: what they write there is never a resident's report
            // (`上报 …` files one), and from staff anywhere a command not understood is said so.
            if Self.looksLikeCommand(stored.message.text) {
                let text = replies.render(.commandUnknown, ["text": String(stored.message.text.prefix(40))]) ?? "没有看懂这条指令。"
                return try await finish(stored, as: .chat, reply: .answer(to: stored.message, text), now: moment)
            }
            if staffChat { return try await finish(stored, as: .chat, reply: nil, now: moment) }
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
                return try await finish(stored, as: .question, reply: answer, now: moment)
            }
            return try await finish(stored, as: parse.intent, reply: nil, now: moment)
        }
        let report = NewReport(category: category, urgency: urgency, location: parse.location, confidence: parse.confidence, needsTriage: parse.needsTriage)
        guard try await intake.record(stored, report: report, sender: sender, now: moment) != nil else { return false }
        onReplyQueued()
        return true
    }

    /// Records a message that makes nothing, with its answer if it has one.
    private func finish(_ stored: StoredInboundMessage, as intent: Intent, reply: OutboundMessage?, now: Date) async throws -> Bool {
        guard try await store.finishProcessing(of: stored, intent: intent, at: now, reply: reply) else { return false }
        if reply != nil { onReplyQueued() }
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
}
