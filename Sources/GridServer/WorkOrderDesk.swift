import Foundation
import GridCore
import GridStore
import Logging

/// The deadlines, working calendar and duplicate window the closed loop runs on.
public struct WorkOrderSettings: Sendable {
    public var policy: DeadlinePolicy
    public var calendar: WorkingCalendar
    /// How far back an open report with the same building and category absorbs a new one.
    public var duplicateWindow: TimeInterval

    public init(policy: DeadlinePolicy = .standard, calendar: WorkingCalendar, duplicateWindow: TimeInterval = 24 * 3600) {
        self.policy = policy
        self.calendar = calendar
        self.duplicateWindow = duplicateWindow
    }
}

/// What handling a message as a command did.
public enum CommandOutcome: Sendable, Equatable {
    /// The message is not a command; parse it as an ordinary message.
    case notACommand
    /// The command was carried out or refused with a reply.
    case handled
    /// Another worker already processed the message.
    case alreadyProcessed

    /// Finishes a message with a one-line refusal and nothing else: what a malformed or refused
    /// command gets once its own transaction has rolled back.
    static func refused(_ stored: StoredInboundMessage, _ reason: String, store: SQLStore, replies: ChatReplies, now: Date) async throws -> CommandOutcome {
        let text = replies.render(.commandRefused, ["id": "", "reason": reason]) ?? reason
        let finished = try await store.finishProcessing(of: stored, intent: .chat, at: now, reply: WorkOrderDesk.answer(stored.message, text))
        return finished ? .handled : .alreadyProcessed
    }
}

/// The closed loop's I/O around the pure `ReportLifecycle`: it routes new reports and merges
/// duplicates, carries out chat commands, and reminds and escalates overdue stages. Each of these
/// runs in one transaction together with the claim of the message or stage that caused it and the
/// chat messages it queues, so a crash or a second worker never does anything twice or half.
public struct WorkOrderDesk: Sendable {
    let store: SQLStore
    let parser: MessageParser
    let replies: ChatReplies
    let commands: ChatCommandParser
    let settings: WorkOrderSettings
    let logger: Logger
    let environment: [String: String]

    public init(
        store: SQLStore, parser: MessageParser, replies: ChatReplies, commands: ChatCommandParser, settings: WorkOrderSettings, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.store = store
        self.parser = parser
        self.replies = replies
        self.commands = commands
        self.settings = settings
        self.logger = logger
        self.environment = environment
    }

    // MARK: New reports

    /// Records a report from a stored message, routes it and tells everyone concerned; or, when
    /// an open report already covers the same problem, merges it there. Returns the new report's
    /// number, or nil when the message was already processed. With `answering` false (a report
    /// through Open311, whose client follows it by polling) nobody is answered in chat or kept
    /// as a reporter to notify.
    public func intake(_ stored: StoredInboundMessage, report: NewReport, answering: Bool = true, promotion: Promotion? = nil, now: Date) async throws -> Int64? {
        let directory = try await store.directory()
        let group = directory.chatGroups.first { $0.botCode == stored.message.botCode && $0.chatID == stored.message.chatID }
        let route = routing(for: report.location, group: group, category: report.category, directory: directory)
        let sender = try await store.person(platform: stored.message.platform, userID: stored.message.senderID)
        let message = stored.message
        let since = now.addingTimeInterval(-settings.duplicateWindow)
        return try await store.withWorkOrders { tx in
            // A promotion claims the staff member's command, if it came by chat; the message itself
            // was processed before.
            if let promotion {
                if let command = promotion.command, try await !tx.claim(command, intent: .chat, at: now) { return nil }
            } else if try await !tx.claim(stored, intent: .report, at: now) {
                return nil
            }
            var keys = DedupeKeys(base: promotion?.keyBase ?? "m\(stored.id)")
            if promotion != nil, let existing = try await tx.reportID(forMessage: stored.id) {
                throw CommandRefusal(existing, "这条消息已经是工单 #\(existing)")
            }
            let reporter = Reporter(
                platform: message.platform, userID: message.senderID, name: message.senderName, botCode: message.botCode,
                chatID: message.chatID, messageID: message.platformMessageID, replyURL: message.replyURL, originReportID: 0)
            let who = Self.actorFields(sender, senderID: message.senderID, senderName: message.senderName)

            if let existingID = try await tx.openDuplicate(of: report, since: since), let existing = try await tx.workOrder(id: existingID) {
                let id = try await tx.insertReport(from: stored, report, status: .merged, at: now)
                guard var order = try await tx.workOrder(id: id) else { throw StoreError.corrupt("report \(id) vanished") }
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
                try await tx.append(ReportEvent(reportID: id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role, action: "received", toStatus: .received, note: message.text))
                try await tx.append(ReportEvent(reportID: id, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "merged_into", fromStatus: .received, toStatus: .merged, note: "#\(existingID)"))
                try await tx.append(ReportEvent(reportID: existingID, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "duplicate", fromStatus: existing.status, toStatus: existing.status, note: "#\(id) 重复反映，已合并：\(message.text)"))
                if answering, let text = replies.render(.reportDuplicate, [
                    "id": existingID, "category": existing.category.chineseName, "location": existing.location.chineseDescription,
                    "status": existing.status.chineseName,
                ]) {
                    try await tx.enqueue(Self.answer(message, text), dedupeKey: keys.next(), reportID: existingID, at: now)
                }
                if let promotion {
                    try await finish(promotion, of: stored, as: id, answer: "已上报，与 #\(existingID) 是同一问题，已合并到 #\(existingID)。", tx: tx, keys: &keys, now: now)
                }
                return id
            }

            let id = try await tx.insertReport(from: stored, report, status: .received, at: now)
            var joined = reporter
            joined.originReportID = id
            if answering { try await tx.addReporter(joined, to: id, at: now) }
            try await tx.append(ReportEvent(reportID: id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role, action: "received", toStatus: .received, note: message.text))
            guard var order = try await tx.workOrder(id: id) else { throw StoreError.corrupt("report \(id) vanished") }
            let dispatch = try ReportLifecycle.apply(.assign(to: route.grid), to: order.state, by: .system)
            order.state = dispatch.state
            try await dispatchOrder(&order, from: .received, to: route, by: Self.systemFields, action: "assign", note: nil, directory: directory, tx: tx, keys: &keys, now: now)
            let dueTimes = deadlines(for: order.urgency, from: now)
            if answering, let text = replies.render(.reportReceived, [
                "id": id, "category": report.category.chineseName, "location": report.location.chineseDescription,
                "urgency": report.urgency.chineseName, "handler": route.description, "needsBuilding": report.location.building == nil,
                "acknowledgeBy": replies.clockTime(dueTimes.acknowledge, relativeTo: now), "resolveBy": replies.clockTime(dueTimes.resolve, relativeTo: now),
            ]) {
                try await tx.enqueue(Self.answer(message, text), dedupeKey: keys.next(), reportID: id, at: now)
            }
            if report.urgency == .emergency {
                try await alertCommunity(order, route: route, directory: directory, tx: tx, keys: &keys, now: now)
            }
            if let promotion {
                try await finish(promotion, of: stored, as: id, answer: "已上报为 #\(id)（\(report.category.chineseName)，\(report.urgency.chineseName)，\(report.location.chineseDescription.isEmpty ? "位置待补充" : report.location.chineseDescription)），已派\(route.description)。", tx: tx, keys: &keys, now: now)
            }
            return id
        }
    }

