import Logging
import GridCore
import SQLKit

/// One versioned change to the schema. Versions only ever grow; a released migration never changes.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    /// Applies the change; runs inside the migrator's transaction.
    public var apply: @Sendable (any SQLDatabase, DatabaseBackend) async throws -> Void

    public init(version: Int, name: String, apply: @escaping @Sendable (any SQLDatabase, DatabaseBackend) async throws -> Void) {
        self.version = version
        self.name = name
        self.apply = apply
    }
}

/// Migrating the schema failed: which step, and the database's own words.
public struct MigrationFailed: Error, Sendable, CustomStringConvertible {
    public var step: String
    public var reason: String
    public var description: String { "\(step) failed: \(reason)" }
}

/// Applies GridBot's migrations in order and records each in `schema_migrations`.
public struct Migrator: Sendable {
    /// Every migration GridBot has, oldest first.
    public static let all: [Migration] = [
        Migration(version: 1, name: "community", apply: CommunitySchema.create),
        Migration(version: 2, name: "inbound_messages", apply: IntakeSchema.create),
        Migration(version: 3, name: "reports", apply: ReportSchema.create),
        Migration(version: 4, name: "outbound_messages", apply: OutboundSchema.create),
        Migration(version: 5, name: "reply_urls", apply: { db, _ in
            try await db.alter(table: "inbound_messages").column("reply_url", type: .text).run()
            try await db.alter(table: "outbound_messages").column("reply_url", type: .text).run()
        }),
        Migration(version: 6, name: "work_orders", apply: WorkOrderSchema.create),
        Migration(version: 7, name: "ledger", apply: LedgerSchema.create),
        Migration(version: 8, name: "points", apply: PointsSchema.create),
        Migration(version: 9, name: "accounts", apply: AccountSchema.create),
        Migration(version: 10, name: "admin_changes", apply: { db, _ in
            try await db.create(table: "admin_changes")
                .column("id", type: .bigint, .primaryKey(autoIncrement: true))
                .column("at", type: .bigint, .notNull)
                .column("actor_code", type: .text, .notNull)
                .column("actor_name", type: .text, .notNull)
                .column("entity", type: .text, .notNull)
                .column("entity_key", type: .text, .notNull)
                // JSON objects of the row's fields before (NULL when created) and after.
                .column("before", type: .text)
                .column("after", type: .text, .notNull)
                .run()
        }),
        Migration(version: 11, name: "webhook_signatures", apply: { db, _ in
            // Signatures that cover no body (DingTalk's) are used once: the message they came with.
            try await db.create(table: "webhook_signatures")
                .column("bot_code", type: .text, .notNull)
                .column("signature", type: .text, .notNull)
                .column("platform_message_id", type: .text, .notNull)
                .column("expires_at", type: .bigint, .notNull)
                .primaryKey("bot_code", "signature")
                .run()
            try await db.create(index: "webhook_signatures_expiry").on("webhook_signatures").column("expires_at").run()
        }),
        Migration(version: 12, name: "triage", apply: { db, _ in
            // Messages the parser was unsure of, kept for staff until promoted or dismissed.
            try await db.create(table: "triage_candidates")
                .column("message_id", type: .bigint, .primaryKey(autoIncrement: false), .references("inbound_messages", "id"))
                .column("grid_code", type: .text)
                .column("building_code", type: .text)
                .column("guess_intent", type: .text, .notNull)
                .column("guess_category", type: .text, .notNull)
                .column("guess_urgency", type: .text, .notNull)
                .column("report_chance_percent", type: .int, .notNull)
                .column("reason", type: .text, .notNull)
                .column("status", type: .text, .notNull)
                .column("decided_by", type: .text)
                .column("decided_at", type: .bigint)
                .column("report_id", type: .bigint)
                .column("created_at", type: .bigint, .notNull)
                // When staff are reminded of a candidate nobody acted on (once), and when they were.
                .column("remind_at", type: .bigint)
                .column("reminded_at", type: .bigint)
                .run()
            try await db.create(index: "triage_candidates_reminders").on("triage_candidates").column("reminded_at").column("remind_at").run()
            try await db.create(index: "triage_candidates_open").on("triage_candidates").column("status").column("created_at").run()
            // A note about a candidate posted to a staff chat, so a reply to it finds the candidate.
            try await db.alter(table: "outbound_messages").column("triage_message_id", type: .bigint).run()
        }),
        Migration(version: 13, name: "notices", apply: { db, _ in
            // Staff notices remembered for their validity, to answer residents' questions with.
            try await db.create(table: "notices")
                .column("message_id", type: .bigint, .primaryKey(autoIncrement: false), .references("inbound_messages", "id"))
                .column("bot_code", type: .text, .notNull)
                .column("chat_id", type: .text, .notNull)
                .column("topics", type: .text, .notNull)
                .column("text", type: .text, .notNull)
                .column("posted_at", type: .bigint, .notNull)
                .column("valid_until", type: .bigint, .notNull)
                .run()
            try await db.create(index: "notices_current").on("notices").column("bot_code").column("chat_id").column("valid_until").run()
        }),
        Migration(version: 14, name: "private_messages", apply: { db, _ in
            // A message for one person, delivered to them directly rather than into the chat.
            try await db.alter(table: "outbound_messages").column("recipient", type: .text).run()
        }),
        Migration(version: 15, name: "web_sessions", apply: { db, _ in
            // Sessions kept on the server, so signing out, a new password or a revocation ends them.
            try await db.create(table: "web_sessions")
                .column("digest", type: .text, .primaryKey(autoIncrement: false))
                .column("person_code", type: .text, .notNull, .references("people", "code"))
                .column("created_at", type: .bigint, .notNull)
                .column("expires_at", type: .bigint, .notNull)
                .column("last_seen_at", type: .bigint, .notNull)
                .column("revoked_at", type: .bigint)
                .column("client", type: .text)
                .run()
            try await db.create(index: "web_sessions_person").on("web_sessions").column("person_code").run()
            // Failed sign-ins by account and by client address, shared by every instance.
            try await db.create(table: "sign_in_failures")
                .column("key", type: .text, .primaryKey(autoIncrement: false))
                .column("failures", type: .int, .notNull)
                .column("first_at", type: .bigint, .notNull)
                .column("locked_until", type: .bigint, .notNull)
                .run()
        }),
        Migration(version: 16, name: "reporter_ratings", apply: { db, _ in
            // Each reporter of a report (a merged duplicate's too) rates its return visit once.
            try await db.alter(table: "report_reporters").column("rated_at", type: .bigint).run()
        }),
        Migration(version: 17, name: "leases", apply: { db, _ in
            // Several instances share the queues: each claims messages and replies under a lease
            // of its own, and every reply carries a key that lets a gateway drop a repeat.
            try await db.alter(table: "inbound_messages").column("lease_owner", type: .text).run()
            try await db.alter(table: "inbound_messages").column("lease_until", type: .bigint).run()
            try await db.alter(table: "outbound_messages").column("lease_owner", type: .text).run()
            try await db.alter(table: "outbound_messages").column("delivery_key", type: .text).run()
            try await db.raw("UPDATE outbound_messages SET delivery_key = 'gridbot-legacy-' || CAST(id AS TEXT) WHERE delivery_key IS NULL").run()
            try await db.raw("CREATE INDEX inbound_messages_pending ON inbound_messages (id) WHERE processed_at IS NULL").run()
            try await db.raw("CREATE INDEX inbound_messages_pending_chat ON inbound_messages (bot_code, chat_id) WHERE processed_at IS NULL").run()
        }),
        Migration(version: 18, name: "directory_revision", apply: DirectoryRevisionSchema.create),
        Migration(version: 19, name: "photo_evidence", apply: { db, _ in
            // A task may ask for a photo; a completion without one is held, with the chat it
            // was given in, until the person's photo arrives there.
            try await db.alter(table: "tasks").column("photo_required", type: .bigint, .notNull, .default(SQLLiteral.numeric("0"))).run()
            try await db.alter(table: "task_enrolments").column("held_at", type: .bigint).run()
            try await db.alter(table: "task_enrolments").column("held_note", type: .text).run()
            try await db.alter(table: "task_enrolments").column("held_bot_code", type: .text).run()
            try await db.alter(table: "task_enrolments").column("held_chat_id", type: .text).run()
        }),
        Migration(version: 20, name: "retention", apply: { db, _ in
            // When retention cleared a message's text and sender, or masked a closed report.
            try await db.alter(table: "inbound_messages").column("purged_at", type: .bigint).run()
            try await db.alter(table: "reports").column("purged_at", type: .bigint).run()
            try await db.create(index: "inbound_messages_received").on("inbound_messages").column("received_at").run()
            try await db.create(index: "report_reporters_message").on("report_reporters").column("bot_code").column("chat_id").column("message_id").run()
            try await db.create(index: "outbound_messages_created").on("outbound_messages").column("created_at").run()
            try await db.alter(table: "outbound_messages").column("purged_at", type: .bigint).run()
        }),
        Migration(version: 21, name: "site_plan", apply: { db, _ in
            // Where each building stands on the grid map, in plan cells; NULL lets the map place it.
            try await db.alter(table: "buildings").column("plan_x", type: .bigint).run()
            try await db.alter(table: "buildings").column("plan_y", type: .bigint).run()
        }),
        Migration(version: 22, name: "care_register", apply: CareSchema.create),
    ]

