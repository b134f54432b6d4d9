import Crypto
import Foundation
import GridCore
import GridStore
import Logging

/// The volunteer-points commands in chat: posting and taking tasks, reviews that pay households,
/// balances, and vouchers. Each command runs in one transaction with the claim of its message and
/// every chat message it queues; a refused command rolls back whole and only its one-line reason
/// is recorded, so a refusal never leaves half a change behind.
public struct PointsDesk: Sendable {
    let store: SQLStore
    let parser: MessageParser
    let replies: ChatReplies
    let commands: PointsCommandParser
    /// Signs the QR payloads of vouchers.
    let voucherKey: SymmetricKey
    let logger: Logger
    let environment: [String: String]

    public init(
        store: SQLStore, parser: MessageParser, replies: ChatReplies, commands: PointsCommandParser = PointsCommandParser(),
        voucherKey: SymmetricKey, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.store = store
        self.parser = parser
        self.replies = replies
        self.commands = commands
        self.voucherKey = voucherKey
        self.logger = logger
        self.environment = environment
    }

    /// Carries out a points command, or says the message is not one.
    public func handle(_ stored: StoredInboundMessage, now: Date) async throws -> CommandOutcome {
        let message = stored.message
        guard let parsed = commands.command(in: message.text, now: now) else { return .notACommand }
        let command: PointsCommand
        switch parsed {
        case .failure(let error): return try await CommandOutcome.refused(stored, error.reason, store: store, replies: replies, now: now)
        case .success(let value): command = value
        }
        let person = try await store.person(platform: message.platform, userID: message.senderID)
        // Read before the transaction, and only by the commands that check scope or post to staff.
        let directory = Self.readsCommunity(command) ? try await store.directory() : nil
        do {
            let handled = try await store.withPoints { tx in
                guard try await tx.claim(stored, at: now) else { return false }
                var keys = DedupeKeys(base: "m\(stored.id)")
                let request = Request(stored: stored, person: person, community: directory, now: now, today: CalendarDay(now, in: commands.timeZone).description)
                for outbound in try await perform(command, request, tx: tx) {
                    try await tx.enqueue(outbound, dedupeKey: keys.next(), at: now)
                }
                return true
            }
            if handled { logger.info("points command carried out", metadata: ["points.command": "\(Self.name(of: command))"]) }
            return handled ? .handled : .alreadyProcessed
        } catch let refusal as PointsRefusal {
            logger.info("points command refused", metadata: ["points.command": "\(Self.name(of: command))", "points.reason": "\(refusal.reason)"])
            return try await CommandOutcome.refused(stored, refusal.reason, store: store, replies: replies, now: now)
        }
    }

    /// Whether a command needs the community structure (scope checks, staff chats).
    static func readsCommunity(_ command: PointsCommand) -> Bool {
        switch command {
        case .postTask, .complete, .approve, .reject: true
        case .listTasks, .signUp, .withdraw, .balance, .vouchers, .listOffers, .redeem: false
        }
    }

    /// What a command is about, for the log (never the text: it may hold names).
    static func name(of command: PointsCommand) -> String {
        switch command {
        case .postTask: "post_task"
        case .listTasks: "list_tasks"
        case .signUp: "sign_up"
        case .withdraw: "withdraw"
        case .complete: "complete"
        case .approve: "approve"
        case .reject: "reject"
        case .balance: "balance"
        case .vouchers: "vouchers"
        case .listOffers: "list_offers"
        case .redeem: "redeem"
        }
    }

    struct Request: Sendable {
        var stored: StoredInboundMessage
        var person: Person?
        /// Read only for the commands `readsCommunity` names.
        var community: CommunityDirectory?
        var now: Date
        var today: String

        var message: InboundMessage { stored.message }

        func directory() throws -> CommunityDirectory {
            guard let community else { throw StoreError.corrupt("the community structure was not read for this command") }
            return community
        }
    }

