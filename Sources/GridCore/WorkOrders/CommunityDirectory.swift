/// The community's structure as the closed loop reads it: grids, buildings, departments, staff,
/// chats, bots and the routing catalogue. Small enough to hold whole, so routing and access
/// decisions are pure lookups (and need no queries inside a transaction).
public struct CommunityDirectory: Sendable {
    public var grids: [String: Grid]
    /// The grid each building belongs to.
    public var buildingGrids: [String: String]
    public var departments: [Department]
    /// People with a role beyond resident (staff, building heads, merchants).
    public var staff: [Person]
    public var chatGroups: [ChatGroup]
    public var bots: [String: Bot]
    /// Category (raw value, or `*` for the fallback) → department code.
    public var routing: [String: String]

    public init(grids: [Grid], buildingGrids: [String: String], departments: [Department], staff: [Person],
                chatGroups: [ChatGroup], bots: [Bot], routing: [String: String]) {
        self.grids = Dictionary(grids.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        self.buildingGrids = buildingGrids
        self.departments = departments
        self.staff = staff
        self.chatGroups = chatGroups
        self.bots = Dictionary(bots.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        self.routing = routing
    }

    /// The chat group with this platform chat id under a bot.
    public func chatGroup(botCode: String, chatID: String) -> ChatGroup? {
        chatGroups.first { $0.botCode == botCode && $0.chatID == chatID }
    }

    /// The community grid at the top: where reports with no building go (兜底).
    public var root: String? {
        grids.values.filter { $0.parentCode == nil }.map(\.code).min()
    }

    /// A grid and those above it, innermost first.
    public func chain(_ code: String) -> [String] {
        var chain: [String] = []
        var current: String? = code
        while let next = current, !chain.contains(next), let grid = grids[next] {
            chain.append(next)
            current = grid.parentCode
        }
        return chain
    }

    /// The department that acts first on a category: its rule, else the fallback rule.
    public func department(for category: ReportCategory) -> Department? {
        let code = routing[category.rawValue] ?? routing["*"]
        return departments.first { $0.code == code }
    }

    public func department(code: String?) -> Department? {
        departments.first { $0.code == code }
    }

    /// The grid a report belongs to: its building's, else its chat's, else the community grid.
    public func grid(for location: Location, group: ChatGroup?) -> String? {
        if let building = location.building, let grid = buildingGrids[building] { return grid }
        if let grid = group?.gridCode, grids[grid] != nil { return grid }
        if let building = group?.buildingCode, let grid = buildingGrids[building] { return grid }
        return root
    }

    /// People of a role in a grid, looking outwards: a grid without its own head answers to
    /// the head of the grid above.
    public func people(_ role: Role, nearest grid: String) -> [Person] {
        for code in chain(grid) {
            let found = staff.filter { $0.role == role && $0.gridCode == code }
            if !found.isEmpty { return found }
        }
        return []
    }

    /// People of a role whose grid is exactly this one.
    public func people(_ role: Role, in grid: String) -> [Person] {
        staff.filter { $0.role == role && $0.gridCode == grid }
    }

    /// The staff chats of a grid: its own staff group, else the nearest grid above that has one.
    public func staffChats(grid: String) -> [ChatGroup] {
        for code in chain(grid) {
            let chats = chatGroups.filter { $0.kind == .gridStaff && $0.gridCode == code }
            if !chats.isEmpty { return chats }
        }
        return []
    }

    /// A department's own chats.
    public func departmentChats(_ code: String) -> [ChatGroup] {
        chatGroups.filter { $0.kind == .department && $0.departmentCode == code }
    }

    /// Who an escalation to `level` from a grid goes to, and the chats it is posted in.
    public func escalationTarget(_ level: EscalationLevel, grid: String) -> (names: [String], chats: [ChatGroup]) {
        switch level {
        case .gridWorker:
            return (people(.gridWorker, nearest: grid).map { "网格员\($0.name)" }, staffChats(grid: grid))
        case .gridHead:
            let heads = people(.gridHead, nearest: grid)
            return (heads.map { "网格长\($0.name)" }, staffChats(grid: heads.first?.gridCode ?? root ?? grid))
        case .community:
            let admins = staff.filter { $0.role == .communityAdmin }
            return (admins.map { "社区\($0.name)" }, staffChats(grid: root ?? grid))
        case .street:
            let offices = departments.filter { $0.kind == .streetOffice }
            let chats = offices.flatMap { departmentChats($0.code) }
            return (offices.map(\.name), chats.isEmpty ? staffChats(grid: root ?? grid) : chats)
        }
    }

    /// Where an escalation would reach no one, or not whom it is meant for, as sentences for the
    /// admin: a grid whose level has no chat, a street level posted to the community's own chat
    /// because no street office has one. Empty when every level reaches its people.
    public func escalationGaps() -> [String] {
        var gaps: [String] = []
        for grid in grids.values.sorted(by: { $0.code < $1.code }) {
            for level in [EscalationLevel.gridWorker, .gridHead, .community] where escalationTarget(level, grid: grid.code).chats.isEmpty {
                gaps.append("\(grid.name)：超时升级到\(level.chineseName)时没有可发送的群")
            }
        }
        let offices = departments.filter { $0.kind == .streetOffice }
        if offices.allSatisfy({ departmentChats($0.code).isEmpty }) {
            gaps.append(offices.isEmpty ? "没有街道办事处：超时升级到街道时只发到社区网格工作群"
                                        : "\(offices.map(\.name).joined(separator: "、"))没有群：超时升级到街道时只发到社区网格工作群")
        }
        return gaps
    }

    /// What a transfer or assignment names: a department (code, name, or a word of its name such
    /// as 物业) or a grid (code, name, 第五网格, 五网格, 5网格).
    public enum Target: Sendable, Equatable {
        case department(Department)
        case grid(String)
    }

    public func target(named word: String) -> Target? {
        let word = word.trimmingCharacters(in: .whitespaces)
        guard !word.isEmpty else { return nil }
        let lowered = word.lowercased()
        if let grid = grids.values.first(where: { $0.code.lowercased() == lowered || $0.name == word }) { return .grid(grid.code) }
        if let department = departments.first(where: { $0.code.lowercased() == lowered || $0.name == word })
            ?? departments.sorted(by: { $0.code < $1.code }).first(where: { word.count >= 2 && $0.name.contains(word) }) {
            return .department(department)
        }
        // 五网格, 5网格, 第5网格 → 第五网格
        var core = word
        if core.hasPrefix("第") { core.removeFirst() }
        if core.hasSuffix("网格") { core.removeLast(2) }
        if let number = Int(core), let chinese = Self.chineseNumeral(number) { core = chinese }
        if let grid = grids.values.first(where: { $0.name.hasPrefix("第\(core)网格") }) { return .grid(grid.code) }
        return nil
    }

    /// 1…99 as Chinese numerals (五, 十, 十二, 二十三).
    static func chineseNumeral(_ number: Int) -> String? {
        let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
        switch number {
        case 1...9: return digits[number]
        case 10...19: return "十" + (number == 10 ? "" : digits[number - 10])
        case 20...99: return digits[number / 10] + "十" + (number % 10 == 0 ? "" : digits[number % 10])
        default: return nil
        }
    }
}
