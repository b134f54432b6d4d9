import Foundation
import GridCore
import GridStore

/// 合并 and 拆分: duplicates staff found that intake did not.
extension ReportCommandRun {
    /// 合并 #12 #15: the later reports join the first, their reporters with them. Every report
    /// named must be the sender's to merge, or nothing is merged.
    mutating func merge() async throws -> String {
        guard command.reportIDs.count >= 2 else { throw refusal(.reportMergeNeedsTwo) }
        guard order.status.isOpen else { throw refusal(.reportMergeIntoClosed, ["status": order.status.chineseName]) }
        guard actor.isAssignee || actor.supervises else { throw refusal(.reportNotYours, [:], .forbidden) }
        var merged: [Int64] = []
        for otherID in command.reportIDs.dropFirst() where otherID != id {
            guard var other = try await tx.workOrder(id: otherID) else { throw refusal(.reportNotFound, about: otherID, .notFound) }
            let otherActor = ReportAccess.actor(person, senderID: sender.senderID, on: directory.assignment(of: other))
            guard otherActor.isAssignee || otherActor.supervises else { throw refusal(.reportNotYours, about: otherID, .forbidden) }
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
            try await dispatcher.notifyReporters(of: other, progress: line(.progressMerged), note: nil, ask: false,
                                                 tx: tx, keys: &keys, now: now)
            merged.append(otherID)
        }
        return done(.reportMerged, ["merged": merged.map { "#\($0)" }.joined(separator: "、")])
    }

    /// 拆分 #15: a merged report is its own again, routed anew, its own reporters with it.
    mutating func split() async throws -> String {
        guard let target = order.mergedInto else { throw refusal(.reportNeverMerged) }
        let transition = try apply(.split)
        order.mergedInto = nil
        let leaving = try await tx.detachReporters(from: target, origin: id)
        try await record("split", note: "从 #\(target) 拆分")
        try await tx.append(ReportEvent(reportID: target, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role,
                                        action: "split", note: "#\(id) 拆出（\(leaving.count) 位反映人）"))
        let route = directory.route(for: order.location, group: nil, category: order.category)
        try await dispatch(to: route, action: "assign", note: "拆分后重新派单", reassigned: "从 #\(target) 拆分")
        try await carryOut(transition.effects.filter { if case .notifyReporters = $0 { false } else { true } }, note: nil)
        return done(.reportSplit, ["from": target, "route": route.description])
    }
}
