import Foundation

/// A clock the test moves by hand; every time-dependent rule reads it.
public final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    /// A clock standing at `start`.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_763_712_000)) { current = start }

    /// The present moment as the clock has it.
    public func now() -> Date { lock.withLock { current } }
    /// Moves the clock on.
    public func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }

    /// Beijing time, as people in the community read it.
    public static func beijing(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    }
}
