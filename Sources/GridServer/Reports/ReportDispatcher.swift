import Foundation
import GridCore
import GridStore

/// The closed loop's shared moves inside a transaction: assigning a report to a route with its
/// deadline stages and card, alerting the community to an emergency, and telling reporters and
/// grid heads what happened. Intake, commands and corrections all move reports through it.
struct ReportDispatcher: Sendable {
    let replies: ChatReplies
    let settings: WorkOrderSettings
    /// Where groups' `env:NAME` post URLs are read.
    let secrets: [String: String]

    /// Who did something, as the timeline records them.
    struct Actor: Sendable {
        var code: String
        var name: String?
        var role: String

        static let system = Actor(code: "system", name: "GridBot", role: "system")

        /// A known person, or a chat account GridBot does not know (a resident).
        init(_ person: Person?, senderID: String, senderName: String?) {
            if let person {
                self.init(code: person.code, name: person.name, role: person.role.rawValue)
            } else {
                self.init(code: "im:\(senderID)", name: senderName, role: Role.resident.rawValue)
            }
        }

        init(code: String, name: String?, role: String) {
            self.code = code
            self.name = name
            self.role = role
        }
    }

    /// When a report's stages starting at `start` are due.
    func deadlines(for urgency: Urgency, from start: Date) -> (acknowledge: Date, resolve: Date) {
        (settings.policy.deadline(.acknowledge, urgency, from: start, calendar: settings.calendar),
         settings.policy.deadline(.resolve, urgency, from: start, calendar: settings.calendar))
    }

    /// Assigns a report to a route: saves it, starts its deadline stages, puts it on the timeline
    /// and posts the card to the route's chats.
    func dispatch(
        _ order: inout WorkOrder, from: ReportStatus, to route: Route, by actor: Actor, action: String, note: String?,
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

    /// Posts a report's card to a route's chats (by default its current one), with the deadlines
    /// of stages starting at `start` (by default now).
    func postCard(
        _ order: WorkOrder, to route: Route? = nil, directory: CommunityDirectory, tx: WorkOrderTransaction, keys: inout DedupeKeys,
        now: Date, stagesFrom start: Date? = nil, reassigned: String?
    ) async throws {
        let route = route ?? directory.currentRoute(of: order)
        let due = deadlines(for: order.urgency, from: start ?? now)
        let photos = try await tx.attachments(messageID: order.messageID).count
        guard let card = replies.render(.reportCard, [
            "id": order.id, "category": order.category.chineseName, "urgency": order.urgency.chineseName,
            // The chat is read by everyone in it: numbers are masked; the assignee reads them on the console.
            "location": order.location.chineseDescription, "text": PersonalData.mask(order.text), "photos": photos > 0 ? "\(photos)" : "",
            "hasPhone": !PersonalData.phoneNumbers(in: order.text).isEmpty, "assignee": route.description,
            "acknowledgeBy": replies.clockTime(due.acknowledge, relativeTo: now), "resolveBy": replies.clockTime(due.resolve, relativeTo: now),
            "needsTriage": order.needsTriage, "alert": order.urgency == .emergency, "reassigned": reassigned ?? "",
        ]) else { return }
        try await post(card, to: route.chats, about: order.id, directory: directory, tx: tx, keys: &keys, now: now)
    }

    /// An emergency also goes at once to the community's staff chat, for the community's head.
    func alertCommunity(_ order: WorkOrder, route: Route, directory: CommunityDirectory, tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date) async throws {
        guard let root = directory.root else { return }
        let leaders = directory.leaderNames(of: .community, grid: root)
        guard let text = replies.render(.reportAlert, [
            "id": order.id, "category": order.category.chineseName, "location": order.location.chineseDescription,
            "text": PersonalData.mask(order.text), "assignee": route.description, "leaders": leaders.isEmpty ? "社区负责人" : leaders,
        ]) else { return }
        let chats = directory.staffChats(grid: root).filter { chat in !route.chats.contains { $0.code == chat.code } }
        try await post(text, to: chats, about: order.id, directory: directory, tx: tx, keys: &keys, now: now)
        try await tx.append(ReportEvent(reportID: order.id, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "alert",
                                        note: "紧急情况已通知社区（\(leaders)）"))
    }

    /// Carries out the lifecycle's effects: reporters told (and asked to rate when it closed),
    /// the grid head told when it must act.
    func carryOut(
        _ effects: [ReportEffect], order: WorkOrder, actorName: String?, note: String?, directory: CommunityDirectory,
        tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date, supervisorWhat: String? = nil, redispatch: Bool = false
    ) async throws {
        let ask = effects.contains(.askSatisfaction)
        for effect in effects {
            switch effect {
            case .notifyReporters(let status):
                let progress = switch status {
                case .acknowledged: replies.line(.progressAcknowledged, ["actor": actorName ?? ""])
                case .resolved: replies.line(.progressResolved, ["actor": actorName ?? ""])
                case .closed: replies.line(.progressClosed)
                case .assigned: replies.line(.progressReassigned)
                case .received, .inProgress, .verified, .merged: replies.line(.progressStatus, ["status": status.chineseName])
                }
                try await notifyReporters(of: order, progress: progress, note: status == .closed ? nil : note, ask: ask && status == .closed,
                                          tx: tx, keys: &keys, now: now)
            case .askSatisfaction:
                break  // asked in the closing notice
            case .notifyGridHead:
                guard let text = replies.render(.reportSupervisor, [
                    "id": order.id, "category": order.category.chineseName, "location": order.location.chineseDescription,
                    "what": supervisorWhat ?? "需要处理", "note": note ?? "", "redispatch": redispatch,
                ]) else { continue }
                let chats = directory.escalationTarget(.gridHead, grid: order.assigneeGrid ?? directory.root ?? "").chats
                try await post(text, to: chats, about: order.id, directory: directory, tx: tx, keys: &keys, now: now)
            case .postCard:
                break  // posted by dispatch, which knows the route
            }
        }
    }

    /// Tells every reporter of a report what happened, in the chat they reported from. With
    /// `once`, the notices' dedupe keys are that key and the reporter's place, so the same notice
    /// queued again by a later event (another escalation) queues nothing.
    func notifyReporters(
        of order: WorkOrder, progress: String, note: String?, ask: Bool, tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date,
        once: String? = nil
    ) async throws {
        for (index, reporter) in try await tx.reporters(reportID: order.id).enumerated() {
            guard let text = replies.render(.reportProgress, [
                "mention": reporter.name ?? "", "id": order.id, "category": order.category.chineseName,
                "location": order.location.chineseDescription, "progress": progress, "note": note ?? "", "askSatisfaction": ask,
            ]) else { continue }
            try await tx.enqueue(reporter.notice(text), dedupeKey: once.map { "\($0):\(index)" } ?? keys.next(), reportID: order.id, at: now)
        }
    }

    /// Posts one text into group chats, marked as about a report.
    func post(_ text: String, to chats: [ChatGroup], about reportID: Int64, directory: CommunityDirectory, tx: WorkOrderTransaction,
              keys: inout DedupeKeys, now: Date) async throws {
        for chat in chats {
            try await tx.enqueue(try directory.outbound(text, to: chat, secrets: secrets), dedupeKey: keys.next(), reportID: reportID, at: now)
        }
    }
}
