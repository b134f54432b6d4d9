import SQLKit

/// GridBot's storage over sql-kit: one implementation of every store protocol, for SQLite and
/// PostgreSQL alike.
public struct SQLStore: Sendable {
    /// The database this store reads and writes.
    public let database: GridDatabase

    public init(database: GridDatabase) {
        self.database = database
    }

    /// Inserts a row, or updates the existing row with the same key. Columns in `insertOnly`
    /// are written when the row is new and left alone when it exists.
    func upsert(
        _ db: any SQLDatabase, _ table: String, key: [String],
        _ row: KeyValuePairs<String, (any Encodable & Sendable)?>, insertOnly: Set<String> = []
    ) async throws {
        let columns = row.map(\.key)
        let updated = columns.filter { !key.contains($0) && !insertOnly.contains($0) }
        let insert = db.insert(into: table)
            .columns(columns)
            .values(row.map { column -> any SQLExpression in column.value.map { SQLBind($0) } ?? SQLLiteral.null })
        if updated.isEmpty {
            insert.ignoringConflicts(with: key)
        } else {
            insert.onConflict(with: key) { conflict in
                updated.reduce(conflict) { $0.set(excludedValueOf: $1) }
            }
        }
        try await insert.run()
    }
}

/// A failure of the store that is not the caller's fault.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// A stored value cannot be read back: the database was edited by hand or by a newer GridBot.
    case corrupt(String)

    public var description: String {
        switch self {
        case .corrupt(let what): "stored data cannot be read: \(what)"
        }
    }
}
