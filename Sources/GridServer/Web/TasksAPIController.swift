import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird
import NIOCore

/// `/api/v1/tasks`: volunteer tasks for staff programs and the console, with the same rules as
/// the chat commands (role and grid scope, one payment per approval) and the same announcements.
struct TasksAPIController: Sendable {
    let store: SQLStore
    let sessions: WebSessions
    let tasks: VolunteerTasks
    let now: @Sendable () -> Date
    /// Called after messages were queued, so the outbound sender starts at once.
    let onQueued: @Sendable () -> Void

    struct NewTask: Decodable {
        var title: String
        var points: Int
        var slots: Int?
        /// `YYYY-MM-DD`; a week from today when left out.
        var deadline: String?
        /// The building it is for; read from the title when left out; none for the whole community.
        var building: String?
        /// Whether a completion needs a photo; false when left out.
        var photoRequired: Bool?
    }

    struct ReviewBody: Decodable {
        /// The person's code or name.
        var person: String
        var approve: Bool
        /// Required to reject.
        var reason: String?
    }

    struct TaskJSON: Encodable {
        var code: String
        var title: String
        var points: Int
        var slots: Int
        var slotsTaken: Int
        var deadline: String
        var building: String?
        var photoRequired: Bool

        init(_ task: VolunteerTask, slotsTaken: Int) {
            code = task.code
            title = task.title
            points = task.points
            slots = task.slots
            self.slotsTaken = slotsTaken
            deadline = task.deadline
            building = task.buildingCode
            photoRequired = task.photoRequired
        }
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/api/v1/tasks") { request, _ in
            _ = try await staff(request)
            let today = CalendarDay(now()).description
            let tasks = try await store.readingPoints { tx in try await tx.openTasks(today: today) }
            return try CounterController.json(tasks.map { TaskJSON($0.task, slotsTaken: $0.slotsTaken) })
        }
        router.post("/api/v1/tasks") { request, _ in
            let person = try await staff(request)
            let body = try await jsonBody(NewTask.self, request, example: #"{"title": "清理3号楼楼道小广告", "points": 10, "slots": 2, "deadline": "2026-12-31"}"#)
            return try await refusing {
                let posted = try await post(body, by: person)
                return try CounterController.json(TaskJSON(posted.task, slotsTaken: 0), status: .created)
            }
        }
        router.post("/api/v1/tasks/:code/review") { request, context in
            let person = try await staff(request)
            let code = try context.parameters.require("code").uppercased()
            let body = try await jsonBody(ReviewBody.self, request, example: #"{"person": "R1", "approve": true}"#)
            if !body.approve, (body.reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw ServiceError(.badRequest, message: "a rejection needs a reason")
            }
            return try await refusing {
                let directory = try await store.directory()
                let moment = now()
                let today = CalendarDay(moment).description
                let review = try await store.withPoints { tx in
                    let review = try await tasks.review(code, name: body.person, reason: body.approve ? nil : body.reason, by: person,
                                                         directory: directory, tx: tx, now: moment, today: today)
                    try await tx.enqueue(review.notice, dedupeKey: "task:\(code):\(review.enrolment.personCode):reviewed", at: moment)
                    return review
                }
                onQueued()
                let balance = try await store.balance(of: LedgerAccounts.household(review.enrolment.householdCode)) ?? 0
                return try CounterController.json(ReviewJSON(task: code, person: review.enrolment.personCode, status: review.approved ? "approved" : "rejected",
                                                             householdBalance: balance))
            }
        }
    }

    /// Posts a task by the chat's rules and queues its announcements; throws a `CommandRefusal`
    /// when the rules refuse it, and 400 for a malformed task.
    func post(_ body: NewTask, by person: Person) async throws -> VolunteerTasks.PostedTask {
        let draft = try Self.draft(body, now: now())
        let directory = try await store.directory()
        let moment = now()
        let posted = try await store.withPoints { tx in
            let posted = try await tasks.postTask(draft, building: body.building, by: person, directory: directory, tx: tx, now: moment)
            for (index, message) in posted.announcements.enumerated() {
                try await tx.enqueue(message, dedupeKey: "task:\(posted.task.code):announce:\(index)", at: moment)
            }
            return posted
        }
        onQueued()
        return posted
    }

    struct ReviewJSON: Encodable {
        var task: String
        var person: String
        var status: String
        var householdBalance: Int64
    }

    /// The signed-in member of staff (401 without one, 403 for anyone else); a browser session
    /// must send its CSRF token for a change.
    private func staff(_ request: Request) async throws -> Person {
        guard let principal = try await sessions.principal(of: request, allowed: { VolunteerTasks.managesTasks($0.role) },
                                                           forbidden: "tasks are managed by grid workers, grid heads, building heads and community staff", page: "志愿任务由网格员、网格长、楼长或社区工作人员管理。")
        else { throw CounterController.unauthorized }
        if request.method != .get { try sessions.checkAPICall(request, by: principal) }
        return principal.person
    }

    /// Maps a refusal by the rules to an HTTP answer that says why.
    private func refusing(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let refusal as CommandRefusal {
            let status: HTTPResponse.Status = switch refusal.kind {
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            }
            throw ServiceError(status, message: refusal.reason)
        }
    }

    static func draft(_ body: NewTask, now: Date) throws -> TaskDraft {
        let title = body.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty, title.count <= 60 else { throw ServiceError(.badRequest, message: "title must be 1 to 60 characters") }
        guard (1...10_000).contains(body.points) else { throw ServiceError(.badRequest, message: "points must be from 1 to 10000") }
        let slots = body.slots ?? 1
        guard (1...1_000).contains(slots) else { throw ServiceError(.badRequest, message: "slots must be from 1 to 1000") }
        let today = CalendarDay(now).description
        var deadline = CalendarDay(now.addingTimeInterval(7 * 86_400)).description
        if let given = body.deadline {
            guard CalendarDay(given) != nil else { throw ServiceError(.badRequest, message: "deadline must be a day written YYYY-MM-DD") }
            guard given >= today else { throw ServiceError(.badRequest, message: "deadline \(given) has passed") }
            deadline = given
        }
        return TaskDraft(title: title, points: body.points, slots: slots, deadline: deadline, deadlineGiven: body.deadline != nil,
                         photoRequired: body.photoRequired ?? false)
    }
}
