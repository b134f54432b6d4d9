import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird

/// What every staff console page needs: who is signed in, what they may see, and the page frame
/// (navigation, sign-out form, CSRF token).
struct Console: Sendable {
    let store: SQLStore
    let sessions: WebSessions
    let pages: WebPages
    let now: @Sendable () -> Date

    /// A signed-in member of staff with the community as it is now.
    struct Staff: Sendable {
        var person: Person
        var directory: CommunityDirectory
        var scope: ReportScope

        var isAdmin: Bool { person.role == .communityAdmin }

        /// Whether they may see a report.
        func sees(_ order: WorkOrder) -> Bool {
            scope.contains(directory.assignment(of: order))
        }

        /// The grids they may filter by, in code order.
        var grids: [Grid] {
            let all = directory.grids.values.sorted { $0.code < $1.code }
            guard let codes = scope.gridCodes else { return all }
            return all.filter { codes.contains($0.code) }
        }

        func gridName(_ code: String?) -> String {
            guard let code else { return "" }
            return directory.grids[code]?.name ?? code
        }
    }

    /// The signed-in staff member; nil when nobody is signed in (the caller sends them to sign
    /// in); 403 for merchants and residents.
    func staff(_ request: Request) async throws -> Staff? {
        guard let principal = try await sessions.principal(of: request, allowed: { $0.role.isStaff }, forbidden: "the console is for community staff only", page: "工作台仅供社区工作人员使用。") else {
            return nil
        }
        let directory = try await store.directory()
        return Staff(person: principal.person, directory: directory, scope: ReportScope.of(principal.person, in: directory))
    }

    /// The community admin; 403 for other staff.
    func admin(_ request: Request) async throws -> Staff? {
        guard let staff = try await staff(request) else { return nil }
        guard staff.isAdmin else { throw ServiceError(.forbidden, message: "administration is for the community admin only", page: "社区管理页面仅供社区管理员使用。") }
        return staff
    }

    /// Where to sign in and come back.
    static func signIn(_ request: Request) -> Response {
        let target = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
        return WebPages.redirect(to: "/login?next=" + (target.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? "/"))
    }

    /// A console page in the frame.
    func render(_ template: WebTemplate, _ request: Request, _ staff: Staff, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values["person"] = staff.person.name
        values["role"] = staff.person.role.chineseName
        values["admin"] = staff.isAdmin
        values["care"] = !CareScope.of(staff.person, in: staff.directory).seesNothing
        return pages.page(template, values, for: request, status: status)
    }

    /// `MM-dd HH:mm` in the community's time zone.
    static func shortTime(_ date: Date?) -> String {
        date.map(LocalTime.community.short) ?? ""
    }

    /// `YYYY-MM-DD HH:mm` in the community's time zone.
    static func fullTime(_ date: Date?) -> String {
        date.map(LocalTime.community.minute) ?? ""
    }

    /// Options for a `<select>`: value, label, whether selected.
    static func options(_ pairs: [(String, String)], selected: String?) -> [[String: Any]] {
        pairs.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == selected] }
    }

    /// A query parameter, trimmed; nil when absent or empty.
    static func parameter(_ request: Request, _ name: String) -> String? {
        guard let value = request.uri.queryParameters[Substring(name)].map(String.init)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }
}

extension CharacterSet {
    /// What may stand unescaped in a query value.
    static let urlQueryValue = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+?#"))
}

/// The staff console's reports: the landing page, the queue with its filters, a report's page
/// with its timeline and the chat commands as buttons. Every page sees only the signed-in
/// person's scope; a report outside it is 403.
struct ConsoleController: Sendable {
    let console: Console
    let commands: ReportCommands
    let onQueued: @Sendable () -> Void