    /// A member of staff turning a group message into a report (`上报`, replying to it).
    public struct Promotion: Sendable {
        /// The staff member's message, claimed in the report's transaction and answered; nil on
        /// the console.
        public var command: StoredInboundMessage?
        public var person: Person
        /// The candidate as kept, or a new record when the message was never one.
        public var candidate: TriageCandidate
        /// Where the dedupe keys of what it queues start: the command's, or the console form's.
        public var keyBase: String

        public init(command: StoredInboundMessage, person: Person, candidate: TriageCandidate) {
            self.command = command
            self.person = person
            self.candidate = candidate
            self.keyBase = "m\(command.id)"
        }

        public init(consoleKey: String, person: Person, candidate: TriageCandidate) {
            self.command = nil
            self.person = person
            self.candidate = candidate
            self.keyBase = "web:\(consoleKey)"
        }
    }

    /// Records who promoted a message, ends its triage candidate and answers them.
    private func finish(_ promotion: Promotion, of stored: StoredInboundMessage, as id: Int64, answer: String, tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date) async throws {
        let who = Self.actorFields(promotion.person, senderID: promotion.person.code, senderName: promotion.person.name)
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
        try await tx.enqueue(Self.answer(command.message, replies.render(.commandDone, ["done": answer]) ?? answer), dedupeKey: keys.next(), reportID: id, at: now)
    }

    /// Assigns a report to a route: saves it, starts its deadline stages, puts it on the
    /// timeline and posts the card to the route's chats.
    func dispatchOrder(
        _ order: inout WorkOrder, from: ReportStatus, to route: Route, by actor: ActorFields, action: String, note: String?,
        directory: CommunityDirectory, tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date, reassigned: String? = nil
    ) async throws {
        order.assigneeGrid = route.grid
        order.departmentCode = route.department?.code
        order.assignedAt = now
        try await tx.save(order, at: now)
        try await startStages(order, endingOpenOnesAs: action == "assign" ? "reassigned" : action, tx: tx, now: now)
        try await tx.append(ReportEvent(
            reportID: order.id, at: now, actorCode: actor.code, actorName: actor.name, actorRole: actor.role, action: action,
            fromStatus: from, toStatus: order.status, note: [route.description, note].compactMap { $0 }.joined(separator: "；")))
        try await postCard(order, to: route, directory: directory, tx: tx, keys: &keys, now: now, reassigned: reassigned)
    }