    let database: GridDatabase
    let migrations: [Migration]
    let logger: Logger

    public init(database: GridDatabase, migrations: [Migration] = Migrator.all, logger: Logger) {
        self.database = database
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies every migration not yet recorded, each in its own transaction, and returns the
    /// versions applied now.
    ///
    /// Any number of instances may start at once: migrating is serialised across them, by a
    /// PostgreSQL advisory lock held on one connection for the whole run, or by SQLite's write
    /// lock. The instance that waited finds the work done and applies nothing. A failure names
    /// the migration and the database's own message (``MigrationFailed``).
    @discardableResult
    public func migrate(now: Int64) async throws -> [Int] {
        let backend = database.backend
        let migrations = self.migrations.sorted(by: { $0.version < $1.version })
        let logger = self.logger
        return try await database.withConnection { db in
            switch backend {
            case .postgres:
                try await Self.step("taking the migration lock") {
                    try await db.raw("SELECT pg_advisory_lock(\(unsafeRaw: String(Self.advisoryLock)))").run()
                }
                do {
                    let done = try await Self.apply(migrations, on: db, backend: backend, now: now, begin: "BEGIN", logger: logger)
                    try await db.raw("SELECT pg_advisory_unlock(\(unsafeRaw: String(Self.advisoryLock)))").run()
                    return done
                } catch {
                    try? await db.raw("SELECT pg_advisory_unlock(\(unsafeRaw: String(Self.advisoryLock)))").run()
                    throw error
                }
            case .sqlite:
                return try await Self.apply(migrations, on: db, backend: backend, now: now, begin: "BEGIN IMMEDIATE", logger: logger)
            }
        }
    }

    /// The advisory lock key that serialises GridBot's migrations ("GRIDBOT" in ASCII).
    static let advisoryLock: Int64 = 0x4752_4944_424F_54

    private static func apply(
        _ migrations: [Migration], on db: any SQLDatabase, backend: DatabaseBackend, now: Int64, begin: String, logger: Logger
    ) async throws -> [Int] {
        try await step("creating schema_migrations") {
            try await db.create(table: "schema_migrations")
                .ifNotExists()
                .column("version", type: .bigint, .primaryKey(autoIncrement: false))
                .column("name", type: .text, .notNull)
                .column("applied_at", type: .bigint, .notNull)
                .run()
        }
        try await refuseNewerSchema(on: db, known: migrations)
        var done: [Int] = []
        for migration in migrations {
            // Read inside the transaction that holds the lock, so a migration another instance
            // applied meanwhile is seen and skipped.
            try await step("beginning migration \(migration.version) (\(migration.name))") { try await db.raw(SQLQueryString(begin)).run() }
            do {
                let applied = try await db.select().column("version").from("schema_migrations").where("version", .equal, migration.version).first()
                if applied == nil {
                    try await step("applying migration \(migration.version) (\(migration.name))") {
                        try await migration.apply(db, backend)
                        try await db.insert(into: "schema_migrations")
                            .columns("version", "name", "applied_at")
                            .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(now))
                            .run()
                    }
                }
                try await step("committing migration \(migration.version) (\(migration.name))") { try await db.raw("COMMIT").run() }
                if applied == nil {
                    logger.info("applied migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
                    done.append(migration.version)
                }
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
        return done
    }

    /// Runs one step of migrating; a failure names the step and what the database said.
    private static func step(_ what: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as MigrationFailed {
            throw error
        } catch {
            throw MigrationFailed(step: what, reason: DatabaseErrorText.describe(error))
        }
    }

    /// The versions recorded as applied.
    public func appliedVersions() async throws -> Set<Int> {
        try await database.withConnection { db in
            let rows = try await db.select().column("version").from("schema_migrations").all()
            return Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
        }
    }

    /// Whether every known migration has been applied.
    public func isCurrent() async throws -> Bool {
        let applied = try await appliedVersions()
        return migrations.allSatisfy { applied.contains($0.version) }
    }
}

/// The tables of the community's structure, people, chats and routing.
enum CommunitySchema {
    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        try await db.create(table: "streets")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .run()
        try await db.create(table: "communities")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .column("street_code", type: .text, .notNull, .references("streets", "code"))
            .run()
        try await db.create(table: "grids")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .column("community_code", type: .text, .notNull, .references("communities", "code"))
            .column("parent_code", type: .text, .references("grids", "code"))
            .run()
        try await db.create(table: "buildings")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .column("grid_code", type: .text, .notNull, .references("grids", "code"))
            .column("units", type: .bigint, .notNull)
            .column("floors", type: .bigint, .notNull)
            .run()
        try await db.create(table: "households")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("building_code", type: .text, .notNull, .references("buildings", "code"))
            .column("unit", type: .text)
            .column("room", type: .text, .notNull)
            .run()
        try await db.create(table: "departments")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .run()
        try await db.create(table: "merchants")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .column("address", type: .text)
            .run()
        try await db.create(table: "people")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .column("role", type: .text, .notNull)
            .column("grid_code", type: .text, .references("grids", "code"))
            .column("building_code", type: .text, .references("buildings", "code"))
            .column("department_code", type: .text, .references("departments", "code"))
            .column("household_code", type: .text, .references("households", "code"))
            .column("merchant_code", type: .text, .references("merchants", "code"))
            .column("phone", type: .text)
            .run()
        try await db.create(table: "person_identities")
            .column("platform", type: .text, .notNull)
            .column("user_id", type: .text, .notNull)
            .column("person_code", type: .text, .notNull, .references("people", "code"))
            .primaryKey("platform", "user_id")
            .run()
        try await db.create(table: "bots")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("platform", type: .text, .notNull)
            .column("settings", type: .text, .notNull)
            .run()
        try await db.create(table: "chat_groups")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .column("bot_code", type: .text, .notNull, .references("bots", "code"))
            .column("chat_id", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("building_code", type: .text, .references("buildings", "code"))
            .column("grid_code", type: .text, .references("grids", "code"))
            .column("department_code", type: .text, .references("departments", "code"))
            .unique("bot_code", "chat_id")
            .run()
        try await db.create(table: "routing_rules")
            .column("category", type: .text, .primaryKey(autoIncrement: false))
            .column("department_code", type: .text, .notNull, .references("departments", "code"))
            .run()
        try await db.create(table: "offers")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("merchant_code", type: .text, .notNull, .references("merchants", "code"))
            .column("title", type: .text, .notNull)
            .column("points", type: .bigint, .notNull)
            .column("value_fen", type: .bigint, .notNull)
            .column("stock", type: .bigint, .notNull)
            .column("valid_days", type: .bigint, .notNull)
            .run()
        try await db.create(table: "tasks")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("title", type: .text, .notNull)
            .column("points", type: .bigint, .notNull)
            .column("slots", type: .bigint, .notNull)
            .column("deadline", type: .text, .notNull)
            .column("building_code", type: .text, .references("buildings", "code"))
            .run()
        try await db.create(index: "buildings_grid").on("buildings").column("grid_code").run()
        try await db.create(index: "people_role").on("people").column("role").run()
    }
}

/// Every group message GridBot received: the group's record, and the queue parsing works from.
enum IntakeSchema {
    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        try await db.create(table: "inbound_messages")
            .column("id", type: .bigint, .primaryKey(autoIncrement: true))
            .column("platform", type: .text, .notNull)
            .column("bot_code", type: .text, .notNull, .references("bots", "code"))
            .column("platform_message_id", type: .text, .notNull)
            .column("chat_id", type: .text, .notNull)
            .column("group_code", type: .text, .references("chat_groups", "code"))
            .column("sender_id", type: .text, .notNull)
            .column("sender_name", type: .text)
            .column("text", type: .text, .notNull)
            .column("quoted_message_id", type: .text)
            .column("attachments", type: .text, .notNull)
            .column("sent_at", type: .bigint, .notNull)
            .column("received_at", type: .bigint, .notNull)
            .column("processed_at", type: .bigint)
            // Exactly once: a redelivery of the same platform message is refused by the database.
            .unique("bot_code", "platform_message_id")
            .run()
        try await db.create(index: "inbound_messages_unprocessed").on("inbound_messages").column("processed_at").run()
    }
}

/// Reports parsed from messages. The id is the number people use in chat (`#12`).
enum ReportSchema {
    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        try await db.alter(table: "inbound_messages").column("parsed_intent", type: .text).run()
        try await db.create(table: "reports")
            .column("id", type: .bigint, .primaryKey(autoIncrement: true))
            // One report per message: processing a message twice cannot create a second one.
            .column("message_id", type: .bigint, .notNull, .unique, .references("inbound_messages", "id"))
            .column("group_code", type: .text, .references("chat_groups", "code"))
            .column("building", type: .text)
            .column("unit", type: .text)
            .column("room", type: .text)
            .column("category", type: .text, .notNull)
            .column("urgency", type: .text, .notNull)
            .column("confidence_percent", type: .bigint, .notNull)
            .column("needs_triage", type: .bigint, .notNull)
            .column("status", type: .text, .notNull)
            .column("text", type: .text, .notNull)
            .column("reporter_platform", type: .text, .notNull)
            .column("reporter_id", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .run()
        try await db.create(index: "reports_status").on("reports").column("status").run()
    }
}

/// The persistent outbound queue: what GridBot says into chats, with its delivery state.
enum OutboundSchema {
    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        try await db.create(table: "outbound_messages")
            .column("id", type: .bigint, .primaryKey(autoIncrement: true))
            .column("platform", type: .text, .notNull)
            .column("bot_code", type: .text, .notNull, .references("bots", "code"))
            .column("chat_id", type: .text, .notNull)
            .column("text", type: .text, .notNull)
            .column("reply_to", type: .text)
            // pending, sending (claimed under a lease), sent or dead.
            .column("state", type: .text, .notNull)
            .column("attempts", type: .bigint, .notNull)
            .column("not_before", type: .bigint, .notNull)
            .column("lease_until", type: .bigint)
            .column("last_error", type: .text)
            .column("created_at", type: .bigint, .notNull)
            .column("sent_at", type: .bigint)
            // Makes an enqueue idempotent: the same reply to the same event is queued once.
            .column("dedupe_key", type: .text, .unique)
            .run()
        try await db.create(index: "outbound_due").on("outbound_messages").column("state").column("not_before").run()
    }
}

/// The closed loop: assignment and lifecycle facts on reports, the timeline, the reporters who
/// hear every step, and the deadline stages the escalation service watches.
enum WorkOrderSchema {
    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        let zero = SQLColumnConstraintAlgorithm.default(0)
        for column in ["assignee_grid", "department_code", "resolved_by"] {
            try await db.alter(table: "reports").column(column, type: .text).run()
        }
        for column in ["rated", "reopened_by_rating"] {
            try await db.alter(table: "reports").column(column, type: .bigint, .notNull, zero).run()
        }
        for column in ["merged_into", "assigned_at", "acknowledged_at", "resolved_at", "closed_at", "updated_at"] {
            try await db.alter(table: "reports").column(column, type: .bigint).run()
        }
        // 时间轴: append-only, one row per step (who, in what role, did what, when, with what note).
        try await db.create(table: "report_events")
            .column("id", type: .bigint, .primaryKey(autoIncrement: true))
            .column("report_id", type: .bigint, .notNull, .references("reports", "id"))
            .column("at", type: .bigint, .notNull)
            .column("actor_code", type: .text, .notNull)
            .column("actor_name", type: .text)
            .column("actor_role", type: .text, .notNull)
            .column("action", type: .text, .notNull)
            .column("from_status", type: .text)
            .column("to_status", type: .text)
            .column("note", type: .text)
            .run()
        try await db.create(index: "report_events_report").on("report_events").column("report_id").run()
        // Everyone told of a report's progress: its reporter and those of the duplicates merged in.
        try await db.create(table: "report_reporters")
            .column("report_id", type: .bigint, .notNull, .references("reports", "id"))
            .column("platform", type: .text, .notNull)
            .column("user_id", type: .text, .notNull)
            .column("name", type: .text)
            .column("bot_code", type: .text, .notNull)
            .column("chat_id", type: .text, .notNull)
            .column("message_id", type: .text)
            .column("reply_url", type: .text)
            // The report they reported first; a split sends them back to it.
            .column("origin_report_id", type: .bigint, .notNull)
            .column("joined_at", type: .bigint, .notNull)
            .unique("report_id", "platform", "user_id")
            .run()
        try await db.create(index: "report_reporters_user").on("report_reporters").column("platform").column("user_id").run()
        // One row per deadline stage; `ended_at` and `on_time` are written once, when it ends.
        try await db.create(table: "report_stages")
            .column("id", type: .bigint, .primaryKey(autoIncrement: true))
            .column("report_id", type: .bigint, .notNull, .references("reports", "id"))
            .column("stage", type: .text, .notNull)
            .column("grid_code", type: .text, .notNull)
            .column("department_code", type: .text)
            .column("started_at", type: .bigint, .notNull)
            .column("due_at", type: .bigint, .notNull)
            .column("remind_at", type: .bigint, .notNull)
            .column("reminded", type: .bigint, .notNull, zero)
            .column("escalation_level", type: .bigint, .notNull, zero)
            .column("next_check_at", type: .bigint)
            .column("ended_at", type: .bigint)
            .column("outcome", type: .text)
            .column("on_time", type: .bigint)
            .run()
        try await db.create(index: "report_stages_check").on("report_stages").column("next_check_at").run()
        try await db.create(index: "report_stages_report").on("report_stages").column("report_id").run()
        try await db.create(index: "reports_created").on("reports").column("created_at").run()
        try await db.create(index: "reports_duplicates").on("reports").column("building").column("category").column("status").run()
        // A card remembers its report, and its platform id once sent, so a reply to it finds the report.
        try await db.alter(table: "outbound_messages").column("report_id", type: .bigint).run()
        try await db.alter(table: "outbound_messages").column("platform_message_id", type: .text).run()
        try await db.create(index: "outbound_platform_id").on("outbound_messages").column("platform_message_id").run()
        // Chats GridBot posts into unprompted (WeCom and DingTalk group robots) need a webhook.
        try await db.alter(table: "chat_groups").column("post_url", type: .text).run()
    }
}

