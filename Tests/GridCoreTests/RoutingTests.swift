import Foundation
import GridCore
import Testing

/// Routing is a pure reading of the community: a report's place and category give its grid,
/// department, the chats its card goes to and the words people read.
@Suite struct RoutingTests {
    static let directory = CommunityDirectory(
        grids: [Grid(code: "HX", name: "和谐社区网格", communityCode: "HX"),
                Grid(code: "G05", name: "第五网格", communityCode: "HX", parentCode: "HX"),
                Grid(code: "G06", name: "第六网格", communityCode: "HX", parentCode: "HX")],
        buildingGrids: ["9": "G05", "11": "G06"],
        departments: [Department(code: "property", name: "和谐物业服务中心", kind: .property),
                      Department(code: "city", name: "幸福街道城管中队", kind: .cityManagement)],
        staff: [Person(code: "W05", name: "孙丽", role: .gridWorker, gridCode: "G05")],
        chatGroups: [ChatGroup(code: "g05", name: "第五网格工作群", botCode: "demo", chatID: "staff-g05", kind: .gridStaff, gridCode: "G05"),
                     ChatGroup(code: "hx", name: "社区网格工作群", botCode: "demo", chatID: "staff-hx", kind: .gridStaff, gridCode: "HX"),
                     ChatGroup(code: "prop", name: "物业工单群", botCode: "demo", chatID: "dept-property", kind: .department, departmentCode: "property")],
        bots: [Bot(code: "demo", platform: .generic, settings: [:])], routing: ["elevator": "property", "*": "city"])

    @Test func aReportGoesToItsBuildingsGridAndItsCategorysDepartment() {
        let route = Self.directory.route(for: Location(building: "9", unit: "2"), group: nil, category: .elevator)
        #expect(route.grid == "G05")
        #expect(route.department?.code == "property")
        #expect(route.chats.map(\.code) == ["g05", "prop"], "the grid's staff chat, then the department's")
        #expect(route.description == "第五网格（网格员孙丽）、和谐物业服务中心")
    }

    @Test func aGridWithoutItsOwnChatPostsToTheGridAbove() {
        let route = Self.directory.route(for: Location(building: "11"), group: nil, category: .noise)
        #expect(route.grid == "G06")
        #expect(route.chats.map(\.code) == ["hx"], "第六网格 has no chat: the community grid's hears it")
        #expect(route.description == "第六网格、幸福街道城管中队")
    }

    @Test func aTransferNamesADepartmentOrAGrid() throws {
        let order = WorkOrder(id: 1, messageID: 1, category: .elevator, urgency: .normal, location: Location(building: "9"), text: "电梯坏了",
                              needsTriage: false, status: .assigned, assigneeGrid: "G05", departmentCode: "property", rated: false,
                              reopenedByRating: false, createdAt: Date())
        let toCity = try #require(Self.directory.route(named: "城管", from: order))
        #expect(toCity.grid == "G05" && toCity.department?.code == "city", "a department keeps the grid")
        let toGrid = try #require(Self.directory.route(named: "第六网格", from: order))
        #expect(toGrid.grid == "G06" && toGrid.department?.code == "property", "a grid takes the report over with its department")
        #expect(Self.directory.route(named: "火星", from: order) == nil)
        #expect(Self.directory.currentRoute(of: order).grid == "G05")
        #expect(Self.directory.assignment(of: order).gridChain == ["G05", "HX"])
    }
}
