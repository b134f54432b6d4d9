import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird

/// The care register's page (`/care`, 关爱台账): the households in the signed-in person's care
/// scope, the checks reports have asked for and not yet had confirmed (with a 已探访 button), and
/// the form that records, changes and removes a household. Only community staff and the
/// households' own grid workers and building heads reach it (``CareScope``); building heads read
/// and confirm visits but do not edit.
struct CareController: Sendable {
    let console: Console
    let commands: ReportCommands
    let onQueued: @Sendable () -> Void

    var store: SQLStore { console.store }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/care") { request, _ in
            guard let (staff, scope) = try await carer(request) else { return Console.signIn(request) }
            return try await page(request, staff, scope, saved: Console.parameter(request, "saved").map { String($0.prefix(200)) },
                                  editing: Console.parameter(request, "edit"))
        }
        router.post("/care") { request, _ in
            let fields = try await formFields(request)
            try console.sessions.checkCSRF(request, submitted: fields[WebSessions.csrfField])
            guard let (staff, scope) = try await carer(request) else { return Console.signIn(request) }
            do {
                let saved = try await save(fields, staff, scope)
                return Self.redirect(saved)
            } catch let problem as ServiceError where problem.status == .badRequest {
                return try await page(request, staff, scope, problem: problem.pageText, status: .badRequest)
            }
        }
        router.post("/care/:code/remove") { request, context in
            let fields = try await formFields(request)
            try console.sessions.checkCSRF(request, submitted: fields[WebSessions.csrfField])
            guard let (staff, scope) = try await carer(request) else { return Console.signIn(request) }
            let record = try await editable(try context.parameters.require("code"), staff, scope)
            // One tap on 移除 asks first: a removed record, and its checks, are gone.
            guard fields["confirm"] == "1" else { return try await page(request, staff, scope, removing: record) }
            _ = try await store.removeCare(code: record.code, by: staff.person, at: console.now())
            return Self.redirect("已从台账移除\(record.place)的记录")
        }
        router.post("/care/visits") { request, _ in
            let fields = try await formFields(request)
            try console.sessions.checkCSRF(request, submitted: fields[WebSessions.csrfField])
            guard let (staff, scope) = try await carer(request) else { return Console.signIn(request) }
            guard let id = fields["report"].flatMap({ Int64($0) }) else { throw ServiceError(.badRequest, message: "report must be a report number") }
            guard let key = fields["key"], (16...64).contains(key.count) else {
                throw ServiceError(.badRequest, message: "the form's one-time key is missing; reload the page and try again", page: "页面已过期，请刷新后重试。")
            }
            let note = (fields["note"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            switch try await commands.perform(ChatCommand(verb: .visited, reportIDs: [id], note: String(note.prefix(200))), by: staff.person, key: key, now: console.now()) {
            case .done(let line):
                onQueued()
                return Self.redirect(line)
            case .refused(let reason):
                return try await page(request, staff, scope, problem: reason, status: .conflict)
            }
        }
    }

    static func redirect(_ line: String) -> Response {
        WebPages.redirect(to: "/care?saved=" + (line.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? ""))
    }

    /// The signed-in staff member and their part of the register; 403 for whoever has none.
    private func carer(_ request: Request) async throws -> (Console.Staff, CareScope)? {
        guard let staff = try await console.staff(request) else { return nil }
        let scope = CareScope.of(staff.person, in: staff.directory)
        guard !scope.seesNothing else {
            throw ServiceError(.forbidden, message: "the care register is for community staff and the households' own grid workers and building heads",
                               page: "关爱台账仅供社区工作人员及负责的网格员、楼长查看。")
        }
        return (staff, scope)
    }

    /// A record the person may change; 404 when there is none they can see, 403 when they only read.
    private func editable(_ code: String, _ staff: Console.Staff, _ scope: CareScope) async throws -> CareRecord {
        guard let record = try await store.careRecord(code: code), scope.sees(record) else {
            throw ServiceError(.notFound, message: "no care record \(code) in your part of the register", page: "台账里没有这条记录。")
        }
        guard scope.mayEdit, scope.covers(record.buildingCode) else {
            throw ServiceError(.forbidden, message: "building heads read the care register; grid workers and community staff keep it",
                               page: "楼长可以查看台账；修改请联系网格员或社区工作人员。")
        }
        return record
    }

    // MARK: The page

    private func page(_ request: Request, _ staff: Console.Staff, _ scope: CareScope, saved: String? = nil, problem: String? = nil,
                      editing: String? = nil, removing: CareRecord? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let directory = staff.directory
        let records = try await store.careRecords(in: scope)
        let checks = try await store.openCareChecks(in: scope)
        let buildings = try await store.buildings().filter { scope.covers($0.code) }
        let visitors = directory.staff.filter { ($0.role == .gridWorker || $0.role == .buildingHead) && visible($0, scope, directory) }
        func name(_ code: String?) -> String { code.flatMap { code in directory.staff.first { $0.code == code } }.map(ReportDispatcher.title(of:)) ?? "" }
        let edited = editing.flatMap { code in records.first { $0.code == code } }
        let values: [String: Any] = [
            "saved": saved ?? "", "problem": problem ?? "", "mayEdit": scope.mayEdit, "count": records.count,
            "removing": removing.map { ["code": $0.code, "place": $0.place, "name": $0.name] } ?? [String: Any](),
            "records": records.map { record in
                [
                    "code": record.code, "place": record.place, "category": record.category.chineseName, "name": record.name,
                    "contact": record.contact ?? "", "note": record.note ?? "",
                    "worker": record.workerCode.map(name) ?? record.responsible(in: directory).map(ReportDispatcher.title(of:)).joined(separator: "、"),
                    "editable": scope.mayEdit && scope.covers(record.buildingCode),
                ] as [String: Any]
            },
            "checks": checks.map { check in
                let record = records.first { $0.code == check.careCode }
                return [
                    "report": check.reportID, "place": record?.place ?? "", "name": record?.name ?? "", "category": record?.category.chineseName ?? "",
                    "asked": check.asked.map(name).joined(separator: "、"), "since": Console.shortTime(check.requestedAt),
                    "alerted": check.alertedAt != nil,
                ] as [String: Any]
            },
            "key": Nonce.random(),
            "form": [
                "code": edited?.code ?? "", "unit": edited?.unit ?? "", "room": edited?.room ?? "", "name": edited?.name ?? "",
                "contact": edited?.contact ?? "", "note": edited?.note ?? "", "editing": edited != nil,
            ] as [String: Any],
            "buildingOptions": Console.options(buildings.map { ($0.code, $0.name) }, selected: edited?.buildingCode),
            "categoryOptions": Console.options(CareCategory.allCases.map { ($0.rawValue, $0.chineseName) }, selected: edited?.category.rawValue),
            "workerOptions": Console.options([("", "（本网格网格员）")] + visitors.map { ($0.code, ReportDispatcher.title(of: $0)) },
                                             selected: edited?.workerCode ?? ""),
        ]
        return console.render(.care, request, staff, values, status: status)
    }

    /// Whether a visitor works in the person's part of the community.
    private func visible(_ person: Person, _ scope: CareScope, _ directory: CommunityDirectory) -> Bool {
        guard scope.buildings != nil else { return true }
        if let building = person.buildingCode { return scope.covers(building) }
        guard let grid = person.gridCode else { return false }
        return directory.buildingGrids.contains { $0.value == grid && scope.covers($0.key) } || person.code == scope.personCode
    }

    // MARK: Saving

    /// Records or changes one household; returns what the confirmation says.
    private func save(_ fields: [String: String], _ staff: Console.Staff, _ scope: CareScope) async throws -> String {
        guard scope.mayEdit else {
            throw ServiceError(.forbidden, message: "building heads read the care register; grid workers and community staff keep it",
                               page: "楼长可以查看台账；修改请联系网格员或社区工作人员。")
        }
        func field(_ name: String) -> String { (fields[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        func optional(_ name: String, _ label: String, max: Int) throws -> String? {
            let value = field(name)
            guard value.count <= max else { throw ServiceError.form("\(label)不能超过 \(max) 个字") }
            return value.isEmpty ? nil : value
        }
        let code: String
        if field("code").isEmpty {
            code = String(format: "C%08X", UInt32.random(in: 0...UInt32.max))
        } else {
            code = try await editable(field("code"), staff, scope).code
        }
        let buildingCode = field("building")
        guard let building = try await store.building(code: buildingCode) else { throw ServiceError.form("请选择楼栋") }
        guard scope.covers(building.code) else { throw ServiceError.form("\(building.name)不在你负责的网格内") }
        let unit = try optional("unit", "单元", max: 3)
        if let unit, (Int(unit).map { !(1...building.units).contains($0) } ?? true) {
            throw ServiceError.form("\(building.name)只有 \(building.units) 个单元，请填 1 到 \(building.units) 的数字")
        }
        guard let category = CareCategory(rawValue: field("category")) else { throw ServiceError.form("请选择关爱类别") }
        guard let name = try optional("name", "姓名", max: 30) else { throw ServiceError.form("请填写关爱对象的姓名") }
        let workerCode = try optional("worker", "负责人", max: 32)
        if let workerCode {
            guard let worker = staff.directory.staff.first(where: { $0.code == workerCode }), worker.role == .gridWorker || worker.role == .buildingHead else {
                throw ServiceError.form("负责探访的须是网格员或楼长")
            }
        }
        let record = CareRecord(
            code: code, buildingCode: building.code, unit: unit, room: try optional("room", "房号", max: 10), category: category, name: name,
            contact: try optional("contact", "联系方式", max: 60), note: try optional("note", "备注", max: 200), workerCode: workerCode)
        try await store.saveCare(record, by: staff.person, at: console.now())
        return "已保存\(record.place)的\(category.chineseName)记录"
    }
}
