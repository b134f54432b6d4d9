import Foundation
import GridCore
import Testing

@Suite struct WorkingCalendarTests {
    static let calendar = try! WorkingCalendar.bundled()

    static func day(_ text: String) -> CalendarDay { CalendarDay(text)! }

    static func beijing(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .shanghai
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    }

    @Test(arguments: [
        ("2026-11-20", true),   // a Friday
        ("2026-11-21", false),  // a Saturday
        ("2026-10-01", false),  // National Day
        ("2026-10-08", true),   // the Thursday after it
        ("2026-10-10", true),   // Saturday make-up day (调休)
        ("2026-09-20", true),   // Sunday make-up day
        ("2026-02-16", false),  // Spring Festival, a Monday
        ("2026-02-14", true),   // Saturday before it, worked
        ("2025-10-08", false),  // 2025's eight-day National Day and Mid-Autumn
        ("2024-02-18", true),   // 2024 Sunday make-up day
        ("2030-06-03", true),   // beyond the file: a Monday works
    ])
    func workingDaysFollowTheStateCouncilNotices(day: String, working: Bool) {
        #expect(Self.calendar.isWorkingDay(Self.day(day)) == working)
    }

    @Test func weekdaysAreCountedFromTheEpoch() {
        #expect(Self.day("1970-01-01").weekday == 4)
        #expect(Self.day("2026-11-21").weekday == 6)
        #expect(Self.day("2000-02-29").adding(days: 1) == Self.day("2000-03-01"))
        #expect(CalendarDay(ordinal: Self.day("1969-12-31").ordinal) == Self.day("1969-12-31"))
    }

    @Test func workingTimeCountsOfficeHoursOfWorkingDaysOnly() {
        // Within the day: an hour later.
        #expect(Self.calendar.adding(workingTime: 3600, to: Self.beijing(2026, 11, 18, 10)) == Self.beijing(2026, 11, 18, 11))
        // Friday 17:00: half an hour left that day, the rest from Monday 08:30.
        #expect(Self.calendar.adding(workingTime: 3600, to: Self.beijing(2026, 11, 20, 17)) == Self.beijing(2026, 11, 23, 9))
        // At night and on a Saturday: from the next working morning.
        #expect(Self.calendar.adding(workingTime: 3600, to: Self.beijing(2026, 11, 18, 22)) == Self.beijing(2026, 11, 19, 9, 30))
        #expect(Self.calendar.adding(workingTime: 3600, to: Self.beijing(2026, 11, 21, 10)) == Self.beijing(2026, 11, 23, 9, 30))
        // National Day: from the 8th.
        #expect(Self.calendar.adding(workingTime: 3600, to: Self.beijing(2026, 10, 1, 10)) == Self.beijing(2026, 10, 8, 9, 30))
    }

    @Test func workingDaysSkipHolidaysAndKeepTheClockTime() {
        // Wednesday 15:00 before National Day: Oct 8, 9 and the make-up Saturday Oct 10.
        #expect(Self.calendar.adding(workingDays: 3, to: Self.beijing(2026, 9, 30, 15)) == Self.beijing(2026, 10, 10, 15))
        // Friday afternoon: Monday, Tuesday, Wednesday.
        #expect(Self.calendar.adding(workingDays: 3, to: Self.beijing(2026, 11, 20, 16)) == Self.beijing(2026, 11, 25, 16))
        // Reported on a Saturday: the clock starts Monday 00:00.
        #expect(Self.calendar.adding(workingDays: 1, to: Self.beijing(2026, 11, 21, 9)) == Self.beijing(2026, 11, 24, 0))
    }

    @Test func badCalendarFilesNameTheLine() {
        #expect(throws: DataFileError(line: 2, message: "'2026-13-01' is not a date (YYYY-MM-DD)")) {
            try WorkingCalendar(parsing: "covers 2026 2026\nholiday 2026-13-01 x")
        }
        #expect(throws: DataFileError.self) { try WorkingCalendar(parsing: "workday 2026-11-20 周五") }
        #expect(throws: DataFileError.self) { try WorkingCalendar(parsing: "vacation 2026-11-20") }
    }
}

