import Foundation
import GridCore
@testable import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// The care register: who sees it, that it never leaves their view, and the checks a report
/// that reaches registered households asks for (privately), with their confirmation on the
/// timeline. The demo registers 王秀兰 (3号楼2单元301, checked on by grid worker 潘红梅) and
/// 刘志强 (3号楼1单元602, checked on by building head 唐海燕).
@Suite struct CareRegisterTests {
    @Test(arguments: TestBackend.allCases)
    func aHeatingOutageAsksTheWorkerPrivatelyToCheckOnTheElderlyResident(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            _ = try await loop.newMessages()
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼2单元暖气一点都不热，家里冰凉，老人孩子都冻得受不了")
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.category == .heating && order.location.unit == "2", "\(order.category) \(order.location)")
            let sent = try await loop.newMessages()
            let asked = try #require(sent.privateTexts(to: "worker01").first, "\(sent.map(\.message))")
            #expect(asked.contains("【关爱探访 #1】") && asked.contains("3号楼2单元301 王秀兰（独居老人）") && asked.contains("13900003001"), "\(asked)")
            #expect(asked.contains("已探访 #1"))
            #expect(!asked.contains("刘志强"), "1单元's household is not reached by a 2单元 outage")
            #expect(sent.privateTexts(to: "head3").isEmpty, "刘志强's building head is not asked")
            for message in sent where message.message.recipient == nil {
                #expect(!message.message.text.contains("王秀兰") && !message.message.text.contains("13900003001") && !message.message.text.contains("独居"),
                        "nothing of the register in a chat: \(message.message.text)")
            }
            let asking = try #require(try await loop.services.store.timeline(reportID: 1).first { $0.action == "care_check" })
            #expect(asking.note == "已私信网格员潘红梅探访 1 户关爱对象", "nameless: \(asking.note ?? "")")

            // The same report moving on asks nothing twice.
            try await loop.say(client, "worker01", in: "staff-g01", "收到 #1")
            #expect(try await loop.newMessages().privateTexts(to: "worker01").isEmpty)

            // Someone else may not confirm it; the worker does, from their private chat.
            try await loop.say(client, "resident.liqiang", in: "building-3", "已探访 #1")
            #expect(try await loop.services.store.timeline(reportID: 1).contains { $0.action == "care_visited" } == false)
            try await loop.say(client, "d-heat", in: "d-heat", "已探访 #1")
            #expect(try await loop.services.store.timeline(reportID: 1).contains { $0.action == "care_visited" } == false,
                    "the heating company's staff are not the household's carers")
            try await loop.say(client, "worker01", in: "worker01", "已探访 #1 老人开了电暖器，一切平安")
            let answer = try #require(try await loop.newMessages().texts(in: "worker01").last)
            #expect(answer.contains("#1 涉及的 1 户关爱对象已探访"), "\(answer)")
            let visited = try #require(try await loop.services.store.timeline(reportID: 1).first { $0.action == "care_visited" })
            #expect(visited.actorCode == "W01" && visited.note == "网格员潘红梅已确认探访 1 户关爱对象", "\(visited)")
            let check = try #require(try await loop.services.store.transaction { tx in try await tx.workOrders.careChecks(reportID: 1) }.first)
            #expect(check.visitedBy == "W01" && check.visitNote == "老人开了电暖器，一切平安" && check.visitedAt != nil)

            try await loop.say(client, "worker01", in: "worker01", "已探访 #1")
            #expect(try await loop.newMessages().texts(in: "worker01").last?.contains("已全部确认探访") == true)
            #expect(try await loop.services.store.timeline(reportID: 1).filter { $0.action == "care_visited" }.count == 1)

            // A report that threatens nobody on the register asks nothing.
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼门口的垃圾桶满了好几天没人清")
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼2单元楼道灯坏了")
            #expect(try await loop.newMessages().allSatisfy { $0.message.recipient == nil }, "a stair light is no outage")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func anEmergencyInTheirUnitTellsTheirCarerAndTheGridHeadAtOnce(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            _ = try await loop.newMessages()
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "3号楼1单元楼道里着火了，好多烟，快来人")
            let order = try #require(try await loop.services.store.workOrder(id: 1))
            #expect(order.urgency == .emergency && order.location.unit == "1", "\(order.urgency) \(order.location)")
            let sent = try await loop.newMessages()
            let carer = try #require(sent.privateTexts(to: "head3").first, "the building head named for 刘志强")
            #expect(carer.contains("紧急情况，请立即上门或电话确认") && carer.contains("3号楼1单元602 刘志强（残疾人）") && carer.contains("坐轮椅"), "\(carer)")
            #expect(!carer.contains("王秀兰"), "2单元 is not in the emergency's unit")
            let head = try #require(sent.privateTexts(to: "zheng.jianguo").first, "the grid head hears at once")
            #expect(head.contains("【紧急·关爱对象 #1】") && head.contains("已请楼长唐海燕探访") && head.contains("刘志强"), "\(head)")
            let actions = try await loop.timeline(1)
            #expect(actions.contains("care_check") && actions.contains("care_alert"), "\(actions)")
            let alert = try #require(try await loop.services.store.timeline(reportID: 1).first { $0.action == "care_alert" })
            #expect(alert.note == "紧急情况涉及 1 户关爱对象，已即时通知网格长郑建国", "\(alert.note ?? "")")
            for message in sent where message.message.recipient == nil {
                #expect(!message.message.text.contains("刘志强") && !message.message.text.contains("13900003002"), "\(message.message.text)")
            }

            // A report raised to an emergency later alerts the grid head then, once.
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼2单元停水了，一滴水都没有")
            #expect(try await loop.newMessages().privateTexts(to: "worker01").first?.contains("王秀兰") == true)
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "改级 #2 紧急")
            let raised = try await loop.newMessages()
            #expect(raised.privateTexts(to: "zheng.jianguo").first?.contains("王秀兰") == true, "\(raised.map(\.message))")
            #expect(raised.privateTexts(to: "worker01").isEmpty, "the worker was asked already")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func onlyStaffAndTheHouseholdsOwnWorkerAndBuildingHeadSeeTheRegister(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        let store = loop.services.store
        for (person, password) in [("L-3", "demo-head-b3"), ("D-HEAT", "demo-dept-heat"), ("R1", "demo-resident-1"), ("W03", "demo-worker-g03")] {
            _ = try await store.setPassword(person: person, hash: try PasswordHash.make(password, logN: PasswordHash.minimumLogN), at: Date())
        }
        try await loop.run { loop, client in
            let admin = Browser(client)
            _ = try await admin.signIn("ADM1", "demo-admin-hx")
            let all = try await admin.get("/care")
            #expect(all.status == .ok && all.headers[.cacheControl] == "no-store")
            #expect(["王秀兰", "刘志强", "陈桂芳", "赵建华", "13900003001"].allSatisfy(all.text.contains), "the admin sees every household")
            #expect(all.text.contains("登记关爱对象") && all.text.contains(#"<a href="/care">关爱</a>"#))

            let worker = Browser(client)
            _ = try await worker.signIn("W01", "demo-worker-g01")
            let own = try await worker.get("/care")
            #expect(own.text.contains("王秀兰") && own.text.contains("刘志强") && !own.text.contains("陈桂芳") && !own.text.contains("赵建华"),
                    "a grid worker sees their grid's households only")
            let otherWorker = Browser(client)
            _ = try await otherWorker.signIn("W03", "demo-worker-g03")
            let g03 = try await otherWorker.get("/care").text
            #expect(g03.contains("陈桂芳") && !g03.contains("王秀兰"))

            let head = Browser(client)
            _ = try await head.signIn("L-3", "demo-head-b3")
            let building = try await head.get("/care")
            #expect(building.text.contains("王秀兰") && building.text.contains("刘志强") && !building.text.contains("陈桂芳"))
            #expect(!building.text.contains("登记关爱对象"), "a building head reads, and does not edit")
            let headCSRF = try #require(Browser.csrf(in: building))
            #expect(try await head.post("/care", form: ["building": "3", "category": "elderly", "name": "某某"], csrf: headCSRF).status == .forbidden)
            #expect(try await head.post("/care/C01/remove", form: [:], csrf: headCSRF).status == .forbidden)

            for (account, password) in [("D-HEAT", "demo-dept-heat"), ("MA1", "demo-counter-m1"), ("R1", "demo-resident-1")] {
                let outsider = Browser(client)
                _ = try await outsider.signIn(account, password)
                let refused = try await outsider.get("/care")
                #expect(refused.status == .forbidden && !refused.text.contains("王秀兰"), "\(account): \(refused.status)")
                #expect(try await outsider.get("/reports").text.contains(#"href="/care""#) == false)
            }
            #expect(try await Browser(client).get("/care").status == .seeOther, "signed out: to the sign-in")

            // The worker records a household in their grid, and may not in another's.
            let csrf = try #require(Browser.csrf(in: own))
            let saved = try await worker.post("/care", form: [
                "building": "3", "unit": "2", "room": "402", "category": "elderly", "name": "孙玉梅", "contact": "13900003009", "note": "耳背，多敲门",
            ], csrf: csrf)
            #expect(saved.status == .seeOther)
            #expect(try await worker.get("/care").text.contains("孙玉梅"))
            let elsewhere = try await worker.post("/care", form: ["building": "12", "category": "elderly", "name": "某某"], csrf: csrf)
            #expect(elsewhere.status == .badRequest && elsewhere.text.contains("不在你负责的网格内"))
            let badUnit = try await worker.post("/care", form: ["building": "3", "unit": "7", "category": "elderly", "name": "某某"], csrf: csrf)
            #expect(badUnit.status == .badRequest && badUnit.text.contains("只有 2 个单元"))
            #expect(try await worker.post("/care", form: ["code": "C03", "building": "3", "category": "elderly", "name": "改名"], csrf: csrf).status == .notFound,
                    "another grid's record cannot be reached by its code")
            #expect(try await store.careRecord(code: "C03")?.name == "陈桂芳")

            // What the register holds never leaves the staff's view: not the admin's change log,
            // not Open311, not the reports export.
            let log = try await store.adminChanges(limit: 10).filter { $0.entity == "care" }
            #expect(log.count == 1 && !log[0].after.contains("孙玉梅") && !log[0].after.contains("13900003009") && log[0].after.contains("3号楼2单元402"))
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼2单元停电了，整个单元都黑了")
            let open311 = try await client.execute(uri: "/open311/v2/requests.json", method: .get)
            #expect(open311.status == .ok && !String(buffer: open311.body).contains("王秀兰") && !String(buffer: open311.body).contains("关爱"))
            let export = try await admin.get("/reports/export.csv")
            #expect(!export.text.contains("王秀兰") && !export.text.contains("孙玉梅"))
            let report = try await worker.get("/reports/1").text
            #expect(report.contains("关爱探访") && report.contains("探访 2 户关爱对象") && !report.contains("王秀兰"), "the timeline counts, never names")

            // The open check is listed with its button; the worker confirms it there.
            let listed = try await worker.get("/care")
            #expect(listed.text.contains(#"<a href="/reports/1">#1</a> 3号楼2单元301 王秀兰"#))
            let key = try #require(listed.text.firstMatch(of: #/name="key" value="([^"]+)"/#).map { String($0.output.1) })
            let confirmed = try await worker.post("/care/visits", form: ["report": "1", "key": key, "note": "都好"], csrf: try #require(Browser.csrf(in: listed)))
            #expect(confirmed.status == .seeOther)
            #expect(try await worker.get("/care").text.contains("没有待确认的探访"))
            #expect(try await loop.timeline(1).contains("care_visited"))

            // Removing a record takes its checks with it.
            let page = try await admin.get("/care")
            let asking = try await admin.post("/care/C01/remove", form: [:], csrf: try #require(Browser.csrf(in: page)))
            #expect(asking.status == .ok && asking.text.contains("确定从台账移除3号楼2单元301 王秀兰的记录？"), "one tap asks first")
            #expect(try await store.careRecord(code: "C01") != nil)
            #expect(try await admin.post("/care/C01/remove", form: ["confirm": "1"], csrf: try #require(Browser.csrf(in: asking))).status == .seeOther)
            #expect(try await store.careRecord(code: "C01") == nil)
            #expect(try await store.transaction { tx in try await tx.workOrders.careChecks(reportID: 1) }.allSatisfy { $0.careCode != "C01" })
        }
    }

    @Test func theSeedChecksCareRecords() throws {
        let base = """
            street code=S name=街道
            community code=C name=社区 street=S
            grid code=G name=网格 community=C
            building code=1 grid=G units=2 floors=6
            department code=d name=部门 kind=community
            person code=W name=网格员 role=grid_worker grid=G
            person code=D name=部门人员 role=department_staff department=d

            """
        let seed = try CommunitySeed.parse(base + "care code=K1 building=1 unit=2 room=301 category=elderly_alone name=王秀兰 contact=13900003001 worker=W\n",
                                           fileName: "t.seed")
        #expect(seed.care == [CareRecord(code: "K1", buildingCode: "1", unit: "2", room: "301", category: .elderlyAlone, name: "王秀兰",
                                         contact: "13900003001", workerCode: "W")])
        func problem(_ line: String) -> String {
            do {
                _ = try CommunitySeed.parse(base + line + "\n", fileName: "t.seed")
                return ""
            } catch {
                return error.description
            }
        }
        #expect(problem("care code=K1 building=1 category=lonely name=某") .contains("field 'category': 'lonely' is not one of elderly_alone"))
        #expect(problem("care code=K1 building=9 category=elderly name=某").contains("no building with code '9'"))
        #expect(problem("care code=K1 building=1 category=elderly name=某 worker=D").contains("field 'worker': 'D' is a department_staff"))
        #expect(problem("care code=K1 building=1 category=elderly").contains("field 'name'"))
    }

    @Test func aProblemReachesTheHouseholdsOfItsBuildingAndUnit() {
        let upstairs = CareRecord(code: "A", buildingCode: "3", unit: "2", room: "301", category: .elderlyAlone, name: "甲")
        let wholeBuilding = CareRecord(code: "B", buildingCode: "3", category: .hardship, name: "乙")
        #expect(upstairs.isReached(by: Location(building: "3", unit: "2")))
        #expect(!upstairs.isReached(by: Location(building: "3", unit: "1")))
        #expect(upstairs.isReached(by: Location(building: "3")), "a problem with no unit is the whole building's")
        #expect(wholeBuilding.isReached(by: Location(building: "3", unit: "1")))
        #expect(!upstairs.isReached(by: Location(building: "4", unit: "2")))
        #expect(CareRisk.callsForCheck(.heating, .normal) && CareRisk.callsForCheck(.gas, .normal) && CareRisk.callsForCheck(.noise, .emergency))
        #expect(CareRisk.callsForCheck(.power, .urgent) && CareRisk.callsForCheck(.water, .urgent) && CareRisk.callsForCheck(.elevator, .urgent))
        #expect(!CareRisk.callsForCheck(.power, .normal), "a broken stair light is no outage")
        #expect(!CareRisk.callsForCheck(.water, .normal) && !CareRisk.callsForCheck(.sanitation, .urgent))
    }
}
