import Foundation
import GridCore
@testable import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// The grid map as staff see it after a few reports: colours by the most urgent open report,
/// overdue outlined, scoped to the person's grids, each building listing its reports.
@Suite struct GridMapTests {
    @Test(arguments: TestBackend.allCases)
    func theMapColoursBuildingsByTheirOpenReports(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼2单元电梯停了，有人被困，电话13812345678")
            try await loop.say(client, "resident.liqiang", in: "building-5", "5号楼门口的垃圾桶满了好几天没人清")
            try await loop.say(client, "resident.chenlei", in: "building-12", "12号楼楼道灯坏了")
            try await loop.say(client, "worker03", in: "staff-g03", "收到 #3")
            try await loop.say(client, "worker03", in: "staff-g03", "已处理 #3 换了灯泡")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "核实 #3")
            #expect(try await loop.services.store.workOrder(id: 1)?.urgency == .emergency)
            #expect(try await loop.services.store.workOrder(id: 3)?.status == .closed)
            // The sanitation report's deadline to acknowledge passes.
            loop.clock.advance(3 * 3600)

            let admin = Browser(client)
            _ = try await admin.signIn("ADM1", "demo-admin-hx")
            let page = try await admin.get("/map")
            #expect(page.status == .ok)
            let map = page.text
            #expect(map.contains(#"data-building="3" data-state="emergency""#), "an emergency colours 3号楼")
            #expect(map.contains(#"data-building="5" data-state="normal" data-overdue="true""#), "an overdue stage outlines 5号楼")
            #expect(map.contains(#"data-building="12" data-state="clear" data-overdue="false""#), "a closed report leaves 12号楼 clear")
            #expect(map.contains("第一网格 · 潘红梅"), "each grid is named with its worker")
            #expect(map.components(separatedBy: "data-building=").count - 1 == 46)
            #expect(map.contains("<script nonce="), "the map refreshes itself")

            let svg = try await admin.get("/map.svg")
            #expect(svg.headers[.contentType]?.hasPrefix("image/svg+xml") == true)
            #expect(svg.text.hasPrefix("<svg") && svg.text.contains(#"data-building="3" data-state="emergency""#))

            let building = try await admin.get("/map?building=3")
            #expect(building.text.contains(#"<a href="/reports/1">#1</a>"#) && building.text.contains("3号楼的待办工单"))
            #expect(building.text.contains("电梯停了") && !building.text.contains("13812345678"), "the first words, phone masked")

            // A grid worker's map is their grid's buildings, and their reports only.
            let worker = Browser(client)
            _ = try await worker.signIn("W01", "demo-worker-g01")
            let own = try await worker.get("/map").text
            #expect(own.components(separatedBy: "data-building=").count - 1 == 4, "G01 has four buildings")
            #expect(own.contains(#"data-building="3" data-state="emergency""#) && !own.contains(#"data-building="5""#))
            #expect(try await worker.get("/map?building=5").status == .notFound)
            #expect(try await Browser(client).get("/map").status == .seeOther, "signed out: to the sign-in")
        }
    }

    @Test func buildingsWithoutAPositionAreLaidOutByGrid() {
        let directory = CommunityDirectory(grids: [], buildingGrids: [:], departments: [], staff: [], chatGroups: [], bots: [], routing: [:])
        let buildings = (1...9).map { Building(code: "\($0)", name: "\($0)号楼", gridCode: $0 <= 7 ? "G1" : "G2", units: 1, floors: 6) }
            + [Building(code: "P", name: "P号楼", gridCode: "G1", units: 1, floors: 6, planX: 3, planY: 0)]
        let map = GridMap(buildings: buildings, open: [], directory: directory, now: Date())
        let places = map.spots.map { "\($0.x),\($0.y)" }
        #expect(Set(places).count == buildings.count, "no two buildings share a place: \(places)")
        #expect(map.spots.first { $0.building.code == "P" }.map { "\($0.x),\($0.y)" } == "3,0", "a seed position is kept")
        #expect(map.spots.filter { $0.building.code != "P" }.allSatisfy { $0.y >= 2 }, "the rest go below the plan")
        #expect(map.svg(title: "t", link: { "/map?building=\($0)" }).contains(#"data-building="9""#))
    }
}
