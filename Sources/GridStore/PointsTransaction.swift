import Crypto
import Foundation
import GridCore
import SQLKit

/// Points work inside one transaction: tasks, enrolments, vouchers and their ledger postings,
/// with the message claim and the chat messages they cause.
public struct PointsTransaction: Sendable {
    let db: any SQLDatabase

    init(db: any SQLDatabase) {
        self.db = db
    }

    var workOrders: WorkOrderTransaction { WorkOrderTransaction(db: db) }
    public var ledger: LedgerTransaction { LedgerTransaction(db: db) }

    /// Marks a stored message processed, once (see `WorkOrderTransaction.claim`).
    public func claim(_ stored: StoredInboundMessage, at date: Date) async throws -> Bool {
        try await workOrders.claim(stored, intent: .chat, at: date)
    }

    /// Queues a chat message; a repeated dedupe key queues nothing.
    public func enqueue(_ message: OutboundMessage, dedupeKey: String, at date: Date) async throws {
        try await workOrders.enqueue(message, dedupeKey: dedupeKey, at: date)
    }

    static func ms(_ date: Date) -> Int64 { SQLStore.milliseconds(date) }

    // MARK: Tasks

    static let taskColumns = ["code", "title", "points", "slots", "deadline", "building_code", "status", "created_by", "photo_required"]

    static func taskRecord(_ row: any SQLRow, slotsTaken: Int) throws -> TaskRecord {
        let code = try row.decode(column: "code", as: String.self)
        let task = VolunteerTask(code: code, title: try row.decode(column: "title"), points: try row.decode(column: "points"),
                                 slots: try row.decode(column: "slots"), deadline: try row.decode(column: "deadline"),
                                 buildingCode: try row.decode(column: "building_code"),
                                 photoRequired: try row.decode(column: "photo_required", as: Int.self) != 0)
        let status = try row.decode(column: "status", as: String?.self)
        return TaskRecord(task: task, isOpen: status == nil || status == "open", createdBy: try row.decode(column: "created_by"),
                          slotsTaken: slotsTaken)
    }

    /// A task, locked for the transaction on PostgreSQL so sign-ups for it queue.
    public func task(code: String, lock: Bool = true) async throws -> TaskRecord? {
        let query = db.select().columns(Self.taskColumns).from("tasks").where("code", .equal, code)
        if lock { query.for(.update) }
        guard let row = try await query.first() else { return nil }
        return try Self.taskRecord(row, slotsTaken: try await slotsTaken(task: code))
    }

    /// Open tasks whose deadline is today or later, soonest first.
    public func openTasks(today: String) async throws -> [TaskRecord] {
        let rows = try await db.select().columns(Self.taskColumns).from("tasks")
            .where { $0.where("status", .is, SQLLiteral.null).orWhere("status", .equal, "open") }
            .where("deadline", .greaterThanOrEqual, today).orderBy("deadline").orderBy("code").all()
        // Every task's taken slots in one query, not one query a task.
        var taken: [String: Int] = [:]
        for row in try await db.select().column("task_code").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("task_enrolments")
            .where("status", .notEqual, EnrolmentStatus.withdrawn.rawValue).groupBy("task_code").all() {
            taken[try row.decode(column: "task_code")] = try row.decode(column: "n", as: Int.self)
        }
        return try rows.map { row in try Self.taskRecord(row, slotsTaken: taken[try row.decode(column: "code", as: String.self)] ?? 0) }
    }

