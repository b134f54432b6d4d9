import Foundation
import GridCore
import GridStore
import Mustache

/// What GridBot says in chats, rendered from the Mustache templates in `templates/chat` (the same
/// library also holds the web pages in `templates/web`).
public struct ChatReplies: Sendable {
    let library: MustacheLibrary
    let lines: ChatLines
    let timeZone: TimeZone

    /// Loads the templates; fails naming the folder when they cannot be read.
    public init(directory: String, timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai") ?? .current) async throws {
        // A linked folder (a deployment's `templates -> releases/7/templates`) is read where it points.
        let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        let path = resolved.hasSuffix("/") ? resolved : resolved + "/"
        do {
            library = try await MustacheLibrary(directory: path)
        } catch {
            throw ConfigurationError(key: "--templates", message: "the templates in '\(directory)' cannot be loaded: \(error)")
        }
        let needed = ChatTemplate.allCases.map(\.rawValue) + WebTemplate.allCases.map(\.rawValue) + ["web/head"]
        for name in needed where library.getTemplate(named: name) == nil {
            throw ConfigurationError(key: "--templates", message: "'\(directory)' has no \(name).mustache")
        }
        lines = try ChatLines(contentsOf: path + "chat/lines.txt")
        self.timeZone = timeZone
    }

    /// A one-line answer from `chat/lines.txt`.
    public func line(_ line: ChatLine, _ values: [String: Any] = [:]) -> String {
        lines.render(line, values)
    }

    /// A one-line answer saying a command was carried out (`chat/command_done`).
    public func done(_ line: ChatLine, _ values: [String: Any] = [:]) -> String {
        let text = self.line(line, values)
        return render(.commandDone, ["done": text]) ?? text
    }

    /// The answer to a successful `绑定` command.
    public func groupBound(building: String, gridName: String?) -> String? {
        render(.groupBound, ["building": building, "grid": gridName ?? ""])
    }

    /// The answer to a refused `绑定` command.
    public func bindRefused(_ reason: String) -> String? {
        render(.bindRefused, ["reason": reason])
    }

    /// Renders a template; nil only when the template renders to nothing.
    /// Empty strings are left out, so `{{#value}}…{{/value}}` sections hide them (Mustache
    /// otherwise treats any string as true).
    public func render(_ template: ChatTemplate, _ values: [String: Any]) -> String? {
        let present = values.filter { !(($0.value as? String)?.isEmpty ?? false) }
        return library.render(present, withTemplate: template.rawValue)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `2026年12月16日 23:59` in the community's time zone: for dates people keep (a voucher's expiry).
    public func fullDate(_ date: Date) -> String {
        LocalTime(timeZone).fullDate(date)
    }

    /// `14:35`, or `11月22日 09:00` when not today in the community's time zone.
    public func clockTime(_ date: Date, relativeTo now: Date) -> String {
        LocalTime(timeZone).clock(date, relativeTo: now)
    }
}

/// The chat templates GridBot needs (`templates/chat/*.mustache`); all must exist at start.
public enum ChatTemplate: String, CaseIterable, Sendable {
    case reportReceived = "chat/report_received"
    case reportDuplicate = "chat/report_duplicate"
    case reportCard = "chat/report_card"
    case reportAlert = "chat/report_alert"
    case reportProgress = "chat/report_progress"
    case reportReminder = "chat/report_reminder"
    case reportEscalated = "chat/report_escalated"
    case reportSupervisor = "chat/report_supervisor"
    case commandDone = "chat/command_done"
    case commandRefused = "chat/command_refused"
    case commandUnknown = "chat/command_unknown"
    case triageNote = "chat/triage_note"
    case triageReminder = "chat/triage_reminder"
    case noticeAnswer = "chat/notice_answer"
    case buildingStatus = "chat/building_status"
    case careCheck = "chat/care_check"
    case groupBound = "chat/group_bound"
    case bindRefused = "chat/bind_refused"
    case taskPosted = "chat/task_posted"
    case taskAnnounce = "chat/task_announce"
    case taskList = "chat/task_list"
    case taskSignedUp = "chat/task_signed_up"
    case taskCompleted = "chat/task_completed"
    case taskReviewRequest = "chat/task_review_request"
    case taskReviewed = "chat/task_reviewed"
    case pointsBalance = "chat/points_balance"
    case pointsOffers = "chat/points_offers"
    case voucherIssued = "chat/voucher_issued"
    case voucherList = "chat/voucher_list"
    case voucherExpired = "chat/voucher_expired"
    case voucherRedeemed = "chat/voucher_redeemed"
}
