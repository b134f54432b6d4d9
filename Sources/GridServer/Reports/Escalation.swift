import Foundation
import GridCore
import GridStore
import Logging

/// Deadlines that pass: a reminder to the assignee before a stage is due and, once it has
/// passed, escalation one level at a time (grid worker → grid head → community → street), each
/// step on the report's timeline. Each check claims its stage in a transaction, so two
/// instances never send one reminder twice.
struct Escalation: Sendable {
    let store: SQLStore
    let dispatcher: ReportDispatcher
    let logger: Logger

    var replies: ChatReplies { dispatcher.replies }

    /// Reminds or escalates the stages that are still due at `now`, reading the community once;
    /// returns how many it acted on (another instance may have got to some first).
    func check(_ stageIDs: [Int64], now: Date) async throws -> Int {
        guard !stageIDs.isEmpty else { return 0 }
        let directory = try await store.directory()
        var acted = 0
        for id in stageIDs where try await check(stage: id, now: now, directory: directory) { acted += 1 }
        return acted
    }

    /// Reminds or escalates one stage if it is still due at `now`; false when there was nothing
    /// to do (another instance did it, or the stage ended).
    private func check(stage id: Int64, now: Date, directory: CommunityDirectory) async throws -> Bool {
        try await store.withWorkOrders { tx in
            guard let stage = try await tx.dueStage(id: id, now: now) else { return false }
            guard let order = try await tx.workOrder(id: stage.reportID), order.status.isOpen else {
                try await tx.endStages(reportID: stage.reportID, outcome: "closed", at: now)
                return true
            }
            var keys = DedupeKeys(base: "s\(stage.id):\(stage.escalationLevel.rawValue):\(stage.reminded ? 1 : 0)")
            let route = directory.route(grid: stage.gridCode, departmentCode: stage.departmentCode)
            let values: [String: Any] = [
                "id": order.id, "category": order.category.chineseName, "location": order.location.chineseDescription,
                "urgency": order.urgency.chineseName, "stage": stage.stage.chineseName, "dueBy": replies.clockTime(stage.dueAt, relativeTo: now),
                "assignee": route.description,
            ]
            if !stage.reminded, now < stage.dueAt {
                if let text = replies.render(.reportReminder, values) {
                    try await dispatcher.post(text, to: route.chats, about: order.id, directory: directory, tx: tx, keys: &keys, now: now)
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
            let leaders = directory.leaderNames(of: level, grid: stage.gridCode)
            var escalation = values
            escalation["level"] = level.chineseName
            escalation["leaders"] = leaders.isEmpty ? level.chineseName : leaders
            if let text = replies.render(.reportEscalated, escalation) {
                var chats = directory.escalationTarget(level, grid: stage.gridCode).chats
                // The assignee's chat hears it too: the whistle is blown where the work is.
                for chat in route.chats where !chats.contains(where: { $0.code == chat.code }) { chats.append(chat) }
                try await dispatcher.post(text, to: chats, about: order.id, directory: directory, tx: tx, keys: &keys, now: now)
            }
            // The reporters hear once, kindly, that it is late and who is chasing it.
            // One key per report: a later level or stage queues nothing new.
            try await dispatcher.notifyReporters(of: order, progress: replies.line(.progressLate, ["leaders": leaders.isEmpty ? level.chineseName : leaders]),
                                                 note: nil, ask: false, tx: tx, keys: &keys, now: now, once: "late:r\(order.id)")
            let policy = dispatcher.settings.policy
            let next = level.next.map { policy.escalation(to: $0, start: stage.startedAt, due: stage.dueAt) }
            try await tx.updateStage(id: stage.id, reminded: true, level: level, nextCheckAt: next)
            try await tx.append(ReportEvent(reportID: order.id, at: now, actorCode: "system", actorName: nil, actorRole: "system", action: "escalate",
                                            note: "\(stage.stage.chineseName)超时，升级至\(level.chineseName)\(leaders.isEmpty ? "" : "（\(leaders)）")"))
            logger.info("stage escalated", metadata: ["report.id": "\(order.id)", "stage": "\(stage.stage.rawValue)", "escalation.level": "\(level.chineseName)"])
            return true
        }
    }
}
