/// What a person is to the community, which decides what they may do.
public enum Role: String, CaseIterable, Codable, Sendable, Hashable {
    /// Lives in a household; reports problems, takes volunteer tasks, redeems points.
    case resident
    /// 楼长: a volunteer who looks after one building.
    case buildingHead = "building_head"
    /// 网格员: works one grid day to day.
    case gridWorker = "grid_worker"
    /// 网格长: answers for one or more grids; the first level of escalation.
    case gridHead = "grid_head"
    /// Works for a department (property management, city management, utilities, police, …).
    case departmentStaff = "department_staff"
    /// Runs the community: sees everything, the last level before the street office.
    case communityAdmin = "community_admin"
    /// Runs a shop that accepts vouchers.
    case merchant

    /// The title shown to people.
    public var chineseName: String {
        switch self {
        case .resident: "居民"
        case .buildingHead: "楼长"
        case .gridWorker: "网格员"
        case .gridHead: "网格长"
        case .departmentStaff: "部门工作人员"
        case .communityAdmin: "社区管理员"
        case .merchant: "商户"
        }
    }

    /// Whether the role belongs to the community's staff (may act on reports in its scope).
    public var isStaff: Bool {
        switch self {
        case .gridWorker, .gridHead, .departmentStaff, .communityAdmin, .buildingHead: true
        case .resident, .merchant: false
        }
    }
}

/// The kind of organisation a department is; routing and escalation speak of these.
public enum DepartmentKind: String, CaseIterable, Codable, Sendable, Hashable {
    /// 物业: property management.
    case property
    /// 城管: city management.
    case cityManagement = "city_management"
    /// 市政: utilities (water, power, gas, heating companies).
    case utilities
    /// 派出所: the police station.
    case police
    /// 街道: the street office, the top of escalation.
    case streetOffice = "street_office"
    /// 社区: the community itself (居委会), the fallback that handles what no one else does.
    case community
    /// Anything else (a social-work station, a health centre, …).
    case other
}

/// Which chat a group is, and so who reads it.
public enum ChatGroupKind: String, CaseIterable, Codable, Sendable, Hashable {
    /// A building's residents and its building head.
    case building
    /// The whole community's residents.
    case community
    /// A grid's staff: where report cards go.
    case gridStaff = "grid_staff"
    /// A department's staff.
    case department
}

/// The chat platforms GridBot takes messages from.
public enum ChatPlatform: String, CaseIterable, Codable, Sendable, Hashable {
    case wecom
    case dingtalk
    case feishu
    case telegram
    /// A documented JSON format for any other gateway.
    case generic
}