    /// Carries out one command inside the transaction and returns the messages to queue, the
    /// answer to the sender first; throws `PointsRefusal` to refuse.
    private func perform(_ command: PointsCommand, _ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let message = request.message
        func answer(_ template: ChatTemplate, _ values: [String: Any]) -> OutboundMessage {
            WorkOrderDesk.answer(message, replies.render(template, values) ?? "")
        }
        switch command {
        case .postTask(let draft):
            let posted = try await postTask(draft, by: request.person, directory: try request.directory(), tx: tx, now: request.now)
            return [answer(.taskPosted, [
                "code": posted.task.code, "title": posted.task.title, "points": posted.task.points, "slots": posted.task.slots,
                "deadline": posted.task.deadline, "defaultDeadline": !draft.deadlineGiven, "groups": posted.groups.joined(separator: "、"),
            ])] + posted.announcements

        case .listTasks:
            let tasks = try await tx.openTasks(today: request.today).prefix(10).map { record in
                ["code": record.task.code, "title": record.task.title, "points": "\(record.task.points)",
                 "left": "\(max(record.task.slots - record.slotsTaken, 0))", "deadline": record.task.deadline, "building": record.task.buildingCode ?? ""]
            }
            return [answer(.taskList, ["tasks": tasks.map { $0.filter { !$0.value.isEmpty } }])]

        case .signUp(let code):
            let (person, household) = try resident(request)
            let record = try await task(code, tx: tx)
            let existing = try await tx.enrolment(task: code, person: person.code)
            do {
                try TaskRules.signUp(task: record.task, taskOpen: record.isOpen, today: request.today, slotsTaken: record.slotsTaken,
                                     existing: existing?.status, hasHousehold: true)
            } catch {
                throw PointsRefusal(error.description)
            }
            try await tx.signUp(task: code, person: person, household: household, contact: ChatContact(message), at: request.now)
            return [answer(.taskSignedUp, [
                "name": person.name, "code": code, "title": record.task.title, "left": record.task.slots - record.slotsTaken - 1, "deadline": record.task.deadline,
            ])]

        case .withdraw(let code):
            let (person, _) = try resident(request)
            let record = try await task(code, tx: tx)
            let enrolment = try await enrolment(code, of: person, tx: tx)
            try await move(enrolment, .withdraw, actor: Self.actor(person), task: record, today: request.today, now: request.now, tx: tx)
            return [WorkOrderDesk.answer(message, replies.render(.commandDone, ["done": "已取消报名任务 \(code)。"]) ?? "")]

        case .complete(let code, let note):
            let (person, _) = try resident(request)
            let record = try await task(code, tx: tx)
            let enrolment = try await enrolment(code, of: person, tx: tx)
            try await move(enrolment, .complete, actor: Self.actor(person), task: record, today: request.today, now: request.now, tx: tx,
                           note: note.isEmpty ? nil : note, photos: message.attachments.count)
            var messages = [answer(.taskCompleted, ["code": code, "title": record.task.title])]
            if let text = replies.render(.taskReviewRequest, [
                "name": person.name, "code": code, "title": record.task.title, "note": note,
                "photos": message.attachments.isEmpty ? "" : "\(message.attachments.count)",
            ]) {
                let directory = try request.directory()
                let grid = record.task.buildingCode.flatMap { directory.buildingGrids[$0] } ?? directory.root ?? ""
                messages += try directory.staffChats(grid: grid).map { try directory.outbound(text, to: $0, environment: environment) }
            }
            return messages

        case .approve(let code, let name), .reject(let code, let name, _):
            var reason: String?
            if case .reject(_, _, let why) = command { reason = why }
            let reviewed = try await review(code, name: name, reason: reason, by: request.person, directory: try request.directory(), tx: tx, now: request.now, today: request.today)
            return [WorkOrderDesk.answer(message, replies.render(.commandDone, ["done": reviewed.done]) ?? reviewed.done), reviewed.notice]

        case .balance:
            let (_, household) = try resident(request)
            let account = LedgerAccounts.household(household)
            let balance = try await tx.ledger.balance(of: account) ?? 0
            let held = try await tx.vouchers(household: household, limit: 1_000).filter { $0.status == .issued }.reduce(Int64(0)) { $0 + $1.points }
            let entries = try await tx.recentTransfers(account: account, limit: 5).map { transfer in
                ["when": replies.clockTime(transfer.at, relativeTo: request.now), "sign": transfer.creditAccount == account ? "+" : "−",
                 "amount": "\(transfer.amount)", "what": Self.describe(transfer)]
            }
            return [answer(.pointsBalance, ["household": Self.householdName(household), "balance": balance,
                                            "escrow": held > 0 ? "\(held)" : "", "entries": entries])]

        case .vouchers:
            let (_, household) = try resident(request)
            let vouchers = try await tx.vouchers(household: household, limit: 10).map { voucher in
                let when: String = switch voucher.status {
                case .issued: "有效期至 \(replies.clockTime(voucher.expiresAt, relativeTo: request.now))"
                case .redeemed: "\(replies.clockTime(voucher.redeemedAt ?? voucher.issuedAt, relativeTo: request.now)) 使用"
                case .expired: "\(replies.clockTime(voucher.expiresAt, relativeTo: request.now)) 过期"
                }
                return ["code": voucher.code.description, "title": voucher.offerTitle, "merchant": voucher.merchantName,
                        "status": voucher.status.chineseName, "when": when]
            }
            return [answer(.voucherList, ["household": Self.householdName(household), "vouchers": vouchers])]

        case .listOffers:
            let offers = try await tx.openOffers().map { record in
                ["code": record.offer.code, "title": record.offer.title, "merchant": record.merchantName, "points": "\(record.offer.points)",
                 "value": Self.yuan(Int64(record.offer.valueFen)), "validDays": "\(record.offer.validDays)", "stock": "\(record.offer.stock)"]
            }
            return [answer(.pointsOffers, ["offers": offers])]

        case .redeem(let code):
            let (person, household) = try resident(request)
            var generator = SystemRandomNumberGenerator()
            let issue: PointsTransaction.Issue
            do {
                issue = try await tx.issueVoucher(offer: code, person: person.code, household: household, contact: ChatContact(message),
                                                  requestKey: "m\(request.stored.id)", at: request.now, using: &generator)
            } catch let error as PointsStoreError {
                throw PointsRefusal(Self.reason(error))
            }
            let voucher: Voucher
            switch issue {
            case .issued(let issued), .existing(let issued): voucher = issued
            }
            let balance = try await tx.ledger.balance(of: LedgerAccounts.household(household)) ?? 0
            return [answer(.voucherIssued, [
                "title": voucher.offerTitle, "merchant": voucher.merchantName, "value": Self.yuan(voucher.valueFen), "code": voucher.code.description,
                "expires": replies.clockTime(voucher.expiresAt, relativeTo: request.now), "points": voucher.points, "balance": balance,
                "payload": VoucherTicket(code: voucher.code, expiresAt: voucher.expiresAt).payload(key: voucherKey),
            ])]
        }
    }

