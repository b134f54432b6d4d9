/// The category of a report: which kind of problem it is, and so which department acts first.
///
/// The codes are the ones of `shared/eval/LABELS.md`; they are stored, printed by `gridbot parse`
/// and used as Open311 service codes, so they never change once released.
public enum ReportCategory: String, CaseIterable, Codable, Sendable, Hashable {
    case elevator
    case water
    case power
    case gas
    case heating
    case fireSafety = "fire_safety"
    case sanitation
    case pests
    case parking
    case noise
    case facilities
    case greenery
    case security
    case dispute
    case welfare
    case pets
    case suggestion
    case other

    /// The name residents and staff know the category by.
    public var chineseName: String {
        switch self {
        case .elevator: "电梯"
        case .water: "供排水"
        case .power: "供电照明"
        case .gas: "燃气"
        case .heating: "供暖"
        case .fireSafety: "消防安全"
        case .sanitation: "环境卫生"
        case .pests: "病媒防治"
        case .parking: "车辆停放"
        case .noise: "噪音扰民"
        case .facilities: "公共设施"
        case .greenery: "绿化"
        case .security: "治安"
        case .dispute: "邻里纠纷"
        case .welfare: "民生关爱"
        case .pets: "宠物"
        case .suggestion: "意见建议"
        case .other: "其他"
        }
    }
}

/// How soon a report must be handled.
public enum Urgency: String, CaseIterable, Codable, Sendable, Hashable, Comparable {
    /// Life or health in danger now.
    case emergency
    /// Ongoing damage or many households affected.
    case urgent
    /// Everything else.
    case normal

    /// Emergencies rank highest, so `max()` picks the most urgent.
    private var rank: Int {
        switch self {
        case .emergency: 2
        case .urgent: 1
        case .normal: 0
        }
    }

    public static func < (lhs: Urgency, rhs: Urgency) -> Bool { lhs.rank < rhs.rank }

    /// The name shown to people.
    public var chineseName: String {
        switch self {
        case .emergency: "紧急"
        case .urgent: "较急"
        case .normal: "一般"
        }
    }
}

/// What a chat message is for.
public enum Intent: String, CaseIterable, Codable, Sendable, Hashable {
    /// Something that needs handling by the grid.
    case report
    /// Asks for information and needs no handling.
    case question
    /// An announcement or reminder.
    case notice
    /// Greetings, thanks, small talk, replies.
    case chat
    /// Advertising and scams.
    case spam
}