    /// Ends a report's open stages and starts acknowledge and resolve stages for its current
    /// assignment, from `start` (by default `now`).
    func startStages(_ order: WorkOrder, endingOpenOnesAs outcome: String, from start: Date? = nil, tx: WorkOrderTransaction, now: Date) async throws {
        try await tx.endStages(reportID: order.id, outcome: outcome, at: now)
        let start = start ?? now
        let due = deadlines(for: order.urgency, from: start)
        for (stage, dueAt) in [(DeadlineStage.acknowledge, due.acknowledge), (.resolve, due.resolve)] {
            try await tx.startStage(stage, reportID: order.id, gridCode: order.assigneeGrid ?? "", departmentCode: order.departmentCode,
                                    start: start, due: dueAt, remindAt: settings.policy.reminder(start: start, due: dueAt))
        }
    }

    /// Posts a report's card to a route's chats (by default its current assignee's), with the
    /// deadlines of stages starting at `start` (by default now).
    func postCard(
        _ order: WorkOrder, to route: Route? = nil, directory: CommunityDirectory, tx: WorkOrderTransaction, keys: inout DedupeKeys,
        now: Date, stagesFrom start: Date? = nil, reassigned: String?
    ) async throws {
        let route = route ?? self.route(grid: order.assigneeGrid ?? directory.root ?? "", departmentCode: order.departmentCode, directory: directory)
        let due = deadlines(for: order.urgency, from: start ?? now)
        let photos = try await tx.attachments(messageID: order.messageID).count
        guard let card = replies.render(.reportCard, [
            "id": order.id, "category": order.category.chineseName, "urgency": order.urgency.chineseName,
            "location": order.location.chineseDescription, "text": order.text, "photos": photos > 0 ? "\(photos)" : "", "assignee": route.description,
            "acknowledgeBy": replies.clockTime(due.acknowledge, relativeTo: now), "resolveBy": replies.clockTime(due.resolve, relativeTo: now),
            "needsTriage": order.needsTriage, "alert": order.urgency == .emergency, "reassigned": reassigned ?? "",
        ]) else { return }
        for chat in route.chats {
            try await tx.enqueue(try post(card, to: chat, directory: directory), dedupeKey: keys.next(), reportID: order.id, at: now)
        }
    }

    /// An emergency also goes at once to the community's staff chat, for the community's head.
    func alertCommunity(_ order: WorkOrder, route: Route, directory: CommunityDirectory, tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date) async throws {
        guard let root = directory.root else { return }
        let leaders = leaderNames(of: .community, grid: root, directory: directory)
        guard let text = replies.render(.reportAlert, [
            "id": order.id, "category": order.category.chineseName, "location": order.location.chineseDescription,
            "text": order.text, "assignee": route.description, "leaders": leaders.isEmpty ? "社区负责人" : leaders,
        ]) else { return }
        for chat in directory.staffChats(grid: root) where !route.chats.contains(where: { $0.code == chat.code }) {
            try await tx.enqueue(try post(text, to: chat, directory: directory), dedupeKey: keys.next(), reportID: order.id, at: now)
        }
        try await tx.append(ReportEvent(reportID: order.id, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "alert", note: "紧急情况已通知社区（\(leaders)）"))
    }

    // MARK: Commands