@Suite struct DeadlinePolicyTests {
    @Test func theStandardDeadlinesAreTheIssuesOwn() {
        let policy = DeadlinePolicy.standard
        #expect(policy.limit(.acknowledge, .emergency) == .seconds(300))
        #expect(policy.limit(.acknowledge, .urgent) == .seconds(1800))
        #expect(policy.limit(.acknowledge, .normal) == .seconds(7200))
        #expect(policy.limit(.resolve, .emergency) == .seconds(7200))
        #expect(policy.limit(.resolve, .urgent) == .seconds(86400))
        #expect(policy.limit(.resolve, .normal) == .workingDays(3))
    }

    @Test func overridesChangeOnlyWhatTheyName() throws {
        let policy = try DeadlinePolicy(overriding: "normal.resolve=5wd, emergency.acknowledge=10m")
        #expect(policy.limit(.resolve, .normal) == .workingDays(5))
        #expect(policy.limit(.acknowledge, .emergency) == .seconds(600))
        #expect(policy.limit(.acknowledge, .urgent) == .seconds(1800))
    }

    @Test(arguments: ["normal=5wd", "later.resolve=1h", "normal.close=1h", "normal.resolve=5y", "normal.resolve=-1h", "normal.resolve=0m"])
    func badEntriesAreRefused(spec: String) {
        #expect(throws: DeadlinePolicyError.self) { try DeadlinePolicy(overriding: spec) }
    }

    @Test func remindersComeBeforeAndEscalationsAfter() {
        let policy = DeadlinePolicy.standard
        let start = Date(timeIntervalSince1970: 0)
        let due = start.addingTimeInterval(300)
        #expect(policy.reminder(start: start, due: due) == start.addingTimeInterval(240))
        #expect(policy.escalation(to: .gridHead, start: start, due: due) == due)
        #expect(policy.escalation(to: .community, start: start, due: due) == due.addingTimeInterval(300))
        #expect(policy.escalation(to: .street, start: start, due: due) == due.addingTimeInterval(600))
        #expect(EscalationLevel.gridWorker.next == .gridHead && EscalationLevel.street.next == nil)
    }
}

@Suite struct ChatCommandTests {
    static let parser = try! ChatCommandParser.bundled()

    @Test(arguments: [
        ("收到 #12", CommandVerb.acknowledge, [Int64(12)], nil as String?, ""),
        ("@GridBot 签收 ＃12", .acknowledge, [12], nil, ""),
        ("#12 收到", .acknowledge, [12], nil, ""),
        ("已处理 #12 已更换水管", .resolve, [12], nil, "已更换水管"),
        ("#12已处理，已更换水管", .resolve, [12], nil, "已更换水管"),
        ("转办 #12 物业 原因：水管属物业维修", .transfer, [12], "物业", "水管属物业维修"),
        ("转办 #12 物业原因水管属物业维修", .transfer, [12], "物业", "水管属物业维修"),
        ("派单 #3 第五网格", .assign, [3], "第五网格", ""),
        ("退回 #12 不属于本网格", .return, [12], nil, "不属于本网格"),
        ("核实 #12", .verify, [12], nil, ""),
        ("合并 #12 #15", .merge, [12, 15], nil, ""),
        ("合并 #12、#15", .merge, [12, 15], nil, ""),
        ("拆分 #15", .split, [15], nil, ""),
        ("不满意 #12 还在漏", .dissatisfied, [12], nil, "还在漏"),
        ("满意", .satisfied, [], nil, ""),
        ("#12 3号楼2单元", .supplement, [12], nil, "3号楼2单元"),
        ("已处理 修好了", .resolve, [], nil, "修好了"),
        // The note keeps the sender's own punctuation and digits; only matching folds them.
        ("已处理 ＃１２ 已更换水管，阀门也换了３个。", .resolve, [12], nil, "已更换水管，阀门也换了３个"),
    ])
    func commandsAreRecognised(text: String, verb: CommandVerb, ids: [Int64], target: String?, note: String) throws {
        let command = try #require(Self.parser.command(in: text))
        #expect(command.verb == verb)
        #expect(command.reportIDs == ids)
        #expect(command.target == target)
        #expect(command.note == note)
    }

