import Foundation
import GridCore
import GridStore

/// `上报` and `忽略` from a member of staff, quoting a group message or its triage note (or `上报`
/// followed by the problem in their own words): the message becomes a report through the same
/// intake as any, or is dismissed, in the transaction that claims the command.
struct TriageCommands: ChatCommandReader {
    let store: SQLStore
    let commands: ChatCommandParser
    let triage: TriageDesk

    var intake: ReportIntake { triage.intake }
    var replies: ChatReplies { triage.replies }

    func job(for stored: StoredInboundMessage, now: Date) async throws -> CommandJob? {
        let message = stored.message
        guard let command = commands.command(in: message.text), command.verb == .promote || command.verb == .dismiss, command.reportIDs.isEmpty else {
            return nil
        }
        // A resident writing 上报… is describing a problem: it is parsed like any message.
        guard let person = try await store.person(platform: message.platform, userID: message.senderID), person.role.isStaff else { return nil }
        guard [.gridWorker, .gridHead, .buildingHead, .communityAdmin].contains(person.role) else {
            throw CommandRefusal(replies.line(.triageForbidden), .forbidden)
        }
        let directory = try await store.directory()
        guard let target = try await target(of: stored) else {
            guard command.verb == .promote, !command.note.isEmpty else {
                throw CommandRefusal(replies.line(.triageNeedsQuote, ["verb": command.verb == .promote ? "上报" : "忽略"]))
            }
            // 上报 followed by the problem itself: staff filing a report in their own words.
            var own = stored
            own.message.text = command.note
            let guess = try await triage.guess(for: own, directory: directory, now: now)
            return try await promotion(of: own, by: person, command: command, commandMessage: stored, candidate: guess, now: now)
        }
        let known = try await triage.guess(for: target, directory: directory, now: now)
        guard ReportScope.of(person, in: directory).contains(known.assignment(in: directory)) else {
            throw CommandRefusal(replies.line(.triageOutOfScope), .forbidden)
        }
        if command.verb == .promote {
            return try await promotion(of: target, by: person, command: command, commandMessage: stored, candidate: known, now: now)
        }
        return dismissal(of: target, candidate: known, by: person, commandMessage: stored, now: now)
    }

    private func promotion(
        of target: StoredInboundMessage, by person: Person, command: ChatCommand, commandMessage: StoredInboundMessage,
        candidate guess: TriageCandidate, now: Date
    ) async throws -> CommandJob {
        let report = triage.report(from: guess, text: target.message.text, adjustedBy: command.note)
        let promotion = ReportIntake.Promotion(command: commandMessage, person: person, candidate: guess)
        let context = try await intake.context(for: target, now: now)
        return CommandJob(name: "triage.promote") { tx, keys in
            _ = try await intake.record(target, report: report, answering: true, promotion: promotion, context: context, tx: tx.workOrders, keys: &keys)
        }
    }

    private func dismissal(of target: StoredInboundMessage, candidate: TriageCandidate, by person: Person, commandMessage: StoredInboundMessage, now: Date) -> CommandJob {
        var decided = candidate
        decided.status = .dismissed
        decided.decidedBy = person.code
        decided.decidedAt = now
        let record = decided, answer = replies.done(.triageDismissed)
        return CommandJob(name: "triage.dismiss") { tx, keys in
            let workOrders = tx.workOrders
            if let report = try await workOrders.reportID(forMessage: target.id) { throw CommandRefusal(report, replies.line(.intakeAlreadyReport, ["id": report])) }
            if try await !workOrders.decideTriage(messageID: target.id, .dismissed, by: person.code, reportID: nil, at: now) {
                try await workOrders.recordDecision(record)
            }
            try await tx.enqueue(.answer(to: commandMessage.message, answer), dedupeKey: keys.next(), at: now)
        }
    }

    /// The group message a command quotes, directly or through a triage note; nil when it quotes
    /// nothing. A quoted report card is refused: that message is a report already.
    private func target(of stored: StoredInboundMessage) async throws -> StoredInboundMessage? {
        let message = stored.message
        guard let quoted = message.quotedMessageID else { return nil }
        if let original = try await store.storedMessage(botCode: message.botCode, chatID: message.chatID, platformMessageID: quoted) {
            return original
        }
        if let id = try await store.triageForNote(botCode: message.botCode, chatID: message.chatID, platformMessageID: quoted),
           let original = try await store.storedMessage(id: id) {
            return original
        }
        if let report = try await store.reportForCard(botCode: message.botCode, chatID: message.chatID, platformMessageID: quoted) {
            throw CommandRefusal(report, replies.line(.triageCardQuoted, ["id": report]))
        }
        throw CommandRefusal(replies.line(.triageQuoteNotFound), .notFound)
    }
}
