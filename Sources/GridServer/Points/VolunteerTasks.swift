import Foundation
import GridCore
import GridStore

/// Volunteer tasks as chat and the tasks API share them: who may post and review which tasks,
/// posting with its announcements, and reviews that pay a household once.
struct VolunteerTasks: Sendable {
    let parser: MessageParser
    let replies: ChatReplies
    /// Where groups' `env:NAME` post URLs are read.
    let secrets: [String: String]

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
            throw CommandRefusal(replies.line(.taskPostForbidden), .forbidden)
        }
        if let named, directory.buildingGrids[named] == nil { throw CommandRefusal(replies.line(.taskNoBuilding, ["building": named]), .notFound) }
        var building = named ?? parser.location(in: draft.title).building.flatMap { directory.buildingGrids[$0] == nil ? nil : $0 }
        if building == nil, person.role == .buildingHead { building = person.buildingCode }
        guard Self.mayManage(building: building, person: person, directory: directory) else {
            throw CommandRefusal(building.map { replies.line(.taskBuildingOutOfScope, ["building": $0]) } ?? replies.line(.taskCommunityWide), .forbidden)
        }
        let task = try await tx.insertTask(draft, buildingCode: building, createdBy: person.code, at: now)
        let groups = announcementGroups(building: building, directory: directory)
        var announcements: [OutboundMessage] = []
        if let text = replies.render(.taskAnnounce, [
            "code": task.code, "title": task.title, "points": task.points, "slots": task.slots, "deadline": task.deadline, "building": building ?? "",
            "photoRequired": task.photoRequired,
        ]) {
            announcements = try groups.map { try directory.outbound(text, to: $0, secrets: secrets) }
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
            throw CommandRefusal(replies.line(.taskReviewForbidden), .forbidden)
        }
        let record = try await task(code, tx: tx)
        guard Self.mayManage(building: record.task.buildingCode, person: reviewer, directory: directory) else {
            throw CommandRefusal(replies.line(.taskOutOfScope, ["code": code]), .forbidden)
        }
        let enrolment = try await reviewed(code, name: name, tx: tx)
        let actor = EnrolmentActor(personCode: reviewer.code, householdCode: reviewer.householdCode, mayReview: true)
        if let reason {
            try await move(enrolment, .reject(reason: reason), actor: actor, task: record, today: today, now: now, tx: tx, reviewer: reviewer.code)
        } else {
            do {
                _ = try TaskRules.apply(.approve, to: enrolment.state, by: actor, task: record.task, today: today)
            } catch {
                throw CommandRefusal(error.description)
            }
            guard try await tx.approve(enrolment, points: Int64(record.task.points), reviewer: reviewer.code, at: now) else {
                throw CommandRefusal(replies.line(.taskJustReviewed, ["name": enrolment.personName, "code": code]))
            }
        }
        let balance = try await tx.ledger.balance(of: LedgerAccounts.household(enrolment.householdCode)) ?? 0
        let approved = reason == nil
        let notice = replies.render(.taskReviewed, [
            "approved": approved, "name": enrolment.personName, "code": code, "title": record.task.title, "points": record.task.points,
            "balance": balance, "reason": reason ?? "", "canRedo": today <= record.task.deadline, "deadline": record.task.deadline,
        ]) ?? ""
        let done = replies.done(approved ? .taskApproved : .taskRejected, ["name": enrolment.personName, "code": code, "points": record.task.points])
        return Review(enrolment: enrolment, approved: approved, done: done, notice: enrolment.contact.outbound(notice))
    }
    // MARK: Helpers

    /// A task by its code, or a refusal naming it.
    func task(_ code: String, tx: PointsTransaction) async throws -> TaskRecord {
        guard let record = try await tx.task(code: code) else { throw CommandRefusal(replies.line(.taskNotFound, ["code": code]), .notFound) }
        return record
    }

    /// The sender's enrolment in a task, or a refusal saying to sign up first.
    func enrolment(_ code: String, of person: Person, tx: PointsTransaction) async throws -> Enrolment {
        guard let enrolment = try await tx.enrolment(task: code, person: person.code) else { throw CommandRefusal(replies.line(.taskNotEnrolled, ["code": code])) }
        return enrolment
    }

    /// The enrolment a review names: by `@name`, or the only one waiting.
    private func reviewed(_ code: String, name: String?, tx: PointsTransaction) async throws -> Enrolment {
        let all = try await tx.enrolments(task: code)
        if let name {
            guard let named = all.first(where: { $0.personName == name || $0.personCode == name }) else {
                throw CommandRefusal(replies.line(.taskNoSuchEnrolee, ["code": code, "name": name]), .notFound)
            }
            return named
        }
        let waiting = all.filter { $0.status == .completed }
        guard waiting.count == 1, let only = waiting.first else {
            throw CommandRefusal(waiting.isEmpty ? replies.line(.taskNothingToReview, ["code": code])
                                 : replies.line(.taskSeveralToReview, ["code": code, "count": waiting.count, "names": waiting.map(\.personName).joined(separator: "、")]))
        }
        return only
    }

    /// Moves an enrolment by the task rules, or refuses with their reason.
    func move(
        _ enrolment: Enrolment, _ action: EnrolmentAction, actor: EnrolmentActor, task: TaskRecord, today: String, now: Date, tx: PointsTransaction,
        note: String? = nil, photos: Int = 0, reviewer: String? = nil
    ) async throws {
        let status: EnrolmentStatus
        do {
            status = try TaskRules.apply(action, to: enrolment.state, by: actor, task: task.task, today: today)
        } catch {
            throw CommandRefusal(error.description)
        }
        var reason: String?
        if case .reject(let why) = action { reason = why }
        guard try await tx.move(enrolment, to: status, note: note, photos: photos, reason: reason, reviewer: reviewer, at: now) else {
            throw CommandRefusal(replies.line(.taskChanged, ["code": task.task.code]))
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
}
