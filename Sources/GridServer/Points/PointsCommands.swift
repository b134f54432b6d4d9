import Crypto
import Foundation
import GridCore
import GridStore
import Logging

/// The volunteer-points commands in chat (`任务`, `报名 T4`, `完成 T4`, `通过 T4 @王芳`, `积分`,
/// `兑换 O3`…), read for the command pipeline, which runs each in one transaction with the claim
/// of its message and every chat message it queues.
struct PointsCommands: ChatCommandReader {
    let store: SQLStore
    let replies: ChatReplies
    let commands: PointsCommandParser
    let tasks: VolunteerTasks
    /// Signs the QR payloads of vouchers.
    let voucherKey: SymmetricKey
    /// Where people reach GridBot, for the voucher page's link; nil leaves the link out.
    let publicURL: String?

    /// What a points command runs with.
    struct Request: Sendable {
        var stored: StoredInboundMessage
        var person: Person?
        /// Read only for the commands `readsCommunity` names.
        var community: CommunityDirectory?
        var now: Date
        var today: String

        var message: InboundMessage { stored.message }

        func directory() throws -> CommunityDirectory {
            guard let community else { throw StoreError.corrupt("the community structure was not read for this command") }
            return community
        }

        /// Says how to take part for a sender who cannot yet.
        var replies: ChatReplies
        /// Set when the command came from a group: what is personal (codes, balances) is sent
        /// to the sender through this bot rather than answered in the group.
        var privately: Bot?

        /// The sender as a resident with a household, or a refusal saying how to get one.
        func resident() throws -> (Person, String) {
            guard let person else { throw CommandRefusal(replies.line(.pointsUnregistered)) }
            guard let household = person.householdCode else { throw CommandRefusal(replies.line(.pointsNoHousehold)) }
            return (person, household)
        }
    }

    func job(for stored: StoredInboundMessage, now: Date) async throws -> CommandJob? {
        let message = stored.message
        guard let parsed = commands.command(in: message.text, now: now) else { return try await evidenceJob(for: stored, now: now) }
        let command: PointsCommand
        switch parsed {
        case .failure(let error): throw CommandRefusal(error.reason)
        case .success(let value): command = value
        }
        let person = try await store.person(platform: message.platform, userID: message.senderID)
        // Read before the transaction, and only by the commands that check scope or post to staff.
        let directory = Self.readsCommunity(command) ? try await store.directory() : nil
        let privately = stored.groupCode != nil && Self.isPersonal(command) ? try await store.bot(code: message.botCode) : nil
        let request = Request(stored: stored, person: person, community: directory, now: now, today: CalendarDay(now, in: commands.timeZone).description,
                              replies: replies, privately: privately)
        return CommandJob(name: "points.\(Self.name(of: command))") { tx, keys in
            for outbound in try await perform(command, request, tx: tx.points) {
                try await tx.enqueue(outbound, dedupeKey: keys.next(), at: now)
            }
        }
    }

    /// A photo that completes a held completion (`完成 T4` said without the photo its task asks
    /// for): from the same person, in the chat the completion was held in, with no words or
    /// words that are neither a report nor a report command (a photo of a new problem is that
    /// problem's report; `#12 …` with a photo adds to report 12).
    private func evidenceJob(for stored: StoredInboundMessage, now: Date) async throws -> CommandJob? {
        let message = stored.message
        guard !message.attachments.isEmpty else { return nil }
        let words = message.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard words.isEmpty || !MessageProcessor.looksLikeCommand(words) && tasks.parser.parse(words, groupBuilding: nil).intent != .report,
              let person = try await store.person(platform: message.platform, userID: message.senderID),
              let held = try await store.readingPoints({ tx in try await tx.heldCompletion(person: person.code, botCode: message.botCode, chatID: message.chatID) })
        else { return nil }
        let note = [held.note, words.isEmpty ? nil : words].compactMap { $0 }.joined(separator: "；")
        let request = Request(stored: stored, person: person, community: try await store.directory(), now: now,
                              today: CalendarDay(now, in: commands.timeZone).description, replies: replies, privately: nil)
        return CommandJob(name: "points.complete_with_photo") { tx, keys in
            for outbound in try await complete(held.enrolment.taskCode, note: note, request, tx: tx.points) {
                try await tx.enqueue(outbound, dedupeKey: keys.next(), at: now)
            }
        }
    }

