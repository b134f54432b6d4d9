/// Finds and masks personal data (mobile numbers, landlines, 18-digit resident ID numbers) so that
/// logs and public views never show it.
public enum PersonalData {
    /// A span of personal data found in a text.
    public struct Match: Equatable, Sendable {
        public enum Kind: String, Sendable { case mobile, idNumber = "id_number" }
        public var kind: Kind
        /// Offsets in the text's unicode scalars.
        public var range: Range<Int>
    }

    /// Whether `text` is, as a whole, a phone number (11-digit mobile or a landline with area code).
    public static func isPhoneNumber(_ text: String) -> Bool {
        let digits = text.unicodeScalars.filter { $0 != "-" && $0 != " " }
        guard digits.allSatisfy({ ("0"..."9").contains($0) }) else { return false }
        if digits.count == 11, digits.first == "1" { return true }
        return digits.first == "0" && (10...12).contains(digits.count)
    }

    /// Finds mobile numbers and 18-character ID numbers as people write them: half- or
    /// full-width digits (`１３８…`), spaces and hyphens between groups (`138 0013 8000`,
    /// `110101 19900307 1234`), a country code (`+86 138…`, `86138…`).
    ///
    /// The digits are read as groups split by single separators; from each group on, the
    /// shortest run of whole groups that makes a mobile number (11 digits, `1[3-9]…`, after an
    /// optional `86`) or an ID number (17 digits and a digit or X) is a match, so a room number
    /// before a phone number (`502 13812345678`) stays apart from it.
    public static func find(in text: String) -> [Match] {
        // Most messages hold fewer than 11 digits: nothing to find, nothing to allocate.
        var digitCount = 0
        for scalar in text.unicodeScalars where isDigit(scalar) { digitCount += 1 }
        guard digitCount >= 11 else { return [] }
        let scalars = Array(text.unicodeScalars)
        // Digit groups: (start, end) offsets, and whether a single separator joins each to the next.
        var groups: [(start: Int, end: Int, joined: Bool)] = []
        var index = 0
        while index < scalars.count {
            guard isDigit(scalars[index]) || (isX(scalars[index]) && !groups.isEmpty && groups[groups.count - 1].end == index) else {
                index += 1
                continue
            }
            if isX(scalars[index]) {
                groups[groups.count - 1].end = index + 1
                index += 1
                continue
            }
            let start = index
            while index < scalars.count, isDigit(scalars[index]) { index += 1 }
            let joinedToPrevious = groups.last.map { $0.end + 1 == start && isSeparator(scalars[$0.end]) } ?? false
            if joinedToPrevious { groups[groups.count - 1].joined = true }
            groups.append((start, index, false))
        }
        func digits(_ from: Int, _ to: Int) -> [Unicode.Scalar] {
            groups[from...to].flatMap { group in scalars[group.start..<group.end].filter { isDigit($0) || isX($0) }.map(ascii) }
        }
        var matches: [Match] = []
        var first = 0
        while first < groups.count {
            var found: (kind: Match.Kind, last: Int, start: Int)?
            var last = first
            while last < groups.count {
                let run = digits(first, last)
                if run.count > 18 { break }
                let start = groups[first].start
                let plus = start > 0 && (scalars[start - 1] == "+" || scalars[start - 1] == "＋") ? start - 1 : start
                if run.count == 18, run[..<17].allSatisfy(isDigit) { found = (.idNumber, last, start); break }
                if run.count == 11, run[0] == "1", ("3"..."9").contains(run[1]), !run.contains(where: isX) { found = (.mobile, last, start); break }
                if run.count == 13, run[0] == "8", run[1] == "6", run[2] == "1", ("3"..."9").contains(run[3]), !run.contains(where: isX) {
                    found = (.mobile, last, plus)
                    break
                }
                guard groups[last].joined else { break }
                last += 1
            }
            if let found {
                matches.append(Match(kind: found.kind, range: found.start..<groups[found.last].end))
                first = found.last + 1
            } else {
                first += 1
            }
        }
        return matches
    }

    /// The mobile numbers in a text, digits only (`13812345678`), for those who must call back.
    public static func phoneNumbers(in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return find(in: text).filter { $0.kind == .mobile }.map { match in
            let digits = scalars[match.range].filter(isDigit).map(ascii)
            return String(String.UnicodeScalarView(digits.count == 13 ? Array(digits.dropFirst(2)) : digits))
        }
    }

