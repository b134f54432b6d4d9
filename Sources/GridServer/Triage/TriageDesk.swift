import Foundation
import GridCore
import GridStore
import Logging

/// No report lost: what the parser was unsure of is kept for staff, and staff turn any group
/// message into a report (`上报`, replying to it or to the triage note) or dismiss it (`忽略`).
///
/// A kept candidate carries the parser's best guess and why; when a report is likely, the grid's
/// staff chat gets a note quoting the message with the words to act on it. A promotion goes
/// through the same intake as any report (routing, card, the reporter told, deadlines), in one
/// transaction with the staff member's command; a refusal rolls it back and is answered apart.
public struct TriageDesk: Sendable {
    let store: SQLStore
    let parser: MessageParser
    let replies: ChatReplies
    let intake: ReportIntake
    let logger: Logger

    var settings: WorkOrderSettings { intake.dispatcher.settings }
    var secrets: [String: String] { intake.dispatcher.secrets }

    /// A triage note goes to the grid's staff when the model gives a report at least this chance.
    static let noteChance = 0.3

    // MARK: Keeping candidates

    /// Finishes a non-report the parser marked for triage: keeps it with its guess and, when a
    /// report is likely, tells the grid's staff. False when another worker processed it first.
    func keep(_ stored: StoredInboundMessage, parse: MessageParse, group: ChatGroup?, directory: CommunityDirectory, now: Date) async throws -> Bool {
        var candidate = self.candidate(for: stored, parse: parse, group: group, directory: directory, now: now)
        let chance = parse.model?.probability(of: .report) ?? 0
        var notes: [OutboundMessage] = []
        if chance >= Self.noteChance || parse.model == nil, let text = replies.render(.triageNote, [
            "sender": stored.message.senderName ?? "群成员", "chat": group?.name ?? "", "text": PersonalData.mask(stored.message.text),
            "category": candidate.guessCategory.chineseName, "urgency": candidate.guessUrgency.chineseName,
            "location": Location(building: candidate.buildingCode).chineseDescription,
        ]) {
            for chat in directory.staffChats(grid: candidate.gridCode ?? directory.root ?? "") {
                notes.append(try directory.outbound(text, to: chat, secrets: secrets))
            }
        }
        // Noted candidates nobody acts on within an hour of working time are reminded once.
        if !notes.isEmpty { candidate.remindAt = settings.calendar.adding(workingTime: 3600, to: now) }
        let kept = candidate, queued = notes
        let finished = try await store.withWorkOrders { tx in
            guard try await tx.claim(stored, intent: parse.intent, at: now) else { return false }
            try await tx.keepTriage(kept)
            for (index, note) in queued.enumerated() {
                try await tx.enqueue(note, dedupeKey: "m\(stored.id).triage.\(index)", triageMessageID: stored.id, at: now)
            }
            return true
        }
        if finished {
            logger.info("message kept for triage", metadata: ["message.id": "\(stored.id)", "triage.grid": "\(kept.gridCode ?? "-")", "triage.noted": "\(!queued.isEmpty)"])
        }
        return finished
    }

    /// What the parser makes of a message as a possible report, and where it would go.
    func candidate(for stored: StoredInboundMessage, parse: MessageParse, group: ChatGroup?, directory: CommunityDirectory, now: Date) -> TriageCandidate {
        let model = parse.model
        let category = model?.category ?? parse.category ?? .other
        let urgency: Urgency = if let model {
            model.probability(of: .emergency) >= parser.blend.emergencyRaise ? .emergency
                : model.probability(of: .urgent) > model.probability(of: .normal) ? .urgent : .normal
        } else {
            parse.urgency ?? .normal
        }
        var location = parser.location(in: stored.message.text)
        if location.building == nil, group?.kind == .building { location.building = group?.buildingCode }
        let route = directory.route(for: location, group: group, category: category)
        var reason = parse.cues.filter { !$0.negated }.map { "「\($0.text)」\($0.feature.chineseName)" }.joined(separator: " ")
        if let model { reason += (reason.isEmpty ? "" : "；") + "模型：是问题的可能 \(Int((model.probability(of: .report) * 100).rounded()))%" }
        return TriageCandidate(
            messageID: stored.id, gridCode: route.grid.isEmpty ? nil : route.grid, buildingCode: location.building, guessIntent: parse.intent,
            guessCategory: category, guessUrgency: urgency, reportChancePercent: Int(((model?.probability(of: .report) ?? 0) * 100).rounded()),
            reason: reason.isEmpty ? "没有明确线索" : reason, createdAt: now)
    }

