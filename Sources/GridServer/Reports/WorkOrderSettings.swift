import Foundation
import GridCore

/// The deadlines, working calendar and duplicate window the closed loop runs on.
public struct WorkOrderSettings: Sendable {
    public var policy: DeadlinePolicy
    public var calendar: WorkingCalendar
    /// How far back an open report with the same building and category absorbs a new one.
    public var duplicateWindow: TimeInterval

    /// Settings with the standard deadlines and a day's duplicate window unless given.
    public init(policy: DeadlinePolicy = .standard, calendar: WorkingCalendar, duplicateWindow: TimeInterval = 24 * 3600) {
        self.policy = policy
        self.calendar = calendar
        self.duplicateWindow = duplicateWindow
    }
}
