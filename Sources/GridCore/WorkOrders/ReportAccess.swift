/// Who a report is assigned to now: a grid (always; the community grid when nothing else fits)
/// and the department that acts first, if any.
public struct ReportAssignment: Sendable, Equatable {
    /// The grid answering for the report now.
    public var gridCode: String
    /// The assigned grid and the grids above it, innermost first (whose heads supervise it).
    public var gridChain: [String]
    /// The department acting on it, if any.
    public var departmentCode: String?
    /// The building the report is about, if known (its building head may act on it).
    public var buildingCode: String?

    public init(gridCode: String, gridChain: [String], departmentCode: String?, buildingCode: String?) {
        self.gridCode = gridCode
        self.gridChain = gridChain
        self.departmentCode = departmentCode
        self.buildingCode = buildingCode
    }
}

/// Decides what a person is to a report: whether they are its assignee and whether they
/// supervise it. The lifecycle then decides what that lets them do.
public enum ReportAccess {
    /// The actor for a person, or a resident-like actor for someone GridBot does not know.
    public static func actor(_ person: Person?, senderID: String, on assignment: ReportAssignment) -> ReportActor {
        guard let person else { return ReportActor(personCode: "im:\(senderID)", role: .resident, isAssignee: false, supervises: false) }
        let isAssignee: Bool
        let supervises: Bool
        switch person.role {
        case .gridWorker:
            isAssignee = person.gridCode == assignment.gridCode
            supervises = false
        case .gridHead:
            isAssignee = person.gridCode == assignment.gridCode
            supervises = person.gridCode.map(assignment.gridChain.contains) ?? false
        case .buildingHead:
            isAssignee = assignment.buildingCode != nil && person.buildingCode == assignment.buildingCode
            supervises = false
        case .departmentStaff:
            isAssignee = assignment.departmentCode != nil && person.departmentCode == assignment.departmentCode
            supervises = false
        case .communityAdmin:
            isAssignee = false
            supervises = true
        case .resident, .merchant:
            isAssignee = false
            supervises = false
        }
        return ReportActor(personCode: person.code, role: person.role, isAssignee: isAssignee, supervises: supervises)
    }
}