/// The points ledger: accounts with derived balances, append-only hash-chained transfers, and the
/// chain head row every posting locks, so postings are serialised on every backend.
enum LedgerSchema {
    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        try await db.create(table: "ledger_accounts")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("kind", type: .text, .notNull)
            .column("may_go_negative", type: .bigint, .notNull)
            // Derived from the transfers and checked against them by `gridbot ledger verify`.
            .column("balance", type: .bigint, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .run()
        try await db.create(table: "ledger_transfers")
            .column("seq", type: .bigint, .primaryKey(autoIncrement: true))
            .column("id", type: .text, .notNull, .unique)
            .column("debit_account", type: .text, .notNull, .references("ledger_accounts", "code"))
            .column("credit_account", type: .text, .notNull, .references("ledger_accounts", "code"))
            .column("amount", type: .bigint, .notNull)
            .column("code", type: .text, .notNull)
            .column("reference", type: .text, .notNull)
            // A transfer is reversed at most once.
            .column("reverses", type: .text, .unique)
            .column("at", type: .bigint, .notNull)
            .column("prev_hash", type: .text, .notNull)
            .column("hash", type: .text, .notNull)
            .run()
        try await db.create(index: "ledger_transfers_reference").on("ledger_transfers").column("code").column("reference").run()
        try await db.create(index: "ledger_transfers_debit").on("ledger_transfers").column("debit_account").run()
        try await db.create(index: "ledger_transfers_credit").on("ledger_transfers").column("credit_account").run()
        try await db.create(table: "ledger_head")
            .column("id", type: .bigint, .primaryKey(autoIncrement: false))
            .column("seq", type: .bigint, .notNull)
            .column("hash", type: .text, .notNull)
            .run()
        try await db.insert(into: "ledger_head").columns("id", "seq", "hash")
            .values(SQLBind(1), SQLBind(0), SQLBind(LedgerTransfer.genesisHash)).run()
    }
}