    /// Carries out a chat command (`收到 #12`, `转办 #12 物业 原因…`, `满意`), or says the message
    /// is not one. Refused and malformed commands get a one-line reply saying why.
    public func handleCommand(_ stored: StoredInboundMessage, now: Date) async throws -> CommandOutcome {
        let message = stored.message
        guard var command = commands.command(in: message.text) else { return .notACommand }
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
            return person?.role.isStaff == true && !command.note.isEmpty ? try await refuseWithoutReport(stored, now: now) : .notACommand
        }
        let directory = try await store.directory()
        let final = command
        do {
            return try await store.withWorkOrders { tx in
                guard try await tx.claim(stored, intent: .chat, at: now) else { return .alreadyProcessed }
                var keys = DedupeKeys(base: "m\(stored.id)")
                let reply = try await perform(final, person: person, sender: CommandSender(message), directory: directory, tx: tx, keys: &keys, now: now)
                try await tx.enqueue(Self.answer(message, reply), dedupeKey: keys.next(), at: now)
                return .handled
            }
        } catch let refusal as CommandRefusal {
            // The refusal rolled back everything the command had done (a merge of #1 #2 #99 merges
            // nothing); the message is then claimed and answered in a transaction of its own.
            logger.info("command refused", metadata: ["command.verb": "\(final.verb.rawValue)", "command.reason": "\(refusal.reason)"])
            let text = replies.render(.commandRefused, ["id": refusal.reportID.map { "\($0)" } ?? "", "reason": refusal.reason]) ?? refusal.reason
            let finished = try await store.finishProcessing(of: stored, intent: .chat, at: now, reply: Self.answer(message, text))
            return finished ? .handled : .alreadyProcessed
        }
    }

    /// Carries out a command given on the staff console by a signed-in person: the same rules,
    /// timeline entries and notices as in chat. A refusal writes nothing. `key` is the form's
    /// one-time key, so a form sent twice queues its notices once.
    public func perform(_ command: ChatCommand, by person: Person, key: String, now: Date) async throws -> ConsoleCommandResult {
        guard !command.reportIDs.isEmpty else { return .refused("请注明工单号") }
        let directory = try await store.directory()
        do {
            return .done(try await store.withWorkOrders { tx in
                var keys = DedupeKeys(base: "web:\(key)")
                let sender = CommandSender(platform: .generic, senderID: "web:\(person.code)", senderName: person.name, attachments: 0)
                return try await perform(command, person: person, sender: sender, directory: directory, tx: tx, keys: &keys, now: now)
            })
        } catch let refusal as CommandRefusal {
            return .refused(refusal.reason)
        }
    }

    private func refuseWithoutReport(_ stored: StoredInboundMessage, now: Date) async throws -> CommandOutcome {
        try await CommandOutcome.refused(stored, "请注明工单号，例如「收到 #12」，或直接回复工单卡片", store: store, replies: replies, now: now)
    }

    /// Carries out one command inside the transaction; returns the reply for the sender or
    /// throws a `CommandRefusal` with the one-line reason.
    private func perform(
        _ command: ChatCommand, person: Person?, sender message: CommandSender, directory: CommunityDirectory,
        tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date
    ) async throws -> String {
        let id = command.reportIDs[0]
        guard var order = try await tx.workOrder(id: id) else { throw CommandRefusal(id, "没有找到这个工单") }
        let actor = ReportAccess.actor(person, senderID: message.senderID, on: directory.assignment(of: order))
        let who = Self.actorFields(person, senderID: message.senderID, senderName: message.senderName)
        let note = command.note.isEmpty ? nil : command.note
        let before = order.status

        func apply(_ action: ReportAction, by acting: ReportActor = actor) throws -> ReportLifecycle.Transition {
            do {
                let transition = try ReportLifecycle.apply(action, to: order.state, by: acting)
                order.state = transition.state
                return transition
            } catch {
                throw CommandRefusal(id, error.description)
            }
        }
        func record(_ action: String, note: String? = note, actor fields: ActorFields = who) async throws {
            try await tx.save(order, at: now)
            try await tx.append(ReportEvent(reportID: id, at: now, actorCode: fields.code, actorName: fields.name, actorRole: fields.role,
                                            action: action, fromStatus: before, toStatus: order.status, note: note))
        }

        switch command.verb {
        case .acknowledge, .start:
            let transition = try apply(command.verb == .acknowledge ? .acknowledge : .start)
            if order.acknowledgedAt == nil { order.acknowledgedAt = now }
            try await tx.endStages(reportID: id, .acknowledge, outcome: "done", at: now)
            try await record(command.verb.rawValue)
            try await carryOut(transition.effects, order: order, actorName: who.name, note: note, directory: directory, tx: tx, keys: &keys, now: now)
            return done(command.verb == .acknowledge ? "已签收 #\(id)，请在 \(clock(try await tx.stages(reportID: id, openOnly: true).first { $0.stage == .resolve }?.dueAt, now)) 前办结。" : "#\(id) 已标记为处置中。")

        case .resolve:
            let transition = try apply(.resolve(note: note))
            if order.acknowledgedAt == nil { order.acknowledgedAt = now }
            if order.resolvedAt == nil { order.resolvedAt = now }
            try await tx.endStages(reportID: id, outcome: "done", at: now)
            try await record("resolve", note: [note, message.attachments == 0 ? nil : "照片 \(message.attachments) 张"].compactMap { $0 }.joined(separator: "；"))
            try await carryOut(transition.effects, order: order, actorName: who.name, note: note, directory: directory, tx: tx, keys: &keys, now: now)
            return done("#\(id) 已标记为已处置，等待他人核实。")

        case .assign, .transfer:
            guard command.target != nil else { throw CommandRefusal(id, "请写明派往的部门或网格，例如「\(command.verb == .assign ? "派单" : "转办") #\(id) 物业 原因…」") }
            guard let route = route(named: command.target ?? "", for: order, directory: directory) else { throw CommandRefusal(id, "找不到「\(command.target ?? "")」，请写部门名称（如 物业、城管）或网格（如 第五网格、G05）") }
            if command.verb == .assign {
                _ = try apply(.assign(to: route.grid))
            } else {
                _ = try apply(.transfer(to: route.grid, reason: command.note))
            }
            try await dispatchOrder(&order, from: before, to: route, by: who, action: command.verb.rawValue, note: note, directory: directory, tx: tx, keys: &keys, now: now,
                                    reassigned: command.verb == .transfer ? "由\(who.name ?? "工作人员")转办：\(command.note)" : "派单")
            return done("#\(id) 已\(command.verb == .assign ? "派" : "转办")至\(route.description)。")

        case .return:
            let transition = try apply(.return(reason: command.note))
            let parent = directory.grids[order.assigneeGrid ?? ""]?.parentCode ?? directory.root ?? order.assigneeGrid
            order.assigneeGrid = parent
            try await tx.endStages(reportID: id, outcome: "returned", at: now)
            if let grid = parent {
                // The grid head must re-dispatch within the acknowledge time, or it escalates.
                let due = settings.policy.deadline(.acknowledge, order.urgency, from: now, calendar: settings.calendar)
                try await tx.startStage(.acknowledge, reportID: id, gridCode: grid, departmentCode: nil, start: now, due: due,
                                        remindAt: settings.policy.reminder(start: now, due: due))
            }
            try await record("return")
            try await carryOut(transition.effects, order: order, actorName: who.name, note: note, directory: directory, tx: tx, keys: &keys, now: now,
                               supervisorWhat: "被\(who.name ?? "承办人")退回", redispatch: true)
            return done("#\(id) 已退回，等待网格长重新派单。")

        case .verify:
            _ = try apply(.verify)
            try await record("verify")
            // Verified by someone other than the handler: the report is closed and its reporters asked.
            let closing = try apply(.close, by: .system)
            order.closedAt = now
            try await tx.endStages(reportID: id, outcome: "closed", at: now)
            try await tx.save(order, at: now)
            try await tx.append(ReportEvent(reportID: id, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "close", fromStatus: .verified, toStatus: .closed))
            try await carryOut(closing.effects, order: order, actorName: who.name, note: nil, directory: directory, tx: tx, keys: &keys, now: now)
            return done("#\(id) 已核实并办结，已请反映人评价。")

        case .close:
            let transition = try apply(.close)
            order.closedAt = now
            try await tx.endStages(reportID: id, outcome: "closed", at: now)
            try await record("close")
            try await carryOut(transition.effects, order: order, actorName: who.name, note: nil, directory: directory, tx: tx, keys: &keys, now: now)
            return done("#\(id) 已办结。")

        case .reopen:
            let transition = try apply(.reopen(reason: command.note))
            order.closedAt = nil
            try await record("reopen")
            try await startStages(order, endingOpenOnesAs: "reopened", tx: tx, now: now)
            try await carryOut(transition.effects, order: order, actorName: who.name, note: note, directory: directory, tx: tx, keys: &keys, now: now)
            try await postCard(order, directory: directory, tx: tx, keys: &keys, now: now, reassigned: "重新办理：\(command.note)")
            return done("#\(id) 已重新办理。")

        case .merge:
            guard command.reportIDs.count >= 2 else { throw CommandRefusal(id, "请写明两个工单号，例如「合并 #12 #15」（#15 并入 #12）") }
            guard order.status.isOpen else { throw CommandRefusal(id, "「\(order.status.chineseName)」的工单不能再接收合并") }
            guard actor.isAssignee || actor.supervises else { throw CommandRefusal(id, "无权操作：不是本工单的承办人或上级") }
            var merged: [Int64] = []
            for otherID in command.reportIDs.dropFirst() where otherID != id {
                guard var other = try await tx.workOrder(id: otherID) else { throw CommandRefusal(otherID, "没有找到这个工单") }
                let otherActor = ReportAccess.actor(person, senderID: message.senderID, on: directory.assignment(of: other))
                guard otherActor.isAssignee || otherActor.supervises else { throw CommandRefusal(otherID, "无权操作：不是本工单的承办人或上级") }
                let otherBefore = other.status
                do {
                    other.state = try ReportLifecycle.apply(.merge(into: id), to: other.state, by: otherActor).state
                } catch {
                    throw CommandRefusal(otherID, error.description)
                }
                other.mergedInto = id
                try await tx.save(other, at: now)
                try await tx.endStages(reportID: otherID, outcome: "merged", at: now)
                for reporter in try await tx.reporters(reportID: otherID) { try await tx.addReporter(reporter, to: id, at: now) }
                try await tx.append(ReportEvent(reportID: otherID, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role,
                                                action: "merged_into", fromStatus: otherBefore, toStatus: .merged, note: "#\(id)"))
                try await tx.append(ReportEvent(reportID: id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role,
                                                action: "merge", fromStatus: order.status, toStatus: order.status, note: "#\(otherID) 并入"))
                try await notifyReporters(of: other, progress: "已与 #\(id) 合并处理，后续进展将一并通知", note: nil, ask: false, tx: tx, keys: &keys, now: now)
                merged.append(otherID)
            }
            return done("已将 \(merged.map { "#\($0)" }.joined(separator: "、")) 并入 #\(id)。")

        case .split:
            guard let target = order.mergedInto else { throw CommandRefusal(id, "这个工单没有被合并过") }
            let transition = try apply(.split)
            order.mergedInto = nil
            let leaving = try await tx.detachReporters(from: target, origin: id)
            try await record("split", note: "从 #\(target) 拆分")
            try await tx.append(ReportEvent(reportID: target, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role,
                                            action: "split", note: "#\(id) 拆出（\(leaving.count) 位反映人）"))
            let route = routing(for: order.location, group: nil, category: order.category, directory: directory)
            try await dispatchOrder(&order, from: before, to: route, by: who, action: "assign", note: "拆分后重新派单", directory: directory, tx: tx, keys: &keys, now: now, reassigned: "从 #\(target) 拆分")
            try await carryOut(transition.effects.filter { if case .notifyReporters = $0 { false } else { true } }, order: order, actorName: who.name, note: nil, directory: directory, tx: tx, keys: &keys, now: now)
            return done("#\(id) 已从 #\(target) 拆分，重新派至\(route.description)。")

        case .satisfied, .dissatisfied:
            let reporters = try await tx.reporters(reportID: id)
            guard reporters.contains(where: { $0.platform == message.platform && $0.userID == message.senderID }) else {
                throw CommandRefusal(id, "只有反映人可以评价")
            }
            let satisfied = command.verb == .satisfied
            let transition = try apply(.rate(satisfied: satisfied))
            try await record("rate", note: (satisfied ? "满意" : "不满意") + (note.map { "：\($0)" } ?? ""))
            if transition.state.status == .assigned {
                order.closedAt = nil
                try await tx.save(order, at: now)
                try await startStages(order, endingOpenOnesAs: "reopened", tx: tx, now: now)
                try await carryOut(transition.effects, order: order, actorName: who.name, note: note, directory: directory, tx: tx, keys: &keys, now: now,
                                   supervisorWhat: "反映人回访不满意，已重新办理")
                try await postCard(order, directory: directory, tx: tx, keys: &keys, now: now, reassigned: "回访不满意，重新办理")
                return done("已收到您的评价，#\(id) 将重新办理，网格长会跟进。")
            }
            return done(satisfied ? "感谢您的评价！" : "已记录您的意见，网格长会跟进。")

        case .supplement:
            var text = command.note
            if order.location.building == nil, order.status.isOpen, order.status != .merged {
                let found = parser.location(in: command.note)
                if let building = found.building, let code = directory.buildingGrids[building] {
                    order.location = Location(building: building, unit: found.unit ?? order.location.unit, room: found.room ?? order.location.room)
                    try await record("supplement")
                    // The building was missing: the report moves to the building's grid.
                    let route = routing(for: order.location, group: nil, category: order.category, directory: directory)
                    if route.grid != order.assigneeGrid {
                        try await dispatchOrder(&order, from: order.status, to: route, by: Self.systemFields, action: "assign", note: "补充楼号后派至\(code)", directory: directory, tx: tx, keys: &keys, now: now, reassigned: "补充楼号后派单")
                    }
                    return done("已补充到 #\(id)，位置：\(order.location.chineseDescription)。")
                }
            }
            if text.isEmpty { text = "（空）" }
            try await record("supplement", note: text)
            return done("已补充到 #\(id)。")

        case .recategorise, .reprioritise, .relocate:
            guard person?.role.isStaff == true, actor.isAssignee || actor.supervises else {
                throw CommandRefusal(id, "只有承办人、网格长或社区工作人员可以更正工单")
            }
            guard order.status.isOpen, order.status != .merged else { throw CommandRefusal(id, "#\(id) 当前状态为「\(order.status.chineseName)」，不能更正") }
            return try await correct(command.verb, &order, note: command.note, by: who, directory: directory, tx: tx, keys: &keys, now: now)

        case .promote, .dismiss:
            // Messages, not reports, are promoted or dismissed (TriageDesk).
            throw CommandRefusal(id, "#\(id) 已经是工单")
        }
    }

    /// Carries out the lifecycle's effects.
    private func carryOut(
        _ effects: [ReportEffect], order: WorkOrder, actorName: String?, note: String?, directory: CommunityDirectory,
        tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date, supervisorWhat: String? = nil, redispatch: Bool = false
    ) async throws {
        let ask = effects.contains(.askSatisfaction)
        for effect in effects {
            switch effect {
            case .notifyReporters(let status):
                let progress: String = switch status {
                case .acknowledged: "已由\(actorName ?? "工作人员")签收，正在安排处理"
                case .resolved: "已由\(actorName ?? "工作人员")处理完毕，待核实"
                case .closed: "已办结"
                case .assigned: "已重新办理"
                case .received, .inProgress, .verified, .merged: "状态更新为「\(status.chineseName)」"
                }
                try await notifyReporters(of: order, progress: progress, note: status == .closed ? nil : note, ask: ask && status == .closed, tx: tx, keys: &keys, now: now)
            case .askSatisfaction:
                break  // asked in the closing notice
            case .notifyGridHead:
                let grid = order.assigneeGrid ?? directory.root ?? ""
                guard let text = replies.render(.reportSupervisor, [
                    "id": order.id, "category": order.category.chineseName, "location": order.location.chineseDescription,
                    "what": supervisorWhat ?? "需要处理", "note": note ?? "", "redispatch": redispatch,
                ]) else { continue }
                for chat in directory.escalationTarget(.gridHead, grid: grid).chats {
                    try await tx.enqueue(try post(text, to: chat, directory: directory), dedupeKey: keys.next(), reportID: order.id, at: now)
                }
            case .postCard:
                break  // posted by dispatchOrder, which knows the route
            }
        }
    }

    /// Tells every reporter of a report what happened, in the chat they reported from.
    private func notifyReporters(of order: WorkOrder, progress: String, note: String?, ask: Bool, tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date) async throws {
        for reporter in try await tx.reporters(reportID: order.id) {
            guard let text = replies.render(.reportProgress, [
                "mention": reporter.name ?? "", "id": order.id, "category": order.category.chineseName,
                "location": order.location.chineseDescription, "progress": progress, "note": note ?? "", "askSatisfaction": ask,
            ]) else { continue }
            let notice = OutboundMessage(platform: reporter.platform, botCode: reporter.botCode, chatID: reporter.chatID, text: text,
                                         replyTo: reporter.messageID, replyURL: reporter.replyURL)
            try await tx.enqueue(notice, dedupeKey: keys.next(), reportID: order.id, at: now)
        }
    }

    func done(_ text: String) -> String {
        replies.render(.commandDone, ["done": text]) ?? text
    }

    private func clock(_ date: Date?, _ now: Date) -> String {
        date.map { replies.clockTime($0, relativeTo: now) } ?? "规定时间"
    }

    // MARK: Deadlines

    /// Reminds or escalates the stages that are still due at `now`, reading the community once;
    /// returns how many it acted on (another worker may have got to some first).
    public func checkStages(_ ids: [Int64], now: Date) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let directory = try await store.directory()
        var acted = 0
        for id in ids where try await checkStage(id: id, now: now, directory: directory) { acted += 1 }
        return acted
    }

    /// Reminds or escalates one stage if it is still due at `now`; false when there was nothing
    /// to do (another worker did it, or the stage ended).
    private func checkStage(id: Int64, now: Date, directory: CommunityDirectory) async throws -> Bool {
        try await store.withWorkOrders { tx in
            guard let stage = try await tx.dueStage(id: id, now: now) else { return false }
            guard let order = try await tx.workOrder(id: stage.reportID), order.status.isOpen else {
                try await tx.endStages(reportID: stage.reportID, outcome: "closed", at: now)
                return true
            }
            var keys = DedupeKeys(base: "s\(stage.id):\(stage.escalationLevel.rawValue):\(stage.reminded ? 1 : 0)")
            let route = route(grid: stage.gridCode, departmentCode: stage.departmentCode, directory: directory)
            let values: [String: Any] = [
                "id": order.id, "category": order.category.chineseName, "location": order.location.chineseDescription,
                "urgency": order.urgency.chineseName, "stage": stage.stage.chineseName, "dueBy": replies.clockTime(stage.dueAt, relativeTo: now),
                "assignee": route.description,
            ]
            if !stage.reminded, now < stage.dueAt {
                if let text = replies.render(.reportReminder, values) {
                    for chat in route.chats { try await tx.enqueue(try post(text, to: chat, directory: directory), dedupeKey: keys.next(), reportID: order.id, at: now) }
                }
                try await tx.updateStage(id: stage.id, reminded: true, level: stage.escalationLevel, nextCheckAt: stage.dueAt)
                try await tx.append(ReportEvent(reportID: order.id, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "remind",
                                                note: "\(stage.stage.chineseName)将于 \(replies.clockTime(stage.dueAt, relativeTo: now)) 到期"))
                return true
            }
            guard let level = stage.escalationLevel.next else {
                try await tx.updateStage(id: stage.id, reminded: true, level: stage.escalationLevel, nextCheckAt: nil)
                return true
            }
            let leaders = leaderNames(of: level, grid: stage.gridCode, directory: directory)
            var escalation = values
            escalation["level"] = level.chineseName
            escalation["leaders"] = leaders.isEmpty ? level.chineseName : leaders
            if let text = replies.render(.reportEscalated, escalation) {
                var chats = directory.escalationTarget(level, grid: stage.gridCode).chats
                // The assignee's chat hears it too: the whistle is blown where the work is.
                for chat in route.chats where !chats.contains(where: { $0.code == chat.code }) { chats.append(chat) }
                for chat in chats { try await tx.enqueue(try post(text, to: chat, directory: directory), dedupeKey: keys.next(), reportID: order.id, at: now) }
            }
            let next = level.next.map { settings.policy.escalation(to: $0, start: stage.startedAt, due: stage.dueAt) }
            try await tx.updateStage(id: stage.id, reminded: true, level: level, nextCheckAt: next)
            try await tx.append(ReportEvent(reportID: order.id, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "escalate",
                                            note: "\(stage.stage.chineseName)超时，升级至\(level.chineseName)\(leaders.isEmpty ? "" : "（\(leaders)）")"))
            logger.info("stage escalated", metadata: ["report.id": "\(order.id)", "stage": "\(stage.stage.rawValue)", "escalation.level": "\(level.chineseName)"])
            return true
        }
    }

    /// When a report's stages starting now are due.
    func deadlines(for urgency: Urgency, from start: Date) -> (acknowledge: Date, resolve: Date) {
        (settings.policy.deadline(.acknowledge, urgency, from: start, calendar: settings.calendar),
         settings.policy.deadline(.resolve, urgency, from: start, calendar: settings.calendar))
    }

    // MARK: Routing

    /// Where a new report goes: its building's grid (else the chat's grid, else the community
    /// grid) and the department its category is routed to.
    func routing(for location: Location, group: ChatGroup?, category: ReportCategory, directory: CommunityDirectory) -> Route {
        route(grid: directory.grid(for: location, group: group) ?? "", departmentCode: directory.department(for: category)?.code, directory: directory)
    }

    /// A route to a grid and department, with the chats its card goes to and a description
    /// people read (第三网格（网格员戴艳）、和谐物业服务中心).
    func route(grid: String, departmentCode: String?, directory: CommunityDirectory) -> Route {
        let department = directory.department(code: departmentCode)
        var chats = directory.staffChats(grid: grid)
        if let department {
            for chat in directory.departmentChats(department.code) where !chats.contains(where: { $0.code == chat.code }) { chats.append(chat) }
        }
        var parts: [String] = []
        if let name = directory.grids[grid]?.name {
            let workers = directory.people(.gridWorker, in: grid).map(\.name)
            parts.append(workers.isEmpty ? name : "\(name)（网格员\(workers.joined(separator: "、"))）")
        }
        if let department { parts.append(department.name) }
        return Route(grid: grid, department: department, chats: chats, description: parts.isEmpty ? "社区" : parts.joined(separator: "、"))
    }

    /// The route a transfer or assignment names, for a report now assigned to `order`'s grid:
    /// a department keeps the grid and changes who acts; a grid takes the report over.
    func route(named target: String, for order: WorkOrder, directory: CommunityDirectory) -> Route? {
        switch directory.target(named: target) {
        case .department(let department):
            return route(grid: order.assigneeGrid ?? directory.root ?? "", departmentCode: department.code, directory: directory)
        case .grid(let grid):
            return route(grid: grid, departmentCode: order.departmentCode, directory: directory)
        case nil:
            return nil
        }
    }

    /// Who an escalation to `level` goes to, as names people read.
    func leaderNames(of level: EscalationLevel, grid: String, directory: CommunityDirectory) -> String {
        directory.escalationTarget(level, grid: grid).names.joined(separator: "、")
    }

    /// A message into a group chat, unprompted: through the group's post URL where the platform
    /// needs one.
    func post(_ text: String, to group: ChatGroup, directory: CommunityDirectory) throws -> OutboundMessage {
        try directory.outbound(text, to: group, environment: environment)
    }

    /// The answer to a message, in its chat, quoting it.
    static func answer(_ message: InboundMessage, _ text: String) -> OutboundMessage {
        OutboundMessage(platform: message.platform, botCode: message.botCode, chatID: message.chatID, text: text,
                        replyTo: message.platformMessageID, replyURL: message.replyURL)
    }

    // MARK: Actors on the timeline

    struct ActorFields: Sendable {
        var code: String
        var name: String?
        var role: String
    }

    static let systemFields = ActorFields(code: "system", name: "GridBot", role: "system")

    static func actorFields(_ person: Person?, senderID: String, senderName: String?) -> ActorFields {
        guard let person else { return ActorFields(code: "im:\(senderID)", name: senderName, role: Role.resident.rawValue) }
        return ActorFields(code: person.code, name: person.name, role: person.role.rawValue)
    }
}