    /// Returns `text` with people's names masked to their first character (`王芳` → `王*`): the
    /// `known` names (the community's people) wherever they stand, and the two or three Han
    /// characters after 我是, 我叫, 我姓 or 联系人.
    public static func maskNames(_ text: String, known: [String] = []) -> String {
        var result = text
        for name in Set(known) where name.count >= 2 {
            result = result.replacingOccurrences(of: name, with: String(name.prefix(1)) + String(repeating: "*", count: name.count - 1))
        }
        var scalars = Array(result.unicodeScalars)
        let lead: [[Unicode.Scalar]] = ["我是", "我叫", "我姓", "联系人"].map { Array($0.unicodeScalars) }
        var index = 0
        while index < scalars.count {
            guard let cue = lead.first(where: { index + $0.count <= scalars.count && Array(scalars[index..<index + $0.count]) == $0 }) else {
                index += 1
                continue
            }
            var start = index + cue.count
            while start < scalars.count, [":", "：", " ", "是"].contains(scalars[start]) { start += 1 }
            // 我是说…, 我是在…: a verb or a word of place follows, not a name.
            if start < scalars.count, "说在要想觉问来去看住不也就".unicodeScalars.contains(scalars[start]) {
                index = start
                continue
            }
            var end = start
            while end < scalars.count, end - start < 3, isHan(scalars[end]) { end += 1 }
            if end - start >= 2 {
                for offset in (start + 1)..<end { scalars[offset] = "*" }
            }
            index = max(end, index + 1)
        }
        return String(String.UnicodeScalarView(scalars))
    }

    private static func isHan(_ scalar: Unicode.Scalar) -> Bool { (0x4E00...0x9FFF).contains(scalar.value) }

    /// Returns `text` with every room number replaced by `×××`, for views the public reads: a
    /// room points at one household. A room is three or four digits (`502`, `１２０２`) or
    /// Chinese numerals (`五零二`) that are not a building, a unit, a floor, money or a time
    /// (`12号楼`, `2单元`, `15层`, `200元`, `2026年`), every one of them in the text.
    public static func maskRooms(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        let chineseDigits = "零〇一二三四五六七八九两".unicodeScalars
        let notRooms = ["号楼", "栋", "幢", "座", "单元", "元", "块", "年", "月", "日", "号楼", "点", "分", "秒", "米", "层", "楼", "路", "公里", "平", "个", "人", "天", "次"]
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let arabic = isDigit(scalars[index])
            let chinese = chineseDigits.contains(scalars[index])
            guard arabic || chinese, index == 0 || !(isDigit(scalars[index - 1]) || chineseDigits.contains(scalars[index - 1])) else {
                result.append(scalars[index])
                index += 1
                continue
            }
            var end = index
            while end < scalars.count, arabic ? isDigit(scalars[end]) : chineseDigits.contains(scalars[end]) { end += 1 }
            let after = String(String.UnicodeScalarView(scalars[end..<min(end + 2, scalars.count)]))
            let length = end - index
            // Chinese numerals name a room only when 室 or 号 (not 号楼) says so, or 单元 precedes them.
            let before = String(String.UnicodeScalarView(scalars[max(0, index - 2)..<index]))
            let chineseRoom = chinese && (after.hasPrefix("室") || (after.hasPrefix("号") && !after.hasPrefix("号楼")) || before.hasSuffix("单元"))
            if (3...4).contains(length), arabic ? !notRooms.contains(where: { after.hasPrefix($0) }) : chineseRoom {
                result.append(contentsOf: "×××".unicodeScalars)
            } else {
                result.append(contentsOf: scalars[index..<end])
            }
            index = end
        }
        return String(result)
    }

    /// Returns `text` with every phone and ID number masked: `13812345678` → `138****5678`,
    /// an ID number keeps its first 6 and last 4 characters.
    public static func mask(_ text: String) -> String {
        let matches = find(in: text)
        let scalars = Array(text.unicodeScalars)
        if matches.isEmpty {
            // A bare value (a seed's phone field) that is itself a number.
            if isPhoneNumber(text), scalars.count >= 7 {
                return maskRun(scalars[...], keepStart: 3, keepEnd: 4)
            }
            return text
        }
        var result = String.UnicodeScalarView()
        var cursor = 0
        for match in matches {
            result.append(contentsOf: scalars[cursor..<match.range.lowerBound])
            let run = scalars[match.range]
            let keep = match.kind == .mobile ? (3, 4) : (6, 4)
            result.append(contentsOf: maskRun(run, keepStart: keep.0, keepEnd: keep.1).unicodeScalars)
            cursor = match.range.upperBound
        }
        result.append(contentsOf: scalars[cursor...])
        return String(result)
    }

    private static func maskRun(_ run: ArraySlice<Unicode.Scalar>, keepStart: Int, keepEnd: Int) -> String {
        let compact = run.filter { !isSeparator($0) }
        var out = String.UnicodeScalarView()
        for (offset, scalar) in compact.enumerated() {
            out.append(offset < keepStart || offset >= compact.count - keepEnd ? scalar : "*")
        }
        return String(out)
    }

    /// A digit, half- or full-width.
    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) || ("０"..."９").contains(scalar) }

    private static func isX(_ scalar: Unicode.Scalar) -> Bool { scalar == "X" || scalar == "x" || scalar == "Ｘ" || scalar == "ｘ" }

    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "-" || scalar == "\u{3000}" || scalar == "－" }

    /// A full-width digit as its half-width one.
    private static func ascii(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        ("０"..."９").contains(scalar) ? Unicode.Scalar(scalar.value - 0xFF10 + 0x30)! : scalar
    }
}
