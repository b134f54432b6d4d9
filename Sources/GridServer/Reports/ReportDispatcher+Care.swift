import Foundation
import GridCore
import GridStore

/// Care when it matters: a report that reaches households on the care register (an outage that
/// threatens them, or any emergency, in their building or unit) asks whoever checks on each of
/// them, privately, to do so; an emergency also tells the grid head at once. The timeline
/// records that the check was asked for and by whom, never who lives there.
extension ReportDispatcher {
    /// Asks for the checks a report calls for and has not asked for yet. Runs after intake and
    /// after every command, so a report that gains a building, a category or an urgency that
    /// calls for them asks then; asking twice asks nothing.
    func checkOnCare(_ order: WorkOrder, directory: CommunityDirectory, tx: WorkOrderTransaction, keys: inout DedupeKeys, now: Date) async throws {
        guard order.status.isOpen, order.status != .merged, order.status != .resolved, let building = order.location.building,
              CareRisk.callsForCheck(order.category, order.urgency)
        else { return }
        let reached = try await tx.careRecords(building: building).filter { $0.isReached(by: order.location) }
        guard !reached.isEmpty else { return }
        let grid = directory.buildingGrids[building] ?? order.assigneeGrid ?? directory.root ?? ""
        let heads = directory.people(.gridHead, nearest: grid)

        // Each household not asked about yet, grouped by who checks on it.
        var asked: [(person: Person, records: [CareRecord])] = []
        for record in reached {
            var workers = record.responsible(in: directory)
            if workers.isEmpty { workers = heads }
            guard try await tx.requestCareCheck(reportID: order.id, careCode: record.code, asked: workers.map(\.code), alerted: false, at: now) else {
                continue
            }
            for worker in workers {
                if let index = asked.firstIndex(where: { $0.person.code == worker.code }) {
                    asked[index].records.append(record)
                } else {
                    asked.append((worker, [record]))
                }
            }
        }
        let emergency = order.urgency == .emergency
        if !asked.isEmpty {
            var unreachable: [String] = []
            for (person, records) in asked {
                let text = careText(order, records, supervisor: false, workers: "")
                guard let message = directory.privately(text, to: person) else {
                    unreachable.append(Self.title(of: person))
                    continue
                }
                try await tx.enqueue(message, dedupeKey: keys.next(), reportID: order.id, at: now)
            }
            let count = Set(asked.flatMap { $0.records.map(\.code) }).count
            var note = replies.line(.careAsked, ["who": asked.map { Self.title(of: $0.person) }.joined(separator: "、"), "count": count])
            if !unreachable.isEmpty { note += "；" + replies.line(.careUnreachable, ["who": unreachable.joined(separator: "、")]) }
            try await tx.append(ReportEvent(reportID: order.id, at: now, actorCode: "system", actorName: nil, actorRole: "system",
                                            action: "care_check", note: note))
        }
        guard emergency else { return }
        // An emergency: the grid head hears at once of every household still to be checked on.
        let waiting = try await tx.careChecks(reportID: order.id).filter { $0.alertedAt == nil && $0.visitedAt == nil }
        let records = reached.filter { record in waiting.contains { $0.careCode == record.code } }
        guard !records.isEmpty, !heads.isEmpty else { return }
        let workers = Set(waiting.flatMap(\.asked)).compactMap { code in directory.staff.first { $0.code == code } }
            .filter { $0.role != .gridHead }.map(Self.title(of:)).sorted().joined(separator: "、")
        let text = careText(order, records, supervisor: true, workers: workers.isEmpty ? "网格员" : workers)
        var told: [String] = []
        for head in heads {
            guard let message = directory.privately(text, to: head) else { continue }
            try await tx.enqueue(message, dedupeKey: keys.next(), reportID: order.id, at: now)
            told.append(Self.title(of: head))
        }
        try await tx.markCareAlerted(reportID: order.id, careCodes: records.map(\.code), at: now)
        let note = told.isEmpty
            ? replies.line(.careUnreachable, ["who": heads.map(Self.title(of:)).joined(separator: "、")])
            : replies.line(.careAlerted, ["count": records.count, "who": told.joined(separator: "、")])
        try await tx.append(ReportEvent(reportID: order.id, at: now, actorCode: "system", actorName: nil, actorRole: "system",
                                        action: "care_alert", note: note))
    }

    /// The private message about households to check on.
    private func careText(_ order: WorkOrder, _ records: [CareRecord], supervisor: Bool, workers: String) -> String {
        let households: [[String: Any]] = records.map { record in
            ["place": record.place, "name": record.name, "kind": record.category.chineseName, "contact": record.contact ?? "", "note": record.note ?? ""]
        }
        return replies.render(.careCheck, [
            "id": order.id, "category": order.category.chineseName, "location": order.location.chineseDescription,
            "urgency": order.urgency.chineseName, "emergency": order.urgency == .emergency, "supervisor": supervisor,
            "workers": workers, "households": households,
        ]) ?? ""
    }

    /// `网格员李娜`, `楼长王强`: how the timeline names a member of staff.
    static func title(of person: Person) -> String {
        switch person.role {
        case .gridWorker: "网格员\(person.name)"
        case .gridHead: "网格长\(person.name)"
        case .buildingHead: "楼长\(person.name)"
        case .communityAdmin, .departmentStaff, .resident, .merchant: person.name
        }
    }
}
