import Synchronization
import Foundation
import GridCore
import SQLKit

extension SQLStore {
    /// The whole community structure the closed loop decides with, read on one connection.
    ///
    /// It is kept in memory and read again only when its revision has moved: a trigger on each
    /// table it comes from bumps the revision, so a change made anywhere is seen at the next call.
    public func directory() async throws -> CommunityDirectory {
        try await database.withConnection { db in
            let revision = try await db.raw("SELECT revision FROM directory_revision WHERE id = 1").first()?.decode(column: "revision", as: Int64.self) ?? 0
            if let cached = database.directoryCache.directory(at: revision) { return cached }
            let directory = try await Self.readDirectory(db)
            database.directoryCache.keep(directory, at: revision)
            return directory
        }
    }

    /// The directory as this instance last read it, without asking the database whether it has
    /// changed since; nil before the first read. For hints that may be a moment stale, such as
    /// what kind of chat a message came from.
    public func lastReadDirectory() -> CommunityDirectory? {
        database.directoryCache.last()
    }

    /// Reads the directory from its tables.
    static func readDirectory(_ db: any SQLDatabase) async throws -> CommunityDirectory {
        let grids = try await db.select().columns(Self.gridColumns).from("grids").all().map(Self.grid)
        var buildingGrids: [String: String] = [:]
        for row in try await db.select().columns("code", "grid_code").from("buildings").all() {
            buildingGrids[try row.decode(column: "code")] = try row.decode(column: "grid_code", as: String.self)
        }
        let departments = try await db.select().columns("code", "name", "kind").from("departments").orderBy("code").all()
            .map(Self.department)
        // Two queries for everyone with a role, however many there are.
        var identities: [String: [ChatIdentity]] = [:]
        for row in try await db.select().columns("platform", "user_id", "person_code").from("person_identities")
            .orderBy("platform").orderBy("user_id").all() {
            guard let platform = ChatPlatform(rawValue: try row.decode(column: "platform")) else { continue }
            identities[try row.decode(column: "person_code"), default: []].append(ChatIdentity(platform: platform, userID: try row.decode(column: "user_id")))
        }
        let staff = try await db.select()
            .columns("code", "name", "role", "grid_code", "building_code", "department_code", "household_code", "merchant_code", "phone")
            .from("people").where("role", .notEqual, Role.resident.rawValue).orderBy("code").all()
            .map { row in
                var person = try Self.person(row)
                person.identities = identities[person.code] ?? []
                return person
            }
        let groups = try await db.select().columns(Self.chatGroupColumns).from("chat_groups").orderBy("code").all().map(Self.chatGroup)
        let bots = try await db.select().columns("code", "platform", "settings").from("bots").all().map(Self.bot)
        var routing: [String: String] = [:]
        for row in try await db.select().columns("category", "department_code").from("routing_rules").all() {
            routing[try row.decode(column: "category")] = try row.decode(column: "department_code", as: String.self)
        }
        return CommunityDirectory(grids: grids, buildingGrids: buildingGrids, departments: departments, staff: staff,
                                  chatGroups: groups, bots: bots, routing: routing)
    }


    /// The report a card was about, from the platform id of the card a reply quotes.
    public func reportForCard(botCode: String, chatID: String, platformMessageID: String) async throws -> Int64? {
        try await database.withConnection { db in
            try await WorkOrderTransaction(db: db).reportForCard(botCode: botCode, chatID: chatID, platformMessageID: platformMessageID)
        }
    }

    /// The newest open report a person reported in a chat since `since` that names no building yet.
    public func reportAwaitingBuilding(platform: ChatPlatform, userID: String, botCode: String, chatID: String,
                                       since: Date) async throws -> (id: Int64, category: ReportCategory)? {
        try await database.withConnection { db in
            try await WorkOrderTransaction(db: db).reportAwaitingBuilding(platform: platform, userID: userID, botCode: botCode, chatID: chatID, since: since)
        }
    }

    /// The newest closed report someone reported (or joined) that they have not rated yet.
    public func latestUnratedClosedReport(platform: ChatPlatform, userID: String) async throws -> Int64? {
        try await database.withConnection { db in
            try await WorkOrderTransaction(db: db).latestUnratedClosedReport(platform: platform, userID: userID)
        }
    }
}

extension SQLStore {
    /// The photos (attachment keys or URLs) of the message a report came from.
    public func attachments(messageID: Int64) async throws -> [String] {
        try await database.withConnection { db in try await WorkOrderTransaction(db: db).attachments(messageID: messageID) }
    }
}

extension WorkOrderTransaction {
    /// The photos (attachment keys) of the message a report came from.
    public func attachments(messageID: Int64) async throws -> [String] {
        guard let text = try await db.select().column("attachments").from("inbound_messages").where("id", .equal, messageID)
            .first(decodingColumn: "attachments", as: String.self) else { return [] }
        return try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}

/// The directory one pool last read, and the revision it was read at.
final class DirectoryCache: Sendable {
    private let kept = Mutex<(revision: Int64, directory: CommunityDirectory)?>(nil)

    func directory(at revision: Int64) -> CommunityDirectory? {
        kept.withLock { kept in kept?.revision == revision ? kept?.directory : nil }
    }

    func last() -> CommunityDirectory? {
        kept.withLock { $0?.directory }
    }

    func keep(_ directory: CommunityDirectory, at revision: Int64) {
        kept.withLock { $0 = (revision, directory) }
    }
}
