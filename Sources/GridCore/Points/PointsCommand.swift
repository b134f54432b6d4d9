import Foundation

/// A volunteer-points command found in a chat message.
public enum PointsCommand: Sendable, Equatable {
    /// `发布任务 清理3号楼楼道小广告 10分 2人 周五前` (staff).
    case postTask(TaskDraft)
    /// `任务` / `任务列表`: the open tasks.
    case listTasks
    /// `报名 T12`.
    case signUp(task: String)
    /// `取消报名 T12`.
    case withdraw(task: String)
    /// `完成 T12 已清理干净` (with a photo or not).
    case complete(task: String, note: String)
    /// `通过 T12 @张三` (a reviewer; the name may be left out when one completion waits).
    case approve(task: String, person: String?)
    /// `驳回 T12 @张三 还有两层没清理` (a reviewer; a reason is required).
    case reject(task: String, person: String?, reason: String)
    /// `积分`: the household's balance and recent entries.
    case balance
    /// `兑换记录`: the household's vouchers.
    case vouchers
    /// `兑换` / `积分商城`: the offers on hand.
    case listOffers
    /// `兑换 O3`.
    case redeem(offer: String)
}

/// A task as a member of staff wrote it in chat, before it has a number.
public struct TaskDraft: Sendable, Equatable {
    public var title: String
    public var points: Int
    public var slots: Int
    /// The last day it may be completed, `YYYY-MM-DD` in the community's time zone.
    public var deadline: String
    /// Whether the deadline was written (else a week from today was taken).
    public var deadlineGiven: Bool
    /// Whether completing it needs a photo (`需拍照`, `附照片`).
    public var photoRequired: Bool

    public init(title: String, points: Int, slots: Int, deadline: String, deadlineGiven: Bool, photoRequired: Bool = false) {
        self.title = title
        self.points = points
        self.slots = slots
        self.deadline = deadline
        self.deadlineGiven = deadlineGiven
        self.photoRequired = photoRequired
    }
}

/// Why a points command could not be read; the reply tells the sender how to write it.
public struct PointsCommandError: Error, Sendable, Equatable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }
}

/// Recognises the volunteer-points commands. They are told apart from report commands by their
/// words and by naming a task (`T12`) or an offer (`O3`), never a report (`#12`).
public struct PointsCommandParser: Sendable {
    public let timeZone: TimeZone

    public init(timeZone: TimeZone = .shanghai) {
        self.timeZone = timeZone
    }

    static let exactWords: [String: PointsCommand] = [
        "积分": .balance, "我的积分": .balance, "查积分": .balance, "积分查询": .balance, "查询积分": .balance, "查看积分": .balance,
        "兑换记录": .vouchers, "我的兑换": .vouchers, "我的券": .vouchers, "我的兑换券": .vouchers, "兑换券": .vouchers,
        "任务": .listTasks, "任务列表": .listTasks, "志愿任务": .listTasks, "查看任务": .listTasks,
        "兑换": .listOffers, "积分商城": .listOffers, "兑换列表": .listOffers, "积分兑换": .listOffers,
    ]

