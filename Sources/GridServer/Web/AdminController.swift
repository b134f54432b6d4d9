import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird

/// The community admin's pages: grids, buildings, staff, departments, the routing catalogue,
/// chat groups and bots, tasks and offers. Every change is checked against the community (a
/// building's grid must exist, …), saved with a before/after record in the change log, and
/// takes effect for the next message (routing reads the community afresh).
struct AdminController: Sendable {
    let console: Console
    let tasks: TasksAPIController

    var store: SQLStore { console.store }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/admin") { request, _ in
            guard let staff = try await console.admin(request) else { return Console.signIn(request) }
            return try await page(request, staff, saved: Console.parameter(request, "saved"))
        }
        router.post("/admin/:entity") { request, context in
            let fields = try await formFields(request)
            try console.sessions.checkCSRF(request, submitted: fields[WebSessions.csrfField])
            guard let staff = try await console.admin(request) else { return Console.signIn(request) }
            let entity = try context.parameters.require("entity")
            do {
                let saved = try await save(entity, fields, by: staff)
                return WebPages.redirect(to: "/admin?saved=" + (saved.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? "") + "#\(entity)")
            } catch let problem as ServiceError where problem.status == .badRequest {
                return try await page(request, staff, problem: problem.pageText, status: .badRequest)
            } catch let refusal as CommandRefusal {
                return try await page(request, staff, problem: refusal.reason, status: .conflict)
            }
        }
    }

    // MARK: The page

    private func page(_ request: Request, _ staff: Console.Staff, saved: String? = nil, problem: String? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let directory = staff.directory
        let buildings = try await store.buildings()
        let merchants = try await store.merchants()
        let today = CalendarDay(console.now()).description
        let (offers, openTasks) = try await store.readingPoints { tx in (try await tx.allOffers(), try await tx.openTasks(today: today)) }
        let changes = try await store.adminChanges(limit: 50)
        let grids = directory.grids.values.sorted { $0.code < $1.code }
        let gridOptions = [("", "（无）")] + grids.map { ($0.code, "\($0.code) \($0.name)") }
        let buildingOptions = [("", "（无）")] + buildings.map { ($0.code, $0.name) }
        let departmentOptions = [("", "（无）")] + directory.departments.map { ($0.code, $0.name) }
        let staffRoles: [Role] = [.gridWorker, .gridHead, .buildingHead, .departmentStaff, .communityAdmin]
        func name(of grid: String?) -> String { grid.flatMap { directory.grids[$0]?.name } ?? "" }
        var values: [String: Any] = [:]
        values["saved"] = saved ?? ""
        values["problem"] = problem ?? ""
        let gridsValue: [[String: Any]] = grids.map { grid in
                [
                    "code": grid.code, "name": grid.name, "parent": name(of: grid.parentCode),
                    "heads": directory.people(.gridHead, in: grid.code).map(\.name).joined(separator: "、"),
                    "workers": directory.people(.gridWorker, in: grid.code).map(\.name).joined(separator: "、"),
                    "buildings": buildings.filter { $0.gridCode == grid.code }.map(\.code).joined(separator: "、"),
                ] as [String: Any]
            }
        values["grids"] = gridsValue
        let buildingsValue: [[String: Any]] = buildings.map { ["code": $0.code, "name": $0.name, "grid": name(of: $0.gridCode), "units": $0.units, "floors": $0.floors] as [String: Any] }
        values["buildings"] = buildingsValue
        let staffValue: [[String: Any]] = directory.staff.filter { $0.role != .merchant }.map { person in
                [
                    "code": person.code, "name": person.name, "role": person.role.chineseName,
                    "where": [name(of: person.gridCode), person.buildingCode.map { "\($0)号楼" }, directory.department(code: person.departmentCode)?.name]
                        .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " "),
                    "phone": person.phone.map(PersonalData.mask) ?? "",
                    "identities": person.identities.map { "\($0.platform.rawValue):\($0.userID)" }.joined(separator: " "),
                ] as [String: Any]
            }
        values["staff"] = staffValue
        let departmentsValue: [[String: Any]] = directory.departments.map { ["code": $0.code, "name": $0.name, "kind": $0.kind.rawValue] }
        values["departments"] = departmentsValue
        let routingValue: [[String: Any]] = ReportCategory.allCases.map { category in
                [
                    "category": category.rawValue, "name": category.chineseName,
                    "options": Console.options([("", "（按兜底规则）")] + directory.departments.map { ($0.code, $0.name) }, selected: directory.routing[category.rawValue] ?? ""),
                ] as [String: Any]
            }
        values["routing"] = routingValue
        let fallbackValue: Any = directory.department(code: directory.routing["*"])?.name ?? "（未设置）"
        values["fallback"] = fallbackValue
        let botsValue: [[String: Any]] = directory.bots.values.sorted { $0.code < $1.code }.map { bot in
                // Only which settings are set: never their values (tokens, keys).
                ["code": bot.code, "platform": bot.platform.rawValue, "settings": bot.settings.keys.sorted().joined(separator: ", ")]
            }
        values["bots"] = botsValue
        let groupsValue: [[String: Any]] = directory.chatGroups.map { group in
                [
                    "code": group.code, "name": group.name, "bot": group.botCode, "chat": group.chatID, "kind": group.kind.rawValue,
                    "target": [group.buildingCode.map { "\($0)号楼" }, group.gridCode.flatMap { directory.grids[$0]?.name },
                               directory.department(code: group.departmentCode)?.name].compactMap { $0 }.joined(separator: " "),
                ] as [String: Any]
            }
        values["groups"] = groupsValue
        let tasksValue: [[String: Any]] = openTasks.map { record in
                [
                    "code": record.task.code, "title": record.task.title, "points": record.task.points,
                    "slots": "\(record.slotsTaken)/\(record.task.slots)", "deadline": record.task.deadline,
                    "building": record.task.buildingCode.map { "\($0)号楼" } ?? "全社区",
                ] as [String: Any]
            }
        values["tasks"] = tasksValue
        let offersValue: [[String: Any]] = offers.map { record in
                [
                    "code": record.offer.code, "title": record.offer.title, "merchant": record.merchantName, "points": record.offer.points,
                    "value": PointsWording.yuan(Int64(record.offer.valueFen)), "stock": record.offer.stock, "validDays": record.offer.validDays,
                ] as [String: Any]
            }
        values["offers"] = offersValue
        let changesValue: [[String: Any]] = changes.map { change in
                [
                    "at": Console.fullTime(change.at), "actor": change.actorName, "entity": change.entity, "key": change.key,
                    "before": change.before.map(PersonalData.mask) ?? "（新建）", "after": PersonalData.mask(change.after),
                ] as [String: Any]
            }
        values["changes"] = changesValue
        let clock = LocalTime()
        let sessionsValue: [[String: Any]] = try await store.openSessions(at: console.now()).map { session in
            ["person": session.personCode, "name": session.personName, "since": clock.minute(session.createdAt),
             "seen": clock.minute(session.lastSeenAt), "client": session.client ?? "—"]
        }
        values["sessions"] = sessionsValue
        values["escalationGaps"] = directory.escalationGaps().map { ["text": $0] }
        let gridOptionsValue: [[String: Any]] = Console.options(gridOptions, selected: nil)
        values["gridOptions"] = gridOptionsValue
        let buildingOptionsValue: [[String: Any]] = Console.options(buildingOptions, selected: nil)
        values["buildingOptions"] = buildingOptionsValue
        let departmentOptionsValue: [[String: Any]] = Console.options(departmentOptions, selected: nil)
        values["departmentOptions"] = departmentOptionsValue
        let roleOptionsValue: [[String: Any]] = Console.options(staffRoles.map { ($0.rawValue, $0.chineseName) }, selected: nil)
        values["roleOptions"] = roleOptionsValue
        let kindOptionsValue: [[String: Any]] = Console.options(DepartmentKind.allCases.map { ($0.rawValue, $0.rawValue) }, selected: nil)
        values["kindOptions"] = kindOptionsValue
        let groupKindOptionsValue: [[String: Any]] = Console.options(ChatGroupKind.allCases.map { ($0.rawValue, $0.rawValue) }, selected: nil)
        values["groupKindOptions"] = groupKindOptionsValue
        let merchantOptionsValue: [[String: Any]] = Console.options(merchants.map { ($0.code, $0.name) }, selected: nil)
        values["merchantOptions"] = merchantOptionsValue
        let platformOptionsValue: [[String: Any]] = Console.options(ChatPlatform.allCases.map { ($0.rawValue, $0.rawValue) }, selected: nil)
        values["platformOptions"] = platformOptionsValue
        return console.render(.admin, request, staff, values, status: status)
    }

    // MARK: Changes

    /// Saves one form; returns what the confirmation says.
    private func save(_ entity: String, _ fields: [String: String], by staff: Console.Staff) async throws -> String {
        let directory = staff.directory
        let now = console.now()
        func field(_ name: String) -> String { (fields[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        func optional(_ name: String) -> String? { field(name).isEmpty ? nil : field(name) }
        func required(_ name: String, _ label: String, max: Int = 60) throws -> String {
            let value = field(name)
            guard !value.isEmpty else { throw ServiceError.form("请填写\(label)") }
            guard value.count <= max else { throw ServiceError.form("\(label)不能超过 \(max) 个字") }
            return value
        }
        func code(_ name: String = "code", _ label: String = "编码") throws -> String {
            let value = try required(name, label, max: 32)
            guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw ServiceError.form("\(label)只能用字母、数字、- 和 _")
            }
            return value
        }
        func number(_ name: String, _ label: String, _ range: ClosedRange<Int64>) throws -> Int64 {
            guard let value = Int64(field(name)), range.contains(value) else {
                throw ServiceError.form("\(label)须为 \(range.lowerBound) 到 \(range.upperBound) 之间的整数")
            }
            return value
        }
        func grid(_ name: String, required: Bool) throws -> String? {
            guard let value = optional(name) else {
                if required { throw ServiceError.form("请选择网格") }
                return nil
            }
            guard directory.grids[value] != nil else { throw ServiceError.form("没有网格 \(value)") }
            return value
        }
        func building(_ name: String) throws -> String? {
            guard let value = optional(name) else { return nil }
            guard directory.buildingGrids[value] != nil else { throw ServiceError.form("没有 \(value)号楼") }
            return value
        }
        func department(_ name: String) throws -> String? {
            guard let value = optional(name) else { return nil }
            guard directory.department(code: value) != nil else { throw ServiceError.form("没有部门 \(value)") }
            return value
        }
        let person = staff.person

        switch entity {
        case "grids":
            let key = try code()
            let parent = try grid("parent", required: false)
            guard parent != key, parent.map({ directory.chain($0).contains(key) }) != true else {
                throw ServiceError.form("上级网格不能是它自己或它下面的网格")
            }
            guard let community = directory.grids.values.first?.communityCode else { throw ServiceError.form("社区还没有网格，请先载入种子数据") }
            try await store.save(.grid, key: key, fields: [
                ("name", .text(try required("name", "名称"))), ("community_code", .text(directory.grids[key]?.communityCode ?? community)),
                ("parent_code", .text(parent)),
            ], by: person, at: now)
            return "已保存网格 \(key)"

        case "buildings":
            let key = try code("code", "楼号")
            guard let gridCode = try grid("grid", required: true) else { throw ServiceError.form("请选择网格") }
            try await store.save(.building, key: key, fields: [
                ("name", .text(optional("name") ?? "\(key)号楼")), ("grid_code", .text(gridCode)),
                ("units", .number(try number("units", "单元数", 1...50))), ("floors", .number(try number("floors", "层数", 1...200))),
            ], by: person, at: now)
            return "已保存 \(key)号楼"

        case "staff":
            let key = try code()
            guard let role = Role(rawValue: field("role")), role.isStaff else { throw ServiceError.form("请选择工作人员角色") }
            let gridCode = try grid("grid", required: role == .gridWorker || role == .gridHead)
            let buildingCode = try building("building")
            let departmentCode = try department("department")
            if role == .buildingHead, buildingCode == nil { throw ServiceError.form("楼长须选择负责的楼栋") }
            if role == .departmentStaff, departmentCode == nil { throw ServiceError.form("部门工作人员须选择部门") }
            if let phone = optional("phone"), !PersonalData.isPhoneNumber(phone) { throw ServiceError.form("手机号格式不正确") }
            try await store.save(.person, key: key, fields: [
                ("name", .text(try required("name", "姓名", max: 30))), ("role", .text(role.rawValue)),
                ("grid_code", .text(role == .gridWorker || role == .gridHead ? gridCode : nil)),
                ("building_code", .text(role == .buildingHead ? buildingCode : nil)),
                ("department_code", .text(role == .departmentStaff ? departmentCode : nil)),
                ("phone", .text(optional("phone"))),
            ], by: person, at: now)
            if let userID = optional("user_id") {
                guard let platform = ChatPlatform(rawValue: field("platform")) else { throw ServiceError.form("请选择聊天平台") }
                guard try await store.addIdentity(ChatIdentity(platform: platform, userID: userID), to: key, by: person, at: now) else {
                    throw ServiceError.form("\(platform.rawValue) 账号 \(userID) 已属于另一个人")
                }
            }
            return "已保存工作人员 \(key)"

        case "departments":
            let key = try code()
            guard let kind = DepartmentKind(rawValue: field("kind")) else { throw ServiceError.form("请选择部门类型") }
            try await store.save(.department, key: key, fields: [("name", .text(try required("name", "名称"))), ("kind", .text(kind.rawValue))],
                                 by: person, at: now)
            return "已保存部门 \(key)"

        case "sessions":
            let code = field("person")
            guard try await store.person(code: code) != nil else { throw ServiceError.form("没有 \(code) 这个人") }
            let ended = try await store.closeSessions(person: code, at: now)
            return "已结束 \(code) 的 \(ended) 个登录会话"

        case "routing":
            guard let category = ReportCategory(rawValue: field("category")) else { throw ServiceError.form("没有这个类别") }
            guard let departmentCode = try department("department") else {
                throw ServiceError.form("请选择部门；不单独设置的类别按兜底规则派给\(directory.department(code: directory.routing["*"])?.name ?? "社区")")
            }
            try await store.save(.routing, key: category.rawValue, fields: [("department_code", .text(departmentCode))], by: person, at: now)
            return "\(category.chineseName)类问题今后派给\(directory.department(code: departmentCode)?.name ?? departmentCode)"

        case "groups":
            let key = try code()
            guard let group = directory.chatGroups.first(where: { $0.code == key }) else {
                throw ServiceError.form("没有群 \(key)；新群由机器人在群里收到「绑定」后登记")
            }
            guard let kind = ChatGroupKind(rawValue: field("kind")) else { throw ServiceError.form("请选择群类型") }
            let buildingCode = try building("building")
            let gridCode = try grid("grid", required: kind == .gridStaff)
            let departmentCode = try department("department")
            if kind == .building, buildingCode == nil { throw ServiceError.form("楼栋群须选择楼栋") }
            if kind == .department, departmentCode == nil { throw ServiceError.form("部门群须选择部门") }
            try await store.save(.chatGroup, key: key, fields: [
                ("name", .text(optional("name") ?? group.name)), ("kind", .text(kind.rawValue)),
                ("building_code", .text(kind == .building ? buildingCode : nil)), ("grid_code", .text(kind == .gridStaff ? gridCode : nil)),
                ("department_code", .text(kind == .department ? departmentCode : nil)),
            ], by: person, at: now)
            return "已保存群 \(key)"

        case "offers":
            let key = try code()
            let merchants = try await store.merchants()
            guard let merchant = merchants.first(where: { $0.code == field("merchant") }) else { throw ServiceError.form("请选择商户") }
            guard let fen = Decimal(string: field("value")).map({ NSDecimalNumber(decimal: $0 * 100).int64Value }), (1...1_000_000).contains(fen) else {
                throw ServiceError.form("面值须为 0.01 到 10000 元")
            }
            try await store.save(.offer, key: key, fields: [
                ("merchant_code", .text(merchant.code)), ("title", .text(try required("title", "名称"))),
                ("points", .number(try number("points", "所需积分", 1...1_000_000))), ("value_fen", .number(fen)),
                ("stock", .number(try number("stock", "库存", 0...1_000_000))), ("valid_days", .number(try number("valid_days", "有效天数", 1...366))),
            ], by: person, at: now)
            return "已保存兑换项目 \(key)"

        case "tasks":
            guard let points = Int(field("points")) else { throw ServiceError.form("积分须为整数") }
            guard let slots = Int(optional("slots") ?? "1") else { throw ServiceError.form("名额须为整数") }
            let body = TasksAPIController.NewTask(title: field("title"), points: points, slots: slots, deadline: optional("deadline"), building: optional("building"))
            do {
                let posted = try await tasks.post(body, by: person)
                return "已发布任务 \(posted.task.code)：\(posted.task.title)"
            } catch let error as ServiceError where error.status == .badRequest {
                throw ServiceError.form(error.page ?? error.message)
            }

        default:
            throw ServiceError(.notFound, message: "nothing to administer at /admin/\(entity)")
        }
    }
}
