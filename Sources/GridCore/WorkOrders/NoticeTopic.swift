import Foundation

/// What a staff notice is about, so a resident's question on the same topic can be answered with
/// it: water, power, gas, heating, the elevator, fees or an event. Pure: the words and the dates
/// in the text decide.
public enum NoticeTopic: String, CaseIterable, Sendable {
    case water, power, gas, heating, elevator, fee, event

    /// The words that name each topic, most specific first.
    static let words: [(NoticeTopic, [String])] = [
        (.heating, ["供暖", "暖气", "停暖", "采暖", "热力"]),
        (.gas, ["停气", "燃气", "天然气", "煤气", "通气"]),
        (.water, ["停水", "供水", "来水", "水压", "自来水", "二次供水", "水箱清洗", "水箱"]),
        (.power, ["停电", "供电", "来电", "电路检修", "电力检修", "断电", "送电"]),
        (.elevator, ["电梯"]),
        (.fee, ["物业费", "缴费", "缴纳", "交费", "收费", "水电费", "停车费", "采暖费"]),
        (.event, ["活动", "报名", "讲座", "义诊", "接种", "体检", "演练"]),
    ]

    /// The topics a text speaks of, in the order of `words`.
    public static func topics(of text: String) -> [NoticeTopic] {
        words.filter { _, cues in cues.contains { text.contains($0) } }.map(\.0)
    }

    /// Until when a notice posted at `posted` holds: the end of the last day it names (今天, 明天,
    /// 后天, 11月20日, 20号), else three days after it was posted.
    public static func validUntil(of text: String, posted: Date, timeZone: TimeZone = .shanghai) -> Date {
        let calendar = Calendar.gregorian(in: timeZone)
        let today = calendar.startOfDay(for: posted)
        var days: [Date] = []
        for (word, offset) in [("今天", 0), ("今日", 0), ("明天", 1), ("明日", 1), ("后天", 2)] where text.contains(word) {
            if let day = calendar.date(byAdding: .day, value: offset, to: today) { days.append(day) }
        }
        let postedParts = calendar.dateComponents([.year, .month, .day], from: posted)
        for match in text.matches(of: /(?:(\d{1,2})月)?(\d{1,2})[日号]/) {
            guard let day = Int(match.output.2), (1...31).contains(day) else { continue }
            let month = match.output.1.flatMap { Int($0) } ?? postedParts.month ?? 1
            guard (1...12).contains(month) else { continue }
            var year = postedParts.year ?? 2026
            // A date well before the posting day is next year's (a notice in December for January).
            if month < (postedParts.month ?? month) - 6 { year += 1 }
            if let date = calendar.date(from: DateComponents(year: year, month: month, day: day)) { days.append(date) }
        }
        guard let last = days.max(), last >= today else { return posted.addingTimeInterval(3 * 86_400) }
        return calendar.date(byAdding: .day, value: 1, to: last) ?? last
    }
}
