import Foundation
import GridCore
import SQLKit

/// A report's request to check on one registered household, and its confirmation.
public struct CareCheck: Sendable, Equatable {
    public var reportID: Int64
    public var careCode: String
    /// The person codes of who was asked to check.
    public var asked: [String]
    public var requestedAt: Date
    /// When the grid head was told at once (an emergency).
    public var alertedAt: Date?
    public var visitedAt: Date?
    public var visitedBy: String?
    /// What the visitor said, for the register's own readers only.
    public var visitNote: String?
}

/// The care register (`care_register`) and the checks reports ask for (`care_checks`). Nothing
/// here is read into the community directory; each reader asks for the buildings its scope covers.
extension SQLStore {
    static let careColumns = ["code", "building_code", "unit", "room", "category", "name", "contact", "note", "worker_code"]

    static func careRecord(_ row: any SQLRow) throws -> CareRecord {
        let categoryText = try row.decode(column: "category", as: String.self)
        guard let category = CareCategory(rawValue: categoryText) else { throw StoreError.corrupt("care category '\(categoryText)'") }
        return CareRecord(
            code: try row.decode(column: "code"), buildingCode: try row.decode(column: "building_code"), unit: try row.decode(column: "unit"),
            room: try row.decode(column: "room"), category: category, name: try row.decode(column: "name"),
            contact: try row.decode(column: "contact"), note: try row.decode(column: "note"), workerCode: try row.decode(column: "worker_code"))
    }

    static func careCheck(_ row: any SQLRow) throws -> CareCheck {
        CareCheck(
            reportID: try row.decode(column: "report_id"), careCode: try row.decode(column: "care_code"),
            asked: try row.decode(column: "asked", as: String.self).split(separator: ",").map(String.init),
            requestedAt: date(try row.decode(column: "requested_at")), alertedAt: try row.decode(column: "alerted_at", as: Int64?.self).map(date),
            visitedAt: try row.decode(column: "visited_at", as: Int64?.self).map(date), visitedBy: try row.decode(column: "visited_by"),
            visitNote: try row.decode(column: "visit_note"))
    }

    /// The records of a scope: the buildings it covers (nil: all) and those named for `personCode`,
    /// by building, unit and room as people count them (3号楼 before 12号楼).
    public func careRecords(in scope: CareScope) async throws -> [CareRecord] {
        try await database.withConnection { db in
            let query = db.select().columns(Self.careColumns).from("care_register")
            if let buildings = scope.buildings {
                query.where { group in
                    group.where("building_code", .in, Array(buildings)).orWhere("worker_code", .equal, scope.personCode)
                }
            }
            return try await query.all().map(Self.careRecord).sorted { first, second in
                let a = [first.buildingCode, first.unit ?? "", first.room ?? "", first.code]
                let b = [second.buildingCode, second.unit ?? "", second.room ?? "", second.code]
                guard let (x, y) = zip(a, b).first(where: { $0 != $1 }) else { return false }
                return x.localizedStandardCompare(y) == .orderedAscending
            }
        }
    }

    public func careRecord(code: String) async throws -> CareRecord? {
        try await database.withConnection { db in
            try await db.select().columns(Self.careColumns).from("care_register").where("code", .equal, code).first().map(Self.careRecord)
        }
    }

    /// Records a household or changes its record; the change log names its place and category
    /// and who changed it, never the person or their contact.
    public func saveCare(_ record: CareRecord, by person: Person, at date: Date) async throws {
        try await database.withTransaction { db in
            let before = try await db.select().columns(Self.careColumns).from("care_register").where("code", .equal, record.code).for(.update)
                .first().map(Self.careRecord)
            try await upsert(db, "care_register", key: ["code"], Self.careRow(record, at: date))
            try await Self.logChange("care", key: record.code, before: before.map(Self.careSummary), after: Self.careSummary(record), by: person, at: date, on: db)
        }
    }

    /// Removes a household from the register, with the checks that named it; false when there was none.
    public func removeCare(code: String, by person: Person, at date: Date) async throws -> Bool {
        try await database.withTransaction { db in
            guard let before = try await db.select().columns(Self.careColumns).from("care_register").where("code", .equal, code).for(.update)
                .first().map(Self.careRecord)
            else { return false }
            try await db.delete(from: "care_checks").where("care_code", .equal, code).run()
            try await db.delete(from: "care_register").where("code", .equal, code).run()
            try await Self.logChange("care", key: code, before: Self.careSummary(before), after: ["removed": "yes"], by: person, at: date, on: db)
            return true
        }
    }

