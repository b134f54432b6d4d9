import Crypto
import Foundation
import GridCore
import SQLKit

/// A signed-in browser session as the admin sees it.
public struct SessionRecord: Sendable, Equatable {
    public var personCode: String
    public var personName: String
    public var createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date
    /// The client address it was opened from, where known.
    public var client: String?
}

/// Web sessions kept on the server: the cookie carries a random token, the table its digest, so
/// signing out, a new password or `gridbot accounts revoke` ends a session at once on every
/// instance, and a stolen table signs nobody in.
extension SQLStore {
    /// Opens a session for a person until `expiresAt`; returns the token for the cookie, once.
    public func openSession(person code: String, client: String?, at date: Date, expiresAt: Date) async throws -> String {
        let token = "gbs_" + APIToken.make().dropFirst(4)
        try await database.withConnection { db in
            try await db.insert(into: "web_sessions")
                .columns("digest", "person_code", "created_at", "expires_at", "last_seen_at", "client")
                .values(SQLBind(APIToken.digest(token)), SQLBind(code), SQLBind(Self.milliseconds(date)), SQLBind(Self.milliseconds(expiresAt)),
                        SQLBind(Self.milliseconds(date)), client.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null)
                .run()
        }
        return token
    }

    /// The person a session token belongs to while it is open (not expired, not revoked), noting
    /// that it was seen (at most once a minute, so page views do not each write).
    public func sessionPerson(token: String, at date: Date) async throws -> Person? {
        try await database.withConnection { db in
            let now = Self.milliseconds(date)
            guard let row = try await db.select().columns("person_code", "last_seen_at").from("web_sessions")
                .where("digest", .equal, APIToken.digest(token)).where("revoked_at", .is, SQLLiteral.null)
                .where("expires_at", .greaterThan, now).first() else { return nil }
            if try row.decode(column: "last_seen_at", as: Int64.self) < now - 60_000 {
                try await db.update("web_sessions").set("last_seen_at", to: now).where("digest", .equal, APIToken.digest(token)).run()
            }
            return try await Self.person(code: try row.decode(column: "person_code", as: String.self), on: db)
        }
    }

    /// Ends one session (signing out).
    public func closeSession(token: String, at date: Date) async throws {
        try await database.withConnection { db in
            try await db.update("web_sessions").set("revoked_at", to: Self.milliseconds(date))
                .where("digest", .equal, APIToken.digest(token)).where("revoked_at", .is, SQLLiteral.null).run()
        }
    }

    /// Ends every open session of a person; returns how many.
    @discardableResult
    public func closeSessions(person code: String, at date: Date) async throws -> Int {
        try await database.withConnection { db in
            try await db.update("web_sessions").set("revoked_at", to: Self.milliseconds(date)).where("person_code", .equal, code)
                .where("revoked_at", .is, SQLLiteral.null).returning("digest").all().count
        }
    }

    /// The sessions open at `date`, most recently seen first.
    public func openSessions(at date: Date, limit: Int = 200) async throws -> [SessionRecord] {
        try await database.withConnection { db in
            try await db.select()
                .column(SQLColumn("person_code", table: "web_sessions")).column(SQLColumn("name", table: "people"))
                .columns("created_at", "last_seen_at", "expires_at", "client")
                .from("web_sessions").join("people", on: SQLColumn("person_code", table: "web_sessions"), .equal, SQLColumn("code", table: "people"))
                .where("revoked_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, Self.milliseconds(date))
                .orderBy("last_seen_at", .descending).limit(limit).all()
                .map { row in
                    SessionRecord(personCode: try row.decode(column: "person_code"), personName: try row.decode(column: "name"),
                                  createdAt: Self.date(try row.decode(column: "created_at")), lastSeenAt: Self.date(try row.decode(column: "last_seen_at")),
                                  expiresAt: Self.date(try row.decode(column: "expires_at")), client: try row.decode(column: "client"))
                }
        }
    }

    // MARK: Sign-in throttling

    /// How long a key (`account:W01`, `client:10.0.0.5`) must wait before it may try again; nil
    /// when it may try now.
    public func signInLockout(key: String, at date: Date) async throws -> TimeInterval? {
        try await database.withConnection { db in
            guard let until = try await db.select().column("locked_until").from("sign_in_failures").where("key", .equal, key)
                .first(decodingColumn: "locked_until", as: Int64.self) else { return nil }
            let wait = Double(until - Self.milliseconds(date)) / 1000
            return wait > 0 ? wait : nil
        }
    }

    /// Counts a failed sign-in for a key and, from the `free`-th failure within `window` on,
    /// locks it: 30 s at first, doubling with each further failure, at most `longest`.
    /// Returns the failures counted.
    @discardableResult
    public func recordSignInFailure(
        key: String, at date: Date, free: Int, window: TimeInterval = 900, longest: TimeInterval = 900
    ) async throws -> Int {
        try await database.withTransaction { db in
            let now = Self.milliseconds(date)
            let row = try await db.select().columns("failures", "first_at").from("sign_in_failures").where("key", .equal, key).for(.update).first()
            var failures = 1
            var first = now
            if let row, try row.decode(column: "first_at", as: Int64.self) > now - Int64(window * 1000) {
                failures = try row.decode(column: "failures", as: Int.self) + 1
                first = try row.decode(column: "first_at", as: Int64.self)
            }
            let over = failures - free + 1
            let lock = over > 0 ? min(longest, 30 * pow(2, Double(min(over - 1, 20)))) : 0
            try await upsert(db, "sign_in_failures", key: ["key"], [
                "key": key, "failures": failures, "first_at": first, "locked_until": now + Int64(lock * 1000),
            ])
            return failures
        }
    }

    /// Forgets a key's failures (a successful sign-in).
    public func clearSignInFailures(key: String) async throws {
        try await database.withConnection { db in
            try await db.delete(from: "sign_in_failures").where("key", .equal, key).run()
        }
    }
}
