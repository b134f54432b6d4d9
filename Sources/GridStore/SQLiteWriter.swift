import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import VaporCSQLite

/// The one connection SQLite's group-commit lane writes through, run synchronously.
///
/// sqlite-nio runs every statement on a thread pool and resumes the caller afterwards: two
/// thread wake-ups per statement, which on a small virtual machine cost far more than the
/// statement itself (a ledger posting is nine statements). Only one batch writes at a time, on
/// one connection, so its statements need no other thread: this runs them where the batch runs,
/// with prepared statements kept for reuse. Readers keep sqlite-nio's pool; WAL lets them read
/// beside this writer, and SQLite's own locks (busy timeout) still order this connection against
/// other processes sharing the file.
final class SQLiteWriter: @unchecked Sendable {
    // Unchecked: the connection is used by one group-commit lane at a time (SQLite has one lane),
    // and opened with SQLite's full mutex besides.
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open \(path)"
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw SQLiteWriterError(code: opened, message: message)
        }
        self.handle = handle
        // Savepoints' journals (one per item of a batch) in memory, not in a temporary file.
        let pragmas = ["PRAGMA journal_mode = WAL", "PRAGMA busy_timeout = 10000", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = FULL",
                       "PRAGMA temp_store = MEMORY"]
        for pragma in pragmas {
            try execute(pragma, binds: []) { _, _ in }
        }
    }

    deinit {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        sqlite_nio_sqlite3_close_v2(handle)
    }

    /// Runs one statement; `onRow` gets each row's column names and values.
    func execute(_ sql: String, binds: [SQLiteData], onRow: ([String], [SQLiteData]) -> Void) throws {
        let statement = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (index, bind) in binds.enumerated() {
            try check(Self.bind(bind, at: Int32(index + 1), in: statement))
        }
        var names: [String]?
        while true {
            let step = sqlite_nio_sqlite3_step(statement)
            if step == SQLITE_DONE { return }
            guard step == SQLITE_ROW else { throw error(step) }
            let count = sqlite_nio_sqlite3_column_count(statement)
            if names == nil {
                names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) }
            }
            onRow(names ?? [], try (0..<count).map { try Self.value(at: $0, in: statement) })
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let flags = UInt32(SQLITE_PREPARE_PERSISTENT)
        let result = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, flags, &statement, nil)
        guard result == SQLITE_OK, let statement else { throw error(result) }
        // Statements built with literal values (an IN list of ids) would grow the cache without
        // end; only a bounded number are kept.
        if statements.count < 512 { statements[sql] = statement }
        return statement
    }

    private static func bind(_ value: SQLiteData, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let number): sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))
        case .float(let number): sqlite_nio_sqlite3_bind_double(statement, index, number)
        case .text(let text): sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count), transient, UInt8(SQLITE_UTF8))
        case .blob(let buffer):
            buffer.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(statement, index, bytes.baseAddress, UInt64(bytes.count), transient)
            }
        case .null: sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private static func value(at column: Int32, in statement: OpaquePointer) throws -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .null }
            return .text(String(cString: text))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length))
            }
            return .blob(buffer)
        default: return .null
        }
    }

    private func check(_ result: Int32) throws {
        guard result == SQLITE_OK else { throw error(result) }
    }

    private func error(_ code: Int32) -> SQLiteWriterError {
        SQLiteWriterError(code: code, message: String(cString: sqlite_nio_sqlite3_errmsg(handle)))
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A statement the writer's SQLite connection refused, with SQLite's result code and message.
public struct SQLiteWriterError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String

    /// The database is locked by another connection (another process, or a reader checkpointing).
    var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }

    public var description: String { "SQLite error \(code): \(message)" }
}

/// The writer as sql-kit sees it: statements are serialised with SQLite's dialect and run on
/// the writer at once, without suspending.
struct SQLiteWriterDatabase: SQLDatabase {
    let writer: SQLiteWriter
    let logger: Logger
    let eventLoop: any EventLoop
    var dialect: any SQLDialect { SQLiteWriterDialect() }
    var queryLogLevel: Logger.Level? { nil }

    private static let encoder = SQLiteDataEncoder()

    func run(_ query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) throws {
        let (sql, binds) = serialize(query)
        let values = try binds.map(Self.value)
        try writer.execute(sql, binds: values) { names, row in onRow(SQLiteWriterRow(names: names, values: row)) }
    }