    @Test(arguments: ["收到货了吗", "处理中的问题什么时候能解决", "3号楼电梯坏了", "#", "满意度调查开始了"])
    func ordinaryMessagesAreNotCommands(text: String) {
        #expect(Self.parser.command(in: text) == nil)
    }

    @Test func unknownVerbsInTheFileNameTheirLine() {
        #expect(throws: DataFileError(line: 2, message: "unknown command verb 'finish'")) {
            try ChatCommandParser(parsing: "acknowledge 收到\nfinish 完成")
        }
    }
}

@Suite struct ReportAccessTests {
    static let assignment = ReportAssignment(gridCode: "G03", gridChain: ["G03", "HX"], departmentCode: "property", buildingCode: "12")

    static func person(_ role: Role, grid: String? = nil, building: String? = nil, department: String? = nil) -> Person {
        Person(code: "P", name: "某人", role: role, gridCode: grid, buildingCode: building, departmentCode: department)
    }

    @Test func assigneesAndSupervisorsAreTold() {
        func actor(_ person: Person?) -> ReportActor { ReportAccess.actor(person, senderID: "x", on: Self.assignment) }
        #expect(actor(Self.person(.gridWorker, grid: "G03")).isAssignee)
        #expect(!actor(Self.person(.gridWorker, grid: "G05")).isAssignee, "a worker of another grid")
        #expect(actor(Self.person(.gridHead, grid: "HX")).supervises, "the head of the grid above")
        #expect(!actor(Self.person(.gridHead, grid: "G05")).supervises)
        #expect(actor(Self.person(.departmentStaff, department: "property")).isAssignee)
        #expect(!actor(Self.person(.departmentStaff, department: "city")).isAssignee)
        #expect(actor(Self.person(.buildingHead, building: "12")).isAssignee)
        #expect(actor(Self.person(.communityAdmin)).supervises)
        let stranger = actor(nil)
        #expect(!stranger.isAssignee && !stranger.supervises && stranger.role == .resident)
    }
}

@Suite struct CommunityDirectoryTests {
    static let directory = CommunityDirectory(
        grids: [Grid(code: "HX", name: "和谐社区网格", communityCode: "HX"),
                Grid(code: "G05", name: "第五网格", communityCode: "HX", parentCode: "HX"),
                Grid(code: "G12", name: "第十二网格", communityCode: "HX", parentCode: "HX")],
        buildingGrids: ["9": "G05"],
        departments: [Department(code: "property", name: "和谐物业服务中心", kind: .property),
                      Department(code: "city", name: "幸福街道城管中队", kind: .cityManagement)],
        staff: [], chatGroups: [], bots: [], routing: ["elevator": "property", "*": "city"])

    @Test(arguments: [
        ("物业", CommunityDirectory.Target.department(Department(code: "property", name: "和谐物业服务中心", kind: .property))),
        ("city", .department(Department(code: "city", name: "幸福街道城管中队", kind: .cityManagement))),
        ("城管", .department(Department(code: "city", name: "幸福街道城管中队", kind: .cityManagement))),
        ("第五网格", .grid("G05")),
        ("5网格", .grid("G05")),
        ("十二网格", .grid("G12")),
        ("g12", .grid("G12")),
    ])
    func transferTargetsAreFoundByTheNamesPeopleUse(word: String, target: CommunityDirectory.Target) {
        #expect(Self.directory.target(named: word) == target)
    }

    @Test func routingFallsBackToTheCommunity() {
        #expect(Self.directory.grid(for: Location(building: "9"), group: nil) == "G05")
        #expect(Self.directory.grid(for: Location(), group: nil) == "HX", "no building: the community grid (兜底)")
        #expect(Self.directory.department(for: .elevator)?.code == "property")
        #expect(Self.directory.department(for: .noise)?.code == "city", "no rule: the fallback rule")
        #expect(Self.directory.target(named: "火星") == nil)
    }
}
