import Foundation

extension Calendar {
    /// The Gregorian calendar in a time zone (by default the community's).
    public static func gregorian(in timeZone: TimeZone = .shanghai) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}

/// Moments written as the community reads them, in its time zone (Beijing time by default).
public struct LocalTime: Sendable {
    public let calendar: Calendar

    public init(_ timeZone: TimeZone = .shanghai) {
        calendar = .gregorian(in: timeZone)
    }

    /// The community's clock.
    public static let community = LocalTime()

    private func parts(_ date: Date) -> DateComponents {
        calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    }

    /// `2026-11-18 10:05`.
    public func minute(_ date: Date) -> String {
        let parts = parts(date)
        return String(format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// `11-18 10:05`, for lists.
    public func short(_ date: Date) -> String {
        let parts = parts(date)
        return String(format: "%02d-%02d %02d:%02d", parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// `2026年11月18日 10:05`, for sentences.
    public func chinese(_ date: Date) -> String {
        let parts = parts(date)
        return String(format: "%d年%d月%d日 %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// `2026-11-18T10:05:00+08:00`: W3C/ISO 8601 with the zone's offset.
    public func iso8601(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = calendar.timeZone.secondsFromGMT(for: date) / 60
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0,
                      parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
            + (offset < 0 ? "-" : "+") + String(format: "%02d:%02d", abs(offset) / 60, abs(offset) % 60)
    }

    /// `14:35`, or `11月22日 09:00` when not the same day as `now`.
    /// A length of time as people say it: `7 分钟`, `2 小时 5 分钟`, `1 天 3 小时`.
    public static func duration(_ seconds: TimeInterval) -> String {
        let minutes = max(1, Int((seconds / 60).rounded(.up)))
        let days = minutes / 1440, hours = minutes % 1440 / 60, rest = minutes % 60
        if days > 0 { return hours > 0 ? "\(days) 天 \(hours) 小时" : "\(days) 天" }
        if hours > 0 { return rest > 0 ? "\(hours) 小时 \(rest) 分钟" : "\(hours) 小时" }
        return "\(rest) 分钟"
    }

    /// `2026年12月16日 23:59`: a date people keep, with its year.
    public func fullDate(_ date: Date) -> String {
        let parts = parts(date)
        return "\(parts.year ?? 0)年\(parts.month ?? 0)月\(parts.day ?? 0)日 " + String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
    }

    public func clock(_ date: Date, relativeTo now: Date) -> String {
        let parts = parts(date)
        let time = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        if calendar.isDate(date, inSameDayAs: now) { return time }
        return "\(parts.month ?? 0)月\(parts.day ?? 0)日 \(time)"
    }
}
