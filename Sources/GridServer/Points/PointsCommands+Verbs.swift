import Crypto
import Foundation
import GridCore
import GridStore

/// One method per points command, each inside the command's transaction.
extension PointsCommands {
    /// 发布任务 by staff: the task and its announcements in the building's or community's chats.
    func postTask(_ draft: TaskDraft, _ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let posted = try await tasks.postTask(draft, by: request.person, directory: try request.directory(), tx: tx, now: request.now)
        return [answer(request, .taskPosted, [
            "code": posted.task.code, "title": posted.task.title, "points": posted.task.points, "slots": posted.task.slots,
            "deadline": posted.task.deadline, "defaultDeadline": !draft.deadlineGiven, "groups": posted.groups.joined(separator: "、"),
            "photoRequired": posted.task.photoRequired,
        ])] + posted.announcements
    }

    /// 任务: the open tasks, soonest first.
    func listTasks(_ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let open = try await tx.openTasks(today: request.today).prefix(10).map { record in
            ["code": record.task.code, "title": record.task.title, "points": "\(record.task.points)",
             "left": "\(max(record.task.slots - record.slotsTaken, 0))", "deadline": record.task.deadline, "building": record.task.buildingCode ?? ""]
        }
        return [answer(request, .taskList, ["tasks": open.map { $0.filter { !$0.value.isEmpty } }])]
    }

    /// 报名 T4: a resident takes a slot.
    func signUp(_ code: String, _ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let (person, household) = try request.resident()
        let record = try await tasks.task(code, tx: tx)
        let existing = try await tx.enrolment(task: code, person: person.code)
        do {
            try TaskRules.signUp(task: record.task, taskOpen: record.isOpen, today: request.today, slotsTaken: record.slotsTaken,
                                 existing: existing?.status, hasHousehold: true)
        } catch {
            throw CommandRefusal(error.description)
        }
        try await tx.signUp(task: code, person: person, household: household, contact: ChatContact(request.message), at: request.now)
        return [answer(request, .taskSignedUp, [
            "name": person.name, "code": code, "title": record.task.title, "left": record.task.slots - record.slotsTaken - 1,
            "deadline": record.task.deadline, "photoRequired": record.task.photoRequired,
        ])]
    }

    /// 取消报名 T4.
    func withdraw(_ code: String, _ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let (person, _) = try request.resident()
        let record = try await tasks.task(code, tx: tx)
        let enrolment = try await tasks.enrolment(code, of: person, tx: tx)
        try await tasks.move(enrolment, .withdraw, actor: VolunteerTasks.actor(person), task: record, today: request.today, now: request.now, tx: tx)
        return [done(request, .taskWithdrawn, ["code": code])]
    }

    /// 完成 T4 …: the resident says it is done; the grid's staff are asked to review it. Where
    /// the task asks for a photo and none came, the completion is held and the photo asked for;
    /// the person's next photo in this chat completes it (`evidenceJob`).
    func complete(_ code: String, note: String, _ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let (person, _) = try request.resident()
        let record = try await tasks.task(code, tx: tx)
        let enrolment = try await tasks.enrolment(code, of: person, tx: tx)
        let photos = request.message.attachments.count
        if record.task.photoRequired, photos == 0 {
            // Refused now if it could not be completed at all (past the deadline, already sent).
            do {
                _ = try TaskRules.apply(.complete, to: enrolment.state, by: VolunteerTasks.actor(person), task: record.task, today: request.today)
            } catch {
                throw CommandRefusal(error.description)
            }
            guard try await tx.hold(enrolment, note: note.isEmpty ? nil : note, in: ChatContact(request.message), at: request.now) else {
                throw CommandRefusal(replies.line(.taskChanged, ["code": code]))
            }
            return [done(request, .taskPhotoNeeded, ["code": code, "title": record.task.title, "deadline": record.task.deadline])]
        }
        try await tasks.move(enrolment, .complete, actor: VolunteerTasks.actor(person), task: record, today: request.today, now: request.now, tx: tx,
                             note: note.isEmpty ? nil : note, photos: photos)
        var messages = [answer(request, .taskCompleted, ["code": code, "title": record.task.title])]
        if let text = replies.render(.taskReviewRequest, [
            "name": person.name, "code": code, "title": record.task.title, "note": note, "photos": photos == 0 ? "" : "\(photos)",
        ]) {
            let directory = try request.directory()
            let grid = record.task.buildingCode.flatMap { directory.buildingGrids[$0] } ?? directory.root ?? ""
            messages += try directory.staffChats(grid: grid).map { try directory.outbound(text, to: $0, secrets: tasks.secrets) }
        }
        return messages
    }

