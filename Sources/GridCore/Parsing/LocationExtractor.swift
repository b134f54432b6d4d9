/// Where a report's problem is: building, unit and room, normalised (`"3"`, `"B3"`, `"502"`).
public struct Location: Sendable, Equatable, Codable {
    public var building: String?
    public var unit: String?
    public var room: String?

    public init(building: String? = nil, unit: String? = nil, room: String? = nil) {
        self.building = building
        self.unit = unit
        self.room = room
    }

    /// Readable form: `3号楼2单元502`.
    public var chineseDescription: String {
        var text = ""
        if let building { text += "\(building)号楼" }
        if let unit { text += "\(unit)单元" }
        if let room { text += room }
        return text
    }
}

/// Finds the building, unit and room a message names.
///
/// Numbers count as a location only next to the words that make them one: `号楼 栋 幢 座` for a
/// building, `单元 门洞` for a unit, `室` or a plausible flat number (floor and flat: `502`, `1102`)
/// for a room, and the `3-2-502` short form. A floor (`5楼`, `五层`) is recognised and skipped.
/// `两单元` is a count, not unit 2; `尾号357` is a licence plate, not a room.
enum LocationExtractor {
    private enum Run {
        case arabic(String)
        case alphanumeric(String)
        case chinese(String)

        var text: String {
            switch self {
            case .arabic(let t), .alphanumeric(let t), .chinese(let t): t
            }
        }
    }

    // Scalars used by the rules.
    private static let hao: UInt32 = 0x53F7  // 号
    private static let lou: UInt32 = 0x697C  // 楼
    private static let dong: UInt32 = 0x680B  // 栋
    private static let zhuang: UInt32 = 0x5E62  // 幢
    private static let zuo: UInt32 = 0x5EA7  // 座
    private static let dan: UInt32 = 0x5355  // 单
    private static let yuan: UInt32 = 0x5143  // 元
    private static let men: UInt32 = 0x95E8  // 门
    private static let danDong: UInt32 = 0x6D1E  // 洞
    private static let shi: UInt32 = 0x5BA4  // 室
    private static let ceng: UInt32 = 0x5C42  // 层
    private static let di: UInt32 = 0x7B2C  // 第
    private static let hash: UInt32 = 0x23  // #
    private static let dash: UInt32 = 0x2D  // -

    /// Characters that, right after a number, make it a quantity, a time or money, not a room.
    private static let quantitySuffixes: Set<UInt32> = Set("元块米分秒个人次天号年月日%斤平台辆只条位万千百克度岁路点周期公里毫寸尺回遍楼层:：.级班届".unicodeScalars.map(\.value))
    /// Characters that, right before a number, make it something other than a room.
    private static let roomBlockers: Set<UInt32> = Set("号码话第编*:：.¥$+尾约共价近满超打拨".unicodeScalars.map(\.value))
    /// Emergency and service numbers people write in messages; never a flat.
    private static let serviceNumbers: Set<String> = ["110", "119", "120", "122", "12345", "12315", "95598", "96333"]