    // MARK: Posting and reviewing (chat and API)

    /// What posting a task did: the task, the chats it is announced in, and the announcements.
    struct PostedTask: Sendable {
        var task: VolunteerTask
        var groups: [String]
        var announcements: [OutboundMessage]
    }

    /// Records a task and builds its announcements, after checking the poster may post it: its
    /// building (read from the title) in their scope, or the whole community for the community's
    /// own staff.
    func postTask(
        _ draft: TaskDraft, building named: String? = nil, by person: Person?, directory: CommunityDirectory, tx: PointsTransaction, now: Date
    ) async throws -> PostedTask {
        guard let person, Self.managesTasks(person.role) else {
            throw PointsRefusal("只有网格员、网格长、楼长或社区工作人员可以发布任务", .forbidden)
        }
        if let named, directory.buildingGrids[named] == nil { throw PointsRefusal("本社区没有 \(named)号楼", .notFound) }
        var building = named ?? parser.location(in: draft.title).building.flatMap { directory.buildingGrids[$0] == nil ? nil : $0 }
        if building == nil, person.role == .buildingHead { building = person.buildingCode }
        guard Self.mayManage(building: building, person: person, directory: directory) else {
            throw PointsRefusal(building == nil ? "全社区任务请由网格长或社区工作人员发布，或在任务中写明楼号" : "\(building ?? "")号楼不在您负责的范围内", .forbidden)
        }
        let task = try await tx.insertTask(draft, buildingCode: building, createdBy: person.code, at: now)
        let groups = announcementGroups(building: building, directory: directory)
        var announcements: [OutboundMessage] = []
        if let text = replies.render(.taskAnnounce, [
            "code": task.code, "title": task.title, "points": task.points, "slots": task.slots, "deadline": task.deadline, "building": building ?? "",
        ]) {
            announcements = try groups.map { try directory.outbound(text, to: $0, environment: environment) }
        }
        return PostedTask(task: task, groups: groups.map(\.name), announcements: announcements)
    }

