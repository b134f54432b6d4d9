import Foundation

/// A stage of a work order that runs against a deadline.
public enum DeadlineStage: String, CaseIterable, Codable, Sendable, Hashable {
    /// From dispatch until the handler acknowledges (签收).
    case acknowledge
    /// From dispatch until the handler reports it resolved (办理).
    case resolve

    /// The name supervisors read.
    public var chineseName: String {
        switch self {
        case .acknowledge: "签收"
        case .resolve: "办理"
        }
    }
}

/// How long a stage may take: wall-clock time, or working days on the business calendar.
public enum TimeLimit: Sendable, Hashable, CustomStringConvertible {
    case seconds(Int)
    case workingDays(Int)

    /// Parses `5m`, `2h`, `1d` (calendar days) or `3wd` (working days).
    public init?(_ text: String) {
        let units: [(suffix: String, seconds: Int?)] = [("wd", nil), ("m", 60), ("h", 3600), ("d", 86400)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let count = Int(text.dropLast(unit.suffix.count)), count > 0, count <= 100_000 else { return nil }
            self = unit.seconds.map { .seconds(count * $0) } ?? .workingDays(count)
            return
        }
        return nil
    }

    public var description: String {
        switch self {
        case .workingDays(let days): "\(days)wd"
        case .seconds(let seconds) where seconds % 86400 == 0: "\(seconds / 86400)d"
        case .seconds(let seconds) where seconds % 3600 == 0: "\(seconds / 3600)h"
        case .seconds(let seconds): "\(seconds / 60)m"
        }
    }

    /// The deadline for a stage starting at `start`.
    public func deadline(from start: Date, calendar: WorkingCalendar) -> Date {
        switch self {
        case .seconds(let seconds): start.addingTimeInterval(TimeInterval(seconds))
        case .workingDays(let days): calendar.adding(workingDays: days, to: start)
        }
    }
}

/// Who an overdue stage is escalated to, one level at a time (逐级吹哨).
public enum EscalationLevel: Int, CaseIterable, Codable, Sendable, Comparable {
    case gridWorker = 0
    case gridHead = 1
    case community = 2
    case street = 3

    /// The name shown in chats and on the timeline.
    public var chineseName: String {
        switch self {
        case .gridWorker: "网格员"
        case .gridHead: "网格长"
        case .community: "社区"
        case .street: "街道"
        }
    }

    /// The next level up, or nil at the top.
    public var next: EscalationLevel? { EscalationLevel(rawValue: rawValue + 1) }

    public static func < (lhs: EscalationLevel, rhs: EscalationLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The deadlines per urgency and stage, and when to remind and escalate. Configurable with
/// `--deadlines "normal.resolve=5wd,emergency.acknowledge=10m"`.
public struct DeadlinePolicy: Sendable, Equatable {
    var limits: [Urgency: [DeadlineStage: TimeLimit]]
    /// The share of a stage's time after which the handler is reminded (0.8: a 5-minute stage
    /// reminds after 4 minutes).
    public var reminderFraction: Double = 0.8

    /// Acknowledge in 5 minutes, 30 minutes or 2 hours; resolve in 2 hours, 24 hours or 3 working days.
    public static let standard = DeadlinePolicy(limits: [
        .emergency: [.acknowledge: .seconds(5 * 60), .resolve: .seconds(2 * 3600)],
        .urgent: [.acknowledge: .seconds(30 * 60), .resolve: .seconds(24 * 3600)],
        .normal: [.acknowledge: .seconds(2 * 3600), .resolve: .workingDays(3)],
    ])

    /// The standard policy with the overrides in `spec` (`urgency.stage=limit`, comma or newline
    /// separated); throws a message naming the entry that is wrong.
    public init(overriding spec: String) throws(DeadlinePolicyError) {
        self = .standard
        for entry in spec.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let text = entry.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            let sides = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let key = sides.first?.split(separator: ".").map(String.init) ?? []
            guard sides.count == 2, key.count == 2 else { throw DeadlinePolicyError(entry: text, reason: "expected urgency.stage=limit") }
            guard let urgency = Urgency(rawValue: key[0]) else {
                throw DeadlinePolicyError(entry: text, reason: "urgency is one of emergency, urgent, normal")
            }
            guard let stage = DeadlineStage(rawValue: key[1]) else {
                throw DeadlinePolicyError(entry: text, reason: "stage is acknowledge or resolve")
            }
            guard let limit = TimeLimit(sides[1]) else {
                throw DeadlinePolicyError(entry: text, reason: "limit is a whole number with m, h, d or wd (working days)")
            }
            limits[urgency, default: [:]][stage] = limit
        }
    }

    init(limits: [Urgency: [DeadlineStage: TimeLimit]]) {
        self.limits = limits
    }

    /// The limit for a stage of a report of this urgency.
    public func limit(_ stage: DeadlineStage, _ urgency: Urgency) -> TimeLimit {
        limits[urgency]?[stage] ?? DeadlinePolicy.standard.limits[urgency]![stage]!
    }

    /// When a stage starting at `start` must end.
    public func deadline(_ stage: DeadlineStage, _ urgency: Urgency, from start: Date, calendar: WorkingCalendar) -> Date {
        limit(stage, urgency).deadline(from: start, calendar: calendar)
    }

    /// When to remind the handler of a stage running from `start` to `due`.
    public func reminder(start: Date, due: Date) -> Date {
        start.addingTimeInterval(due.timeIntervalSince(start) * reminderFraction)
    }

    /// When an overdue stage is escalated to `level`: the first level up at the deadline, each
    /// further level after another span of the stage's own length.
    public func escalation(to level: EscalationLevel, start: Date, due: Date) -> Date {
        let span = max(60, due.timeIntervalSince(start))
        return due.addingTimeInterval(span * Double(max(0, level.rawValue - 1)))
    }

    /// When the deadline watcher next looks at a stage, given how far it has gone: its reminder,
    /// then its deadline, then each level up; nil once it has reached the top.
    public func nextCheck(of stage: StageRecord) -> Date? {
        guard stage.reminded else { return stage.remindAt }
        guard stage.escalationLevel != .gridWorker else { return stage.dueAt }
        return stage.escalationLevel.next.map { escalation(to: $0, start: stage.startedAt, due: stage.dueAt) }
    }
}

/// A wrong entry in a deadline specification.
public struct DeadlinePolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var entry: String
    public var reason: String

    public var description: String { "'\(entry)': \(reason)" }
}