    static func extract(_ s: UnsafeBufferPointer<UInt32>) -> Location {
        var location = Location()
        var index = 0
        while index < s.count {
            guard let (run, end) = readRun(s, at: index) else {
                index += 1
                continue
            }
            let next = end < s.count ? s[end] : 0
            let afterNext = end + 1 < s.count ? s[end + 1] : 0
            var consumed = end

            if next == dash, case let .some((first, second, third, stop)) = dashForm(s, run: run, at: end) {
                // 3-2-502 or 5-301
                if location.building == nil { location.building = first }
                if let second, location.unit == nil { location.unit = second }
                if location.room == nil { location.room = third }
                consumed = stop
            } else if isBuildingSuffix(next, afterNext, s, end), !isCountOfBuildings(run, s, index, end) {
                if location.building == nil { location.building = normalisedBuilding(run) }
                consumed = end + ((next == hao || next == hash) && afterNext == lou ? 2 : 1)
            } else if next == hao, let (unitRun, unitEnd) = readRun(s, at: end + 1), isUnitSuffix(s, unitEnd) {
                // 10号2单元: 号 followed by a unit names a building.
                if location.building == nil { location.building = normalisedBuilding(run) }
                if location.unit == nil, let unit = unitValue(unitRun) { location.unit = unit }
                consumed = unitEnd + 2
            } else if isUnitSuffix(s, end) {
                if location.unit == nil, let unit = unitValue(run) { location.unit = unit }
                consumed = end + 2
            } else if next == shi {
                if location.room == nil, let room = roomValue(run, strict: false) { location.room = room }
                consumed = end + 1
            } else if next == lou || next == ceng || next == 0x46 /* F */ {
                consumed = end + 1  // a floor: sets nothing
            } else if location.room == nil, !serviceNumbers.contains(run.text), isRoomContext(s, start: index, end: end, run: run),
                      let room = roomValue(run, strict: true) {
                location.room = room
            }
            index = max(consumed, index + 1)
        }
        return location
    }

    /// Reads a number at `index`: Arabic digits, a letter followed by digits (`B3`), or Chinese numerals.
    private static func readRun(_ s: UnsafeBufferPointer<UInt32>, at index: Int) -> (Run, Int)? {
        guard index < s.count else { return nil }
        let first = s[index]
        if isDigit(first) {
            guard index == 0 || !isLetter(s[index - 1]) || index >= 2 && isLetter(s[index - 2]) else { return nil }
            var end = index
            while end < s.count, isDigit(s[end]) { end += 1 }
            return (.arabic(digits(s, index, end)), end)
        }
        if isLetter(first), index + 1 < s.count, isDigit(s[index + 1]), index == 0 || !isLetter(s[index - 1]) {
            var end = index + 1
            while end < s.count, isDigit(s[end]) { end += 1 }
            var text = String(Character(Unicode.Scalar(first)!))
            text += digits(s, index + 1, end)
            return (.alphanumeric(text), end)
        }
        if ChineseNumber.isNumeral(first) {
            var end = index
            while end < s.count, ChineseNumber.isNumeral(s[end]) { end += 1 }
            let slice = Array(UnsafeBufferPointer(rebasing: s[index..<end]))[...]
            guard let value = ChineseNumber.value(slice) else { return (.chinese(""), end) }
            return (.chinese(value), end)
        }
        return nil
    }

    private static func isBuildingSuffix(_ next: UInt32, _ afterNext: UInt32, _ s: UnsafeBufferPointer<UInt32>, _ end: Int) -> Bool {
        switch next {
        case dong, zhuang, zuo: return true
        case hao, hash: return afterNext == lou
        default: return false
        }
    }

    /// `一栋楼` and `三栋楼中间` count buildings; `第一栋`, `十五栋楼下` and `十八栋一单元` name one.
    private static func isCountOfBuildings(_ run: Run, _ s: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int) -> Bool {
        guard case .chinese = run, end - start == 1 else { return false }
        if start > 0, s[start - 1] == di { return false }
        guard end + 1 < s.count, s[end] == dong, s[end + 1] == lou else { return false }
        // 楼 followed by a place word is "building N, downstairs/in front": an address.
        let after = end + 2 < s.count ? s[end + 2] : 0
        return !placeWords.contains(after)
    }

    private static let placeWords: Set<UInt32> = Set("下上前后里道顶门梯房外东西南北侧边".unicodeScalars.map(\.value))

    private static func isUnitSuffix(_ s: UnsafeBufferPointer<UInt32>, _ end: Int) -> Bool {
        guard end + 1 < s.count else { return false }
        return (s[end] == dan && s[end + 1] == yuan) || (s[end] == men && s[end + 1] == danDong)
    }

