import Foundation
import GridCore
import GridStore

/// One report command being carried out inside its transaction: the report as it stands, who
/// acts and in what capacity, and the verbs as methods. Each method moves the report through
/// `ReportLifecycle`, records the step on the timeline, queues the notices and returns the line
/// that answers the sender; a refusal throws `CommandRefusal` and the caller's transaction rolls
/// back whole.
struct ReportCommandRun: Sendable {
    let command: ChatCommand
    let person: Person?
    let sender: CommandSender
    var order: WorkOrder
    let directory: CommunityDirectory
    let tx: WorkOrderTransaction
    let dispatcher: ReportDispatcher
    let parser: MessageParser
    var keys: DedupeKeys
    let now: Date

    /// The report the command names first.
    let id: Int64
    /// What the sender may do to this report.
    let actor: ReportActor
    /// The sender as the timeline records them.
    let who: ReportDispatcher.Actor
    /// The status before the command.
    let before: ReportStatus

    init(
        command: ChatCommand, person: Person?, sender: CommandSender, order: WorkOrder, directory: CommunityDirectory,
        tx: WorkOrderTransaction, dispatcher: ReportDispatcher, parser: MessageParser, keys: DedupeKeys, now: Date
    ) {
        self.command = command
        self.person = person
        self.sender = sender
        self.order = order
        self.directory = directory
        self.tx = tx
        self.dispatcher = dispatcher
        self.parser = parser
        self.keys = keys
        self.now = now
        id = order.id
        actor = ReportAccess.actor(person, senderID: sender.senderID, on: directory.assignment(of: order))
        who = ReportDispatcher.Actor(person, senderID: sender.senderID, senderName: sender.senderName)
        before = order.status
    }

    /// The command's words after the report number, nil when there are none.
    var note: String? { command.note.isEmpty ? nil : command.note }

    // MARK: Steps every verb takes

    /// Moves the report through the lifecycle, or refuses with the lifecycle's reason.
    ///
    /// Staff refused a handler's step only because the report is another grid's (or
    /// department's) are told so, and whose it is, rather than a rule about roles that they meet.
    mutating func apply(_ action: ReportAction, by acting: ReportActor? = nil) throws -> ReportLifecycle.Transition {
        let acting = acting ?? actor
        do {
            let transition = try ReportLifecycle.apply(action, to: order.state, by: acting)
            order.state = transition.state
            return transition
        } catch {
            if case .notAllowed = error, action.isHandlers, acting.role.isStaff, !acting.isAssignee, !acting.supervises, let owner = owner() {
                throw CommandRefusal(id, line(.reportOutsideGrid, ["where": owner.name, "people": owner.people, "verb": action.verb]))
            }
            throw CommandRefusal(id, error.description)
        }
    }

    /// Whom the report belongs to now: its grid (with its department, if one handles it) and
    /// that grid's staff.
    private func owner() -> (name: String, people: String)? {
        guard let gridCode = order.assigneeGrid, let grid = directory.grids[gridCode] else { return nil }
        let people = directory.staff.filter { $0.gridCode == gridCode && $0.role.isStaff }.map(\.name)
        let department = directory.department(code: order.departmentCode).map { "（\($0.name)承办）" } ?? ""
        return (grid.name + department, people.joined(separator: "、"))
    }

    /// Saves the report and puts the step on its timeline.
    func record(_ action: String, note: String? = nil, by fields: ReportDispatcher.Actor? = nil) async throws {
        let fields = fields ?? who
        try await tx.save(order, at: now)
        try await tx.append(ReportEvent(reportID: id, at: now, actorCode: fields.code, actorName: fields.name, actorRole: fields.role,
                                        action: action, fromStatus: before, toStatus: order.status, note: note))
    }

    /// Carries out the lifecycle's effects for this report.
    mutating func carryOut(_ effects: [ReportEffect], note: String?, supervisorWhat: String? = nil, redispatch: Bool = false) async throws {
        try await dispatcher.carryOut(effects, order: order, actorName: who.name, note: note, directory: directory, tx: tx, keys: &keys, now: now,
                                      supervisorWhat: supervisorWhat, redispatch: redispatch)
    }

    /// The report's card posted again to its current route.
    mutating func postCard(reassigned: String, stagesFrom start: Date? = nil) async throws {
        try await dispatcher.postCard(order, directory: directory, tx: tx, keys: &keys, now: now, stagesFrom: start, reassigned: reassigned)
    }

    /// The report sent to a route, with its stages and card.
    mutating func dispatch(to route: Route, by actor: ReportDispatcher.Actor? = nil, action: String, note: String?, reassigned: String) async throws {
        try await dispatcher.dispatch(&order, from: before, to: route, by: actor ?? who, action: action, note: note, directory: directory,
                                      tx: tx, keys: &keys, now: now, reassigned: reassigned)
    }

    /// A line from `chat/lines.txt` about this report (`id` is filled in).
    func line(_ line: ChatLine, _ values: [String: Any] = [:]) -> String {
        dispatcher.replies.line(line, values.merging(["id": id]) { given, _ in given })
    }

    /// The answer that the command was carried out.
    func done(_ line: ChatLine, _ values: [String: Any] = [:]) -> String {
        dispatcher.replies.done(line, values.merging(["id": id]) { given, _ in given })
    }

    /// A refusal about this report (or `report`), with its line.
    func refusal(_ line: ChatLine, _ values: [String: Any] = [:], about report: Int64? = nil, _ kind: CommandRefusal.Kind = .conflict) -> CommandRefusal {
        CommandRefusal(report ?? id, self.line(line, values.merging(["id": report ?? id]) { given, _ in given }), kind)
    }