    /// Records a posted task under the next free number (`T4` after `T3`).
    public func insertTask(_ draft: TaskDraft, buildingCode: String?, createdBy: String, at date: Date) async throws -> VolunteerTask {
        let codes = try await db.select().column("code").from("tasks").all().map { try $0.decode(column: "code", as: String.self) }
        let highest = codes.compactMap { $0.first == "T" ? Int($0.dropFirst()) : nil }.max() ?? 0
        let task = VolunteerTask(code: "T\(highest + 1)", title: draft.title, points: draft.points, slots: draft.slots,
                                 deadline: draft.deadline, buildingCode: buildingCode, photoRequired: draft.photoRequired)
        try await db.insert(into: "tasks")
            .columns("code", "title", "points", "slots", "deadline", "building_code", "status", "created_by", "created_at", "photo_required")
            .values(SQLBind(task.code), SQLBind(task.title), SQLBind(task.points), SQLBind(task.slots), SQLBind(task.deadline),
                    WorkOrderTransaction.optional(buildingCode), SQLBind("open"), SQLBind(createdBy), SQLBind(Self.ms(date)),
                    SQLBind(task.photoRequired ? 1 : 0))
            .run()
        return task
    }

    func slotsTaken(task: String) async throws -> Int {
        try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("task_enrolments")
            .where("task_code", .equal, task).where("status", .notEqual, EnrolmentStatus.withdrawn.rawValue)
            .first(decodingColumn: "n", as: Int.self) ?? 0
    }

    // MARK: Enrolments

    static let enrolmentColumns: [any SQLExpression] = [
        "id", "task_code", "person_code", "household_code", "status", "note", "photos", "reason", "reviewer_code", "reward_points",
        "signed_up_at", "completed_at", "reviewed_at", "platform", "user_id", "bot_code", "chat_id", "reply_url",
    ].map { SQLColumn($0, table: "task_enrolments") } + [SQLColumn("name", table: "people")]

    static func enrolment(_ row: any SQLRow) throws -> Enrolment {
        let statusText = try row.decode(column: "status", as: String.self)
        guard let status = EnrolmentStatus(rawValue: statusText) else { throw StoreError.corrupt("enrolment status '\(statusText)'") }
        let platformText = try row.decode(column: "platform", as: String.self)
        guard let platform = ChatPlatform(rawValue: platformText) else { throw StoreError.corrupt("enrolment platform '\(platformText)'") }
        return Enrolment(
            id: try row.decode(column: "id"), taskCode: try row.decode(column: "task_code"), personCode: try row.decode(column: "person_code"),
            personName: try row.decode(column: "name"), householdCode: try row.decode(column: "household_code"), status: status,
            note: try row.decode(column: "note"), photos: try row.decode(column: "photos"), reason: try row.decode(column: "reason"),
            reviewerCode: try row.decode(column: "reviewer_code"), rewardPoints: try row.decode(column: "reward_points"),
            signedUpAt: SQLStore.date(try row.decode(column: "signed_up_at")),
            completedAt: (try row.decode(column: "completed_at", as: Int64?.self)).map(SQLStore.date),
            reviewedAt: (try row.decode(column: "reviewed_at", as: Int64?.self)).map(SQLStore.date),
            contact: ChatContact(platform: platform, userID: try row.decode(column: "user_id"), botCode: try row.decode(column: "bot_code"),
                                 chatID: try row.decode(column: "chat_id"), replyURL: try row.decode(column: "reply_url")))
    }

    func enrolmentQuery() -> SQLSelectBuilder {
        db.select().columns(Self.enrolmentColumns).from("task_enrolments").join("people", on: SQLColumn("person_code", table: "task_enrolments"), .equal, SQLColumn("code", table: "people"))
    }

    public func enrolment(task: String, person: String) async throws -> Enrolment? {
        try await enrolmentQuery().where(SQLColumn("task_code", table: "task_enrolments"), .equal, SQLBind(task))
            .where(SQLColumn("person_code", table: "task_enrolments"), .equal, SQLBind(person)).first().map(Self.enrolment)
    }

    /// A task's enrolments in sign-up order, optionally only those in one status.
    public func enrolments(task: String, status: EnrolmentStatus? = nil) async throws -> [Enrolment] {
        let query = enrolmentQuery().where(SQLColumn("task_code", table: "task_enrolments"), .equal, SQLBind(task))
        if let status { query.where(SQLColumn("status", table: "task_enrolments"), .equal, SQLBind(status.rawValue)) }
        return try await query.orderBy(SQLColumn("id", table: "task_enrolments")).all().map(Self.enrolment)
    }