    /// Reminds the grid's staff, once, of candidates nobody decided on in time; returns how many.
    public func remind(_ messageIDs: [Int64], now: Date) async throws -> Int {
        let directory = try await store.directory()
        var reminded = 0
        for id in messageIDs {
            guard let candidate = try await store.triageCandidate(messageID: id), let stored = try await store.storedMessage(id: id),
                  let text = replies.render(.triageReminder, [
                      "sender": stored.message.senderName ?? "群成员", "text": PersonalData.mask(stored.message.text),
                      "since": replies.clockTime(candidate.createdAt, relativeTo: now),
                  ])
            else { continue }
            let notes = try directory.staffChats(grid: candidate.gridCode ?? directory.root ?? "").map { try directory.outbound(text, to: $0, secrets: secrets) }
            let sent = try await store.withWorkOrders { tx in
                guard try await tx.claimTriageReminder(messageID: id, at: now) else { return false }
                for (index, note) in notes.enumerated() {
                    try await tx.enqueue(note, dedupeKey: "m\(id).triage-reminder.\(index)", triageMessageID: id, at: now)
                }
                return true
            }
            if sent { reminded += 1 }
        }
        return reminded
    }

    // MARK: The console

    /// What a console action did: done with a line for the page, or refused with the reason.
    public enum ConsoleResult: Sendable, Equatable {
        case done(String, reportID: Int64?)
        case refused(String)
    }

    /// Promotes a stored message from the console, with the category, urgency and building the
    /// form chose (nil keeps the guess). `key` is the form's one-time key.
    public func promote(messageID: Int64, by person: Person, category: ReportCategory?, urgency: Urgency?, building: String?, key: String, now: Date) async throws -> ConsoleResult {
        guard let target = try await store.storedMessage(id: messageID), !target.message.text.isEmpty else {
            // A message retention has cleared has nothing left to report.
            return .refused(replies.line(.triageNoMessage))
        }
        let directory = try await store.directory()
        var guess = try await guess(for: target, directory: directory, now: now)
        guard ReportScope.of(person, in: directory).contains(guess.assignment(in: directory)), person.role != .departmentStaff else {
            return .refused(replies.line(.triageOutOfScope))
        }
        if let category { guess.guessCategory = category }
        if let urgency { guess.guessUrgency = urgency }
        var report = self.report(from: guess, text: target.message.text, adjustedBy: "")
        if let building, !building.isEmpty {
            guard directory.buildingGrids[building] != nil else { return .refused(replies.line(.correctionNoBuilding, ["building": building])) }
            report.location = Location(building: building, unit: report.location.building == building ? report.location.unit : nil,
                                       room: report.location.building == building ? report.location.room : nil)
        }
        do {
            let id = try await intake.record(target, report: report, promotion: ReportIntake.Promotion(consoleKey: key, person: person, candidate: guess), now: now)
            return id.map { .done(replies.line(.triagePromotedConsole, ["id": $0]), reportID: $0) } ?? .refused(replies.line(.triageBusy))
        } catch let refusal as CommandRefusal {
            return .refused(refusal.reason)
        }
    }

    /// Dismisses a candidate from the console.
    public func dismiss(messageID: Int64, by person: Person, now: Date) async throws -> ConsoleResult {
        guard let candidate = try await store.triageCandidate(messageID: messageID) else { return .refused(replies.line(.triageNotACandidate)) }
        let directory = try await store.directory()
        guard ReportScope.of(person, in: directory).contains(candidate.assignment(in: directory)), person.role != .departmentStaff else {
            return .refused(replies.line(.triageOutOfScope))
        }
        let dismissed = try await store.withWorkOrders { tx in
            if try await tx.reportID(forMessage: messageID) != nil { return false }
            return try await tx.decideTriage(messageID: messageID, .dismissed, by: person.code, reportID: nil, at: now)
        }
        return dismissed ? .done(replies.line(.triageDismissedConsole), reportID: nil) : .refused(replies.line(.triageAlreadyPromoted))
    }

    /// The candidate kept for a message, or what the parser makes of it now when it was never one.
    func guess(for target: StoredInboundMessage, directory: CommunityDirectory, now: Date) async throws -> TriageCandidate {
        if let kept = try await store.triageCandidate(messageID: target.id) { return kept }
        let group = try await store.chatGroup(botCode: target.message.botCode, chatID: target.message.chatID)
        let parse = parser.parse(target.message.text, groupBuilding: group?.kind == .building ? group?.buildingCode : nil)
        return candidate(for: target, parse: parse, group: group, directory: directory, now: now)
    }

    /// The report a promotion makes: the guess, with the category, urgency and place the staff
    /// member's words name (`上报 紧急 燃气`, `上报 3号楼`), read as `改类`, `改级` and `改址` read them.
    func report(from guess: TriageCandidate, text: String, adjustedBy note: String) -> NewReport {
        var location = parser.location(in: text)
        if location.building == nil { location.building = guess.buildingCode }
        var category = guess.guessCategory
        var urgency = guess.guessUrgency
        if !note.isEmpty {
            category = parser.category(named: note) ?? category
            urgency = Urgency(named: note) ?? urgency
            let named = parser.location(in: note)
            if named.building != nil { location = named }
        }
        return NewReport(category: category, urgency: urgency, location: location, confidence: 1, needsTriage: false)
    }
}
