import Foundation
import GridCore
import GridStore
import Mustache

/// What GridBot says in chats, rendered from the Mustache templates in `templates/chat`.
public struct ChatReplies: Sendable {
    let library: MustacheLibrary
    let timeZone: TimeZone

    /// Loads the templates; fails naming the folder when they cannot be read.
    public init(directory: String, timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai") ?? .current) async throws {
        let path = directory.hasSuffix("/") ? directory : directory + "/"
        do {
            library = try await MustacheLibrary(directory: path)
        } catch {
            throw ConfigurationError(key: "--templates", message: "the templates in '\(directory)' cannot be loaded: \(error)")
        }
        for name in ["chat/report_received", "chat/group_bound", "chat/bind_refused"] where library.getTemplate(named: name) == nil {
            throw ConfigurationError(key: "--templates", message: "'\(directory)' has no \(name).mustache")
        }
        self.timeZone = timeZone
    }

    /// The answer to a message recorded as a report.
    public func reportReceived(id: Int64, report: NewReport, handler: String?, now: Date) -> String? {
        let acknowledgeBy = now.addingTimeInterval(Deadlines.acknowledge(report.urgency))
        let values: [String: Any] = [
            "id": id,
            "category": report.category.chineseName,
            "location": report.location.chineseDescription,
            "urgency": report.urgency.chineseName,
            "handler": handler ?? "",
            "needsBuilding": report.location.building == nil,
            "acknowledgeBy": clockTime(acknowledgeBy, relativeTo: now),
        ]
        return render("chat/report_received", values)
    }

    /// The answer to a successful `绑定` command.
    public func groupBound(building: String, gridName: String?) -> String? {
        render("chat/group_bound", ["building": building, "grid": gridName ?? ""])
    }

    /// The answer to a refused `绑定` command.
    public func bindRefused(_ reason: String) -> String? {
        render("chat/bind_refused", ["reason": reason])
    }

    private func render(_ template: String, _ values: [String: Any]) -> String? {
        library.render(values, withTemplate: template)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `14:35`, or `11月22日 09:00` when not today in the community's time zone.
    func clockTime(_ date: Date, relativeTo now: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.month, .day, .hour, .minute], from: date)
        let time = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        if calendar.isDate(date, inSameDayAs: now) { return time }
        return "\(parts.month ?? 0)月\(parts.day ?? 0)日 \(time)"
    }
}
