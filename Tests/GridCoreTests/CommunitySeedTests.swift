import GridCore
import GridTestSupport
import Testing

@Suite struct CommunitySeedTests {
    @Test func demoSeedParsesIntoTheDocumentedCommunity() throws {
        let path = packageRoot.appendingPathComponent("seeds/demo-community.seed").path
        let seed = try CommunitySeed.parse(try String(contentsOfFile: path, encoding: .utf8), fileName: path)
        #expect(seed.communities.count == 1)
        #expect(seed.grids.filter { $0.parentCode == "HX" }.count == 12)
        #expect(seed.buildings.count == 46)
        #expect(Set(seed.buildings.map(\.code)).count == 46)
        // Every building has a building head and a building group chat.
        for building in seed.buildings {
            #expect(seed.people.contains { $0.role == .buildingHead && $0.buildingCode == building.code }, "building \(building.code) has no head")
            #expect(seed.chatGroups.contains { $0.kind == .building && $0.buildingCode == building.code }, "building \(building.code) has no group")
        }
        // Every grid has a worker, and the community grid has the grid head.
        for grid in seed.grids where grid.parentCode != nil {
            #expect(seed.people.contains { $0.role == .gridWorker && $0.gridCode == grid.code })
        }
        #expect(seed.people.contains { $0.role == .gridHead && $0.gridCode == "HX" })
        // The routing catalogue covers every category and has a fallback.
        for category in ReportCategory.allCases {
            #expect(seed.routingRules.contains { $0.category == category }, "no route for \(category)")
        }
        #expect(seed.routingRules.contains { $0.category == nil })
        #expect(seed.merchants.count == 3)
        #expect(seed.offers.count == 3)
        #expect(!seed.tasks.isEmpty)
        let kinds = Set(seed.departments.map(\.kind))
        #expect(kinds.isSuperset(of: [.property, .cityManagement, .utilities, .police, .streetOffice, .community]))
    }

    @Test func quotedValuesAndCommentsAreRead() throws {
        let seed = try CommunitySeed.parse("""
            # a comment line
            street code=S name="幸福 街道"   # a trailing comment
            merchant code=M name=店 address="南门 #12"
            """, fileName: "t.seed")
        #expect(seed.streets == [Street(code: "S", name: "幸福 街道")])
        #expect(seed.merchants.first?.address == "南门 #12")
    }

    @Test func aTaskMayAskForAPhoto() throws {
        let seed = try CommunitySeed.parse("""
            task code=T1 title=清理楼道 points=10 slots=2 deadline=2026-12-31 photo=yes
            task code=T2 title=巡逻 points=20 slots=4 deadline=2026-12-31
            """, fileName: "t.seed")
        #expect(seed.tasks.map(\.photoRequired) == [true, false])
    }

    @Test(arguments: [
        ("street code=S", 1, "name", "a street needs this field"),
        ("town code=T name=x", 1, nil, "unknown record kind 'town'"),
        ("street code=S name=x colour=red", 1, "colour", "a street has no such field"),
        ("street code=S name=x\nstreet code=S name=y", 2, "code", "street 'S' is already defined on line 1"),
        ("street code=S name=\"x", 1, nil, "a quoted value is not closed"),
        ("street code=S name=x name=y", 1, "name", "the field is given twice"),
        ("street code=S name=x\ncommunity code=C name=c street=S\ngrid code=G name=g community=C\nbuilding code=1 grid=G units=0 floors=6", 4, "units", "'0' is not a whole number from 1 to 99"),
        ("street code=S name=x\ncommunity code=C name=c street=NOPE", 2, "street", "no street with code 'NOPE' is defined in this file"),
        ("department code=d name=x kind=bakery", 1, "kind", "'bakery' is not one of"),
        ("route category=unicorns department=d", 1, "category", "'unicorns' is not a category"),
        ("street code=S name=x\ncommunity code=C name=c street=S\ngrid code=A name=a community=C parent=B\ngrid code=B name=b community=C parent=A", 3, "parent", "nested inside itself"),
        ("person code=P name=p role=grid_worker", 1, "grid", "a grid_worker needs a grid"),
        ("person code=P name=p role=community_admin phone=12ab", 1, "phone", "is not an 11-digit mobile"),
        ("task code=T title=t points=1 slots=1 deadline=2026-02-30", 1, "deadline", "is not a date written YYYY-MM-DD"),
        ("task code=T title=t points=1 slots=1 deadline=2026-02-20 photo=maybe", 1, "photo", "'maybe' is not yes or no"),
        ("building code=1 grid=G units=1 floors=1 x=3", 1, "y", "needs both x and y"),
        ("building code=1 grid=G units=1 floors=1 x=3 y=4\nbuilding code=2 grid=G units=1 floors=1 x=3 y=4", 2, "x", "building '1' already stands at x=3 y=4"),
        ("just-a-word-and garbage", 1, nil, "'garbage' is not a key=value field"),
    ] as [(String, Int, String?, String)])
    func malformedSeedsNameTheLineAndField(text: String, line: Int, field: String?, message: String) {
        do {
            _ = try CommunitySeed.parse(text, fileName: "bad.seed")
            Issue.record("expected an error for: \(text)")
        } catch {
            #expect(error.file == "bad.seed")
            #expect(error.line == line)
            #expect(error.field == field)
            #expect(error.message.contains(message), "\(error.message)")
            #expect(error.description.hasPrefix("bad.seed:\(line):"))
        }
    }
}