    /// Signs a person up, or signs them up again after they withdrew.
    public func signUp(task: String, person: Person, household: String, contact: ChatContact, at date: Date) async throws {
        if try await enrolment(task: task, person: person.code) != nil {
            try await db.update("task_enrolments").set("status", to: EnrolmentStatus.signedUp.rawValue).set("signed_up_at", to: Self.ms(date))
                .set("note", to: SQLLiteral.null).set("reason", to: SQLLiteral.null).set("completed_at", to: SQLLiteral.null)
                .set("held_at", to: SQLLiteral.null).set("held_note", to: SQLLiteral.null)
                .set("held_bot_code", to: SQLLiteral.null).set("held_chat_id", to: SQLLiteral.null)
                .where("task_code", .equal, task).where("person_code", .equal, person.code)
                .where("status", .equal, EnrolmentStatus.withdrawn.rawValue).run()
            return
        }
        try await db.insert(into: "task_enrolments")
            .columns("task_code", "person_code", "household_code", "status", "photos", "signed_up_at", "platform", "user_id", "bot_code", "chat_id", "reply_url")
            .values(SQLBind(task), SQLBind(person.code), SQLBind(household), SQLBind(EnrolmentStatus.signedUp.rawValue), SQLBind(0),
                    SQLBind(Self.ms(date)), SQLBind(contact.platform.rawValue), SQLBind(contact.userID), SQLBind(contact.botCode),
                    SQLBind(contact.chatID), WorkOrderTransaction.optional(contact.replyURL))
            .run()
    }

    /// Moves an enrolment from one status to another, only if it is still in the first; false
    /// when someone else moved it first.
    public func move(
        _ enrolment: Enrolment, to status: EnrolmentStatus, note: String? = nil, photos: Int? = nil, reason: String? = nil,
        reviewer: String? = nil, rewardPoints: Int64? = nil, at date: Date
    ) async throws -> Bool {
        let update = db.update("task_enrolments").set("status", to: status.rawValue)
        switch status {
        case .completed:
            update.set("completed_at", to: Self.ms(date)).set("note", to: WorkOrderTransaction.optional(note)).set("photos", to: photos ?? 0)
            update.set("held_at", to: SQLLiteral.null).set("held_note", to: SQLLiteral.null)
                .set("held_bot_code", to: SQLLiteral.null).set("held_chat_id", to: SQLLiteral.null)
        case .approved, .rejected:
            update.set("reviewed_at", to: Self.ms(date)).set("reviewer_code", to: WorkOrderTransaction.optional(reviewer))
                .set("reason", to: WorkOrderTransaction.optional(reason)).set("reward_points", to: WorkOrderTransaction.optional(rewardPoints))
        case .withdrawn:
            // A completion held for its photo goes with the withdrawal.
            update.set("held_at", to: SQLLiteral.null).set("held_note", to: SQLLiteral.null)
                .set("held_bot_code", to: SQLLiteral.null).set("held_chat_id", to: SQLLiteral.null)
        case .signedUp:
            break
        }
        let moved = try await update.where("id", .equal, enrolment.id).where("status", .equal, enrolment.status.rawValue).returning("id").all()
        return !moved.isEmpty
    }

    /// Holds a completion that lacks the photo its task asks for: its words and the chat it was
    /// given in are kept until the person's photo arrives there. False when the enrolment moved.
    public func hold(_ enrolment: Enrolment, note: String?, in chat: ChatContact, at date: Date) async throws -> Bool {
        let held = try await db.update("task_enrolments")
            .set("held_at", to: Self.ms(date)).set("held_note", to: WorkOrderTransaction.optional(note))
            .set("held_bot_code", to: chat.botCode).set("held_chat_id", to: chat.chatID)
            .where("id", .equal, enrolment.id).where("status", .equal, enrolment.status.rawValue).returning("id").all()
        return !held.isEmpty
    }