    /// What a review did: a line for the reviewer and the notice to the person reviewed.
    struct Review: Sendable {
        var enrolment: Enrolment
        var approved: Bool
        var done: String
        var notice: OutboundMessage
    }

    /// Approves (pays the household, once) or, with a reason, rejects a completed enrolment.
    func review(
        _ code: String, name: String?, reason: String?, by reviewer: Person?, directory: CommunityDirectory, tx: PointsTransaction, now: Date, today: String
    ) async throws -> Review {
        guard let reviewer, Self.managesTasks(reviewer.role) else {
            throw PointsRefusal("只有网格员、网格长、楼长或社区工作人员可以审核任务", .forbidden)
        }
        let record = try await task(code, tx: tx)
        guard Self.mayManage(building: record.task.buildingCode, person: reviewer, directory: directory) else {
            throw PointsRefusal("任务 \(code) 不在您负责的范围内", .forbidden)
        }
        let enrolment = try await reviewed(code, name: name, tx: tx)
        let actor = EnrolmentActor(personCode: reviewer.code, householdCode: reviewer.householdCode, mayReview: true)
        if let reason {
            try await move(enrolment, .reject(reason: reason), actor: actor, task: record, today: today, now: now, tx: tx, reviewer: reviewer.code)
        } else {
            do {
                _ = try TaskRules.apply(.approve, to: enrolment.state, by: actor, task: record.task, today: today)
            } catch {
                throw PointsRefusal(error.description)
            }
            guard try await tx.approve(enrolment, points: Int64(record.task.points), reviewer: reviewer.code, at: now) else {
                throw PointsRefusal("\(enrolment.personName) 的任务 \(code) 刚刚已被审核")
            }
        }
        let balance = try await tx.ledger.balance(of: LedgerAccounts.household(enrolment.householdCode)) ?? 0
        let approved = reason == nil
        let notice = replies.render(.taskReviewed, [
            "approved": approved, "name": enrolment.personName, "code": code, "title": record.task.title, "points": record.task.points,
            "balance": balance, "reason": reason ?? "", "canRedo": today <= record.task.deadline, "deadline": record.task.deadline,
        ]) ?? ""
        let done = approved ? "已通过 \(enrolment.personName) 的任务 \(code)，\(record.task.points) 积分已记入其家庭账户。" : "已驳回 \(enrolment.personName) 的任务 \(code)。"
        return Review(enrolment: enrolment, approved: approved, done: done, notice: enrolment.contact.outbound(notice))
    }

    // MARK: Expiry

    /// Expires every voucher past its time, refunding its points and telling its holder; each
    /// in its own transaction, so two watchers or a restart never refund twice. Returns how many
    /// it expired.
    public func expireDue(now: Date, batchSize: Int = 100) async throws -> Int {
        var expired = 0
        while true {
            let due = try await store.dueVouchers(now: now, limit: batchSize)
            var round = 0
            for code in due {
                let done = try await store.withPoints { tx in
                    guard let voucher = try await tx.expire(code, at: now) else { return false }
                    let name = try await tx.personName(code: voucher.personCode) ?? ""
                    if let text = replies.render(.voucherExpired, [
                        "name": name, "title": voucher.offerTitle, "code": voucher.code.description,
                        "expires": replies.clockTime(voucher.expiresAt, relativeTo: now), "points": voucher.points,
                    ]) {
                        try await tx.enqueue(voucher.contact.outbound(text), dedupeKey: "voucher-expired:\(voucher.code)", at: now)
                    }
                    return true
                }
                if done { round += 1 }
            }
            expired += round
            if due.count < batchSize || round == 0 { return expired }
        }
    }

