/// The community's structure and people, as the seed file and the administration pages describe it.
///
/// Everything is named by a stable `code` chosen by the community (`G03`, `33`, `property`), so that
/// a seed file can be loaded again and again without creating anything twice.

/// 街道: the street office's area, above the community.
public struct Street: Codable, Sendable, Hashable {
    public var code: String
    public var name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}

/// 社区: one residential community.
public struct Community: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var streetCode: String

    public init(code: String, name: String, streetCode: String) {
        self.code = code
        self.name = name
        self.streetCode = streetCode
    }
}

/// 网格: an area of the community with its own worker and head; grids nest (micro-grids).
public struct Grid: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var communityCode: String
    /// The grid this one is a part of, or `nil` for a top-level grid of the community.
    public var parentCode: String?

    public init(code: String, name: String, communityCode: String, parentCode: String? = nil) {
        self.code = code
        self.name = name
        self.communityCode = communityCode
        self.parentCode = parentCode
    }
}

/// 楼栋: a building, in exactly one grid.
public struct Building: Codable, Sendable, Hashable {
    /// The building's number as residents say it, normalised (`"3"`, `"B3"`).
    public var code: String
    public var name: String
    public var gridCode: String
    public var units: Int
    public var floors: Int
    /// Where it stands on the community's site plan, in plan cells (`x=3 y=1` in the seed);
    /// nil when not given, and the grid map places it itself.
    public var planX: Int?
    public var planY: Int?

    public init(code: String, name: String, gridCode: String, units: Int, floors: Int, planX: Int? = nil, planY: Int? = nil) {
        self.code = code
        self.name = name
        self.gridCode = gridCode
        self.units = units
        self.floors = floors
        self.planX = planX
        self.planY = planY
    }
}

/// A household: the flat that owns a points account.
public struct Household: Codable, Sendable, Hashable {
    public var code: String
    public var buildingCode: String
    public var unit: String?
    public var room: String

    public init(code: String, buildingCode: String, unit: String?, room: String) {
        self.code = code
        self.buildingCode = buildingCode
        self.unit = unit
        self.room = room
    }
}

/// A department that acts on reports: property management, city management, utilities, police, ….
public struct Department: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var kind: DepartmentKind

    public init(code: String, name: String, kind: DepartmentKind) {
        self.code = code
        self.name = name
        self.kind = kind
    }
}

/// A person GridBot knows: staff, residents, merchants.
public struct Person: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var role: Role
    /// The grid a grid worker or grid head answers for.
    public var gridCode: String?
    /// The building a building head looks after.
    public var buildingCode: String?
    /// The department a department staff member works for.
    public var departmentCode: String?
    /// The household a resident belongs to.
    public var householdCode: String?
    /// The shop a merchant runs.
    public var merchantCode: String?
    /// A phone number; masked wherever it is shown or logged.
    public var phone: String?
    /// The person's accounts on the chat platforms.
    public var identities: [ChatIdentity]

    public init(
        code: String, name: String, role: Role,
        gridCode: String? = nil, buildingCode: String? = nil, departmentCode: String? = nil,
        householdCode: String? = nil, merchantCode: String? = nil, phone: String? = nil,
        identities: [ChatIdentity] = []
    ) {
        self.code = code
        self.name = name
        self.role = role
        self.gridCode = gridCode
        self.buildingCode = buildingCode
        self.departmentCode = departmentCode
        self.householdCode = householdCode
        self.merchantCode = merchantCode
        self.phone = phone
        self.identities = identities
    }
}

/// A person's user id on one chat platform.
public struct ChatIdentity: Codable, Sendable, Hashable {
    public var platform: ChatPlatform
    public var userID: String

    public init(platform: ChatPlatform, userID: String) {
        self.platform = platform
        self.userID = userID
    }
}

/// A configured bot: one webhook endpoint on one platform, with its secrets.
public struct Bot: Codable, Sendable, Hashable {
    public var code: String
    public var platform: ChatPlatform
    /// Platform settings (tokens, keys, receive ids). A value `env:NAME` is read from the
    /// environment when the bot is used, so secrets need not be written into a seed file.
    public var settings: [String: String]

    public init(code: String, platform: ChatPlatform, settings: [String: String]) {
        self.code = code
        self.platform = platform
        self.settings = settings
    }

