import Foundation
import GridCore
import GridStore

/// Correcting a report the parser got wrong: `改类 #12 燃气`, `改级 #12 紧急`, `改址 #12 5号楼2单元`.
///
/// A new category that another department handles, or a new place in another grid, re-routes the
/// report (the new assignee gets the card, the old one is told it moved); a new urgency counts the
/// deadlines again from when the report came in. Every change is on the timeline with who made
/// it, and the corrected report is labelled data for retraining (`gridbot corrections export`).
extension WorkOrderDesk {
    /// The category a correction names: a category's Chinese name or code, else the strongest
    /// category cue in the words.
    func category(named words: String) -> ReportCategory? {
        let text = words.trimmingCharacters(in: .whitespaces)
        if let exact = ReportCategory.allCases.first(where: { text.contains($0.chineseName) || text.lowercased() == $0.rawValue }) { return exact }
        return parser.parse(text, groupBuilding: nil).cues.filter { !$0.negated }.compactMap { cue -> (ReportCategory, Int)? in
            if case .category(let found) = cue.feature { return (found, cue.weight) }
            return nil
        }.max { $0.1 < $1.1 }?.0
    }

    /// The urgency a correction names (`紧急`, `较急`, `一般`, or the codes).
    static func urgency(named words: String) -> Urgency? {
        let text = words.trimmingCharacters(in: .whitespaces)
        if let code = Urgency(rawValue: text.lowercased()) { return code }
        if text.contains("一般") || text.contains("不急") || text.contains("普通") { return .normal }
        if text.contains("紧急") || text.contains("特急") { return .emergency }
        if text.contains("急") { return .urgent }
        return nil
    }

    func correct(
        _ verb: CommandVerb, _ order: inout WorkOrder, note: String, by who: ActorFields, directory: CommunityDirectory,
        tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date
    ) async throws -> String {
        let id = order.id
        let before = order.status
        let oldRoute = route(grid: order.assigneeGrid ?? directory.root ?? "", departmentCode: order.departmentCode, directory: directory)
        func record(_ action: String, _ what: String) async throws {
            try await tx.save(order, at: now)
            try await tx.append(ReportEvent(reportID: id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role,
                                            action: action, fromStatus: before, toStatus: order.status, note: what))
        }
        /// Sends the report to a new route, telling the chats of the old one that it moved.
        func reroute(to route: Route, action: String, what: String) async throws {
            try await dispatchOrder(&order, from: before, to: route, by: who, action: action, note: what, directory: directory, tx: tx, keys: &keys, now: now,
                                    reassigned: "\(who.name ?? "工作人员")更正：\(what)")
            for chat in oldRoute.chats where !route.chats.contains(where: { $0.code == chat.code }) {
                try await tx.enqueue(try post(done("#\(id) \(what)，已改由\(route.description)处理。"), to: chat, directory: directory),
                                     dedupeKey: keys.next(), reportID: id, at: now)
            }
        }

        switch verb {
        case .recategorise:
            guard let category = category(named: note) else { throw CommandRefusal(id, "请写明类别，例如「改类 #\(id) 燃气」") }
            guard category != order.category else { throw CommandRefusal(id, "#\(id) 的类别已经是「\(category.chineseName)」") }
            let what = "类别由「\(order.category.chineseName)」更正为「\(category.chineseName)」"
            order.category = category
            let department = directory.department(for: category)?.code
            if department != order.departmentCode {
                try await reroute(to: route(grid: order.assigneeGrid ?? directory.root ?? "", departmentCode: department, directory: directory), action: "recategorise", what: what)
                return done("#\(id) \(what)，已改派\(route(grid: order.assigneeGrid ?? "", departmentCode: department, directory: directory).description)。")
            }
            try await record("recategorise", what)
            return done("#\(id) \(what)。")

        case .reprioritise:
            guard let urgency = Self.urgency(named: note) else { throw CommandRefusal(id, "请写明紧急程度，例如「改级 #\(id) 紧急」（紧急、较急、一般）") }
            guard urgency != order.urgency else { throw CommandRefusal(id, "#\(id) 的紧急程度已经是「\(urgency.chineseName)」") }
            let what = "紧急程度由「\(order.urgency.chineseName)」更正为「\(urgency.chineseName)」"
            order.urgency = urgency
            try await record("reprioritise", what)
            // The deadlines count from when the report came in: a raised urgency may be late already.
            try await startStages(order, endingOpenOnesAs: "reprioritised", from: order.createdAt, tx: tx, now: now)
            try await postCard(order, directory: directory, tx: tx, keys: &keys, now: now, stagesFrom: order.createdAt, reassigned: what)
            if urgency == .emergency { try await alertCommunity(order, route: oldRoute, directory: directory, tx: tx, keys: &keys, now: now) }
            return done("#\(id) \(what)，时限按反映时间重新计算。")

        case .relocate:
            let place = parser.location(in: note)
            guard let building = place.building else { throw CommandRefusal(id, "请写明楼号，例如「改址 #\(id) 5号楼2单元」") }
            guard directory.buildingGrids[building] != nil else { throw CommandRefusal(id, "本社区没有 \(building)号楼") }
            guard place != order.location else { throw CommandRefusal(id, "#\(id) 的位置已经是\(place.chineseDescription)") }
            let what = "位置由\(order.location.chineseDescription.isEmpty ? "未知" : order.location.chineseDescription)更正为\(place.chineseDescription)"
            order.location = place
            let newRoute = routing(for: place, group: nil, category: order.category, directory: directory)
            if newRoute.grid != order.assigneeGrid {
                try await reroute(to: newRoute, action: "relocate", what: what)
                return done("#\(id) \(what)，已改派\(newRoute.description)。")
            }
            try await record("relocate", what)
            return done("#\(id) \(what)。")

        default:
            throw CommandRefusal(id, "不是更正指令")
        }
    }
}
