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
    /// How many chats are processed at once.
    let parallelChats: Int
    /// This instance's name on the leases it takes.
    let owner = "processor-" + UUID().uuidString
    private let loop = WorkLoop()

    init(
        store: SQLStore, parser: MessageParser, replies: ChatReplies, commands: CommandPipeline, intake: ReportIntake, triage: TriageDesk,
        logger: Logger, now: @escaping @Sendable () -> Date, pollInterval: Duration = .seconds(2),
        parallelChats: Int = 64, onReplyQueued: @escaping @Sendable () -> Void = {}
    ) {
        self.parallelChats = max(1, parallelChats)
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
    ///
    /// Messages are claimed in batches under this instance's lease, so instances sharing a
    /// database take different messages. Within a batch, chats are processed side by side and
    /// each chat's messages one after another, in the order they arrived; the transactions of
    /// the chats running together are committed together. A message that fails stops its own
    /// chat for this round only: the others finish, and the failure is thrown afterwards, so the
    /// work loop logs it and tries again.
    @discardableResult
    public func processPending(batchSize: Int = 256) async throws -> Int {
        try await GridDatabase.inBackground { try await processBatches(of: batchSize) }
    }

    private func processBatches(of batchSize: Int) async throws -> Int {
        var finished = 0
        while true {
            let batch = try await store.claimUnprocessed(owner: owner, now: now(), lease: Self.lease, limit: batchSize)
            if batch.isEmpty { return finished }
            // One read of the community for the round (it is cached, and read again only when
            // it changed); every message of the batch is routed by it.
            let directory = try await store.directory()
            let (done, failure) = await processByChat(batch, directory: directory)
            finished += done
            if let failure { throw failure }
            if batch.count < batchSize { return finished }
        }
    }

    /// How long a claimed batch is this instance's; another instance takes over what is left
    /// of it after that (this one died). Far longer than a batch takes.
    static let lease: TimeInterval = 30

    /// Processes a batch, up to `parallelChats` chats at once, each chat in order.
    private func processByChat(_ batch: [StoredInboundMessage], directory: CommunityDirectory) async -> (finished: Int, failure: (any Error)?) {
        var chats: [[StoredInboundMessage]] = []
        var lanes: [String: Int] = [:]
        for stored in batch {
            let key = stored.message.botCode + "\u{1F}" + stored.message.chatID
            if let lane = lanes[key] {
                chats[lane].append(stored)
            } else {
                lanes[key] = chats.count
                chats.append([stored])
            }
        }
        return await withTaskGroup(of: (Int, (any Error)?).self) { group in
            var next = 0
            while next < min(chats.count, parallelChats) {
                let chat = chats[next]
                group.addTask { await self.processInOrder(chat, directory: directory) }
                next += 1
            }
            var finished = 0
            var failure: (any Error)?
            for await (done, error) in group {
                finished += done
                if failure == nil { failure = error }
                if next < chats.count {
                    let chat = chats[next]
                    group.addTask { await self.processInOrder(chat, directory: directory) }
                    next += 1
                }
            }
            return (finished, failure)
        }
    }

    /// One chat's messages, in order; stops at the first that fails.
    private func processInOrder(_ messages: [StoredInboundMessage], directory: CommunityDirectory) async -> (Int, (any Error)?) {
        var finished = 0
        var directory = directory
        for stored in messages {
            do {
                if try await process(stored, directory: &directory) { finished += 1 }
            } catch {
                logger.error("processing a message failed; its chat waits for the next round", metadata: [
                    "message.id": "\(stored.id)", "error": "\(error)",
                ])
                return (finished, error)
            }
        }
        return (finished, nil)
    }

    /// Handles one message and records its outcome; false when another worker got there first.
    ///
    /// A command may change the community (binding a chat, say), so after one the directory is
    /// read again for the messages after it.
    func process(_ stored: StoredInboundMessage, directory: inout CommunityDirectory) async throws -> Bool {
        let moment = now()
        switch try await commands.handle(stored, now: moment) {
        case .handled:
            onReplyQueued()
            directory = try await store.directory()
            return true
        case .alreadyProcessed:
            return false
        case .notACommand:
            break
        }
        let group = directory.chatGroup(botCode: stored.message.botCode, chatID: stored.message.chatID)
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
            // Asked what is going on in the building: its open reports, no personal data.
            if let building = groupBuilding, parse.intent != .spam, BuildingStatus.asks(stored.message.text),
               let answer = try await BuildingStatus(store: store, replies: replies).answer(to: stored.message, building: building, directory: directory) {
                return try await finish(stored, as: .question, reply: answer, now: moment)
            }
            // A possible report is kept for staff to decide; questions, notices, chat and spam
            // are recorded as such and left alone.
            if parse.needsTriage, parse.intent != .spam, sender?.role.isStaff != true {
                guard try await triage.keep(stored, parse: parse, group: group, directory: directory, now: moment) else { return false }
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
        guard try await intake.record(stored, report: report, sender: sender, directory: directory, now: moment) != nil else { return false }
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