    var store: SQLStore { console.store }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/") { request, _ in
            guard let principal = try await console.sessions.principal(of: request) else { return WebPages.redirect(to: "/login") }
            switch principal.person.role {
            case .merchant: return WebPages.redirect(to: "/counter")
            case .resident: throw ServiceError(.forbidden, message: "the console is for community staff only", page: "工作台仅供社区工作人员使用。")
            default: return WebPages.redirect(to: "/reports")
            }
        }
        router.get("/reports") { request, _ in
            guard let staff = try await console.staff(request) else { return Console.signIn(request) }
            return try await queue(request, staff)
        }
        router.get("/reports/:id") { request, context in
            guard let staff = try await console.staff(request) else { return Console.signIn(request) }
            let order = try await visibleOrder(context, staff)
            // The confirmation line travels in the redirect; a crafted link shows at most a line.
            return try await reportPage(request, staff, order, done: Console.parameter(request, "done").map { String($0.prefix(200)) })
        }
        router.post("/reports/:id/actions") { request, context in
            let fields = try await formFields(request)
            try console.sessions.checkCSRF(request, submitted: fields[WebSessions.csrfField])
            guard let staff = try await console.staff(request) else { return Console.signIn(request) }
            let order = try await visibleOrder(context, staff)
            return try await act(request, staff, order, fields)
        }
    }

    // MARK: The queue

    /// The queue's filters as read from the query, with the problem in a 400 when one is wrong.
    struct QueueFilter {
        var grid: String?
        var status = "open"
        var category: ReportCategory?
        var urgency: Urgency?
        var overdue = false
        var page = 1

        init(_ request: Request, staff: Console.Staff) throws {
            if let grid = Console.parameter(request, "grid") {
                guard staff.grids.contains(where: { $0.code == grid }) else { throw ServiceError(.badRequest, message: "grid '\(grid)' is not one of yours", page: "网格 \(grid) 不在您负责的范围内。") }
                self.grid = grid
            }
            if let status = Console.parameter(request, "status") {
                guard status == "open" || status == "all" || ReportStatus(rawValue: status) != nil else {
                    throw ServiceError(.badRequest, message: "status must be open, all or one of \(ReportStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                self.status = status
            }
            if let category = Console.parameter(request, "category") {
                guard let value = ReportCategory(rawValue: category) else {
                    throw ServiceError(.badRequest, message: "category must be one of \(ReportCategory.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                self.category = value
            }
            if let urgency = Console.parameter(request, "urgency") {
                guard let value = Urgency(rawValue: urgency) else {
                    throw ServiceError(.badRequest, message: "urgency must be one of \(Urgency.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                self.urgency = value
            }
            overdue = Console.parameter(request, "overdue") == "1"
            if let page = Console.parameter(request, "page") {
                guard let number = Int(page), number >= 1, number <= 100_000 else { throw ServiceError(.badRequest, message: "page must be a whole number from 1") }
                self.page = number
            }
        }

        func reportFilter(_ staff: Console.Staff, now: Date, pageSize: Int) -> ReportFilter {
            let statuses: [ReportStatus]? = switch status {
            case "open": ReportStatus.allCases.filter(\.isOpen)
            case "all": nil
            default: ReportStatus(rawValue: status).map { [$0] }
            }
            return ReportFilter(scope: staff.scope, grids: grid.map { [$0] }, statuses: statuses, categories: category.map { [$0] },
                                urgency: urgency, overdueAt: overdue ? now : nil, limit: pageSize, offset: (page - 1) * pageSize)
        }

        /// The query string for the same filters on another page or in the export.
        func query(page: Int? = nil) -> String {
            var items = ["status=\(status)"]
            if let grid { items.append("grid=\(grid.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? "")") }
            if let category { items.append("category=\(category.rawValue)") }
            if let urgency { items.append("urgency=\(urgency.rawValue)") }
            if overdue { items.append("overdue=1") }
            if let page { items.append("page=\(page)") }
            return items.joined(separator: "&")
        }
    }

    static let pageSize = 50

    private func queue(_ request: Request, _ staff: Console.Staff) async throws -> Response {
        let filter = try QueueFilter(request, staff: staff)
        let now = console.now()
        let (rows, total) = try await store.reports(filter.reportFilter(staff, now: now, pageSize: Self.pageSize))
        let pages = max(1, (total + Self.pageSize - 1) / Self.pageSize)
        let statusOptions = [("open", "未办结"), ("all", "全部")] + ReportStatus.allCases.map { ($0.rawValue, $0.chineseName) }
        return console.render(.reports, request, staff, [
            "grids": Console.options([("", "全部网格")] + staff.grids.map { ($0.code, $0.name) }, selected: filter.grid ?? ""),
            "statuses": Console.options(statusOptions, selected: filter.status),
            "categories": Console.options([("", "全部类别")] + ReportCategory.allCases.map { ($0.rawValue, $0.chineseName) }, selected: filter.category?.rawValue ?? ""),
            "urgencies": Console.options([("", "全部")] + Urgency.allCases.map { ($0.rawValue, $0.chineseName) }, selected: filter.urgency?.rawValue ?? ""),
            "overdue": filter.overdue,
            "rows": rows.map { row(for: $0, staff, now: now) },
            "empty": rows.isEmpty, "total": total, "page": filter.page, "pages": pages,
            "previous": filter.page > 1 ? "/reports?" + filter.query(page: filter.page - 1) : "",
            "next": filter.page < pages ? "/reports?" + filter.query(page: filter.page + 1) : "",
            "export": "/reports/export.csv?" + filter.query(),
        ])
    }

    private func row(for summary: ReportSummary, _ staff: Console.Staff, now: Date) -> [String: Any] {
        let order = summary.order
        return [
            "id": order.id, "created": Console.shortTime(order.createdAt), "category": order.category.chineseName,
            "urgency": order.urgency.chineseName, "urgent": order.urgency >= .urgent, "location": order.location.chineseDescription,
            "status": order.status.chineseName, "grid": staff.gridName(order.assigneeGrid),
            "department": staff.directory.department(code: order.departmentCode)?.name ?? "",
            "text": String(PersonalData.mask(order.text).prefix(60)), "due": Console.shortTime(summary.dueAt),
            "overdue": summary.dueAt.map { $0 < now } ?? false,
        ]
    }

    // MARK: A report

    private func visibleOrder(_ context: some RequestContext, _ staff: Console.Staff) async throws -> WorkOrder {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw ServiceError(.badRequest, message: "a report number is a whole number", page: "工单号应为数字。") }
        guard let order = try await store.workOrder(id: id) else { throw ServiceError(.notFound, message: "there is no report #\(id)", page: "没有工单 #\(id)。") }
        guard staff.sees(order) else {
            let owner = staff.directory.currentRoute(of: order).description
            throw ServiceError(.forbidden, message: "report #\(id) is outside your grid", page: "工单 #\(id) 不在您负责的范围内，由\(owner)承办。")
        }
        return order
    }

    /// The console's buttons: the chat commands, each with what it asks for.
    struct ActionForm {
        var verb: CommandVerb
        var label: String
        /// An action the lifecycle is asked about, to show only what the person may do now.
        var probe: ReportAction?
        var needsTarget = false
        var needsReason = false
        var takesNote = false
        var needsOther = false
        /// A required value in words, with this hint (the new category, urgency or place).
        var asks: String?
    }

    static let actionForms: [ActionForm] = [
        ActionForm(verb: .acknowledge, label: "签收", probe: .acknowledge),
        ActionForm(verb: .start, label: "开始处置", probe: .start),
        ActionForm(verb: .resolve, label: "已处理", probe: .resolve(note: nil), takesNote: true),
        ActionForm(verb: .verify, label: "核实并办结", probe: .verify),
        ActionForm(verb: .close, label: "办结", probe: .close),
        ActionForm(verb: .assign, label: "派单", probe: .assign(to: ""), needsTarget: true),
        ActionForm(verb: .transfer, label: "转办", probe: .transfer(to: "", reason: "-"), needsTarget: true, needsReason: true),
        ActionForm(verb: .return, label: "退回", probe: .return(reason: "-"), needsReason: true),
        ActionForm(verb: .reopen, label: "重新办理", probe: .reopen(reason: "-"), needsReason: true),
        ActionForm(verb: .merge, label: "合并重复工单", probe: .merge(into: 0), needsOther: true),
        ActionForm(verb: .split, label: "拆分", probe: .split(restoring: .assigned)),
        ActionForm(verb: .supplement, label: "补充说明", probe: nil, takesNote: true),
        ActionForm(verb: .recategorise, label: "更正类别", probe: nil, asks: "新类别，如 燃气"),
        ActionForm(verb: .reprioritise, label: "更正紧急程度", probe: nil, asks: "紧急 / 较急 / 一般"),
        ActionForm(verb: .relocate, label: "更正位置", probe: nil, asks: "如 5号楼2单元"),
    ]

    static let actionNames: [String: String] = [
        "received": "收到反映", "assign": "派单", "acknowledge": "签收", "start": "开始处置", "resolve": "处置完毕", "transfer": "转办",
        "return": "退回", "verify": "核实", "close": "办结", "reopen": "重新办理", "merge": "合并", "merged_into": "并入", "split": "拆分",
        "rate": "评价", "supplement": "补充", "remind": "提醒", "escalate": "升级", "duplicate": "重复反映", "alert": "紧急通知",
        "promoted": "上报为工单", "recategorise": "更正类别", "reprioritise": "更正紧急程度", "relocate": "更正位置",
        "care_check": "关爱探访", "care_alert": "关爱紧急通知", "care_visited": "已探访",
    ]

    private func reportPage(_ request: Request, _ staff: Console.Staff, _ order: WorkOrder, done: String? = nil, problem: String? = nil,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let directory = staff.directory
        let actor = ReportAccess.actor(staff.person, senderID: "web:\(staff.person.code)", on: directory.assignment(of: order))
        let forms = Self.actionForms.filter { form in
            guard let probe = form.probe else { return order.status != .merged && (form.asks == nil || order.status.isOpen) }
            return (try? ReportLifecycle.apply(probe, to: order.state, by: actor)) != nil
        }
        let targets = directory.departments.map { ($0.name, "部门 · \($0.name)") } + staff.directory.grids.values.sorted { $0.code < $1.code }.map { ($0.code, "网格 · \($0.name)") }
        let timeline = try await store.timeline(reportID: order.id)
        let stages = try await store.stages(reportID: order.id)
        let reporters = try await store.reporters(reportID: order.id)
        let photos = try await store.attachments(messageID: order.messageID)
        let now = console.now()
        let key = Nonce.random()
        return console.render(.report, request, staff, [
            "title": "工单 #\(order.id)", "id": order.id, "text": PersonalData.mask(order.text),
            "category": order.category.chineseName, "urgency": order.urgency.chineseName, "urgent": order.urgency >= .urgent,
            "location": order.location.chineseDescription.isEmpty ? "未注明" : order.location.chineseDescription,
            "status": order.status.chineseName, "grid": staff.gridName(order.assigneeGrid),
            "department": directory.department(code: order.departmentCode)?.name ?? "", "created": Console.fullTime(order.createdAt),
            "mergedInto": order.mergedInto.map { "\($0)" } ?? "", "needsTriage": order.needsTriage,
            "reporters": reporters.count, "hasPhotos": !photos.isEmpty,
            // Whoever must act on the report may call the reporter back; everyone else sees them masked.
            "phones": actor.isAssignee || actor.supervises ? PersonalData.phoneNumbers(in: order.text).map { ["number": $0] } : [],
            "photos": photos.enumerated().map { index, photo in
                ["number": index + 1, "link": photo.hasPrefix("https://") || photo.hasPrefix("http://") ? photo : "", "key": photo]
            },
            "stages": stages.map { stage in
                [
                    "stage": stage.stage.chineseName, "grid": staff.gridName(stage.gridCode), "started": Console.fullTime(stage.startedAt),
                    "due": Console.fullTime(stage.dueAt), "ended": Console.fullTime(stage.endedAt),
                    "state": stage.endedAt == nil ? (stage.dueAt < now ? "已超时" : "进行中") : (stage.onTime == true ? "按时" : "超时"),
                    "late": stage.endedAt == nil ? stage.dueAt < now : stage.onTime == false,
                    "level": stage.escalationLevel == .gridWorker ? "—" : stage.escalationLevel.chineseName,
                ] as [String: Any]
            },
            "timeline": timeline.map { event in
                [
                    "at": Console.fullTime(event.at), "actor": event.actorRole == "system" ? "GridBot" : (event.actorName ?? "居民"),
                    "actorRole": Role(rawValue: event.actorRole)?.chineseName ?? "", "action": Self.actionNames[event.action] ?? event.action,
                    "change": event.fromStatus != event.toStatus ? [event.fromStatus?.chineseName, event.toStatus?.chineseName].compactMap { $0 }.joined(separator: " → ") : "",
                    "note": event.note.map(PersonalData.mask) ?? "",
                ] as [String: Any]
            },
            "actions": forms.map { form in
                [
                    "verb": form.verb.rawValue, "label": form.label, "needsTarget": form.needsTarget, "needsReason": form.needsReason,
                    "takesNote": form.takesNote, "needsOther": form.needsOther, "asks": form.asks ?? "", "targets": Console.options(targets, selected: nil),
                ] as [String: Any]
            },
            "noActions": forms.isEmpty, "key": key, "done": done ?? "", "problem": problem ?? "",
        ], status: status)
    }

    private func act(_ request: Request, _ staff: Console.Staff, _ order: WorkOrder, _ fields: [String: String]) async throws -> Response {
        guard let verb = fields["verb"].flatMap(CommandVerb.init), Self.actionForms.contains(where: { $0.verb == verb }) else {
            throw ServiceError(.badRequest, message: "verb must be one of \(Self.actionForms.map(\.verb.rawValue).joined(separator: ", "))")
        }
        guard let key = fields["key"], key.count >= 16, key.count <= 64 else {
            throw ServiceError(.badRequest, message: "the form's one-time key is missing; reload the page and try again", page: "页面已过期，请刷新后重试。")
        }
        func field(_ name: String) -> String { (fields[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        var ids = [order.id]
        if verb == .merge {
            guard let other = Int64(field("other").trimmingCharacters(in: CharacterSet(charactersIn: "#"))) else {
                return try await reportPage(request, staff, order, problem: "请填写要并入本工单的工单号", status: .badRequest)
            }
            guard let otherOrder = try await store.workOrder(id: other), staff.sees(otherOrder) else {
                return try await reportPage(request, staff, order, problem: "没有找到你可处理的工单 #\(other)", status: .badRequest)
            }
            ids.append(other)
        }
        let target = field("target")
        // The merge form's box says what `确认` says in chat.
        let note = verb == .merge && field("confirm") == "1" ? "确认" : field("note")
        let command = ChatCommand(verb: verb, reportIDs: ids, target: target.isEmpty ? nil : target, note: note)
        switch try await commands.perform(command, by: staff.person, key: key, now: console.now()) {
        case .done(let line):
            onQueued()
            return WebPages.redirect(to: "/reports/\(order.id)?done=" + (line.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? ""))
        case .refused(let reason):
            return try await reportPage(request, staff, try await store.workOrder(id: order.id) ?? order, problem: reason, status: .conflict)
        }
    }
}