    func clock(_ date: Date?) -> String {
        date.map { dispatcher.replies.clockTime($0, relativeTo: now) } ?? "规定时间"
    }

    // MARK: Handling

    /// 签收: the assignee takes the report on.
    mutating func acknowledge() async throws -> String {
        let transition = try apply(.acknowledge)
        try await takeOn(transition)
        let resolveBy = try await tx.stages(reportID: id, openOnly: true).first { $0.stage == .resolve }?.dueAt
        if let resolveBy, resolveBy < now {
            // Signed for late: say the deadline has passed and by how long, not "resolve by" a time gone.
            return done(.reportAcknowledgedOverdue, ["resolveBy": clock(resolveBy), "late": LocalTime.duration(now.timeIntervalSince(resolveBy))])
        }
        return done(.reportAcknowledged, ["resolveBy": clock(resolveBy)])
    }

    /// 处置: work on the report has started.
    mutating func start() async throws -> String {
        let transition = try apply(.start)
        try await takeOn(transition)
        return done(.reportStarted)
    }

    private mutating func takeOn(_ transition: ReportLifecycle.Transition) async throws {
        if order.acknowledgedAt == nil { order.acknowledgedAt = now }
        try await tx.endStages(reportID: id, .acknowledge, outcome: "done", at: now)
        try await record(command.verb.rawValue, note: note)
        try await carryOut(transition.effects, note: note)
    }

    /// 办结 by the handler: resolved, waiting for someone else to verify.
    mutating func resolve() async throws -> String {
        let transition = try apply(.resolve(note: note))
        if order.acknowledgedAt == nil { order.acknowledgedAt = now }
        if order.resolvedAt == nil { order.resolvedAt = now }
        try await tx.endStages(reportID: id, outcome: "done", at: now)
        try await record("resolve", note: [note, sender.attachments == 0 ? nil : "照片 \(sender.attachments) 张"].compactMap { $0 }.joined(separator: "；"))
        try await carryOut(transition.effects, note: note)
        return done(.reportResolved)
    }

    /// 派单 or 转办: the report goes to the department or grid the command names.
    mutating func dispatch() async throws -> String {
        let assigning = command.verb == .assign
        guard let target = command.target else {
            throw refusal(.reportNeedsTarget, ["verb": assigning ? "派单" : "转办"])
        }
        guard let route = directory.route(named: target, from: order) else {
            throw refusal(.reportUnknownTarget, ["target": target], .notFound)
        }
        _ = try apply(assigning ? .assign(to: route.grid) : .transfer(to: route.grid, reason: command.note))
        try await dispatch(to: route, action: command.verb.rawValue, note: note,
                           reassigned: assigning ? "派单" : "由\(who.name ?? "工作人员")转办：\(command.note)")
        return done(assigning ? .reportAssigned : .reportTransferred, ["route": route.description])
    }

    /// 退回: the assignee hands the report back to the grid above, which must re-dispatch it
    /// within the acknowledge time or it escalates.
    mutating func giveBack() async throws -> String {
        let transition = try apply(.return(reason: command.note))
        let parent = directory.grids[order.assigneeGrid ?? ""]?.parentCode ?? directory.root ?? order.assigneeGrid
        order.assigneeGrid = parent
        try await tx.endStages(reportID: id, outcome: "returned", at: now)
        if let grid = parent {
            let settings = dispatcher.settings
            let due = settings.policy.deadline(.acknowledge, order.urgency, from: now, calendar: settings.calendar)
            try await tx.startStage(.acknowledge, reportID: id, gridCode: grid, departmentCode: nil, start: now, due: due,
                                    remindAt: settings.policy.reminder(start: now, due: due))
        }
        try await record("return", note: note)
        try await carryOut(transition.effects, note: note, supervisorWhat: "被\(who.name ?? "承办人")退回", redispatch: true)
        return done(.reportReturned)
    }

    /// 核实 by someone other than the handler: the report is closed and its reporters asked.
    mutating func verify() async throws -> String {
        _ = try apply(.verify)
        try await record("verify", note: note)
        let closing = try apply(.close, by: .system)
        order.closedAt = now
        try await tx.clearRatings(reportID: id)
        try await tx.endStages(reportID: id, outcome: "closed", at: now)
        try await tx.save(order, at: now)
        try await tx.append(ReportEvent(reportID: id, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "close",
                                        fromStatus: .verified, toStatus: .closed))
        try await carryOut(closing.effects, note: nil)
        return done(.reportVerified)
    }

    /// 关闭: closed by a supervisor.
    mutating func close() async throws -> String {
        let transition = try apply(.close)
        order.closedAt = now
        try await tx.clearRatings(reportID: id)
        try await tx.endStages(reportID: id, outcome: "closed", at: now)
        try await record("close", note: note)
        try await carryOut(transition.effects, note: nil)
        return done(.reportClosed)
    }

    /// 重办: a closed report is opened again, with new stages and its card posted again.
    mutating func reopen() async throws -> String {
        let transition = try apply(.reopen(reason: command.note))
        order.closedAt = nil
        try await record("reopen", note: note)
        try await dispatcher.startStages(order, endingOpenOnesAs: "reopened", tx: tx, now: now)
        try await carryOut(transition.effects, note: note)
        try await postCard(reassigned: "重新办理：\(command.note)")
        return done(.reportReopened)
    }
}