    /// A record as its table's row, written `at`.
    static func careRow(_ record: CareRecord, at date: Date) -> KeyValuePairs<String, (any Encodable & Sendable)?> {
        [
            "code": record.code, "building_code": record.buildingCode, "unit": record.unit, "room": record.room,
            "category": record.category.rawValue, "name": record.name, "contact": record.contact, "note": record.note,
            "worker_code": record.workerCode, "updated_at": milliseconds(date),
        ]
    }

    /// What the change log may say of a record.
    static func careSummary(_ record: CareRecord) -> [String: String] {
        ["place": record.place, "category": record.category.rawValue, "worker": record.workerCode ?? ""]
    }

    /// The checks not yet confirmed for households of a scope, oldest first.
    public func openCareChecks(in scope: CareScope) async throws -> [CareCheck] {
        try await database.withConnection { db in
            let query = db.select().columns(SQLColumn(SQLLiteral.all, table: SQLIdentifier("c"))).from(SQLAlias(SQLIdentifier("care_checks"), as: SQLIdentifier("c")))
                .join(SQLAlias(SQLIdentifier("care_register"), as: SQLIdentifier("r")), on: SQLColumn("care_code", table: "c"), .equal, SQLColumn("code", table: "r"))
                .where(SQLColumn("visited_at", table: "c"), .is, SQLLiteral.null)
            if let buildings = scope.buildings {
                query.where { group in
                    group.where(SQLColumn("building_code", table: "r"), .in, SQLBind.group(Array(buildings)))
                        .orWhere(SQLColumn("worker_code", table: "r"), .equal, SQLBind(scope.personCode))
                }
            }
            return try await query.orderBy(SQLColumn("requested_at", table: "c")).limit(500).all().map(Self.careCheck)
        }
    }
}

extension WorkOrderTransaction {
    /// The households registered in a building.
    public func careRecords(building: String) async throws -> [CareRecord] {
        try await db.select().columns(SQLStore.careColumns).from("care_register").where("building_code", .equal, building)
            .orderBy("unit").orderBy("room").orderBy("code").all().map(SQLStore.careRecord)
    }

    /// The records with these codes.
    public func careRecords(codes: [String]) async throws -> [CareRecord] {
        guard !codes.isEmpty else { return [] }
        return try await db.select().columns(SQLStore.careColumns).from("care_register").where("code", .in, codes).all().map(SQLStore.careRecord)
    }

    /// The households a report has asked someone to check on.
    public func careChecks(reportID: Int64) async throws -> [CareCheck] {
        try await db.select().column("*").from("care_checks").where("report_id", .equal, reportID).orderBy("care_code").all().map(SQLStore.careCheck)
    }

    /// Asks for a check on a household about a report; false when it was asked already.
    public func requestCareCheck(reportID: Int64, careCode: String, asked: [String], alerted: Bool, at date: Date) async throws -> Bool {
        let inserted = try await db.insert(into: "care_checks").columns("report_id", "care_code", "asked", "requested_at", "alerted_at")
            .values(SQLBind(reportID), SQLBind(careCode), SQLBind(asked.joined(separator: ",")), SQLBind(Self.ms(date)),
                    alerted ? SQLBind(Self.ms(date)) : SQLLiteral.null)
            .ignoringConflicts(with: ["report_id", "care_code"]).returning("care_code").all()
        return !inserted.isEmpty
    }

    /// Marks that the grid head was told at once of a report's checks still open.
    public func markCareAlerted(reportID: Int64, careCodes: [String], at date: Date) async throws {
        guard !careCodes.isEmpty else { return }
        try await db.update("care_checks").set("alerted_at", to: Self.ms(date)).where("report_id", .equal, reportID)
            .where("care_code", .in, careCodes).where("alerted_at", .is, SQLLiteral.null).run()
    }

    /// Confirms the visits to these households about a report.
    public func confirmCareVisits(reportID: Int64, careCodes: [String], by personCode: String, note: String?, at date: Date) async throws {
        guard !careCodes.isEmpty else { return }
        try await db.update("care_checks").set("visited_at", to: Self.ms(date)).set("visited_by", to: personCode)
            .set("visit_note", to: Self.optional(note)).where("report_id", .equal, reportID).where("care_code", .in, careCodes)
            .where("visited_at", .is, SQLLiteral.null).run()
    }
}
