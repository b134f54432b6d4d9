import Foundation
import GridCore
import Testing

@Suite struct CommunityDirectoryTests {
    static let directory = CommunityDirectory(
        grids: [Grid(code: "HX", name: "和谐社区网格", communityCode: "HX"),
                Grid(code: "G05", name: "第五网格", communityCode: "HX", parentCode: "HX"),
                Grid(code: "G12", name: "第十二网格", communityCode: "HX", parentCode: "HX")],
        buildingGrids: ["9": "G05"],
        departments: [Department(code: "property", name: "和谐物业服务中心", kind: .property),
                      Department(code: "city", name: "幸福街道城管中队", kind: .cityManagement)],
        staff: [], chatGroups: [], bots: [], routing: ["elevator": "property", "*": "city"])

    @Test(arguments: [
        ("物业", CommunityDirectory.Target.department(Department(code: "property", name: "和谐物业服务中心", kind: .property))),
        ("city", .department(Department(code: "city", name: "幸福街道城管中队", kind: .cityManagement))),
        ("城管", .department(Department(code: "city", name: "幸福街道城管中队", kind: .cityManagement))),
        ("第五网格", .grid("G05")),
        ("5网格", .grid("G05")),
        ("十二网格", .grid("G12")),
        ("g12", .grid("G12")),
    ])
    func transferTargetsAreFoundByTheNamesPeopleUse(word: String, target: CommunityDirectory.Target) {
        #expect(Self.directory.target(named: word) == target)
    }

    @Test func routingFallsBackToTheCommunity() {
        #expect(Self.directory.grid(for: Location(building: "9"), group: nil) == "G05")
        #expect(Self.directory.grid(for: Location(), group: nil) == "HX", "no building: the community grid (兜底)")
        #expect(Self.directory.department(for: .elevator)?.code == "property")
        #expect(Self.directory.department(for: .noise)?.code == "city", "no rule: the fallback rule")
        #expect(Self.directory.target(named: "火星") == nil)
    }
}
