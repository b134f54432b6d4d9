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

/// The reports a person may see on the staff console and in exports: a grid worker their grid,
/// a grid head their grid and the grids inside it, a building head their building, department
/// staff their department's, the community admin everything. Residents and merchants none.
public enum ReportScope: Sendable, Equatable {
    case everything
    /// Reports assigned to one of these grids.
    case grids([String])
    case building(String)
    case department(String)
    case nothing

    /// The scope of a person in a community.
    public static func of(_ person: Person, in directory: CommunityDirectory) -> ReportScope {
        switch person.role {
        case .communityAdmin:
            return .everything
        case .gridHead, .gridWorker:
            guard let grid = person.gridCode else { return .nothing }
            return .grids(directory.grids.keys.filter { directory.chain($0).contains(grid) }.sorted())
        case .buildingHead:
            return person.buildingCode.map(ReportScope.building) ?? .nothing
        case .departmentStaff:
            return person.departmentCode.map(ReportScope.department) ?? .nothing
        case .resident, .merchant:
            return .nothing
        }
    }

    /// Whether no report can be in the scope.
    public var seesNothing: Bool {
        self == .nothing || self == .grids([])
    }

    /// Whether a report assigned so is in the scope.
    public func contains(_ assignment: ReportAssignment) -> Bool {
        switch self {
        case .everything: true
        case .grids(let grids): grids.contains(assignment.gridCode)
        case .building(let building): assignment.buildingCode == building
        case .department(let department): assignment.departmentCode == department
        case .nothing: false
        }
    }

    /// The grids a person may filter by and that the dashboard breaks down by (nil: all).
    public var gridCodes: [String]? {
        switch self {
        case .everything: nil
        case .grids(let grids): grids
        case .building, .department, .nothing: []
        }
    }
}
