import PostgresNIO
import SQLiteNIO

/// What a database error says, in words an operator can act on.
///
/// PSQLError's own description is deliberately generic (it may carry bound values); this reads
/// the server's message, detail and SQLSTATE, or the client's error code for a connection that
/// never got that far. Bound values are never included.
public enum DatabaseErrorText {
    public static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                var text = info[.message] ?? "PostgreSQL refused the statement"
                if let detail = info[.detail] { text += " (\(detail))" }
                if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
                return text
            }
            var text = "PostgreSQL: \(error.code)"
            if let underlying = error.underlying { text += " (\(underlying))" }
            return text
        }
        if let error = error as? SQLiteWriterError { return "SQLite: \(error.message) (code \(error.code))" }
        if let error = error as? SQLiteError {
            return "SQLite: \(error.message) (\(error.reason))"
        }
        return String(describing: error)
    }
}