    /// A bound value as SQLite stores it: the common types directly, anything else through
    /// sqlite-kit's encoder (which goes by Codable, and costs more than the statement).
    private static func value(_ bind: any Encodable & Sendable) throws -> SQLiteData {
        switch bind {
        case let text as String: .text(text)
        case let number as Int64: .integer(Int(number))
        case let number as Int: .integer(number)
        case let flag as Bool: .integer(flag ? 1 : 0)
        case let number as Double: .float(number)
        case let data as SQLiteData: data
        case let text as String?: text.map { .text($0) } ?? .null
        case let number as Int64?: number.map { .integer(Int($0)) } ?? .null
        case let number as Int?: number.map { .integer($0) } ?? .null
        default: try encoder.encode(bind)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}

/// SQLite's dialect, but with identifiers quoted without an escaping pass.
///
/// sql-kit escapes every identifier it writes by searching it for the quote mark, and on Linux
/// that search (the standard library's `replacing`) was a fifth of all the work of processing a
/// message. GridStore's identifiers (tables and columns) are all constants in its own code, never
/// text from a request, so none can hold a quote mark; values always travel as binds.
struct SQLiteWriterDialect: SQLDialect {
    private let sqlite = SQLiteDialect()

    /// A quote mark that is not an `SQLRaw`, which is what makes sql-kit skip the escaping pass.
    private struct QuoteMark: SQLExpression {
        func serialize(to serializer: inout SQLSerializer) { serializer.write("\"") }
    }

    var name: String { sqlite.name }
    var identifierQuote: any SQLExpression { QuoteMark() }
    var literalStringQuote: any SQLExpression { sqlite.literalStringQuote }
    func bindPlaceholder(at position: Int) -> any SQLExpression { sqlite.bindPlaceholder(at: position) }
    func literalBoolean(_ value: Bool) -> any SQLExpression { sqlite.literalBoolean(value) }
    var literalDefault: any SQLExpression { sqlite.literalDefault }
    var supportsIfExists: Bool { sqlite.supportsIfExists }
    var supportsDropBehavior: Bool { sqlite.supportsDropBehavior }
    var supportsAutoIncrement: Bool { sqlite.supportsAutoIncrement }
    var autoIncrementClause: any SQLExpression { sqlite.autoIncrementClause }
    var enumSyntax: SQLEnumSyntax { sqlite.enumSyntax }
    var triggerSyntax: SQLTriggerSyntax { sqlite.triggerSyntax }
    var alterTableSyntax: SQLAlterTableSyntax { sqlite.alterTableSyntax }
    var upsertSyntax: SQLUpsertSyntax { sqlite.upsertSyntax }
    var supportsReturning: Bool { sqlite.supportsReturning }
    var unionFeatures: SQLUnionFeatures { sqlite.unionFeatures }
    func customDataType(for dataType: SQLDataType) -> (any SQLExpression)? { sqlite.customDataType(for: dataType) }
    func nestedSubpathExpression(in column: any SQLExpression, for path: [String]) -> (any SQLExpression)? {
        sqlite.nestedSubpathExpression(in: column, for: path)
    }
}

/// The writer as a pool of one, for the group-commit lane.
struct SQLiteWriterPool: ConnectionPool {
    let writer: SQLiteWriter

    func withConnection<R: Sendable>(logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await body(SQLiteWriterDatabase(writer: writer, logger: logger, eventLoop: MultiThreadedEventLoopGroup.singleton.any()))
    }

    func shutdown() async throws {}
}

/// One row the writer read.
struct SQLiteWriterRow: SQLRow {
    let names: [String]
    let values: [SQLiteData]

    private static let decoder = SQLiteDataDecoder()

    var allColumns: [String] { names }

    func contains(column: String) -> Bool { names.contains(column) }

    private func value(_ column: String) throws -> SQLiteData {
        guard let index = names.firstIndex(of: column) else {
            throw DecodingError.keyNotFound(SQLiteWriterColumn(stringValue: column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        return values[index]
    }

    func decodeNil(column: String) throws -> Bool {
        guard let index = names.firstIndex(of: column) else { return true }
        return values[index] == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        let value = try value(column)
        // The common types directly; sqlite-kit's decoder goes by Codable.
        switch value {
        case .text(let text):
            if let text = text as? D { return text }
            if let text = Optional(text) as? D { return text }
        case .integer(let number):
            if let number = Int64(number) as? D { return number }
            if let number = number as? D { return number }
            if let number = Optional(Int64(number)) as? D { return number }
            if let number = Optional(number) as? D { return number }
        case .null:
            if let none = (String?.none) as? D { return none }
            if let none = (Int64?.none) as? D { return none }
            if let none = (Int?.none) as? D { return none }
        default: break
        }
        return try Self.decoder.decode(D.self, from: value)
    }
}

private struct SQLiteWriterColumn: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