    /// The completion a person's photo in a chat completes: their newest enrolment held there,
    /// still waiting to be completed, with the words it was held with.
    public func heldCompletion(person: String, botCode: String, chatID: String) async throws -> (enrolment: Enrolment, note: String?)? {
        let columns = Self.enrolmentColumns + [SQLColumn("held_note", table: "task_enrolments")]
        let query = db.select().columns(columns).from("task_enrolments")
            .join("people", on: SQLColumn("person_code", table: "task_enrolments"), .equal, SQLColumn("code", table: "people"))
            .where(SQLColumn("person_code", table: "task_enrolments"), .equal, SQLBind(person))
            .where(SQLColumn("held_bot_code", table: "task_enrolments"), .equal, SQLBind(botCode))
            .where(SQLColumn("held_chat_id", table: "task_enrolments"), .equal, SQLBind(chatID))
            .where { $0.where(SQLColumn("status", table: "task_enrolments"), .equal, SQLBind(EnrolmentStatus.signedUp.rawValue))
                .orWhere(SQLColumn("status", table: "task_enrolments"), .equal, SQLBind(EnrolmentStatus.rejected.rawValue)) }
            .orderBy(SQLColumn("held_at", table: "task_enrolments") as any SQLExpression, SQLDirection.descending).limit(1)
        guard let row = try await query.first() else { return nil }
        return (try Self.enrolment(row), try row.decode(column: "held_note", as: String?.self))
    }

    /// Approves a completed enrolment and pays the household, in this transaction. The reward's
    /// transfer id is derived from the task and person, so it is paid once however often the
    /// approval arrives. False when the enrolment was no longer waiting for review.
    public func approve(_ enrolment: Enrolment, points: Int64, reviewer: String, at date: Date) async throws -> Bool {
        guard try await move(enrolment, to: .approved, reviewer: reviewer, rewardPoints: points, at: date) else { return false }
        try await ledger.postDue(LedgerTransfer(
            id: TaskRules.rewardTransferID(task: enrolment.taskCode, person: enrolment.personCode), debitAccount: LedgerAccounts.issuance,
            creditAccount: LedgerAccounts.household(enrolment.householdCode), amount: points, code: .taskReward,
            reference: Self.rewardReference(task: enrolment.taskCode, person: enrolment.personCode), at: date))
        return true
    }

    /// The reference of a task reward, which the audit matches against approved enrolments.
    public static func rewardReference(task: String, person: String) -> String { "task:\(task):\(person)" }
    /// The reference of every transfer of one voucher.
    public static func voucherReference(_ code: VoucherCode) -> String { "voucher:\(code)" }

    // MARK: Offers and vouchers

    public func offer(code: String) async throws -> OfferRecord? {
        try await offerQuery().where(SQLColumn("code", table: "offers"), .equal, SQLBind(code)).first().map(Self.offer)
    }

    /// Offers with stock left, cheapest first.
    public func openOffers() async throws -> [OfferRecord] {
        try await offerQuery().where("stock", .greaterThan, 0).orderBy("points").orderBy(SQLColumn("code", table: "offers")).all().map(Self.offer)
    }

    /// Every offer, sold out or not, in code order.
    public func allOffers() async throws -> [OfferRecord] {
        try await offerQuery().orderBy(SQLColumn("code", table: "offers")).all().map(Self.offer)
    }

    func offerQuery() -> SQLSelectBuilder {
        db.select()
            .column(SQLColumn("code", table: "offers")).column(SQLColumn("merchant_code", table: "offers")).columns("title", "points", "value_fen", "stock", "valid_days")
            .column(SQLColumn("name", table: "merchants"), as: "merchant_name")
            .from("offers").join("merchants", on: SQLColumn("merchant_code", table: "offers"), .equal, SQLColumn("code", table: "merchants"))
    }

    static func offer(_ row: any SQLRow) throws -> OfferRecord {
        OfferRecord(
            offer: Offer(code: try row.decode(column: "code"), merchantCode: try row.decode(column: "merchant_code"), title: try row.decode(column: "title"),
                         points: try row.decode(column: "points"), valueFen: try row.decode(column: "value_fen"), stock: try row.decode(column: "stock"),
                         validDays: try row.decode(column: "valid_days")),
            merchantName: try row.decode(column: "merchant_name"))
    }