    /// Carries out one command inside the transaction and returns the messages to queue, the
    /// answer to the sender first; throws `CommandRefusal` to refuse.
    private func perform(_ command: PointsCommand, _ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        switch command {
        case .postTask(let draft): try await postTask(draft, request, tx: tx)
        case .listTasks: try await listTasks(request, tx: tx)
        case .signUp(let code): try await signUp(code, request, tx: tx)
        case .withdraw(let code): try await withdraw(code, request, tx: tx)
        case .complete(let code, let note): try await complete(code, note: note, request, tx: tx)
        case .approve(let code, let name): try await review(code, name: name, reason: nil, request, tx: tx)
        case .reject(let code, let name, let reason): try await review(code, name: name, reason: reason, request, tx: tx)
        case .balance: try await balance(request, tx: tx)
        case .vouchers: try await vouchers(request, tx: tx)
        case .listOffers: try await offers(tx: tx, request)
        case .redeem(let code): try await redeem(code, request, tx: tx)
        }
    }

    /// The answer to the sender from a template.
    func answer(_ request: Request, _ template: ChatTemplate, _ values: [String: Any]) -> OutboundMessage {
        .answer(to: request.message, replies.render(template, values) ?? "")
    }

    /// The answer to the sender that a command was carried out.
    func done(_ request: Request, _ line: ChatLine, _ values: [String: Any]) -> OutboundMessage {
        .answer(to: request.message, replies.done(line, values))
    }

    /// What is personal, asked for in a group, goes to the sender alone: the message itself
    /// where the bot can send one privately, with a short notice in the group saying so; else
    /// only a notice telling them to ask the bot in a private chat (`command`).
    func personal(_ request: Request, _ template: ChatTemplate, _ values: [String: Any], what: ChatLine, command: String) -> [OutboundMessage] {
        let message = request.message
        let text = replies.render(template, values) ?? ""
        guard let bot = request.privately else { return [.answer(to: message, text)] }
        let notice: [String: Any] = ["mention": request.person?.name ?? message.senderName ?? "", "what": replies.line(what), "command": command]
        guard bot.canMessagePrivately else { return [.answer(to: message, replies.line(.pointsPrivateOnly, notice))] }
        let direct = OutboundMessage(platform: message.platform, botCode: message.botCode, chatID: message.chatID, text: text, recipient: message.senderID)
        return [direct, .answer(to: message, replies.line(.pointsSentPrivately, notice))]
    }

    /// The voucher page's address for a voucher, when GridBot knows its public address.
    func link(_ voucher: Voucher) -> String? {
        guard let publicURL, voucher.status == .issued else { return nil }
        let payload = VoucherTicket(code: voucher.code, expiresAt: voucher.expiresAt).payload(key: voucherKey)
        return publicURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/vouchers/" + payload
    }

    /// The commands whose answers are the household's own: codes, payloads, balances.
    static func isPersonal(_ command: PointsCommand) -> Bool {
        switch command {
        case .redeem, .vouchers, .balance: true
        case .postTask, .listTasks, .signUp, .withdraw, .complete, .approve, .reject, .listOffers: false
        }
    }

    /// Whether a command needs the community structure (scope checks, staff chats).
    static func readsCommunity(_ command: PointsCommand) -> Bool {
        switch command {
        case .postTask, .complete, .approve, .reject: true
        case .listTasks, .signUp, .withdraw, .balance, .vouchers, .listOffers, .redeem: false
        }
    }

    /// What a command is about, for the log.
    static func name(of command: PointsCommand) -> String {
        switch command {
        case .postTask: "post_task"
        case .listTasks: "list_tasks"
        case .signUp: "sign_up"
        case .withdraw: "withdraw"
        case .complete: "complete"
        case .approve: "approve"
        case .reject: "reject"
        case .balance: "balance"
        case .vouchers: "vouchers"
        case .listOffers: "list_offers"
        case .redeem: "redeem"
        }
    }
}