    /// Whether the bot can message one person directly (a voucher code goes to them, not to the
    /// group): Telegram's private chat, Feishu's open_id, a WeCom self-built app's message to a
    /// user, DingTalk's one-to-one robot messages once its app credentials are set, and the
    /// generic gateway's `to_user`. WeCom's AI bot has no such path.
    public var canMessagePrivately: Bool {
        switch platform {
        case .generic, .telegram, .feishu: true
        case .wecom: settings["mode"] == "app"
        case .dingtalk: ["app_key", "app_secret", "robot_code"].allSatisfy { settings[$0]?.isEmpty == false }
        }
    }

    /// A setting's value, with `env:NAME` read from `environment`; nil when missing or empty.
    public func setting(_ key: String, environment: [String: String]) -> String? {
        guard let value = settings[key], !value.isEmpty else { return nil }
        guard value.hasPrefix("env:") else { return value }
        return environment[String(value.dropFirst(4))].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A group chat GridBot is in, bound to a building, a grid's staff, a department or the community.
public struct ChatGroup: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var botCode: String
    /// The platform's id of the chat.
    public var chatID: String
    public var kind: ChatGroupKind
    public var buildingCode: String?
    public var gridCode: String?
    public var departmentCode: String?
    /// Where GridBot posts into this chat unprompted, on platforms whose bots can only answer
    /// (a WeCom or DingTalk group robot's webhook address, or `env:NAME`).
    public var postURL: String?

    public init(
        code: String, name: String, botCode: String, chatID: String, kind: ChatGroupKind,
        buildingCode: String? = nil, gridCode: String? = nil, departmentCode: String? = nil, postURL: String? = nil
    ) {
        self.postURL = postURL
        self.code = code
        self.name = name
        self.botCode = botCode
        self.chatID = chatID
        self.kind = kind
        self.buildingCode = buildingCode
        self.gridCode = gridCode
        self.departmentCode = departmentCode
    }
}

/// One line of the routing catalogue: the department that acts first on a category.
public struct RoutingRule: Codable, Sendable, Hashable {
    /// The category, or `nil` for the fallback (兜底) that takes whatever has no rule.
    public var category: ReportCategory?
    public var departmentCode: String

    public init(category: ReportCategory?, departmentCode: String) {
        self.category = category
        self.departmentCode = departmentCode
    }
}

/// A local shop that accepts vouchers.
public struct Merchant: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var address: String?

    public init(code: String, name: String, address: String? = nil) {
        self.code = code
        self.name = name
        self.address = address
    }
}

/// Something a merchant offers for points (e.g. a 10-yuan voucher for 100 points).
public struct Offer: Codable, Sendable, Hashable {
    public var code: String
    public var merchantCode: String
    public var title: String
    /// What a voucher costs, in points.
    public var points: Int
    /// What a voucher is worth at the counter, in fen (1/100 yuan).
    public var valueFen: Int
    /// How many vouchers may still be issued.
    public var stock: Int
    /// How many days a voucher stays valid after it is issued.
    public var validDays: Int

    public init(code: String, merchantCode: String, title: String, points: Int, valueFen: Int, stock: Int, validDays: Int) {
        self.code = code
        self.merchantCode = merchantCode
        self.title = title
        self.points = points
        self.valueFen = valueFen
        self.stock = stock
        self.validDays = validDays
    }
}

/// A volunteer task residents can take for points.
public struct VolunteerTask: Codable, Sendable, Hashable {
    public var code: String
    public var title: String
    public var points: Int
    public var slots: Int
    /// The last day the task can be completed, `YYYY-MM-DD` in the community's time zone.
    public var deadline: String
    /// The building the task is for, or `nil` for the whole community.
    public var buildingCode: String?
    /// Whether a completion needs a photo as evidence; one without is held until the photo comes.
    public var photoRequired: Bool

    public init(code: String, title: String, points: Int, slots: Int, deadline: String, buildingCode: String? = nil, photoRequired: Bool = false) {
        self.code = code
        self.title = title
        self.points = points
        self.slots = slots
        self.deadline = deadline
        self.buildingCode = buildingCode
        self.photoRequired = photoRequired
    }
}
