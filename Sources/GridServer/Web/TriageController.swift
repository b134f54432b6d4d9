import Foundation
import GridCore
import GridStore
import Hummingbird

/// The staff console's triage list: messages the parser was unsure of, in the signed-in person's
/// scope like the report queue, each with the parser's guess and why, and the two buttons chat
/// has (上报, 忽略).
struct TriageController: Sendable {
    let console: Console
    let triage: TriageDesk
    let onQueued: @Sendable () -> Void

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/triage") { request, _ in
            guard let staff = try await console.staff(request) else { return Console.signIn(request) }
            return try await page(request, staff, done: Console.parameter(request, "done").map { String($0.prefix(200)) })
        }
        router.post("/triage/:message") { request, context in
            let fields = try await formFields(request)
            try console.sessions.checkCSRF(request, submitted: fields[WebSessions.csrfField])
            guard let staff = try await console.staff(request) else { return Console.signIn(request) }
            guard let messageID = context.parameters.get("message", as: Int64.self) else { throw ServiceError(.badRequest, message: "a message number is a whole number") }
            return try await act(request, staff, messageID: messageID, fields)
        }
    }

    private func page(_ request: Request, _ staff: Console.Staff, done: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let entries = try await console.store.openTriage(scope: staff.scope)
        let groups = Dictionary(staff.directory.chatGroups.map { ("\($0.botCode)/\($0.chatID)", $0.name) }, uniquingKeysWith: { first, _ in first })
        let rows: [[String: Any]] = entries.map { entry in
            let message = entry.message.message
            let candidate = entry.candidate
            return [
                "id": entry.message.id, "chat": groups["\(message.botCode)/\(message.chatID)"] ?? message.chatID,
                "building": candidate.buildingCode.map { "\($0)号楼" } ?? "", "sender": message.senderName ?? "群成员",
                "time": Console.shortTime(message.sentAt), "text": PersonalData.mask(message.text),
                "guess": "\(candidate.guessCategory.chineseName) · \(candidate.guessUrgency.chineseName) · 上报可能 \(candidate.reportChancePercent)%",
                "reason": candidate.reason, "grid": staff.gridName(candidate.gridCode),
                "categories": Console.options(ReportCategory.allCases.map { ($0.rawValue, $0.chineseName) }, selected: candidate.guessCategory.rawValue),
                "urgencies": Console.options(Urgency.allCases.map { ($0.rawValue, $0.chineseName) }, selected: candidate.guessUrgency.rawValue),
                "key": Nonce.random(),
            ]
        }
        return console.render(.triage, request, staff, ["rows": rows, "empty": rows.isEmpty, "total": rows.count, "done": done ?? "", "problem": problem ?? ""], status: status)
    }

    private func act(_ request: Request, _ staff: Console.Staff, messageID: Int64, _ fields: [String: String]) async throws -> Response {
        func field(_ name: String) -> String { (fields[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        let result: TriageDesk.ConsoleResult
        switch field("action") {
        case "promote":
            guard let key = fields["key"], key.count >= 16, key.count <= 64 else {
                throw ServiceError(.badRequest, message: "the form's one-time key is missing; reload the page and try again", page: "页面已过期，请刷新后重试。")
            }
            let category = field("category").isEmpty ? nil : ReportCategory(rawValue: field("category"))
            let urgency = field("urgency").isEmpty ? nil : Urgency(rawValue: field("urgency"))
            guard field("category").isEmpty || category != nil else { throw ServiceError(.badRequest, message: "category must be one of \(ReportCategory.allCases.map(\.rawValue).joined(separator: ", "))") }
            guard field("urgency").isEmpty || urgency != nil else { throw ServiceError(.badRequest, message: "urgency must be one of \(Urgency.allCases.map(\.rawValue).joined(separator: ", "))") }
            let building = field("building").trimmingCharacters(in: CharacterSet(charactersIn: "号楼栋"))
            result = try await triage.promote(messageID: messageID, by: staff.person, category: category, urgency: urgency,
                                              building: building.isEmpty ? nil : building, key: key, now: console.now())
        case "dismiss":
            result = try await triage.dismiss(messageID: messageID, by: staff.person, now: console.now())
        default:
            throw ServiceError(.badRequest, message: "action must be promote or dismiss")
        }
        switch result {
        case .done(let line, let reportID):
            onQueued()
            if let reportID { return WebPages.redirect(to: "/reports/\(reportID)?done=" + (line.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? "")) }
            return WebPages.redirect(to: "/triage?done=" + (line.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? ""))
        case .refused(let reason):
            return try await page(request, staff, problem: reason, status: .conflict)
        }
    }
}
