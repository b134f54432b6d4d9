import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The staff console over the real application: sign-in, CSRF, role and grid scoping, every page,
/// the chat commands as forms, the dashboard, the CSV export and the administration pages.
@Suite struct ConsoleTests {
    /// Two reports: #1 in 3号楼 (grid G01, with a phone number in it) and #2 in 33号楼 (G09).
    static func twoReports(_ loop: LoopHarness, _ client: any TestClientProtocol) async throws {
        try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼2单元502电梯停了，有人被困，电话13812345678",
                           attachments: ["https://img.example.com/a.jpg"])
        try await loop.say(client, "resident.liqiang", in: "building-3", "33号楼消防通道堆满纸箱")
    }

    @Test(arguments: TestBackend.allCases)
    func aGridWorkerSeesTheirGridOnlyAndTheAdminSeesAll(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            try await Self.twoReports(loop, client)
            let browser = Browser(client)
            let signedOut = try await browser.get("/reports/1")
            #expect(signedOut.status == .seeOther)
            #expect(signedOut.headers[.location] == "/login?next=/reports/1")

            #expect(try await browser.signIn("W01", "demo-worker-g01").headers[.location] == "/")
            #expect(try await browser.get("/").headers[.location] == "/reports")
            let queue = try await browser.get("/reports")
            #expect(queue.status == .ok)
            #expect(queue.text.contains(#"href="/reports/1""#))
            #expect(!queue.text.contains(#"href="/reports/2""#), "33号楼 is another grid's")
            #expect(queue.text.contains("138****5678") && !queue.text.contains("13812345678"), "phone numbers are masked")
            #expect(try await browser.get("/reports/2").status == .forbidden)
            #expect(try await browser.get("/reports?grid=G09").status == .badRequest, "not a grid of theirs")
            #expect(try await browser.get("/admin").status == .forbidden)
            let dashboard = try await browser.get("/dashboard")
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("反映<b>1</b>件"), "the dashboard counts their grid only")
            let csv = try await browser.get("/reports/export.csv")
            #expect(csv.text.split(separator: "\r\n").count == 2, "a header and their one report")

            let admin = Browser(client)
            _ = try await admin.signIn("ADM1", "demo-admin-hx")
            let all = try await admin.get("/reports")
            #expect(all.text.contains(#"href="/reports/1""#) && all.text.contains(#"href="/reports/2""#))
            let g09 = try await admin.get("/reports?grid=G09&category=fire_safety")
            #expect(!g09.text.contains(#"href="/reports/1""#) && g09.text.contains(#"href="/reports/2""#))
            #expect(try await admin.get("/reports?status=nonsense").status == .badRequest)
            #expect(try await admin.get("/dashboard").text.contains("反映<b>2</b>件"))
        }
    }

    @Test func theChatCommandsWorkAsFormsWithTheSameRules() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.twoReports(loop, client)
            _ = try await loop.newMessages()
            let worker = Browser(client)
            _ = try await worker.signIn("W01", "demo-worker-g01")
            let page = try await worker.get("/reports/1")
            #expect(page.status == .ok)
            for part in ["3号楼2单元502电梯停了", "138****5678", "照片 1", "https://img.example.com/a.jpg", "收到反映", "派单", "签收"] {
                #expect(page.text.contains(part), "the report page shows \(part)")
            }
            // A transfer names no department until one is chosen.
            #expect(page.text.contains(#"<select name="target" aria-label="派往" required><option value="" selected disabled>请选择</option>"#))
            let pageCSRF = try #require(Browser.csrf(in: page))
            let emptyTarget = try await worker.post("/reports/1/actions", form: ["verb": "transfer", "key": "transfer-key-000001", "note": "不归我们"],
                                                    csrf: pageCSRF)
            #expect(emptyTarget.status == .conflict)
            #expect(emptyTarget.text.contains("请写明派往的部门或网格"))
            #expect(try await loop.services.store.workOrder(id: 1)?.status == .assigned, "nothing changed")
            // On a phone the queue's rows are cards; the rows carry what a card shows.
            let queue = try await worker.get("/reports").text
            #expect(queue.contains("@media (max-width:640px)"))
            #expect(queue.contains(#"<td data-label="状态">"#) && queue.contains(#"<td class="text">"#))
            let csrf = try #require(Browser.csrf(in: page))
            let key = try #require(page.text.firstMatch(of: #/name="key" value="([^"]+)"/#).map { String($0.output.1) })

            let forged = try await worker.post("/reports/1/actions", form: ["verb": "acknowledge", "key": key], csrf: "not-the-token")
            #expect(forged.status == .forbidden, "no CSRF token, no action")
            #expect(try await loop.services.store.workOrder(id: 1)?.status == .assigned)

            let acknowledged = try await worker.post("/reports/1/actions", form: ["verb": "acknowledge", "key": key], csrf: csrf)
            #expect(acknowledged.status == .seeOther)
            #expect(try await loop.services.store.workOrder(id: 1)?.status == .acknowledged)
            #expect(try await loop.timeline(1).contains("acknowledge"))
            let told = try await loop.newMessages().texts(in: "building-3")
            #expect(told.contains { $0.contains("#1") && $0.contains("签收") }, "the reporter is told, as after 收到 #1 in chat")

            let again = try await worker.post("/reports/1/actions", form: ["verb": "acknowledge", "key": key], csrf: csrf)
            #expect(again.status == .conflict)
            #expect(again.text.contains("当前状态为「已签收」"))

            let resolved = try await worker.post("/reports/1/actions", form: ["verb": "resolve", "key": "resolve-key-0000001", "note": "已联系维保"], csrf: csrf)
            #expect(resolved.status == .seeOther)
            let ownVerify = try await worker.post("/reports/1/actions", form: ["verb": "verify", "key": "verify-key-00000001"], csrf: csrf)
            #expect(ownVerify.status == .conflict, "the handler cannot verify their own work")

            let admin = Browser(client)
            let adminPage = try await admin.signIn("ADM1", "demo-admin-hx")
            _ = adminPage
            let reportPage = try await admin.get("/reports/1")
            let adminCSRF = try #require(Browser.csrf(in: reportPage))
            #expect(try await admin.post("/reports/1/actions", form: ["verb": "verify", "key": "verify-key-00000002"], csrf: adminCSRF).status == .seeOther)
            #expect(try await loop.services.store.workOrder(id: 1)?.status == .closed)
            #expect(try await admin.post("/reports/1/actions", form: ["verb": "fly", "key": "verify-key-00000003"], csrf: adminCSRF).status == .badRequest)
            #expect(try await worker.post("/reports/2/actions", form: ["verb": "acknowledge", "key": "other-key-000000001"], csrf: csrf).status == .forbidden,
                    "a report outside the grid cannot be acted on")
        }
    }

    @Test func everyConsolePageRenders() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await Self.twoReports(loop, client)
            let admin = Browser(client)
            _ = try await admin.signIn("ADM1", "demo-admin-hx")
            for path in ["/reports", "/reports?status=all&overdue=1", "/reports/1", "/reports/2", "/dashboard", "/dashboard?from=2026-11-01&to=2026-11-30", "/admin", "/triage"] {
                let page = try await admin.get(path)
                #expect(page.status == .ok, "\(path) renders")
                #expect(page.text.hasPrefix("<!doctype html>") && page.text.hasSuffix("</html>\n"), "\(path) is a whole page")
                #expect(!page.text.contains("{{"), "\(path) has no unrendered tags")
            }
            let dashboard = try await admin.get("/dashboard?from=2026-11-01&to=2026-11-30")
            #expect(dashboard.text.components(separatedBy: "<svg").count - 1 == 5, "five charts drawn on the server")
            #expect(dashboard.text.contains("<title>电梯：1</title>"))
            #expect(try await admin.get("/dashboard?from=2026-12-01&to=2026-11-01").status == .badRequest)

            let csv = try await admin.get("/reports/export.csv?from=2026-11-01&to=2026-11-30")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = csv.text.split(separator: "\r\n")
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("\u{FEFF}编号,反映时间,类别"))
            #expect(lines.contains { $0.contains("138****5678") } && !csv.text.contains("13812345678"))

            let merchant = Browser(client)
            _ = try await merchant.signIn("MA1", "demo-counter-m1")
            #expect(try await merchant.get("/").headers[.location] == "/counter")
            #expect(try await merchant.get("/reports").status == .forbidden, "merchants have no console")
        }
    }

    @Test func adminChangesTakeEffectAndAreLogged() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            let admin = Browser(client)
            _ = try await admin.signIn("ADM1", "demo-admin-hx")
            let page = try await admin.get("/admin")
            let csrf = try #require(Browser.csrf(in: page))
            #expect(try await admin.post("/admin/routing", form: ["category": "noise", "department": "police"], csrf: nil).status == .forbidden)

            let saved = try await admin.post("/admin/routing", form: ["category": "noise", "department": "police"], csrf: csrf)
            #expect(saved.status == .seeOther)
            #expect(try await loop.services.store.directory().routing["noise"] == "police")
            let staff = try await admin.post("/admin/staff", form: [
                "code": "W20", "name": "孙丽", "role": "grid_worker", "grid": "G02", "phone": "13900000120", "platform": "generic", "user_id": "worker20",
            ], csrf: csrf)
            #expect(staff.status == .seeOther)
            let person = try await loop.services.store.person(platform: .generic, userID: "worker20")
            #expect(person?.gridCode == "G02" && person?.role == .gridWorker)

            // Moving an existing worker records what they were before.
            #expect(try await admin.post("/admin/staff", form: ["code": "W10", "name": "范伟", "role": "grid_worker", "grid": "G02", "phone": "13900000110"],
                                         csrf: csrf).status == .seeOther)
            #expect(try await loop.services.store.person(platform: .generic, userID: "worker10")?.gridCode == "G02")

            let bad = try await admin.post("/admin/buildings", form: ["code": "3", "grid": "G99", "units": "2", "floors": "6"], csrf: csrf)
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("没有网格 G99"))

            let log = try await admin.get("/admin")
            #expect(log.text.contains("routing noise") && log.text.contains("person W20"))
            #expect(log.text.contains("139****0120") && !log.text.contains("13900000120"), "phone numbers masked in the log")
            let changes = try await loop.services.store.adminChanges()
            #expect(changes.count == 4, "routing, the new person and their chat identity, the moved worker")
            #expect(changes.last?.after.contains("police") == true && changes.last?.actorCode == "ADM1")
            #expect(changes.first?.before?.contains(#""grid_code":"G10""#) == true && changes.first?.after.contains(#""grid_code":"G02""#) == true)

            // A worker reads the new routing at once: a noise report now goes to the police.
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼楼下广场舞噪音太大了，每天晚上到十点")
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.category == .noise && order.departmentCode == "police")
        }
    }
}
