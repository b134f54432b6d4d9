import Foundation
import GridCore
import SQLKit

/// Who may sign in and how: password hashes and API-token digests, by person.
extension SQLStore {
    /// Sets (or replaces) a person's password hash; false when there is no such person.
    @discardableResult
    public func setPassword(person code: String, hash: PasswordHash, at date: Date) async throws -> Bool {
        try await database.withTransaction { db in
            guard try await Self.person(code: code, on: db) != nil else { return false }
            try await db.insert(into: "login_accounts").columns("person_code", "password_hash", "updated_at")
                .values(SQLBind(code), SQLBind(hash.description), SQLBind(Self.milliseconds(date)))
                .onConflict(with: ["person_code"]) { $0.set(excludedValueOf: "password_hash").set(excludedValueOf: "updated_at") }
                .run()
            // A new password ends every session signed in with the old one.
            try await db.update("web_sessions").set("revoked_at", to: Self.milliseconds(date)).where("person_code", .equal, code)
                .where("revoked_at", .is, SQLLiteral.null).run()
            return true
        }
    }

    /// A person who can sign in and their stored hash, by person code (case as written).
    public func signInAccount(person code: String) async throws -> (Person, PasswordHash)? {
        try await database.withConnection { db in
            guard let text = try await db.select().column("password_hash").from("login_accounts").where("person_code", .equal, code)
                .first(decodingColumn: "password_hash", as: String.self) else { return nil }
            guard let hash = PasswordHash(stored: text) else { throw StoreError.corrupt("password hash of \(code)") }
            guard let person = try await Self.person(code: code, on: db) else { return nil }
            return (person, hash)
        }
    }

    /// The person with this code, as the sessions name them.
    public func person(code: String) async throws -> Person? {
        try await database.withConnection { db in try await Self.person(code: code, on: db) }
    }

    /// Makes an API token for a person; returns it once (only its digest is kept), or nil when
    /// there is no such person.
    public func createAPIToken(person code: String, label: String, at date: Date) async throws -> String? {
        let token = APIToken.make()
        let created = try await database.withTransaction { db in
            guard try await Self.person(code: code, on: db) != nil else { return false }
            try await db.insert(into: "api_tokens").columns("digest", "person_code", "label", "created_at")
                .values(SQLBind(APIToken.digest(token)), SQLBind(code), SQLBind(label), SQLBind(Self.milliseconds(date))).run()
            return true
        }
        return created ? token : nil
    }

    /// The person an API token belongs to, unless it was revoked.
    public func person(apiToken token: String) async throws -> Person? {
        try await database.withConnection { db in
            guard let code = try await db.select().column("person_code").from("api_tokens").where("digest", .equal, APIToken.digest(token))
                .where("revoked_at", .is, SQLLiteral.null).first(decodingColumn: "person_code", as: String.self) else { return nil }
            return try await Self.person(code: code, on: db)
        }
    }

    /// Revokes every token of a person; returns how many.
    public func revokeAPITokens(person code: String, at date: Date) async throws -> Int {
        try await database.withConnection { db in
            try await db.update("api_tokens").set("revoked_at", to: Self.milliseconds(date)).where("person_code", .equal, code)
                .where("revoked_at", .is, SQLLiteral.null).returning("digest").all().count
        }
    }
}