/// Volunteer tasks and who took them, vouchers, and the server's own secrets.
enum PointsSchema {
    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        // Seeded tasks have no status or author: NULL reads as open, posted by the seed.
        try await db.alter(table: "tasks").column("status", type: .text).run()
        try await db.alter(table: "tasks").column("created_by", type: .text).run()
        try await db.alter(table: "tasks").column("created_at", type: .bigint).run()
        try await db.create(table: "task_enrolments")
            .column("id", type: .bigint, .primaryKey(autoIncrement: true))
            .column("task_code", type: .text, .notNull, .references("tasks", "code"))
            .column("person_code", type: .text, .notNull, .references("people", "code"))
            .column("household_code", type: .text, .notNull, .references("households", "code"))
            .column("status", type: .text, .notNull)
            .column("note", type: .text)
            .column("photos", type: .bigint, .notNull)
            .column("reason", type: .text)
            .column("reviewer_code", type: .text)
            // The points paid on approval (the task's points then).
            .column("reward_points", type: .bigint)
            .column("signed_up_at", type: .bigint, .notNull)
            .column("completed_at", type: .bigint)
            .column("reviewed_at", type: .bigint)
            // Where to tell the person of the review.
            .column("platform", type: .text, .notNull)
            .column("user_id", type: .text, .notNull)
            .column("bot_code", type: .text, .notNull)
            .column("chat_id", type: .text, .notNull)
            .column("reply_url", type: .text)
            .unique("task_code", "person_code")
            .run()
        try await db.create(table: "vouchers")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("offer_code", type: .text, .notNull, .references("offers", "code"))
            .column("merchant_code", type: .text, .notNull, .references("merchants", "code"))
            .column("household_code", type: .text, .notNull, .references("households", "code"))
            .column("person_code", type: .text, .notNull, .references("people", "code"))
            .column("points", type: .bigint, .notNull)
            .column("value_fen", type: .bigint, .notNull)
            .column("status", type: .text, .notNull)
            .column("issued_at", type: .bigint, .notNull)
            .column("expires_at", type: .bigint, .notNull)
            .column("redeemed_at", type: .bigint)
            .column("redeemed_by", type: .text)
            .column("expired_at", type: .bigint)
            // The request that issued it (a chat message), so a retry issues nothing new.
            .column("request_key", type: .text, .notNull, .unique)
            .column("platform", type: .text, .notNull)
            .column("user_id", type: .text, .notNull)
            .column("bot_code", type: .text, .notNull)
            .column("chat_id", type: .text, .notNull)
            .column("reply_url", type: .text)
            .run()
        try await db.create(index: "vouchers_household").on("vouchers").column("household_code").run()
        try await db.create(index: "vouchers_due").on("vouchers").column("status").column("expires_at").run()
        try await db.create(index: "vouchers_merchant").on("vouchers").column("merchant_code").column("redeemed_at").run()
        try await db.create(table: "server_secrets")
            .column("name", type: .text, .primaryKey(autoIncrement: false))
            .column("value", type: .text, .notNull)
            .run()
    }
}

