import Foundation
import GridCore
import GridStore
import Logging

/// What a console command did: done with the line chat would have answered, or refused saying why.
public enum ConsoleCommandResult: Sendable, Equatable {
    case done(String)
    case refused(String)
}

/// The report commands (`收到 #12`, `转办 #12 物业 原因…`, `满意`), in chat through the command
/// pipeline and on the console: the same rules, timeline entries and notices either way. Each
/// verb is one method of `ReportCommandRun`.
public struct ReportCommands: ChatCommandReader {
    let store: SQLStore
    let parser: MessageParser
    let commands: ChatCommandParser
    let dispatcher: ReportDispatcher

    func job(for stored: StoredInboundMessage, now: Date) async throws -> CommandJob? {
        let message = stored.message
        var parsed = commands.command(in: message.text)
        if parsed == nil { parsed = try await answer(in: message, now: now) }
        guard var command = parsed else { return nil }
        let person = try await store.person(platform: message.platform, userID: message.senderID)
        if command.reportIDs.isEmpty, let quoted = message.quotedMessageID,
           let id = try await store.reportForCard(botCode: message.botCode, chatID: message.chatID, platformMessageID: quoted) {
            command.reportIDs = [id]
        }
        if command.reportIDs.isEmpty, command.verb == .satisfied || command.verb == .dissatisfied {
            // 回访 answered without a number: the sender's latest closed report not yet rated.
            if let id = try await store.latestUnratedClosedReport(platform: message.platform, userID: message.senderID) { command.reportIDs = [id] }
        }
        guard !command.reportIDs.isEmpty else {
            // A command word with no report: staff get a hint, anyone else is just chatting.
            guard person?.role.isStaff == true, !command.note.isEmpty else { return nil }
            throw CommandRefusal(dispatcher.replies.line(.reportNeedsNumber))
        }
        let directory = try await store.directory()
        let final = command
        return CommandJob(name: "report.\(command.verb.rawValue)") { tx, keys in
            let reply = try await run(final, person: person, sender: CommandSender(message), directory: directory, tx: tx.workOrders, keys: &keys, now: now)
            try await tx.enqueue(.answer(to: message, reply), dedupeKey: keys.next(), at: now)
        }
    }

    /// Carries out a command given on the staff console by a signed-in person. A refusal writes
    /// nothing. `key` is the form's one-time key, so a form sent twice queues its notices once.
    public func perform(_ command: ChatCommand, by person: Person, key: String, now: Date) async throws -> ConsoleCommandResult {
        guard !command.reportIDs.isEmpty else { return .refused(dispatcher.replies.line(.reportNeedsNumberConsole)) }
        let directory = try await store.directory()
        do {
            return .done(try await store.transaction { tx in
                var keys = DedupeKeys(base: "web:\(key)")
                let sender = CommandSender(platform: .generic, senderID: "web:\(person.code)", senderName: person.name, attachments: 0)
                return try await run(command, person: person, sender: sender, directory: directory, tx: tx.workOrders, keys: &keys, now: now)
            })
        } catch let refusal as CommandRefusal {
            return .refused(refusal.reason)
        }
    }

    /// Carries out one command inside the transaction; returns the reply for the sender or
    /// throws a `CommandRefusal` with the one-line reason.
    private func run(
        _ command: ChatCommand, person: Person?, sender: CommandSender, directory: CommunityDirectory,
        tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date
    ) async throws -> String {
        let id = command.reportIDs[0]
        guard let order = try await tx.workOrder(id: id) else { throw CommandRefusal(id, dispatcher.replies.line(.reportNotFound), .notFound) }
        var run = ReportCommandRun(command: command, person: person, sender: sender, order: order, directory: directory, tx: tx,
                                   dispatcher: dispatcher, parser: parser, keys: keys, now: now)
        defer { keys = run.keys }
        let reply = try await carryOut(command.verb, &run, id: id)
        // Whatever the command changed (a building named, a category or urgency corrected, a
        // split) may reach households on the care register.
        try await dispatcher.checkOnCare(run.order, directory: directory, tx: tx, keys: &run.keys, now: now)
        return reply
    }

    /// One verb's method.
    private func carryOut(_ verb: CommandVerb, _ run: inout ReportCommandRun, id: Int64) async throws -> String {
        switch verb {
        case .acknowledge: return try await run.acknowledge()
        case .start: return try await run.start()
        case .resolve: return try await run.resolve()
        case .assign, .transfer: return try await run.dispatch()
        case .return: return try await run.giveBack()
        case .verify: return try await run.verify()
        case .close: return try await run.close()
        case .reopen: return try await run.reopen()
        case .merge: return try await run.merge()
        case .split: return try await run.split()
        case .satisfied, .dissatisfied: return try await run.rate()
        case .supplement: return try await run.supplement()
        case .recategorise: return try await run.recategorise()
        case .reprioritise: return try await run.reprioritise()
        case .relocate: return try await run.relocate()
        case .visited: return try await run.confirmVisit()
        case .promote, .dismiss:
            // Messages, not reports, are promoted or dismissed (TriageCommands).
            throw CommandRefusal(id, dispatcher.replies.line(.reportAlreadyReport, ["id": id]))
        }
    }
}

/// Who gave a command, as far as the command needs to know.
struct CommandSender: Sendable {
    var platform: ChatPlatform
    var senderID: String
    var senderName: String?
    /// How many photos came with it.
    var attachments: Int
    /// The chat it was given in (bot and chat id), nil on the console: that chat hears the
    /// answer, so a notice for it is not posted there again.
    var chat: (botCode: String, chatID: String)?

    init(platform: ChatPlatform, senderID: String, senderName: String?, attachments: Int, chat: (botCode: String, chatID: String)? = nil) {
        self.platform = platform
        self.senderID = senderID
        self.senderName = senderName
        self.attachments = attachments
        self.chat = chat
    }

    init(_ message: InboundMessage) {
        self.init(platform: message.platform, senderID: message.senderID, senderName: message.senderName, attachments: message.attachments.count,
                  chat: (message.botCode, message.chatID))
    }

    /// Whether a chat is the one the command was given in.
    func isIn(_ group: ChatGroup) -> Bool {
        chat.map { $0.botCode == group.botCode && $0.chatID == group.chatID } ?? false
    }
}
