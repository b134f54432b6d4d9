import Foundation
import GridCore
import GridStore

/// 合并 and 拆分: duplicates staff found that intake did not.
extension ReportCommandRun {
    /// 合并 #12 #15: the later reports join the first, their reporters with them. Every report
    /// named must be the sender's to merge, or nothing is merged. Reports that do not look like
    /// the same problem (another building or category), or a first report already dealt with,
    /// merge only with a confirmation word (`合并 #12 #15 确认`): a wrong merge silences a
    /// reporter's problem.
    mutating func merge() async throws -> String {
        guard command.reportIDs.count >= 2 else { throw refusal(.reportMergeNeedsTwo) }
        guard order.status.isOpen else { throw refusal(.reportMergeIntoClosed, ["status": order.status.chineseName]) }
        guard actor.isAssignee || actor.supervises else { throw refusal(.reportNotYours, [:], .forbidden) }
        var others: [(order: WorkOrder, actor: ReportActor)] = []
        for otherID in command.reportIDs.dropFirst() where otherID != id && !others.contains(where: { $0.order.id == otherID }) {
            guard let other = try await tx.workOrder(id: otherID) else { throw refusal(.reportNotFound, about: otherID, .notFound) }
            let otherActor = ReportAccess.actor(person, senderID: sender.senderID, on: directory.assignment(of: other))
            guard otherActor.isAssignee || otherActor.supervises else { throw refusal(.reportNotYours, about: otherID, .forbidden) }
            others.append((other, otherActor))
        }
        let doubts = mergeDoubts(about: others.map(\.order))
        if !doubts.isEmpty, !Self.confirms(command.note) {
            throw refusal(.reportMergeNeedsConfirmation, ["doubts": doubts.joined(separator: "；"),
                                                          "others": others.map { "#\($0.order.id)" }.joined(separator: " ")])
        }
        for (var other, otherActor) in others {
            let otherBefore = other.status
            do {
                other.state = try ReportLifecycle.apply(.merge(into: id), to: other.state, by: otherActor).state
            } catch {
                throw CommandRefusal(other.id, error.description)
            }
            other.mergedInto = id
            try await tx.save(other, at: now)
            try await tx.endStages(reportID: other.id, outcome: "merged", at: now)
            for reporter in try await tx.reporters(reportID: other.id) { try await tx.addReporter(reporter, to: id, at: now) }
            try await tx.append(ReportEvent(reportID: other.id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role,
                                            action: "merged_into", fromStatus: otherBefore, toStatus: .merged, note: "#\(id)"))
            try await tx.append(ReportEvent(reportID: id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role,
                                            action: "merge", fromStatus: order.status, toStatus: order.status, note: "#\(other.id) 并入"))
            try await dispatcher.notifyReporters(of: other, progress: line(.progressMerged), note: nil, ask: false,
                                                 tx: tx, keys: &keys, now: now)
        }
        return done(.reportMerged, ["merged": others.map { "#\($0.order.id)" }.joined(separator: "、")])
    }

    /// Why merging these reports into this one may be a mistake, one phrase each: another
    /// building, another category, or this report already dealt with.
    private func mergeDoubts(about others: [WorkOrder]) -> [String] {
        func building(_ order: WorkOrder) -> String {
            order.location.building.map { Location(building: $0).chineseDescription } ?? "未写楼号"
        }
        var doubts: [String] = []
        for other in others {
            if other.location.building != order.location.building {
                doubts.append("#\(other.id) 在\(building(other))，#\(id) 在\(building(order))")
            }
            if other.category != order.category {
                doubts.append("#\(other.id) 是\(other.category.chineseName)，#\(id) 是\(order.category.chineseName)")
            }
        }
        if order.status == .resolved || order.status == .verified {
            doubts.append("#\(id) 已「\(order.status.chineseName)」，并入的问题不会再单独办理")
        }
        return doubts
    }

    /// Whether a merge's words confirm it (`确认`, `确定`).
    static func confirms(_ note: String) -> Bool {
        note.hasPrefix("确认") || note.hasPrefix("确定")
    }

    /// 拆分 #15: a merged report is its own again, as it was when it was merged: its status,
    /// resolution, assignment and deadlines (the stages the merge ended run on from where they
    /// were). Its own reporters go with it and are told. A report merged before it was
    /// dispatched, or one merged before merges were recorded this way, is dispatched anew.
    mutating func split() async throws -> String {
        guard let target = order.mergedInto else { throw refusal(.reportNeverMerged) }
        // Like a merge, only its handlers or those above them (of it or of the report it joined).
        if !(actor.isAssignee || actor.supervises) {
            let joined = try await tx.workOrder(id: target, lock: false)
            let targetActor = joined.map { ReportAccess.actor(person, senderID: sender.senderID, on: directory.assignment(of: $0)) }
            guard targetActor?.isAssignee == true || targetActor?.supervises == true else { throw refusal(.reportNotYours, [:], .forbidden) }
        }
        let merge = try await tx.timeline(reportID: id).last { $0.action == "merged_into" }
        let prior = merge?.fromStatus
        // The stages this merge ended (not those of an earlier merge that a split dispatched anew).
        let ended = try await tx.stages(reportID: id, openOnly: false).filter { stage in
            stage.outcome == "merged" && merge.map { stage.endedAt == $0.at } == true
        }
        _ = try apply(.split(restoring: prior ?? .assigned))
        order.mergedInto = nil
        let leaving = try await tx.detachReporters(from: target, origin: id)
        try await record("split", note: "从 #\(target) 拆分，恢复为「\(order.status.chineseName)」")
        try await tx.append(ReportEvent(reportID: target, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role,
                                        action: "split", note: "#\(id) 拆出（\(leaving.count) 位反映人）"))
        let answer: String
        if prior == order.status, order.assigneeGrid != nil {
            for stage in ended { try await tx.reopenStage(id: stage.id, nextCheckAt: dispatcher.settings.policy.nextCheck(of: stage)) }
            let route = directory.currentRoute(of: order)
            answer = done(.reportSplitRestored, ["from": target, "status": order.status.chineseName, "route": route.description])
            // Its handlers hear it is theirs again, in their chats (the one the split was given in hears the answer).
            try await dispatcher.post(answer, to: route.chats.filter { !sender.isIn($0) }, about: id, directory: directory, tx: tx, keys: &keys, now: now)
        } else {
            let route = directory.route(for: order.location, group: nil, category: order.category)
            try await dispatch(to: route, action: "assign", note: "拆分后重新派单", reassigned: "从 #\(target) 拆分")
            answer = done(.reportSplit, ["from": target, "status": order.status.chineseName, "route": route.description])
        }
        try await dispatcher.notifyReporters(of: order, progress: line(.progressSplit, ["from": target, "status": order.status.chineseName]),
                                             note: nil, ask: false, tx: tx, keys: &keys, now: now)
        return answer
    }
}