    private static func dashForm(_ s: UnsafeBufferPointer<UInt32>, run: Run, at dashIndex: Int) -> (String, String?, String, Int)? {
        if case .chinese = run { return nil }
        guard let (second, secondEnd) = readRun(s, at: dashIndex + 1), case .arabic = second else { return nil }
        if secondEnd < s.count, s[secondEnd] == dash,
           let (third, thirdEnd) = readRun(s, at: secondEnd + 1), case .arabic = third,
           let room = roomValue(third, strict: false), thirdEnd >= s.count || !isDigit(s[thirdEnd]) {
            return (normalisedBuilding(run), String(Int(second.text) ?? 0), room, thirdEnd)
        }
        if second.text.count >= 3, let room = roomValue(second, strict: true), run.text.count <= 2,
           secondEnd >= s.count || !(quantitySuffixes.contains(s[secondEnd]) || s[secondEnd] == dash) {
            return (normalisedBuilding(run), nil, room, secondEnd)
        }
        return nil
    }

    private static func isRoomContext(_ s: UnsafeBufferPointer<UInt32>, start: Int, end: Int, run: Run) -> Bool {
        if start > 0 {
            let previous = s[start - 1]
            if roomBlockers.contains(previous) { return false }
            if isDigit(previous) || isLetter(previous) { return false }
        }
        if start > 1, s[start - 2] == 0x7535, s[start - 1] == 0x8BDD { return false }  // 电话
        if case .chinese(let text) = run {
            // Chinese digits read one by one are a flat number only with a zero in them (五零一)
            // or right after a unit or building.
            guard text.count >= 3 else { return false }
            let runScalars = UnsafeBufferPointer(rebasing: s[start..<end])
            let hasZero = runScalars.contains { $0 == 0x96F6 || $0 == 0x3007 }
            let afterAddress = start >= 2 && ((s[start - 2] == dan && s[start - 1] == yuan) || s[start - 1] == lou || s[start - 1] == dong)
            // A zero read aloud (一零零二) is never a count, whatever follows it.
            if !hasZero, end < s.count, quantitySuffixes.contains(s[end]) { return false }
            return hasZero || afterAddress
        }
        if end < s.count {
            let next = s[end]
            if quantitySuffixes.contains(next) || isDigit(next) || next == dash || next == 0x2A /* * */ { return false }
        }
        return true
    }

    /// A flat number: floor then a two-digit flat index (`502`, `1102`), 3 or 4 digits.
    private static func roomValue(_ run: Run, strict: Bool) -> String? {
        switch run {
        case .alphanumeric: return strict ? nil : run.text
        case .arabic(let text), .chinese(let text):
            guard (3...4).contains(text.count), !text.hasPrefix("0"), let value = Int(text) else {
                return strict || run.text.isEmpty ? nil : run.text
            }
            let flat = value % 100
            let floor = value / 100
            guard (1...20).contains(flat), (1...60).contains(floor) else { return strict ? nil : text }
            return text
        }
    }

    private static func unitValue(_ run: Run) -> String? {
        switch run {
        case .arabic(let text), .chinese(let text):
            guard let value = Int(text), (1...30).contains(value) else { return nil }
            return String(value)
        case .alphanumeric(let text):
            return text
        }
    }

    private static func normalisedBuilding(_ run: Run) -> String {
        switch run {
        case .arabic(let text), .chinese(let text):
            return Int(text).map(String.init) ?? text
        case .alphanumeric(let text):
            return text
        }
    }

    @inline(__always) private static func isDigit(_ s: UInt32) -> Bool { (0x30...0x39).contains(s) }
    @inline(__always) private static func isLetter(_ s: UInt32) -> Bool { (0x41...0x5A).contains(s) }

    private static func digits(_ s: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int) -> String {
        var text = ""
        text.reserveCapacity(end - start)
        for i in start..<end { text.unicodeScalars.append(Unicode.Scalar(s[i])!) }
        return text
    }
}
