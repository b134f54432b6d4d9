import Foundation
import GridCore
import Hummingbird

/// A period of whole days in the community's time zone, both ends included, as the statement,
/// the dashboard and the export read it from `?from=YYYY-MM-DD&to=YYYY-MM-DD`.
struct DayPeriod: Sendable {
    var first: CalendarDay
    var last: CalendarDay
    /// The first day's first moment.
    var from: Date { first.start() }
    /// The moment after the last day.
    var to: Date { last.start().addingTimeInterval(86_400) }

    /// Every day of the period.
    var days: [CalendarDay] {
        var days: [CalendarDay] = []
        var day = first
        while day <= last {
            days.append(day)
            day = CalendarDay(day.start().addingTimeInterval(86_400 + 3_600))
        }
        return days
    }

    /// The period a request asks for; `to` is today and `from` is `defaultFirst(to)` when left
    /// out. 400, saying why, for a malformed day, a backwards period or one that is too long.
    init(_ request: Request, now: Date, maximumDays: Int = 366, defaultFirst: (CalendarDay) -> CalendarDay?) throws {
        let last = Console.parameter(request, "to").map { CalendarDay($0) } ?? CalendarDay(now)
        guard let last, let first = Console.parameter(request, "from").map({ CalendarDay($0) }) ?? defaultFirst(last) else {
            throw ServiceError(.badRequest, message: "from and to must be days written YYYY-MM-DD")
        }
        guard first <= last else { throw ServiceError(.badRequest, message: "from must not be after to") }
        guard last.start().timeIntervalSince(first.start()) < Double(maximumDays) * 86_400 else {
            throw ServiceError(.badRequest, message: "the period may cover at most \(maximumDays) days")
        }
        self.first = first
        self.last = last
    }

    /// The `days` days ending with `last`.
    static func lastDays(_ days: Int) -> (CalendarDay) -> CalendarDay? {
        { last in CalendarDay(last.start().addingTimeInterval(-Double(days - 1) * 86_400 + 3_600)) }
    }
}