    /// What issuing a voucher did.
    public enum Issue: Sendable, Equatable {
        case issued(Voucher)
        /// The same request issued this voucher before.
        case existing(Voucher)
    }

    /// Issues a voucher for an offer to a household: takes one from the offer's stock and moves
    /// the points into escrow, in this transaction. Throws when the offer is gone or sold out, or
    /// the household has too few points; the caller's transaction then rolls back whole.
    public func issueVoucher<G: RandomNumberGenerator>(
        offer code: String, person: String, household: String, contact: ChatContact, requestKey: String, at date: Date, using generator: inout G
    ) async throws -> Issue {
        if let existing = try await voucherQuery().where("request_key", .equal, requestKey).first().map(Self.voucher) { return .existing(existing) }
        guard let record = try await offer(code: code) else { throw PointsStoreError.offerNotFound(code) }
        let taken = try await db.update("offers").set(SQLIdentifier("stock"), to: SQLBinaryExpression(SQLColumn("stock"), .subtract, SQLBind(1)))
            .where("code", .equal, code).where("stock", .greaterThan, 0).returning("stock").all()
        guard !taken.isEmpty else { throw PointsStoreError.outOfStock(code) }
        var voucherCode = VoucherCode.random(using: &generator)
        while try await db.select().column("code").from("vouchers").where("code", .equal, voucherCode.description).first() != nil {
            voucherCode = VoucherCode.random(using: &generator)
        }
        let points = Int64(record.offer.points)
        do {
            try await ledger.postDue(LedgerTransfer(
                id: VoucherRules.reserveTransferID(voucherCode), debitAccount: LedgerAccounts.household(household), creditAccount: LedgerAccounts.escrow,
                amount: points, code: .voucherReserve, reference: Self.voucherReference(voucherCode), at: date))
        } catch LedgerError.exceedsBalance(_, let balance, let amount) {
            throw PointsStoreError.insufficientPoints(balance: balance, needed: amount)
        }
        let expires = date.addingTimeInterval(TimeInterval(record.offer.validDays) * 86_400)
        try await db.insert(into: "vouchers")
            .columns("code", "offer_code", "merchant_code", "household_code", "person_code", "points", "value_fen", "status", "issued_at",
                     "expires_at", "request_key", "platform", "user_id", "bot_code", "chat_id", "reply_url")
            .values(SQLBind(voucherCode.description), SQLBind(code), SQLBind(record.offer.merchantCode), SQLBind(household), SQLBind(person),
                    SQLBind(points), SQLBind(Int64(record.offer.valueFen)), SQLBind(VoucherStatus.issued.rawValue), SQLBind(Self.ms(date)),
                    SQLBind(Self.ms(expires)), SQLBind(requestKey), SQLBind(contact.platform.rawValue), SQLBind(contact.userID),
                    SQLBind(contact.botCode), SQLBind(contact.chatID), WorkOrderTransaction.optional(contact.replyURL))
            .run()
        guard let voucher = try await voucher(code: voucherCode, lock: false) else { throw StoreError.corrupt("voucher \(voucherCode) vanished") }
        return .issued(voucher)
    }

    static let voucherColumns: [any SQLExpression] = [
        SQLColumn("code", table: "vouchers"), SQLColumn("offer_code", table: "vouchers"), SQLColumn("title", table: "offers"),
        SQLColumn("merchant_code", table: "vouchers"), SQLAlias(SQLColumn("name", table: "merchants"), as: SQLIdentifier("merchant_name")),
        SQLColumn("household_code", table: "vouchers"), SQLColumn("person_code", table: "vouchers"), SQLColumn("points", table: "vouchers"),
        SQLColumn("value_fen", table: "vouchers"), SQLColumn("status", table: "vouchers"), SQLColumn("issued_at", table: "vouchers"),
        SQLColumn("expires_at", table: "vouchers"), SQLColumn("redeemed_at", table: "vouchers"), SQLColumn("redeemed_by", table: "vouchers"),
        SQLColumn("platform", table: "vouchers"), SQLColumn("user_id", table: "vouchers"), SQLColumn("bot_code", table: "vouchers"),
        SQLColumn("chat_id", table: "vouchers"), SQLColumn("reply_url", table: "vouchers"),
    ]