    // MARK: Helpers

    /// The sender as a resident with a household, or a refusal saying how to get one.
    private func resident(_ request: Request) throws -> (Person, String) {
        guard let person = request.person else { throw PointsRefusal("您还没有登记，请联系网格员登记房屋后再参加积分活动") }
        guard let household = person.householdCode else { throw PointsRefusal("积分记入家庭账户，您还没有登记房屋，请联系网格员登记") }
        return (person, household)
    }

    private func task(_ code: String, tx: PointsTransaction) async throws -> TaskRecord {
        guard let record = try await tx.task(code: code) else { throw PointsRefusal("没有编号为 \(code) 的任务，回复「任务」查看进行中的任务", .notFound) }
        return record
    }

    private func enrolment(_ code: String, of person: Person, tx: PointsTransaction) async throws -> Enrolment {
        guard let enrolment = try await tx.enrolment(task: code, person: person.code) else { throw PointsRefusal("您还没有报名任务 \(code)，请先回复「报名 \(code)」") }
        return enrolment
    }

    /// The enrolment a review names: by `@name`, or the only one waiting.
    private func reviewed(_ code: String, name: String?, tx: PointsTransaction) async throws -> Enrolment {
        let all = try await tx.enrolments(task: code)
        if let name {
            guard let named = all.first(where: { $0.personName == name || $0.personCode == name }) else {
                throw PointsRefusal("任务 \(code) 没有名为「\(name)」的报名人", .notFound)
            }
            return named
        }
        let waiting = all.filter { $0.status == .completed }
        guard waiting.count == 1, let only = waiting.first else {
            throw PointsRefusal(waiting.isEmpty ? "任务 \(code) 没有等待审核的完成情况"
                                : "任务 \(code) 有 \(waiting.count) 人待审核（\(waiting.map(\.personName).joined(separator: "、"))），请用「通过 \(code) @姓名」指明")
        }
        return only
    }

    private func move(
        _ enrolment: Enrolment, _ action: EnrolmentAction, actor: EnrolmentActor, task: TaskRecord, today: String, now: Date, tx: PointsTransaction,
        note: String? = nil, photos: Int = 0, reviewer: String? = nil
    ) async throws {
        let status: EnrolmentStatus
        do {
            status = try TaskRules.apply(action, to: enrolment.state, by: actor, task: task.task, today: today)
        } catch {
            throw PointsRefusal(error.description)
        }
        var reason: String?
        if case .reject(let why) = action { reason = why }
        guard try await tx.move(enrolment, to: status, note: note, photos: photos, reason: reason, reviewer: reviewer, at: now) else {
            throw PointsRefusal("任务 \(task.task.code) 的状态刚刚有变化，请稍后再试")
        }
    }

    static func actor(_ person: Person) -> EnrolmentActor {
        EnrolmentActor(personCode: person.code, householdCode: person.householdCode, mayReview: managesTasks(person.role))
    }

    /// Roles that post and review tasks; departments and merchants do not.
    static func managesTasks(_ role: Role) -> Bool {
        switch role {
        case .gridWorker, .gridHead, .communityAdmin, .buildingHead: true
        case .resident, .departmentStaff, .merchant: false
        }
    }

