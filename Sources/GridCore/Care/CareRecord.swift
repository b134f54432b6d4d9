/// Why a household is on the care register (特殊群体服务台账).
public enum CareCategory: String, CaseIterable, Codable, Sendable {
    /// 独居老人: an elderly person living alone.
    case elderlyAlone = "elderly_alone"
    /// 高龄老人: very old, living with family.
    case elderly
    /// 残疾人.
    case disabled
    /// 重病、失能: seriously ill or bedridden.
    case illness
    /// 困难家庭: a family in hardship (低保、特困).
    case hardship
    /// 留守儿童: a child left with grandparents.
    case child
    case other

    public var chineseName: String {
        switch self {
        case .elderlyAlone: "独居老人"
        case .elderly: "高龄老人"
        case .disabled: "残疾人"
        case .illness: "重病失能"
        case .hardship: "困难家庭"
        case .child: "留守儿童"
        case .other: "其他关爱对象"
        }
    }
}

/// One household on the care register: who needs checking on, where, and who answers for them.
///
/// The register is personal data of the most sensitive kind. Only community staff and the
/// household's own grid worker and building head see it (``CareScope``); it is never part of the
/// community directory, Open311, an export or a group chat.
public struct CareRecord: Codable, Sendable, Hashable {
    public var code: String
    public var buildingCode: String
    /// The unit, when known; a record without one counts for the whole building.
    public var unit: String?
    public var room: String?
    public var category: CareCategory
    /// The person cared for.
    public var name: String
    /// How to reach them or their family (a phone number, 女儿 139…).
    public var contact: String?
    public var note: String?
    /// The grid worker (or building head) who checks on them; nil: the building's grid worker.
    public var workerCode: String?

    public init(code: String, buildingCode: String, unit: String? = nil, room: String? = nil, category: CareCategory, name: String,
                contact: String? = nil, note: String? = nil, workerCode: String? = nil) {
        self.code = code
        self.buildingCode = buildingCode
        self.unit = unit
        self.room = room
        self.category = category
        self.name = name
        self.contact = contact
        self.note = note
        self.workerCode = workerCode
    }

    /// `3号楼2单元301`.
    public var place: String {
        Location(building: buildingCode, unit: unit, room: room).chineseDescription
    }

    /// Whether a problem at `location` reaches this household: the same building, and the same
    /// unit when both name one (a problem with no unit is the whole building's).
    public func isReached(by location: Location) -> Bool {
        guard location.building == buildingCode else { return false }
        guard let reported = location.unit, let unit else { return true }
        return reported == unit
    }

    /// The people who check on this household: the named worker while they are on the staff,
    /// else the grid workers nearest the building's grid.
    public func responsible(in directory: CommunityDirectory) -> [Person] {
        if let workerCode, let worker = directory.staff.first(where: { $0.code == workerCode }) { return [worker] }
        guard let grid = directory.buildingGrids[buildingCode] else { return [] }
        return directory.people(.gridWorker, nearest: grid)
    }
}

/// When a report calls for checking on registered households.
public enum CareRisk {
    /// The outages that put people who cannot help themselves at risk.
    public static let categories: Set<ReportCategory> = [.heating, .water, .power, .elevator, .gas, .fireSafety]
    /// Of those, the ones that threaten at any urgency: a cold flat, a gas smell, a fire risk.
    /// Water, power and the lift threaten once they are out (urgent): a dripping pipe, a broken
    /// stair light or a squeaking lift door is not a reason to knock on every door.
    static let alwaysThreatening: Set<ReportCategory> = [.heating, .gas, .fireSafety]

    /// Whether a report of this category and urgency means checking on the households it
    /// reaches: an outage that threatens them, or any emergency.
    public static func callsForCheck(_ category: ReportCategory, _ urgency: Urgency) -> Bool {
        if urgency == .emergency || alwaysThreatening.contains(category) { return true }
        return categories.contains(category) && urgency >= .urgent
    }
}

/// The part of the care register a person may see and keep: the community admin all of it; a
/// grid head or grid worker the buildings of their grid and the grids inside it; a building head
/// their building; anyone the households they are named for. Department staff, residents and
/// merchants none.
public struct CareScope: Sendable, Equatable {
    /// nil: every building.
    public var buildings: Set<String>?
    /// The person, whose own named households are always theirs.
    public var personCode: String
    /// Whether they may add, change and remove records (building heads only read).
    public var mayEdit: Bool

    public static func of(_ person: Person, in directory: CommunityDirectory) -> CareScope {
        switch person.role {
        case .communityAdmin:
            return CareScope(buildings: nil, personCode: person.code, mayEdit: true)
        case .gridHead, .gridWorker:
            guard let grid = person.gridCode else { return CareScope(buildings: [], personCode: person.code, mayEdit: false) }
            let buildings = directory.buildingGrids.filter { directory.chain($0.value).contains(grid) }.keys
            return CareScope(buildings: Set(buildings), personCode: person.code, mayEdit: true)
        case .buildingHead:
            return CareScope(buildings: Set([person.buildingCode].compactMap { $0 }), personCode: person.code, mayEdit: false)
        case .departmentStaff, .resident, .merchant:
            return CareScope(buildings: [], personCode: person.code, mayEdit: false)
        }
    }

    /// Whether the person may see a record.
    public func sees(_ record: CareRecord) -> Bool {
        record.workerCode == personCode || covers(record.buildingCode)
    }

    /// Whether a building is theirs.
    public func covers(_ building: String) -> Bool {
        buildings?.contains(building) ?? true
    }

    /// Whether they may see nothing of the register at all.
    public var seesNothing: Bool { buildings?.isEmpty ?? false }
}
