import Foundation
import GridCore
import GridStore

/// What reporters say back: their rating at the return visit (回访) and what they add.
extension ReportCommandRun {
    /// 满意 / 不满意: a reporter rates the closed report; dissatisfied opens it again.
    mutating func rate() async throws -> String {
        let reporters = try await tx.reporters(reportID: id)
        guard reporters.contains(where: { $0.platform == sender.platform && $0.userID == sender.senderID }) else {
            throw refusal(.reportOnlyReportersRate, [:], .forbidden)
        }
        let satisfied = command.verb == .satisfied
        // Only a closed report's return visit is rated (the lifecycle's own refusal says so).
        guard order.status == .closed else { throw CommandRefusal(id, ReportRefusal.wrongState(order.status).description) }
        guard try await tx.markRated(reportID: id, platform: sender.platform, userID: sender.senderID, at: now) else {
            throw refusal(.reportAlreadyRatedByYou)
        }
        if order.rated {
            // Another reporter of the same visit rated first: this one's word is recorded and
            // answered too; a dissatisfied one reaches the grid head, the report reopens only once.
            try await record("rate", note: (satisfied ? "满意" : "不满意") + (note.map { "：\($0)" } ?? ""))
            if !satisfied { try await carryOut([.notifyGridHead], note: note, supervisorWhat: "另一位反映人回访不满意") }
            return done(satisfied ? .reportRatedSatisfied : .reportRatedDissatisfied)
        }
        let transition = try apply(.rate(satisfied: satisfied))
        try await record("rate", note: (satisfied ? "满意" : "不满意") + (note.map { "：\($0)" } ?? ""))
        guard transition.state.status == .assigned else { return done(satisfied ? .reportRatedSatisfied : .reportRatedDissatisfied) }
        order.closedAt = nil
        try await tx.save(order, at: now)
        try await dispatcher.startStages(order, endingOpenOnesAs: "reopened", tx: tx, now: now)
        try await carryOut(transition.effects, note: note, supervisorWhat: "反映人回访不满意，已重新办理")
        try await postCard(reassigned: "回访不满意，重新办理")
        return done(.reportReopenedByRating)
    }

    /// 补充 #12 …: words added to a report; a building named where none was known moves the
    /// report to that building's grid.
    mutating func supplement() async throws -> String {
        if order.location.building == nil, order.status.isOpen, order.status != .merged {
            let found = parser.location(in: command.note)
            if let building = found.building, let code = directory.buildingGrids[building] {
                order.location = Location(building: building, unit: found.unit ?? order.location.unit, room: found.room ?? order.location.room)
                try await record("supplement", note: note)
                let route = directory.route(for: order.location, group: nil, category: order.category)
                if route.grid != order.assigneeGrid {
                    try await dispatch(to: route, by: .system, action: "assign", note: "补充楼号后派至\(code)", reassigned: "补充楼号后派单")
                }
                return done(.reportSupplementedPlace, ["location": order.location.chineseDescription])
            }
            if let building = found.building {
                // A building this community does not have: recorded, and the reporter asked to check.
                try await record("supplement", note: note)
                return done(.reportSupplementedUnknownBuilding, ["building": Location(building: building).chineseDescription])
            }
        }
        try await record("supplement", note: command.note.isEmpty ? "（空）" : command.note)
        return done(.reportSupplemented)
    }
}
