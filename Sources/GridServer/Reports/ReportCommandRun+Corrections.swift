import Foundation
import GridCore
import GridStore

/// Correcting a report the parser got wrong: `改类 #12 燃气`, `改级 #12 紧急`, `改址 #12 5号楼2单元`.
///
/// A new category that another department handles, or a new place in another grid, re-routes the
/// report (the new assignee gets the card, the old one is told it moved); a new urgency counts the
/// deadlines again from when the report came in. Every change is on the timeline with who made
/// it, and the corrected report is labelled data for retraining (`gridbot corrections export`).
extension ReportCommandRun {
    /// 改类: a new category, and its department where that changes.
    mutating func recategorise() async throws -> String {
        try mayCorrect()
        guard let category = parser.category(named: command.note) else { throw refusal(.correctionNeedsCategory) }
        guard category != order.category else { throw refusal(.correctionSameCategory, ["category": category.chineseName]) }
        let what = line(.correctionCategory, ["from": order.category.chineseName, "to": category.chineseName])
        order.category = category
        let department = directory.department(for: category)?.code
        guard department != order.departmentCode else {
            try await record("recategorise", note: what)
            return done(.correctionDone, ["what": what])
        }
        let route = directory.route(grid: order.assigneeGrid ?? directory.root ?? "", departmentCode: department)
        try await reroute(to: route, action: "recategorise", what: what)
        return done(.correctionRerouted, ["what": what, "route": route.description])
    }

    /// 改级: a new urgency; the deadlines count again from when the report came in, so a raised
    /// urgency may be late already.
    mutating func reprioritise() async throws -> String {
        try mayCorrect()
        guard let urgency = Urgency(named: command.note) else { throw refusal(.correctionNeedsUrgency) }
        guard urgency != order.urgency else { throw refusal(.correctionSameUrgency, ["urgency": urgency.chineseName]) }
        let what = line(.correctionUrgency, ["from": order.urgency.chineseName, "to": urgency.chineseName])
        order.urgency = urgency
        try await record("reprioritise", note: what)
        try await dispatcher.startStages(order, endingOpenOnesAs: "reprioritised", from: order.createdAt, tx: tx, now: now)
        try await postCard(reassigned: what, stagesFrom: order.createdAt)
        if urgency == .emergency {
            try await dispatcher.alertCommunity(order, route: directory.currentRoute(of: order), directory: directory, tx: tx, keys: &keys, now: now)
        }
        return done(.correctionDeadlinesRecounted, ["what": what])
    }

    /// 改址: a new place, and its grid where that changes.
    mutating func relocate() async throws -> String {
        try mayCorrect()
        let place = parser.location(in: command.note)
        guard let building = place.building else { throw refusal(.correctionNeedsBuilding) }
        guard directory.buildingGrids[building] != nil else { throw refusal(.correctionNoBuilding, ["building": building], .notFound) }
        guard place != order.location else { throw refusal(.correctionSamePlace, ["location": place.chineseDescription]) }
        let what = line(.correctionPlace, ["from": order.location.chineseDescription, "to": place.chineseDescription])
        order.location = place
        let route = directory.route(for: place, group: nil, category: order.category)
        guard route.grid != order.assigneeGrid else {
            try await record("relocate", note: what)
            return done(.correctionDone, ["what": what])
        }
        try await reroute(to: route, action: "relocate", what: what)
        return done(.correctionRerouted, ["what": what, "route": route.description])
    }

    /// Corrections are for the report's assignee and those above them, while it is open.
    private func mayCorrect() throws {
        guard person?.role.isStaff == true, actor.isAssignee || actor.supervises else {
            throw refusal(.correctionForbidden, [:], .forbidden)
        }
        guard order.status.isOpen, order.status != .merged else { throw refusal(.correctionNotOpen, ["status": order.status.chineseName]) }
    }

    /// Sends the report to a new route, telling the chats of the old one that it moved.
    private mutating func reroute(to route: Route, action: String, what: String) async throws {
        let old = directory.route(grid: order.assigneeGrid ?? directory.root ?? "", departmentCode: order.departmentCode)
        try await dispatch(to: route, action: action, note: what, reassigned: "\(who.name ?? "工作人员")更正：\(what)")
        let left = old.chats.filter { chat in !route.chats.contains { $0.code == chat.code } }
        try await dispatcher.post(done(.correctionMovedAway, ["what": what, "route": route.description]), to: left, about: id, directory: directory,
                                  tx: tx, keys: &keys, now: now)
    }
}