/// The care register and the checks reports ask for. Kept apart from the community's other
/// tables: the directory (which every message reads) never holds it.
enum CareSchema {
    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        try await db.create(table: "care_register")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("building_code", type: .text, .notNull, .references("buildings", "code"))
            .column("unit", type: .text)
            .column("room", type: .text)
            .column("category", type: .text, .notNull)
            .column("name", type: .text, .notNull)
            .column("contact", type: .text)
            .column("note", type: .text)
            .column("worker_code", type: .text, .references("people", "code"))
            .column("updated_at", type: .bigint, .notNull)
            .run()
        try await db.create(index: "care_register_building").on("care_register").column("building_code").run()
        // One row for each household a report asked someone to check on.
        try await db.create(table: "care_checks")
            .column("report_id", type: .bigint, .notNull, .references("reports", "id"))
            .column("care_code", type: .text, .notNull, .references("care_register", "code"))
            // Who was asked, comma-separated person codes.
            .column("asked", type: .text, .notNull)
            .column("requested_at", type: .bigint, .notNull)
            // When the grid head was alerted at once (an emergency).
            .column("alerted_at", type: .bigint)
            .column("visited_at", type: .bigint)
            .column("visited_by", type: .text)
            .column("visit_note", type: .text)
            .primaryKey("report_id", "care_code")
            .run()
        try await db.create(index: "care_checks_care").on("care_checks").column("care_code").run()
    }
}

