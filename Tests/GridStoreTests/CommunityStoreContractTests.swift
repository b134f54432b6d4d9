import Foundation
import GridCore
import GridStore
import GridTestSupport
import Logging
import SQLKit
import Testing

/// The store contract: every test runs on SQLite and on a real PostgreSQL.
@Suite struct CommunityStoreContractTests {
    static let demoSeed: CommunitySeed = {
        let path = packageRoot.appendingPathComponent("seeds/demo-community.seed").path
        let text = try! String(contentsOfFile: path, encoding: .utf8)
        return try! CommunitySeed.parse(text, fileName: path)
    }()

    @Test(arguments: TestBackend.allCases)
    func migrationsApplyOnceAndAreRecorded(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let migrator = Migrator(database: database, logger: Logger(label: "test"))
            #expect(try await migrator.migrate(now: 1).isEmpty, "withDatabase already migrated")
            #expect(try await migrator.isCurrent())
            #expect(try await migrator.appliedVersions() == Set(Migrator.all.map(\.version)))
        }
    }

    @Test(arguments: TestBackend.allCases)
    func demoSeedLoadsTheWholeCommunity(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            #expect(try await store.isEmpty())
            try await store.load(Self.demoSeed)
            #expect(try await !store.isEmpty())
            let counts = try await store.counts()
            #expect(counts.communities == 1)
            #expect(counts.grids == 13)  // the community grid and its 12 grids
            #expect(counts.buildings == 46)
            #expect(counts.routingRules == ReportCategory.allCases.count + 1)  // every category and the fallback
            #expect(counts.merchants == 3)
            #expect(counts.offers == 3)
            #expect(counts.tasks == 3)
            #expect(counts.chatGroups >= 46)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func loadingTheSameSeedTwiceChangesNothing(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await store.load(Self.demoSeed)
            let before = try await dump(database)
            try await store.load(Self.demoSeed)
            let after = try await dump(database)
            #expect(before == after)
            #expect(before.count > 300)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func reloadingUpdatesNamesButNeverResetsOfferStock(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await store.load(Self.demoSeed)
            try await database.withConnection { db in
                try await db.update("offers").set("stock", to: 7).where("code", .equal, "O1").run()
            }
            var changed = Self.demoSeed
            changed.buildings[0].name = "一号楼（新）"
            try await store.load(changed)
            #expect(try await store.building(code: "1")?.name == "一号楼（新）")
            let stock = try await database.withConnection { db in
                try await db.select().column("stock").from("offers").where("code", .equal, "O1").first()?.decode(column: "stock", as: Int.self)
            }
            #expect(stock == 7)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func routingFindsTheCategoryRuleOrTheFallback(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            var seed = Self.demoSeed
            seed.routingRules.removeAll { $0.category == .other }
            try await store.load(seed)
            #expect(try await store.department(for: .elevator)?.kind == .property)
            #expect(try await store.department(for: .security)?.kind == .police)
            #expect(try await store.department(for: .other)?.kind == .community, "no rule for other: the fallback")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func peopleAreFoundByChatAccountAndGridHeadsThroughParentGrids(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await store.load(Self.demoSeed)
            let worker = try #require(try await store.person(platform: .generic, userID: "worker03"))
            #expect(worker.role == .gridWorker)
            #expect(worker.gridCode == "G03")
            #expect(worker.identities.contains(ChatIdentity(platform: .wecom, userID: "Worker03")))
            #expect(try await store.person(platform: .generic, userID: "nobody") == nil)
            // G03 has no head of its own: its head is the community grid's.
            let heads = try await store.gridStaff(gridCode: "G03", role: .gridHead)
            #expect(heads.map(\.code) == ["GH1"])
            #expect(try await store.gridStaff(gridCode: "G03", role: .gridWorker).map(\.code) == ["W03"])
        }
    }

    @Test(arguments: TestBackend.allCases)
    func botsAndGroupsAreReadBack(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await store.load(Self.demoSeed)
            let bot = try #require(try await store.bot(code: "demo"))
            #expect(bot.platform == .generic)
            #expect(bot.settings["secret"] == "demo-generic-secret")
            let group = try #require(try await store.chatGroup(botCode: "demo", chatID: "building-33"))
            #expect(group.kind == .building)
            #expect(group.buildingCode == "33")
            #expect(try await store.chatGroup(botCode: "demo", chatID: "unknown") == nil)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func foreignKeysAreEnforced(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            await #expect(throws: (any Error).self) {
                try await database.withConnection { db in
                    try await db.insert(into: "buildings").columns("code", "name", "grid_code", "units", "floors")
                        .values(SQLBind("99"), SQLBind("99号楼"), SQLBind("NO-SUCH-GRID"), SQLBind(1), SQLBind(1)).run()
                }
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aFailedTransactionLeavesNothingBehind(backend: TestBackend) async throws {
        struct Boom: Error {}
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            await #expect(throws: Boom.self) {
                try await database.withTransaction { db in
                    try await db.insert(into: "streets").columns("code", "name").values(SQLBind("S9"), SQLBind("测试街道")).run()
                    throw Boom()
                }
            }
            let row = try await database.withConnection { db in
                try await db.select().column("code").from("streets").where("code", .equal, "S9").first()
            }
            #expect(row == nil)
        }
    }

    static let integerColumns: Set<String> = ["units", "floors", "points", "value_fen", "stock", "valid_days", "slots"]

    /// Every row of every community table, as text, in a stable order.
    private func dump(_ database: GridDatabase) async throws -> [String] {
        let tables: [(String, [String])] = [
            ("streets", ["code", "name"]), ("communities", ["code", "name", "street_code"]),
            ("grids", ["code", "name", "community_code", "parent_code"]),
            ("buildings", ["code", "name", "grid_code", "units", "floors"]),
            ("households", ["code", "building_code", "unit", "room"]), ("departments", ["code", "name", "kind"]),
            ("people", ["code", "name", "role", "grid_code", "building_code", "department_code", "household_code", "merchant_code", "phone"]),
            ("person_identities", ["platform", "user_id", "person_code"]), ("bots", ["code", "platform", "settings"]),
            ("chat_groups", ["code", "name", "bot_code", "chat_id", "kind", "building_code", "grid_code", "department_code"]),
            ("routing_rules", ["category", "department_code"]), ("merchants", ["code", "name", "address"]),
            ("offers", ["code", "merchant_code", "title", "points", "value_fen", "stock", "valid_days"]),
            ("tasks", ["code", "title", "points", "slots", "deadline", "building_code"]),
        ]
        return try await database.withConnection { db in
            var lines: [String] = []
            for (table, columns) in tables {
                let rows = try await db.select().columns(columns.map { SQLIdentifier($0) }).from(table).orderBy(columns[0]).orderBy(columns[1]).all()
                for row in rows {
                    let values = try columns.map { column -> String in
                        if Self.integerColumns.contains(column) { return String(try row.decode(column: column, as: Int.self)) }
                        return try row.decode(column: column, as: String?.self) ?? "NULL"
                    }
                    lines.append("\(table): " + values.joined(separator: "|"))
                }
            }
            return lines
        }
    }
}
