import Foundation
import GridCore
import GridStore
import Logging

/// New reports: a stored message recorded as a report, routed and announced (the reporter
/// answered, the card to the grid and department, an emergency to the community); or, when an
/// open report already covers the same problem, merged into it. Each runs in one transaction
/// with the claim of the message, so a crash or a second worker never records one twice.
public struct ReportIntake: Sendable {
    let store: SQLStore
    let dispatcher: ReportDispatcher
    let logger: Logger

    var replies: ChatReplies { dispatcher.replies }

    /// A member of staff turning a group message into a report (`上报`, replying to it, or the
    /// console's 上报 button).
    public struct Promotion: Sendable {
        /// The staff member's message, claimed in the report's transaction and answered; nil on
        /// the console.
        public var command: StoredInboundMessage?
        public var person: Person
        /// The candidate as kept, or a new record when the message was never one.
        public var candidate: TriageCandidate
        /// Where the dedupe keys of what it queues start: the command's, or the console form's.
        public var keyBase: String

        /// A promotion by a chat command.
        public init(command: StoredInboundMessage, person: Person, candidate: TriageCandidate) {
            self.command = command
            self.person = person
            self.candidate = candidate
            self.keyBase = "m\(command.id)"
        }

        /// A promotion from the console, keyed by the form's one-time key.
        public init(consoleKey: String, person: Person, candidate: TriageCandidate) {
            self.command = nil
            self.person = person
            self.candidate = candidate
            self.keyBase = "web:\(consoleKey)"
        }
    }

    /// What intake needs read before its transaction.
    struct Context: Sendable {
        var directory: CommunityDirectory
        var sender: Person?
        var now: Date
    }

    /// Records a report from a stored message, in a transaction of its own that claims the
    /// message (or, for a console promotion, that records the decision). Returns the report's
    /// number, nil when the message was already processed. With `answering` false (a report
    /// through Open311, whose client follows it by polling) nobody is answered in chat or kept as
    /// a reporter to notify.
    public func record(_ stored: StoredInboundMessage, report: NewReport, answering: Bool = true, promotion: Promotion? = nil, now: Date) async throws -> Int64? {
        try await record(stored, report: report, answering: answering, promotion: promotion, context: try await context(for: stored, now: now))
    }

    /// Records a report from a group message whose sender and community the processor has read already.
    func record(_ stored: StoredInboundMessage, report: NewReport, sender: Person?, directory: CommunityDirectory, now: Date) async throws -> Int64? {
        try await record(stored, report: report, answering: true, promotion: nil,
                         context: Context(directory: directory, sender: sender, now: now))
    }

    private func record(_ stored: StoredInboundMessage, report: NewReport, answering: Bool, promotion: Promotion?, context: Context) async throws -> Int64? {
        let now = context.now
        let id: Int64? = try await store.transaction { tx in
            if promotion == nil, try await !tx.claim(stored, intent: .report, at: now) { return nil }
            var keys = DedupeKeys(base: promotion?.keyBase ?? "m\(stored.id)")
            return try await record(stored, report: report, answering: answering, promotion: promotion, context: context, tx: tx.workOrders, keys: &keys)
        }
        if let id {
            logger.info("report recorded", metadata: [
                "report.id": "\(id)", "report.category": "\(report.category.rawValue)",
                "report.urgency": "\(report.urgency.rawValue)", "chat.platform": "\(stored.message.platform.rawValue)",
            ])
        }
        return id
    }

    /// Reads the community and the sender for a report from `stored`.
    func context(for stored: StoredInboundMessage, now: Date) async throws -> Context {
        Context(directory: try await store.directory(),
                sender: try await store.person(platform: stored.message.platform, userID: stored.message.senderID), now: now)
    }

