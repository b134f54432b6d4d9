import Foundation

/// Where a report is routed: the grid answering for it, the department acting on it, the chats
/// its card goes to, and how people read it (第三网格（网格员戴艳）、和谐物业服务中心).
public struct Route: Sendable, Equatable {
    public var grid: String
    public var department: Department?
    public var chats: [ChatGroup]
    public var description: String

    /// A route from its parts.
    public init(grid: String, department: Department?, chats: [ChatGroup], description: String) {
        self.grid = grid
        self.department = department
        self.chats = chats
        self.description = description
    }
}

/// Routing is a pure reading of the community: the same directory and report always give the
/// same route, so it is unit-tested without a database.
extension CommunityDirectory {
    /// A route to a grid and department: the grid's staff chats and then the department's.
    public func route(grid: String, departmentCode: String?) -> Route {
        let department = department(code: departmentCode)
        var chats = staffChats(grid: grid)
        if let department {
            for chat in departmentChats(department.code) where !chats.contains(where: { $0.code == chat.code }) { chats.append(chat) }
        }
        var parts: [String] = []
        if let name = grids[grid]?.name {
            let workers = people(.gridWorker, in: grid).map(\.name)
            parts.append(workers.isEmpty ? name : "\(name)（网格员\(workers.joined(separator: "、"))）")
        }
        if let department { parts.append(department.name) }
        return Route(grid: grid, department: department, chats: chats, description: parts.isEmpty ? "社区" : parts.joined(separator: "、"))
    }

    /// Where a new report goes: its building's grid (else the chat's grid, else the community
    /// grid) and the department its category is routed to.
    public func route(for location: Location, group: ChatGroup?, category: ReportCategory) -> Route {
        route(grid: grid(for: location, group: group) ?? "", departmentCode: department(for: category)?.code)
    }

    /// The route a report is on now.
    public func currentRoute(of order: WorkOrder) -> Route {
        route(grid: order.assigneeGrid ?? root ?? "", departmentCode: order.departmentCode)
    }

    /// The route a transfer or assignment names for a report on `order`'s route: a department
    /// keeps the grid and changes who acts; a grid takes the report over. Nil when the words
    /// name neither.
    public func route(named words: String, from order: WorkOrder) -> Route? {
        switch target(named: words) {
        case .department(let department): route(grid: order.assigneeGrid ?? root ?? "", departmentCode: department.code)
        case .grid(let grid): route(grid: grid, departmentCode: order.departmentCode)
        case nil: nil
        }
    }

    /// Who an escalation to `level` goes to, as names people read (empty when nobody is named).
    public func leaderNames(of level: EscalationLevel, grid: String) -> String {
        escalationTarget(level, grid: grid).names.joined(separator: "、")
    }

    /// Who a report is assigned to now, for access decisions.
    public func assignment(of order: WorkOrder) -> ReportAssignment {
        let grid = order.assigneeGrid ?? root ?? ""
        return ReportAssignment(gridCode: grid, gridChain: chain(grid), departmentCode: order.departmentCode, buildingCode: order.location.building)
    }
}