    func voucherQuery() -> SQLSelectBuilder {
        db.select().columns(Self.voucherColumns).from("vouchers")
            .join("offers", on: SQLColumn("offer_code", table: "vouchers"), .equal, SQLColumn("code", table: "offers"))
            .join("merchants", on: SQLColumn("merchant_code", table: "vouchers"), .equal, SQLColumn("code", table: "merchants"))
    }

    static func voucher(_ row: any SQLRow) throws -> Voucher {
        let codeText = try row.decode(column: "code", as: String.self)
        let statusText = try row.decode(column: "status", as: String.self)
        let platformText = try row.decode(column: "platform", as: String.self)
        guard let code = try? VoucherCode(reading: codeText), let status = VoucherStatus(rawValue: statusText),
              let platform = ChatPlatform(rawValue: platformText) else { throw StoreError.corrupt("voucher \(codeText)") }
        return Voucher(
            code: code, offerCode: try row.decode(column: "offer_code"), offerTitle: try row.decode(column: "title"),
            merchantCode: try row.decode(column: "merchant_code"), merchantName: try row.decode(column: "merchant_name"),
            householdCode: try row.decode(column: "household_code"), personCode: try row.decode(column: "person_code"),
            points: try row.decode(column: "points"), valueFen: try row.decode(column: "value_fen"), status: status,
            issuedAt: SQLStore.date(try row.decode(column: "issued_at")), expiresAt: SQLStore.date(try row.decode(column: "expires_at")),
            redeemedAt: (try row.decode(column: "redeemed_at", as: Int64?.self)).map(SQLStore.date), redeemedBy: try row.decode(column: "redeemed_by"),
            contact: ChatContact(platform: platform, userID: try row.decode(column: "user_id"), botCode: try row.decode(column: "bot_code"),
                                 chatID: try row.decode(column: "chat_id"), replyURL: try row.decode(column: "reply_url")))
    }

    /// A voucher; locked for the transaction on PostgreSQL, so parallel redemptions queue.
    public func voucher(code: VoucherCode, lock: Bool = true) async throws -> Voucher? {
        if lock {
            // Lock the voucher's own row (a join cannot be locked FOR UPDATE on every backend).
            _ = try await db.select().column("code").from("vouchers").where("code", .equal, code.description).for(.update).first()
        }
        return try await voucherQuery().where(SQLColumn("code", table: "vouchers"), .equal, SQLBind(code.description)).first().map(Self.voucher)
    }

    /// Consumes a voucher at a merchant's counter: the escrowed points go to the merchant. At most
    /// once: the status moves only from issued, in the same transaction as the transfer.
    public func redeem(_ code: VoucherCode, merchant: String, by person: String, at date: Date) async throws -> Voucher {
        guard var voucher = try await voucher(code: code) else { throw PointsStoreError.voucherNotFound(code) }
        voucher.status = try VoucherRules.apply(.redeem(merchant: merchant, at: date), to: voucher.state)
        let moved = try await db.update("vouchers").set("status", to: VoucherStatus.redeemed.rawValue).set("redeemed_at", to: Self.ms(date))
            .set("redeemed_by", to: person).where("code", .equal, code.description).where("status", .equal, VoucherStatus.issued.rawValue)
            .returning("code").all()
        guard !moved.isEmpty else {
            let now = try await self.voucher(code: code, lock: false)
            throw VoucherRuleError.alreadyRedeemed(at: now?.redeemedAt, by: now?.redeemedBy)
        }
        try await ledger.postDue(LedgerTransfer(
            id: VoucherRules.redeemTransferID(code), debitAccount: LedgerAccounts.escrow, creditAccount: LedgerAccounts.merchant(voucher.merchantCode),
            amount: voucher.points, code: .voucherRedeem, reference: Self.voucherReference(code), at: date))
        voucher.redeemedAt = date
        voucher.redeemedBy = person
        return voucher
    }