/// Sign-in for staff and merchants: password hashes and API tokens (digests only).
enum AccountSchema {
    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        try await db.create(table: "login_accounts")
            .column("person_code", type: .text, .primaryKey(autoIncrement: false), .references("people", "code"))
            .column("password_hash", type: .text, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .run()
        try await db.create(table: "api_tokens")
            .column("digest", type: .text, .primaryKey(autoIncrement: false))
            .column("person_code", type: .text, .notNull, .references("people", "code"))
            .column("label", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("revoked_at", type: .bigint)
            .run()
    }
}

/// A counter that every change to the community's structure bumps, by trigger, so that each
/// instance can keep the directory in memory and read it again only when it changed, whoever
/// changed it (the console, a seed load, another instance, an operator with psql).
enum DirectoryRevisionSchema {
    /// The tables ``SQLStore/directory()`` reads.
    static let tables = ["grids", "buildings", "departments", "people", "person_identities", "chat_groups", "bots", "routing_rules"]

    static func create(_ db: any SQLDatabase, _ backend: DatabaseBackend) async throws {
        try await db.create(table: "directory_revision")
            .column("id", type: .bigint, .primaryKey(autoIncrement: false))
            .column("revision", type: .bigint, .notNull)
            .run()
        try await db.raw("INSERT INTO directory_revision (id, revision) VALUES (1, 1)").run()
        switch backend {
        case .postgres:
            try await db.raw("""
                CREATE FUNCTION gridbot_directory_changed() RETURNS trigger AS $$
                BEGIN
                    UPDATE directory_revision SET revision = revision + 1 WHERE id = 1;
                    RETURN NULL;
                END
                $$ LANGUAGE plpgsql
                """).run()
            for table in tables {
                try await db.raw("""
                    CREATE TRIGGER \(unsafeRaw: table)_directory_changed AFTER INSERT OR UPDATE OR DELETE ON \(unsafeRaw: table)
                    FOR EACH STATEMENT EXECUTE FUNCTION gridbot_directory_changed()
                    """).run()
            }
        case .sqlite:
            for table in tables {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    try await db.raw("""
                        CREATE TRIGGER \(unsafeRaw: table)_directory_\(unsafeRaw: event.lowercased()) AFTER \(unsafeRaw: event) ON \(unsafeRaw: table)
                        BEGIN UPDATE directory_revision SET revision = revision + 1 WHERE id = 1; END
                        """).run()
                }
            }
        }
    }
}