/// What a console command did: done with the line chat would have answered, or refused saying why.
public enum ConsoleCommandResult: Sendable, Equatable {
    case done(String)
    case refused(String)
}

/// Who gave a command, as far as the command needs to know.
struct CommandSender {
    var platform: ChatPlatform
    var senderID: String
    var senderName: String?
    /// How many photos came with it.
    var attachments: Int

    init(platform: ChatPlatform, senderID: String, senderName: String?, attachments: Int) {
        self.platform = platform
        self.senderID = senderID
        self.senderName = senderName
        self.attachments = attachments
    }

    init(_ message: InboundMessage) {
        self.init(platform: message.platform, senderID: message.senderID, senderName: message.senderName, attachments: message.attachments.count)
    }
}

/// Where a report is routed: a grid, a department, the chats that get the card.
struct Route: Sendable {
    var grid: String
    var department: Department?
    var chats: [ChatGroup]
    var description: String
}

/// A command refused, with the one-line reason for the chat.
struct CommandRefusal: Error {
    var reportID: Int64?
    var reason: String

    init(_ reportID: Int64?, _ reason: String) {
        self.reportID = reportID
        self.reason = reason
    }
}

/// Dedupe keys for the messages one event queues: the event's key and a counter.
struct DedupeKeys {
    let base: String
    private var count = 0

    init(base: String) {
        self.base = base
    }

    mutating func next() -> String {
        defer { count += 1 }
        return "\(base):\(count)"
    }
}

extension CommunityDirectory {
    /// Who a report is assigned to now, for access decisions.
    func assignment(of order: WorkOrder) -> ReportAssignment {
        let grid = order.assigneeGrid ?? root ?? ""
        return ReportAssignment(gridCode: grid, gridChain: chain(grid), departmentCode: order.departmentCode, buildingCode: order.location.building)
    }
}
