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