    /// Expires a voucher whose time is up and refunds its points to the household; nil when it
    /// was redeemed or expired meanwhile, or is not due.
    public func expire(_ code: VoucherCode, at date: Date) async throws -> Voucher? {
        guard var voucher = try await voucher(code: code) else { return nil }
        guard let status = try? VoucherRules.apply(.expire(at: date), to: voucher.state) else { return nil }
        voucher.status = status
        let moved = try await db.update("vouchers").set("status", to: VoucherStatus.expired.rawValue).set("expired_at", to: Self.ms(date))
            .where("code", .equal, code.description).where("status", .equal, VoucherStatus.issued.rawValue).returning("code").all()
        guard !moved.isEmpty else { return nil }
        try await ledger.postDue(LedgerTransfer(
            id: VoucherRules.refundTransferID(code), debitAccount: LedgerAccounts.escrow, creditAccount: LedgerAccounts.household(voucher.householdCode),
            amount: voucher.points, code: .voucherExpiryRefund, reference: Self.voucherReference(code), at: date))
        return voucher
    }

    /// A household's vouchers, newest first.
    public func vouchers(household: String, limit: Int = 20) async throws -> [Voucher] {
        try await voucherQuery().where(SQLColumn("household_code", table: "vouchers"), .equal, SQLBind(household))
            .orderBy(SQLOrderBy(expression: SQLColumn("issued_at", table: "vouchers"), direction: SQLDirection.descending)).limit(limit).all().map(Self.voucher)
    }

    /// Vouchers a merchant consumed in a period, newest first.
    public func redemptions(merchant: String, from: Date, to: Date) async throws -> [Voucher] {
        try await voucherQuery().where(SQLColumn("merchant_code", table: "vouchers"), .equal, SQLBind(merchant))
            .where(SQLColumn("status", table: "vouchers"), .equal, SQLBind(VoucherStatus.redeemed.rawValue))
            .where(SQLColumn("redeemed_at", table: "vouchers"), .greaterThanOrEqual, SQLBind(Self.ms(from)))
            .where(SQLColumn("redeemed_at", table: "vouchers"), .lessThan, SQLBind(Self.ms(to)))
            .orderBy(SQLOrderBy(expression: SQLColumn("redeemed_at", table: "vouchers"), direction: SQLDirection.descending)).all().map(Self.voucher)
    }

    /// A merchant's settlement statement: vouchers consumed per day of a period.
    public func statement(merchant: String, from: Date, to: Date, timeZone: TimeZone = .shanghai) async throws -> [StatementLine] {
        var lines: [String: StatementLine] = [:]
        for voucher in try await redemptions(merchant: merchant, from: from, to: to) {
            let day = CalendarDay(voucher.redeemedAt ?? from, in: timeZone).description
            var line = lines[day] ?? StatementLine(day: day, vouchers: 0, points: 0, valueFen: 0)
            line.vouchers += 1
            line.points += voucher.points
            line.valueFen += voucher.valueFen
            lines[day] = line
        }
        return lines.values.sorted { $0.day < $1.day }
    }

    /// An account's latest transfers, newest first.
    public func recentTransfers(account: String, limit: Int = 5) async throws -> [LedgerTransfer] {
        try await db.select().columns(LedgerTransaction.columns).from("ledger_transfers")
            .where { $0.where("debit_account", .equal, account).orWhere("credit_account", .equal, account) }
            .orderBy("seq", .descending).limit(limit).all().map(LedgerTransaction.transfer)
    }

    /// A merchant's name.
    public func merchantName(code: String) async throws -> String? {
        try await db.select().column("name").from("merchants").where("code", .equal, code).first(decodingColumn: "name", as: String.self)
    }

    /// A person's name.
    public func personName(code: String) async throws -> String? {
        try await db.select().column("name").from("people").where("code", .equal, code).first(decodingColumn: "name", as: String.self)
    }
}