    /// 通过 / 驳回 T4 @name: a review by staff; the person reviewed is told.
    func review(_ code: String, name: String?, reason: String?, _ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let reviewed = try await tasks.review(code, name: name, reason: reason, by: request.person, directory: try request.directory(), tx: tx,
                                              now: request.now, today: request.today)
        return [.answer(to: request.message, reviewed.done), reviewed.notice]
    }

    /// 积分: the household's balance, points held in vouchers, and the latest entries.
    func balance(_ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let (_, household) = try request.resident()
        let account = LedgerAccounts.household(household)
        let balance = try await tx.ledger.balance(of: account) ?? 0
        let held = try await tx.vouchers(household: household, limit: 1_000).filter { $0.status == .issued }.reduce(Int64(0)) { $0 + $1.points }
        let entries = try await tx.recentTransfers(account: account, limit: 5).map { transfer in
            ["when": replies.clockTime(transfer.at, relativeTo: request.now), "sign": transfer.creditAccount == account ? "+" : "−",
             "amount": "\(transfer.amount)", "what": PointsWording.describe(transfer)]
        }
        return personal(request, .pointsBalance, ["household": PointsWording.householdName(household), "balance": balance,
                                                  "escrow": held > 0 ? "\(held)" : "", "entries": entries], what: .pointsWhatBalance, command: "积分")
    }

    /// 我的券: the household's latest vouchers.
    func vouchers(_ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let (_, household) = try request.resident()
        let vouchers = try await tx.vouchers(household: household, limit: 10).map { voucher in
            let when: String = switch voucher.status {
            case .issued: replies.line(.voucherValidUntil, ["time": replies.fullDate(voucher.expiresAt)])
            case .redeemed: replies.line(.voucherUsedAt, ["time": replies.clockTime(voucher.redeemedAt ?? voucher.issuedAt, relativeTo: request.now)])
            case .expired: replies.line(.voucherExpiredAt, ["time": replies.clockTime(voucher.expiresAt, relativeTo: request.now)])
            }
            return ["code": voucher.code.description, "title": voucher.offerTitle, "merchant": voucher.merchantName,
                    "status": voucher.status.chineseName, "when": when, "link": link(voucher) ?? ""]
        }
        return personal(request, .voucherList, ["household": PointsWording.householdName(household), "vouchers": vouchers],
                        what: .pointsWhatVouchers, command: "我的券")
    }

    /// 积分商城: the offers in stock.
    func offers(tx: PointsTransaction, _ request: Request) async throws -> [OutboundMessage] {
        let offers = try await tx.openOffers().map { record in
            ["code": record.offer.code, "title": record.offer.title, "merchant": record.merchantName, "points": "\(record.offer.points)",
             "value": PointsWording.yuan(Int64(record.offer.valueFen)), "validDays": "\(record.offer.validDays)", "stock": "\(record.offer.stock)"]
        }
        return [answer(request, .pointsOffers, ["offers": offers])]
    }

    /// 兑换 O3: a voucher issued against the household's points, once per message.
    func redeem(_ code: String, _ request: Request, tx: PointsTransaction) async throws -> [OutboundMessage] {
        let (person, household) = try request.resident()
        var generator = SystemRandomNumberGenerator()
        let issue: PointsTransaction.Issue
        do {
            issue = try await tx.issueVoucher(offer: code, person: person.code, household: household, contact: ChatContact(request.message),
                                              requestKey: "m\(request.stored.id)", at: request.now, using: &generator)
        } catch let error as PointsStoreError {
            throw CommandRefusal(PointsWording.reason(error, replies))
        }
        let voucher: Voucher
        switch issue {
        case .issued(let issued), .existing(let issued): voucher = issued
        }
        let balance = try await tx.ledger.balance(of: LedgerAccounts.household(household)) ?? 0
        return personal(request, .voucherIssued, [
            "title": voucher.offerTitle, "merchant": voucher.merchantName, "value": PointsWording.yuan(voucher.valueFen), "code": voucher.code.description,
            "expires": replies.fullDate(voucher.expiresAt), "points": voucher.points, "balance": balance,
            "payload": VoucherTicket(code: voucher.code, expiresAt: voucher.expiresAt).payload(key: voucherKey), "link": link(voucher) ?? "",
        ], what: .pointsWhatVoucher, command: "我的券")
    }
}
