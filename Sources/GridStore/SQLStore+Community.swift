import Foundation
import GridCore
import SQLKit

/// How many of each thing the database holds.
public struct CommunityCounts: Sendable, Equatable, Codable {
    public var communities = 0
    public var grids = 0
    public var buildings = 0
    public var households = 0
    public var departments = 0
    public var people = 0
    public var bots = 0
    public var chatGroups = 0
    public var routingRules = 0
    public var merchants = 0
    public var offers = 0
    public var tasks = 0

    public init() {}
}

/// The community's structure, people, chats and routing, as the rest of GridBot reads them.
extension SQLStore {
    /// Loads a seed: creates what is missing and updates what changed, in one transaction.
    /// Loading the same seed twice changes nothing. Offer stock is set only when an offer is new,
    /// so reloading a seed never undoes redemptions.
    public func load(_ seed: CommunitySeed, passwordCost: Int = PasswordHash.defaultLogN) async throws {
        let backend = database.backend
        try await database.withTransaction { db in
            // Instances starting together on an empty database load one after the other.
            if backend == .postgres { try await db.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(Migrator.advisoryLock)))").run() }
            for street in seed.streets {
                try await upsert(db, "streets", key: ["code"], ["code": street.code, "name": street.name])
            }
            for community in seed.communities {
                try await upsert(db, "communities", key: ["code"], [
                    "code": community.code, "name": community.name, "street_code": community.streetCode,
                ])
            }
            for grid in Self.parentsFirst(seed.grids) {
                try await upsert(db, "grids", key: ["code"], [
                    "code": grid.code, "name": grid.name, "community_code": grid.communityCode,
                    "parent_code": grid.parentCode,
                ])
            }
            for building in seed.buildings {
                try await upsert(db, "buildings", key: ["code"], [
                    "code": building.code, "name": building.name, "grid_code": building.gridCode,
                    "units": building.units, "floors": building.floors, "plan_x": building.planX, "plan_y": building.planY,
                ])
            }
            for household in seed.households {
                try await upsert(db, "households", key: ["code"], [
                    "code": household.code, "building_code": household.buildingCode,
                    "unit": household.unit, "room": household.room,
                ])
            }
            for department in seed.departments {
                try await upsert(db, "departments", key: ["code"], [
                    "code": department.code, "name": department.name, "kind": department.kind.rawValue,
                ])
            }
            for merchant in seed.merchants {
                try await upsert(db, "merchants", key: ["code"], [
                    "code": merchant.code, "name": merchant.name, "address": merchant.address,
                ])
            }
            for person in seed.people {
                try await upsert(db, "people", key: ["code"], [
                    "code": person.code, "name": person.name, "role": person.role.rawValue,
                    "grid_code": person.gridCode, "building_code": person.buildingCode,
                    "department_code": person.departmentCode, "household_code": person.householdCode,
                    "merchant_code": person.merchantCode, "phone": person.phone,
                ])
                for identity in person.identities {
                    try await upsert(db, "person_identities", key: ["platform", "user_id"], [
                        "platform": identity.platform.rawValue, "user_id": identity.userID, "person_code": person.code,
                    ])
                }
            }
            for bot in seed.bots {
                let settings = String(decoding: try JSONEncoder.sorted.encode(bot.settings), as: UTF8.self)
                try await upsert(db, "bots", key: ["code"], [
                    "code": bot.code, "platform": bot.platform.rawValue, "settings": settings,
                ])
            }
            for group in seed.chatGroups {
                try await upsert(db, "chat_groups", key: ["code"], [
                    "code": group.code, "name": group.name, "bot_code": group.botCode, "chat_id": group.chatID,
                    "kind": group.kind.rawValue, "building_code": group.buildingCode, "grid_code": group.gridCode,
                    "department_code": group.departmentCode, "post_url": group.postURL,
                ])
            }
            for rule in seed.routingRules {
                try await upsert(db, "routing_rules", key: ["category"], [
                    "category": rule.category?.rawValue ?? "*", "department_code": rule.departmentCode,
                ])
            }
            for offer in seed.offers {
                try await upsert(db, "offers", key: ["code"], [
                    "code": offer.code, "merchant_code": offer.merchantCode, "title": offer.title,
                    "points": offer.points, "value_fen": offer.valueFen, "stock": offer.stock,
                    "valid_days": offer.validDays,
                ], insertOnly: ["stock"])
            }
            // Every household and merchant holds points; rewards come from the issuance account.
            let ledger = LedgerTransaction(db: db)
            let opened = Date()
            try await ledger.openAccount(LedgerAccounts.issuance, kind: .issuance, at: opened)
            try await ledger.openAccount(LedgerAccounts.escrow, kind: .escrow, at: opened)
            for household in seed.households {
                try await ledger.openAccount(LedgerAccounts.household(household.code), kind: .household, at: opened)
            }
            for merchant in seed.merchants {
                try await ledger.openAccount(LedgerAccounts.merchant(merchant.code), kind: .merchant, at: opened)
            }
            // Seed passwords: set once, never over a password changed since, at the full cost
            // unless the caller asks for the demo's light one.
            for login in seed.logins {
                let hash = try PasswordHash.make(login.password, logN: passwordCost)
                try await db.insert(into: "login_accounts").columns("person_code", "password_hash", "updated_at")
                    .values(SQLBind(login.personCode), SQLBind(hash.description), SQLBind(Self.milliseconds(opened)))
                    .ignoringConflicts(with: ["person_code"]).run()
            }
            for task in seed.tasks {
                try await upsert(db, "tasks", key: ["code"], [
                    "code": task.code, "title": task.title, "points": task.points, "slots": task.slots,
                    "deadline": task.deadline, "building_code": task.buildingCode, "photo_required": task.photoRequired ? 1 : 0,
                ])
            }
            // The care register's records: what the file says wins; records added on the care
            // page stay. When a record was first written is kept.
            for record in seed.care {
                try await upsert(db, "care_register", key: ["code"], Self.careRow(record, at: opened), insertOnly: ["updated_at"])
            }
        }
    }

    /// Whether no community has been loaded yet.
    public func isEmpty() async throws -> Bool {
        try await database.withConnection { db in
            try await db.select().column("code").from("communities").limit(1).first() == nil
        }
    }

    /// How many of each thing the database holds.
    public func counts() async throws -> CommunityCounts {
        try await database.withConnection { db in
            func count(_ table: String) async throws -> Int {
                let row = try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table).first()
                return try row?.decode(column: "n", as: Int.self) ?? 0
            }
            var counts = CommunityCounts()
            counts.communities = try await count("communities")
            counts.grids = try await count("grids")
            counts.buildings = try await count("buildings")
            counts.households = try await count("households")
            counts.departments = try await count("departments")
            counts.people = try await count("people")
            counts.bots = try await count("bots")
            counts.chatGroups = try await count("chat_groups")
            counts.routingRules = try await count("routing_rules")
            counts.merchants = try await count("merchants")
            counts.offers = try await count("offers")
            counts.tasks = try await count("tasks")
            return counts
        }
    }

    /// A building by its code (`"3"`, `"B3"`).
    public func building(code: String) async throws -> Building? {
        try await database.withConnection { db in
            try await db.select().columns("code", "name", "grid_code", "units", "floors").from("buildings")
                .where("code", .equal, code).first()
                .map { row in
                    Building(
                        code: try row.decode(column: "code"), name: try row.decode(column: "name"),
                        gridCode: try row.decode(column: "grid_code"), units: try row.decode(column: "units"),
                        floors: try row.decode(column: "floors"))
                }
        }
    }

    /// A grid by its code.
    public func grid(code: String) async throws -> Grid? {
        try await database.withConnection { db in
            try await Self.grid(code: code, on: db)
        }
    }

    static let gridColumns = ["code", "name", "community_code", "parent_code"]

    static func grid(code: String, on db: any SQLDatabase) async throws -> Grid? {
        try await db.select().columns(gridColumns).from("grids").where("code", .equal, code).first().map(grid)
    }

    static func grid(_ row: any SQLRow) throws -> Grid {
        Grid(
            code: try row.decode(column: "code"), name: try row.decode(column: "name"),
            communityCode: try row.decode(column: "community_code"),
            parentCode: try row.decode(column: "parent_code", as: String?.self))
    }

    /// The person behind a chat account, if GridBot knows them.
    public func person(platform: ChatPlatform, userID: String) async throws -> Person? {
        try await database.withConnection { db in
            let row = try await db.select().column("person_code").from("person_identities")
                .where("platform", .equal, platform.rawValue).where("user_id", .equal, userID).first()
            guard let code = try row?.decode(column: "person_code", as: String.self) else { return nil }
            return try await Self.person(code: code, on: db)
        }
    }

    /// The people with a role in a grid (its worker or head), innermost grid first.
    public func gridStaff(gridCode: String, role: Role) async throws -> [Person] {
        // One rule for "who answers for this grid", shared with routing and escalation.
        try await directory().people(role, nearest: gridCode)
    }

    /// A person from a `people` row (without chat identities).
    static func person(_ row: any SQLRow) throws -> Person {
        let code = try row.decode(column: "code", as: String.self)
        let roleText = try row.decode(column: "role", as: String.self)
        guard let role = Role(rawValue: roleText) else { throw StoreError.corrupt("people.role '\(roleText)' of \(code)") }
        return Person(
            code: code, name: try row.decode(column: "name"), role: role,
            gridCode: try row.decode(column: "grid_code"), buildingCode: try row.decode(column: "building_code"),
            departmentCode: try row.decode(column: "department_code"), householdCode: try row.decode(column: "household_code"),
            merchantCode: try row.decode(column: "merchant_code"), phone: try row.decode(column: "phone"))
    }

    static func person(code: String, on db: any SQLDatabase) async throws -> Person? {
        guard let row = try await db.select()
            .columns("code", "name", "role", "grid_code", "building_code", "department_code", "household_code", "merchant_code", "phone")
            .from("people").where("code", .equal, code).first()
        else { return nil }
        var person = try Self.person(row)
        let identities = try await db.select().columns("platform", "user_id").from("person_identities")
            .where("person_code", .equal, code).orderBy("platform").orderBy("user_id").all()
        person.identities = try identities.compactMap { row in
            guard let platform = ChatPlatform(rawValue: try row.decode(column: "platform")) else { return nil }
            return ChatIdentity(platform: platform, userID: try row.decode(column: "user_id"))
        }
        return person
    }

    /// The department that acts first on a category: its routing rule, else the fallback rule.
    public func department(for category: ReportCategory) async throws -> Department? {
        try await directory().department(for: category)
    }

    /// A configured bot by its code.
    public func bot(code: String) async throws -> Bot? {
        try await database.withConnection { db in
            try await db.select().columns("code", "platform", "settings").from("bots").where("code", .equal, code).first().map(Self.bot)
        }
    }

    static func bot(_ row: any SQLRow) throws -> Bot {
        let platformText = try row.decode(column: "platform", as: String.self)
        guard let platform = ChatPlatform(rawValue: platformText) else { throw StoreError.corrupt("bots.platform '\(platformText)'") }
        let settings = try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "settings", as: String.self).utf8))
        return Bot(code: try row.decode(column: "code"), platform: platform, settings: settings)
    }

    /// The chat group with this platform chat id under a bot.
    public func chatGroup(botCode: String, chatID: String) async throws -> ChatGroup? {
        try await database.withConnection { db in
            guard let row = try await db.select()
                .columns(Self.chatGroupColumns)
                .from("chat_groups").where("bot_code", .equal, botCode).where("chat_id", .equal, chatID).first()
            else { return nil }
            return try Self.chatGroup(row)
        }
    }

    static let chatGroupColumns = ["code", "name", "bot_code", "chat_id", "kind", "building_code", "grid_code", "department_code", "post_url"]

    static func chatGroup(_ row: any SQLRow) throws -> ChatGroup {
        let kindText = try row.decode(column: "kind", as: String.self)
        guard let kind = ChatGroupKind(rawValue: kindText) else { throw StoreError.corrupt("chat_groups.kind '\(kindText)'") }
        return ChatGroup(
            code: try row.decode(column: "code"), name: try row.decode(column: "name"),
            botCode: try row.decode(column: "bot_code"), chatID: try row.decode(column: "chat_id"), kind: kind,
            buildingCode: try row.decode(column: "building_code"), gridCode: try row.decode(column: "grid_code"),
            departmentCode: try row.decode(column: "department_code"), postURL: try row.decode(column: "post_url"))
    }

    static func department(code: String, on db: any SQLDatabase) async throws -> Department? {
        try await db.select().columns("code", "name", "kind").from("departments").where("code", .equal, code).first().map(department)
    }

    static func department(_ row: any SQLRow) throws -> Department {
        let kindText = try row.decode(column: "kind", as: String.self)
        guard let kind = DepartmentKind(rawValue: kindText) else { throw StoreError.corrupt("departments.kind '\(kindText)'") }
        return Department(code: try row.decode(column: "code"), name: try row.decode(column: "name"), kind: kind)
    }

    /// Orders grids so that each parent comes before the grids nested in it.
    static func parentsFirst(_ grids: [Grid]) -> [Grid] {
        var placed: Set<String> = []
        var ordered: [Grid] = []
        var pending = grids
        while !pending.isEmpty {
            let ready = pending.filter { grid in
                guard let parent = grid.parentCode else { return true }
                // A parent outside this seed is already in the database.
                return placed.contains(parent) || !grids.contains { $0.code == parent }
            }
            if ready.isEmpty { return ordered + pending }  // a cycle: the seed parser refuses these
            for grid in ready { placed.insert(grid.code) }
            ordered += ready
            pending.removeAll { placed.contains($0.code) }
        }
        return ordered
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys, so equal values always store as equal text.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension SQLStore {
    /// Binds a chat nobody had bound to a building's group, and files the messages it already
    /// sent under that group. Returns nil when the chat is bound already.
    public func bindBuildingChat(botCode: String, chatID: String, buildingCode: String, name: String) async throws -> ChatGroup? {
        try await transaction { tx in try await tx.bindBuildingChat(botCode: botCode, chatID: chatID, buildingCode: buildingCode, name: name) }
    }
}

extension StoreTransaction {
    /// Binds a chat nobody had bound to a building's group, and files the messages it already
    /// sent under that group. Returns nil when the chat is bound already.
    public func bindBuildingChat(botCode: String, chatID: String, buildingCode: String, name: String) async throws -> ChatGroup? {
        let code = "chat-\(botCode)-\(chatID)"
        let inserted = try await db.insert(into: "chat_groups")
            .columns("code", "name", "bot_code", "chat_id", "kind", "building_code")
            .values(SQLBind(code), SQLBind(name), SQLBind(botCode), SQLBind(chatID), SQLBind(ChatGroupKind.building.rawValue), SQLBind(buildingCode))
            .ignoringConflicts(with: ["bot_code", "chat_id"])
            .returning("code").all()
        guard !inserted.isEmpty else { return nil }
        try await db.update("inbound_messages").set("group_code", to: code)
            .where("bot_code", .equal, botCode).where("chat_id", .equal, chatID).where("group_code", .is, SQLLiteral.null)
            .run()
        return ChatGroup(code: code, name: name, botCode: botCode, chatID: chatID, kind: .building, buildingCode: buildingCode)
    }
}