    /// Records a report inside the caller's transaction, which has claimed what caused it.
    func record(
        _ stored: StoredInboundMessage, report: NewReport, answering: Bool, promotion: Promotion?, context: Context,
        tx: WorkOrderTransaction, keys: inout DedupeKeys
    ) async throws -> Int64 {
        let message = stored.message, now = context.now, directory = context.directory
        if promotion != nil, let existing = try await tx.reportID(forMessage: stored.id) {
            throw CommandRefusal(existing, replies.line(.intakeAlreadyReport, ["id": existing]))
        }
        let group = directory.chatGroup(botCode: message.botCode, chatID: message.chatID)
        let route = directory.route(for: report.location, group: group, category: report.category)
        let reporter = Reporter(
            platform: message.platform, userID: message.senderID, name: message.senderName, botCode: message.botCode,
            chatID: message.chatID, messageID: message.platformMessageID, replyURL: message.replyURL, originReportID: 0)
        let who = ReportDispatcher.Actor(context.sender, senderID: message.senderID, senderName: message.senderName)

        if let existingID = try await tx.openDuplicate(of: report, since: now.addingTimeInterval(-dispatcher.settings.duplicateWindow)),
           let existing = try await tx.workOrder(id: existingID) {
            var order = try await tx.insertReport(from: stored, report, status: .merged, at: now)
            let id = order.id
            order.mergedInto = existingID
            order.assigneeGrid = existing.assigneeGrid
            order.departmentCode = existing.departmentCode
            try await tx.save(order, at: now)
            var joined = reporter
            joined.originReportID = id
            if answering {
                try await tx.addReporter(joined, to: id, at: now)
                try await tx.addReporter(joined, to: existingID, at: now)
            }
            try await tx.append(ReportEvent(reportID: id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role, action: "received",
                                            toStatus: .received, note: message.text))
            try await tx.append(ReportEvent(reportID: id, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "merged_into",
                                            fromStatus: .received, toStatus: .merged, note: "#\(existingID)"))
            try await tx.append(ReportEvent(reportID: existingID, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "duplicate",
                                            fromStatus: existing.status, toStatus: existing.status, note: "#\(id) 重复反映，已合并：\(message.text)"))
            if answering, let text = replies.render(.reportDuplicate, [
                "id": existingID, "category": existing.category.chineseName, "location": existing.location.chineseDescription,
                "status": existing.status.chineseName,
            ]) {
                try await tx.enqueue(.answer(to: message, text), dedupeKey: keys.next(), reportID: existingID, at: now)
            }
            if let promotion {
                try await finish(promotion, of: stored, as: id, answer: replies.done(.intakePromotedDuplicate, ["id": existingID]), tx: tx, keys: &keys, now: now)
            }
            return id
        }

        var order = try await tx.insertReport(from: stored, report, status: .received, at: now)
        let id = order.id
        var joined = reporter
        joined.originReportID = id
        if answering { try await tx.addReporter(joined, to: id, at: now) }
        try await tx.append(ReportEvent(reportID: id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role, action: "received",
                                        toStatus: .received, note: message.text))
        order.state = try ReportLifecycle.apply(.assign(to: route.grid), to: order.state, by: .system).state
        try await dispatcher.dispatch(&order, from: .received, to: route, by: .system, action: "assign", note: nil, directory: directory, tx: tx, keys: &keys, now: now)
        let due = dispatcher.deadlines(for: order.urgency, from: now)
        if answering, let text = replies.render(.reportReceived, [
            "id": id, "category": report.category.chineseName, "location": report.location.chineseDescription,
            "urgency": report.urgency.chineseName, "handler": route.description, "needsBuilding": report.location.building == nil,
            "acknowledgeBy": replies.clockTime(due.acknowledge, relativeTo: now), "resolveBy": replies.clockTime(due.resolve, relativeTo: now),
        ]) {
            try await tx.enqueue(.answer(to: message, text), dedupeKey: keys.next(), reportID: id, at: now)
        }
        if report.urgency == .emergency {
            try await dispatcher.alertCommunity(order, route: route, directory: directory, tx: tx, keys: &keys, now: now)
        }
        try await dispatcher.checkOnCare(order, directory: directory, tx: tx, keys: &keys, now: now)
        if let promotion {
            let answer = replies.done(.intakePromoted, [
                "id": id, "category": report.category.chineseName, "urgency": report.urgency.chineseName,
                "location": report.location.chineseDescription, "route": route.description,
            ])
            try await finish(promotion, of: stored, as: id, answer: answer, tx: tx, keys: &keys, now: now)
        }
        return id
    }

    /// Records who promoted a message, ends its triage candidate and answers them.
    private func finish(_ promotion: Promotion, of stored: StoredInboundMessage, as id: Int64, answer: String, tx: WorkOrderTransaction,
                        keys: inout DedupeKeys, now: Date) async throws {
        let who = ReportDispatcher.Actor(promotion.person, senderID: promotion.person.code, senderName: promotion.person.name)
        try await tx.append(ReportEvent(reportID: id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role, action: "promoted",
                                        note: promotion.command?.message.text ?? "工作台上报"))
        var decided = promotion.candidate
        decided.status = .promoted
        decided.decidedBy = promotion.person.code
        decided.decidedAt = now
        decided.reportID = id
        if try await !tx.decideTriage(messageID: stored.id, .promoted, by: promotion.person.code, reportID: id, at: now) {
            try await tx.recordDecision(decided)
        }
        // Staff filing a report in their own words were answered as its reporter already; the
        // console shows its own answer.
        guard let command = promotion.command, command.id != stored.id else { return }
        try await tx.enqueue(.answer(to: command.message, answer), dedupeKey: keys.next(), reportID: id, at: now)
    }
}
