import Foundation
import GridCore
import SQLKit

/// A field of a row the administration pages edit.
public enum AdminValue: Sendable, Equatable, CustomStringConvertible {
    case text(String?)
    case number(Int64)

    var expression: any SQLExpression {
        switch self {
        case .text(let text): text.map { SQLBind($0) } ?? SQLLiteral.null
        case .number(let number): SQLBind(number)
        }
    }

    public var description: String {
        switch self {
        case .text(let text): text ?? ""
        case .number(let number): String(number)
        }
    }
}

/// One change made on the administration pages: who changed which row, from what to what.
public struct AdminChange: Sendable, Equatable {
    public var at: Date
    public var actorCode: String
    public var actorName: String
    /// The table's entity name: grid, building, person, department, routing, chat_group, offer.
    public var entity: String
    public var key: String
    /// The fields before (nil when the row was created) and after, as JSON objects.
    public var before: String?
    public var after: String
}

/// The rows the administration pages edit, with their tables' key column.
public enum AdminEntity: String, CaseIterable, Sendable {
    case grid, building, person, department, routing, chatGroup = "chat_group", offer

    var table: String {
        switch self {
        case .grid: "grids"
        case .building: "buildings"
        case .person: "people"
        case .department: "departments"
        case .routing: "routing_rules"
        case .chatGroup: "chat_groups"
        case .offer: "offers"
        }
    }

    var keyColumn: String { self == .routing ? "category" : "code" }
}

extension SQLStore {
    /// Creates or updates one row and logs the change, in one transaction. Only the fields given
    /// change; false when nothing differed (and nothing was logged).
    @discardableResult
    public func save(_ entity: AdminEntity, key: String, fields: [(String, AdminValue)], by person: Person, at date: Date) async throws -> Bool {
        try await database.withTransaction { db in
            let columns = fields.map(\.0)
            let existing = try await db.select().columns(columns).from(entity.table).where(entity.keyColumn, .equal, key).for(.update).first()
            var before: [String: String]?
            if let existing {
                var values: [String: String] = [:]
                for (column, value) in fields {
                    switch value {
                    case .text: values[column] = try existing.decode(column: column, as: String?.self) ?? ""
                    case .number: values[column] = try existing.decode(column: column, as: Int64?.self).map(String.init) ?? ""
                    }
                }
                before = values
            }
            let after = Dictionary(fields.map { ($0.0, $0.1.description) }, uniquingKeysWith: { _, last in last })
            if let before, before == after { return false }
            if existing != nil {
                let update = db.update(entity.table)
                for (column, value) in fields { update.set(SQLIdentifier(column), to: value.expression) }
                try await update.where(entity.keyColumn, .equal, key).run()
            } else {
                try await db.insert(into: entity.table).columns([entity.keyColumn] + columns)
                    .values([SQLBind(key)] + fields.map(\.1.expression)).run()
            }
            try await Self.logChange(entity.rawValue, key: key, before: before, after: after, by: person, at: date, on: db)
            return true
        }
    }

    /// Adds a chat identity to a person (a no-op when it is theirs already); fails when it
    /// belongs to someone else.
    public func addIdentity(_ identity: ChatIdentity, to personCode: String, by person: Person, at date: Date) async throws -> Bool {
        try await database.withTransaction { db in
            let owner = try await db.select().column("person_code").from("person_identities")
                .where("platform", .equal, identity.platform.rawValue).where("user_id", .equal, identity.userID)
                .first(decodingColumn: "person_code", as: String.self)
            if let owner { return owner == personCode }
            try await db.insert(into: "person_identities").columns("platform", "user_id", "person_code")
                .values(SQLBind(identity.platform.rawValue), SQLBind(identity.userID), SQLBind(personCode)).run()
            try await Self.logChange("identity", key: personCode, before: nil, after: ["identity": "\(identity.platform.rawValue):\(identity.userID)"],
                                     by: person, at: date, on: db)
            return true
        }
    }

    /// Writes one entry of the change log, its fields as JSON objects.
    static func logChange(_ entity: String, key: String, before: [String: String]?, after: [String: String], by person: Person, at date: Date,
                          on db: any SQLDatabase) async throws {
        func json(_ values: [String: String]) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(values), as: UTF8.self)
        }
        try await db.insert(into: "admin_changes")
            .columns("at", "actor_code", "actor_name", "entity", "entity_key", "before", "after")
            .values(SQLBind(milliseconds(date)), SQLBind(person.code), SQLBind(person.name), SQLBind(entity), SQLBind(key),
                    try before.map { SQLBind(try json($0)) } ?? SQLLiteral.null, SQLBind(try json(after)))
            .run()
    }

    /// The latest administration changes, newest first.
    public func adminChanges(limit: Int = 50) async throws -> [AdminChange] {
        try await database.withConnection { db in
            try await db.select().columns("at", "actor_code", "actor_name", "entity", "entity_key", "before", "after").from("admin_changes")
                .orderBy("id", .descending).limit(limit).all()
                .map { row in
                    AdminChange(at: Self.date(try row.decode(column: "at")), actorCode: try row.decode(column: "actor_code"),
                                actorName: try row.decode(column: "actor_name"), entity: try row.decode(column: "entity"),
                                key: try row.decode(column: "entity_key"), before: try row.decode(column: "before"), after: try row.decode(column: "after"))
                }
        }
    }

    /// The names of everyone the community knows, residents included (to mask them in public views).
    public func personNames() async throws -> [String] {
        try await database.withConnection { db in
            try await db.select().distinct().column("name").from("people").all().map { try $0.decode(column: "name", as: String.self) }
        }
    }

    /// The buildings, in code order.
    public func buildings() async throws -> [Building] {
        try await database.withConnection { db in
            try await db.select().columns("code", "name", "grid_code", "units", "floors", "plan_x", "plan_y").from("buildings").orderBy("code").all()
                .map { row in
                    Building(code: try row.decode(column: "code"), name: try row.decode(column: "name"), gridCode: try row.decode(column: "grid_code"),
                             units: try row.decode(column: "units"), floors: try row.decode(column: "floors"),
                             planX: try row.decode(column: "plan_x"), planY: try row.decode(column: "plan_y"))
                }
        }
    }

    /// The shops that take vouchers: code and name.
    public func merchants() async throws -> [(code: String, name: String)] {
        try await database.withConnection { db in
            try await db.select().columns("code", "name").from("merchants").orderBy("code").all()
                .map { (try $0.decode(column: "code", as: String.self), try $0.decode(column: "name", as: String.self)) }
        }
    }
}

extension SQLStore {
    /// Makes sure a bot row exists for a channel that is not a chat (Open311): its messages need
    /// a bot to belong to. It has no secret, so its webhook refuses every request.
    public func ensureChannelBot(code: String, channel: String) async throws {
        try await database.withConnection { db in
            try await db.insert(into: "bots").columns("code", "platform", "settings")
                .values(SQLBind(code), SQLBind(ChatPlatform.generic.rawValue), SQLBind(#"{"channel":"\#(channel)"}"#))
                .ignoringConflicts(with: ["code"]).run()
        }
    }

    /// The report made from a stored message, if any.
    public func reportID(messageID: Int64) async throws -> Int64? {
        try await database.withConnection { db in
            try await db.select().column("id").from("reports").where("message_id", .equal, messageID).first(decodingColumn: "id", as: Int64.self)
        }
    }
}