    /// Whether a person may post or review a task for a building (nil: the whole community):
    /// the community and grid heads of the community's root grid everywhere, a grid's staff for
    /// the buildings under it, a building head for their own building.
    static func mayManage(building: String?, person: Person, directory: CommunityDirectory) -> Bool {
        switch person.role {
        case .communityAdmin: return true
        case .gridHead, .gridWorker:
            guard let grid = person.gridCode else { return false }
            guard let building else { return grid == directory.root }
            return directory.buildingGrids[building].map { directory.chain($0).contains(grid) } ?? false
        case .buildingHead:
            return building != nil && building == person.buildingCode
        case .resident, .departmentStaff, .merchant:
            return false
        }
    }

    /// The chats a task is announced in: its building's groups, or for the whole community the
    /// community groups (every building group where there is none).
    func announcementGroups(building: String?, directory: CommunityDirectory) -> [ChatGroup] {
        if let building { return directory.chatGroups.filter { $0.kind == .building && $0.buildingCode == building } }
        let community = directory.chatGroups.filter { $0.kind == .community }
        return community.isEmpty ? directory.chatGroups.filter { $0.kind == .building } : community
    }

    /// What a transfer was for, as a resident reads it.
    static func describe(_ transfer: LedgerTransfer) -> String {
        let parts = transfer.reference.split(separator: ":").map(String.init)
        switch transfer.code {
        case .taskReward: return parts.count >= 2 && parts[0] == "task" ? "志愿任务 \(parts[1])" : "志愿任务奖励"
        case .voucherReserve: return "兑换券 \(parts.last ?? "")"
        case .voucherRedeem: return "兑换券使用 \(parts.last ?? "")"
        case .voucherExpiryRefund: return "兑换券过期退回 \(parts.last ?? "")"
        case .adjustment: return "积分调整：\(transfer.reference)"
        case .reversal: return "冲正"
        }
    }

    static func householdName(_ code: String) -> String {
        // H-3-2-502 → 3号楼2单元502
        let parts = code.split(separator: "-").dropFirst()
        guard parts.count == 3 else { return code }
        return "\(parts[parts.startIndex])号楼\(parts[parts.startIndex + 1])单元\(parts[parts.startIndex + 2])"
    }

    static func yuan(_ fen: Int64) -> String {
        fen % 100 == 0 ? "\(fen / 100)" : String(format: "%.2f", Double(fen) / 100)
    }

    static func reason(_ error: PointsStoreError) -> String {
        switch error {
        case .offerNotFound(let code): "没有编号为 \(code) 的兑换券，回复「积分商城」查看可兑换的券"
        case .outOfStock(let code): "\(code) 已经兑完了，回复「积分商城」看看别的"
        case .voucherNotFound(let code): "没有找到券码 \(code)"
        case .insufficientPoints(let balance, let needed): "家庭积分余额 \(balance) 分，兑换需要 \(needed) 分"
        }
    }
}

/// A points command refused, with the one-line reason for the chat and its kind for the API.
struct PointsRefusal: Error {
    enum Kind: Sendable {
        /// The person may not do this (role or scope).
        case forbidden
        /// The task or enrolment named does not exist.
        case notFound
        /// The rules refuse it in the present state.
        case conflict
    }

    var reason: String
    var kind: Kind

    init(_ reason: String, _ kind: Kind = .conflict) {
        self.reason = reason
        self.kind = kind
    }
}

extension CommunityDirectory {
    /// A message into a group chat, unprompted: through the group's post URL where the platform
    /// needs one (`env:NAME` reads it from the environment).
    func outbound(_ text: String, to group: ChatGroup, environment: [String: String]) throws -> OutboundMessage {
        guard let bot = bots[group.botCode] else { throw StoreError.corrupt("chat group \(group.code) names unknown bot \(group.botCode)") }
        var url = group.postURL
        if let value = url, value.hasPrefix("env:") { url = environment[String(value.dropFirst(4))] }
        return OutboundMessage(platform: bot.platform, botCode: bot.code, chatID: group.chatID, text: text, replyURL: url)
    }
}

extension ChatContact {
    /// A message to this person, in the chat they wrote from.
    func outbound(_ text: String) -> OutboundMessage {
        OutboundMessage(platform: platform, botCode: botCode, chatID: chatID, text: text, replyURL: replyURL)
    }
}