    /// The command a message is, nil when it is not one, or an error when it starts like one
    /// but is malformed (`发布任务` with no points).
    public func command(in text: String, now: Date) -> Result<PointsCommand, PointsCommandError>? {
        var rest = Substring(ChatCommandParser.fold(text).trimmingCharacters(in: .whitespacesAndNewlines))
        while rest.hasPrefix("@"), let space = rest.firstIndex(where: ChatCommandParser.isSpace) {
            rest = rest[space...].drop(while: ChatCommandParser.isSpace)
        }
        let body = rest.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "。！!？?")))
        if let command = Self.exactWords[body] { return .success(command) }

        if body.hasPrefix("发布任务") {
            return draft(String(body.dropFirst(4)), now: now).map(PointsCommand.postTask)
        }
        for (word, make) in Self.taskVerbs {
            guard body.hasPrefix(word) else { continue }
            var after = Substring(body.dropFirst(word.count)).drop(while: ChatCommandParser.isSpace)
            guard let task = Self.code(prefix: "T", from: &after) else { return nil }
            let note = String(after).trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "：:，,")))
            return make(task, note)
        }
        if body.hasPrefix("兑换") {
            var after = Substring(body.dropFirst(2)).drop(while: ChatCommandParser.isSpace)
            guard let offer = Self.code(prefix: "O", from: &after), after.allSatisfy(ChatCommandParser.isSpace) else { return nil }
            return .success(.redeem(offer: offer))
        }
        return nil
    }

    /// The verbs that name a task, longest first (取消报名 before 报名).
    static let taskVerbs: [(String, @Sendable (String, String) -> Result<PointsCommand, PointsCommandError>)] = [
        ("取消报名", { task, _ in .success(.withdraw(task: task)) }),
        ("我报名", { task, _ in .success(.signUp(task: task)) }),
        ("报名", { task, _ in .success(.signUp(task: task)) }),
        ("已完成", { task, note in .success(.complete(task: task, note: note)) }),
        ("完成", { task, note in .success(.complete(task: task, note: note)) }),
        ("审核通过", { task, note in .success(.approve(task: task, person: mention(in: note).person)) }),
        ("通过", { task, note in .success(.approve(task: task, person: mention(in: note).person)) }),
        ("驳回", { task, note in
            let (person, reason) = mention(in: note)
            guard !reason.isEmpty else { return .failure(PointsCommandError("请写明驳回原因，例如「驳回 \(task) @张三 还有两层没有清理」")) }
            return .success(.reject(task: task, person: person, reason: reason))
        }),
    ]

    /// `T12`, `t12`, `#T12`: the code, upper-cased, with the text after it left in `rest`.
    static func code(prefix: Character, from rest: inout Substring) -> String? {
        var text = rest
        if text.first == "#" { text = text.dropFirst() }
        guard let first = text.first, first.uppercased() == String(prefix) else { return nil }
        let digits = text.dropFirst().prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty else { return nil }
        let after = text.dropFirst(1 + digits.count)
        // `T12x` is a word, not a code.
        if let next = after.first, next.isASCII, next.isLetter || next.isNumber { return nil }
        rest = after.drop(while: { ChatCommandParser.isSpace($0) || $0 == "号" })
        return "\(prefix)\(digits)"
    }

    /// `@张三 理由…` → ("张三", "理由…"); no mention → (nil, the whole text).
    static func mention(in text: String) -> (person: String?, rest: String) {
        let trimmed = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        guard trimmed.first == "@" else { return (nil, String(trimmed)) }
        let name = trimmed.dropFirst().prefix(while: { !ChatCommandParser.isSpace($0) && !"，,：:".contains($0) })
        let rest = trimmed.dropFirst(1 + name.count).drop(while: { ChatCommandParser.isSpace($0) || "，,：:".contains($0) })
        return (name.isEmpty ? nil : String(name), String(rest))
    }

    // MARK: Task drafts

    /// Reads `清理3号楼楼道小广告 10分 2人 周五前 需拍照`: points (`10分`, `10积分`), slots (`2人`,
    /// `2名`, `限2人`), a deadline phrase, whether a photo is required (`需拍照`, `附照片`,
    /// `拍照为证`), and the rest as the title.
    func draft(_ text: String, now: Date) -> Result<TaskDraft, PointsCommandError> {
        let example = "例如「发布任务 清理3号楼楼道小广告 10分 2人 周五前」"
        var rest = text
        guard let points = Self.take(#/(\d+)\s*(?:积分|分)(?!钟)/#, from: &rest), points > 0, points <= 10_000 else {
            return .failure(PointsCommandError("请写明任务积分（1–10000），\(example)"))
        }
        let slots = Self.take(#/限?(\d+)\s*(?:人|名|位)/#, from: &rest) ?? 1
        guard slots > 0, slots <= 1_000 else { return .failure(PointsCommandError("人数应在 1–1000 之间，\(example)")) }
        var photoRequired = false
        if let match = rest.firstMatch(of: Self.photoPhrase) {
            photoRequired = true
            rest.removeSubrange(match.range)
        }
        var deadline: String?
        if let (day, range) = deadlineDay(in: rest, now: now) {
            deadline = day
            rest.removeSubrange(range)
        }
        let title = rest.split(whereSeparator: { ChatCommandParser.isSpace($0) || $0 == "，" || $0 == "," }).joined(separator: " ")
            .trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "：:")))
        guard !title.isEmpty else { return .failure(PointsCommandError("请写明任务内容，\(example)")) }
        guard title.count <= 60 else { return .failure(PointsCommandError("任务名称请控制在 60 字以内")) }
        let fallback = CalendarDay(now.addingTimeInterval(7 * 86_400), in: timeZone).description
        if let deadline, deadline < CalendarDay(now, in: timeZone).description { return .failure(PointsCommandError("截止日期 \(deadline) 已经过去了")) }
        return .success(TaskDraft(title: title, points: points, slots: slots, deadline: deadline ?? fallback, deadlineGiven: deadline != nil,
                                  photoRequired: photoRequired))
    }

    /// The words of a task that asks for a photo as evidence of the work.
    static var photoPhrase: Regex<Substring> { #/[（(]?(?:(?:需要?|须|必须|要)(?:拍照|附照片|附图|照片|上传照片)(?:为证|留证)?|附照片|附图|拍照(?:为证|留证|打卡)|照片为证)[）)]?/# }

    /// Removes the first match of a one-number pattern and returns the number.
    static func take(_ pattern: Regex<(Substring, Substring)>, from text: inout String) -> Int? {
        guard let match = text.firstMatch(of: pattern), let value = Int(match.output.1) else { return nil }
        text.removeSubrange(match.range)
        return value
    }

    /// The day a deadline phrase names and where it stands: `周五前`, `下周三前`, `12月31日前`,
    /// `2026-12-31`, `2026年12月31日`, `明天`, `后天`, `3天内`, `月底前`.
    public func deadlineDay(in text: String, now: Date) -> (String, Range<String.Index>)? {
        let calendar = Calendar.gregorian(in: timeZone)
        let today = calendar.startOfDay(for: now)
        func answer(_ date: Date?, _ range: Range<String.Index>) -> (String, Range<String.Index>)? {
            date.map { (CalendarDay($0, in: timeZone).description, range) }
        }
        if let match = text.firstMatch(of: #/(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})[日号]?\s*(?:前|之前|以前|截止)?/#) {
            let parts = DateComponents(year: Int(match.output.1), month: Int(match.output.2), day: Int(match.output.3))
            return answer(calendar.date(from: parts), match.range)
        }
        if let match = text.firstMatch(of: #/(\d{1,2})月(\d{1,2})[日号]\s*(?:前|之前|以前|截止)?/#), let month = Int(match.output.1), let dayOfMonth = Int(match.output.2) {
            // A month and day already past this year mean next year's.
            var year = calendar.component(.year, from: today)
            if let thisYear = calendar.date(from: DateComponents(year: year, month: month, day: dayOfMonth)), thisYear < today { year += 1 }
            return answer(calendar.date(from: DateComponents(year: year, month: month, day: dayOfMonth)), match.range)
        }
        if let match = text.firstMatch(of: #/(下+)?(?:本|这)?(?:周|星期|礼拜)([一二三四五六日天])\s*(?:前|之前|以前|截止)?/#) {
            let weekdays: [Character: Int] = ["日": 1, "天": 1, "一": 2, "二": 3, "三": 4, "四": 5, "五": 6, "六": 7]
            guard let target = match.output.2.first.flatMap({ weekdays[$0] }) else { return nil }
            let current = calendar.component(.weekday, from: today)
            // Weeks run Monday to Sunday: "周日" is the end of this week, not its start.
            func mondayIndex(_ weekday: Int) -> Int { (weekday + 5) % 7 }
            var offset = mondayIndex(target) - mondayIndex(current)
            let nextWeeks = match.output.1?.count ?? 0
            if nextWeeks > 0 {
                offset += 7 * nextWeeks
            } else if offset < 0 {
                offset += 7
            }
            return answer(calendar.date(byAdding: .day, value: offset, to: today), match.range)
        }
        if let match = text.firstMatch(of: #/(\d{1,3})\s*天内/#), let days = Int(match.output.1) {
            return answer(calendar.date(byAdding: .day, value: max(days - 1, 0), to: today), match.range)
        }
        if let match = text.firstMatch(of: #/(今天|明天|后天)\s*(?:前|之前|以前|截止)?/#) {
            let offsets = ["今天": 0, "明天": 1, "后天": 2]
            return answer(calendar.date(byAdding: .day, value: offsets[String(match.output.1)] ?? 0, to: today), match.range)
        }
        if let match = text.firstMatch(of: #/(?:本月|这个月)?月底\s*(?:前|之前|以前)?/#) {
            let start = calendar.date(from: calendar.dateComponents([.year, .month], from: today))
            let end = start.flatMap { calendar.date(byAdding: DateComponents(month: 1, day: -1), to: $0) }
            return answer(end, match.range)
        }
        return nil
    }
}
