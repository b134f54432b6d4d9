import Foundation
import GridCore
import GridStore

/// `已探访 #12`: whoever checks on the households on the care register that a report asked about
/// confirms they did. The timeline records who confirmed and how many households; what they
/// said stays with the register.
extension ReportCommandRun {
    mutating func confirmVisit() async throws -> String {
        let checks = try await tx.careChecks(reportID: id)
        guard !checks.isEmpty else { throw refusal(.careNothingToVisit, [:], .notFound) }
        guard let person, person.role.isStaff else { throw refusal(.careForbidden, [:], .forbidden) }
        let scope = CareScope.of(person, in: directory)
        let records = try await tx.careRecords(codes: checks.map(\.careCode))
        let theirs = checks.filter { check in
            check.asked.contains(person.code) || records.contains { $0.code == check.careCode && scope.sees($0) }
        }
        guard !theirs.isEmpty else { throw refusal(.careForbidden, [:], .forbidden) }
        let open = theirs.filter { $0.visitedAt == nil }
        guard !open.isEmpty else { throw refusal(.careAllVisited) }
        try await tx.confirmCareVisits(reportID: id, careCodes: open.map(\.careCode), by: person.code, note: note, at: now)
        try await tx.append(ReportEvent(reportID: id, at: now, actorCode: who.code, actorName: who.name, actorRole: who.role, action: "care_visited",
                                        note: line(.careVisited, ["who": ReportDispatcher.title(of: person), "count": open.count])))
        let left = checks.filter { $0.visitedAt == nil }.count - open.count
        return done(.careVisitDone, ["count": open.count, "left": left > 0 ? "\(left)" : ""])
    }
}
