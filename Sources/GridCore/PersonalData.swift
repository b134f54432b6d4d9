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

    /// Finds mobile numbers (`1[3-9]` and 9 more digits, allowing spaces or dashes as people type
    /// them: `138 0013 8000`) and 18-character ID numbers (17 digits and a digit or X).
    public static func find(in text: String) -> [Match] {
        // Most messages hold fewer than 11 digits: nothing to find, nothing to allocate.
        var digitCount = 0
        for byte in text.utf8 where byte >= 0x30 && byte <= 0x39 { digitCount += 1 }
        guard digitCount >= 11 else { return [] }
        let scalars = Array(text.unicodeScalars)
        var matches: [Match] = []
        var index = 0
        while index < scalars.count {
            guard isDigit(scalars[index]), index == 0 || !isDigit(scalars[index - 1]) else {
                index += 1
                continue
            }
            // Collect a run of digits, allowing single separators between groups.
            var end = index
            var digits = 0
            var lastDigitEnd = index
            while end < scalars.count {
                if isDigit(scalars[end]) || (digits == 17 && (scalars[end] == "X" || scalars[end] == "x")) {
                    digits += 1
                    end += 1
                    lastDigitEnd = end
                } else if (scalars[end] == " " || scalars[end] == "-"), end + 1 < scalars.count, isDigit(scalars[end + 1]), digits > 0, digits < 11 {
                    end += 1
                } else {
                    break
                }
            }
            if digits == 18 {
                matches.append(Match(kind: .idNumber, range: index..<lastDigitEnd))
            } else if digits == 11, scalars[index] == "1", index + 1 < scalars.count, ("3"..."9").contains(scalars[index + 1]) {
                matches.append(Match(kind: .mobile, range: index..<lastDigitEnd))
            }
            index = max(lastDigitEnd, index + 1)
        }
        return matches
    }

    /// The mobile numbers in a text, digits only (`13812345678`), for those who must call back.
    public static func phoneNumbers(in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return find(in: text).filter { $0.kind == .mobile }.map { match in
            String(String.UnicodeScalarView(scalars[match.range].filter { ("0"..."9").contains($0) }))
        }
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
        let compact = run.filter { $0 != " " && $0 != "-" }
        var out = String.UnicodeScalarView()
        for (offset, scalar) in compact.enumerated() {
            out.append(offset < keepStart || offset >= compact.count - keepEnd ? scalar : "*")
        }
        return String(out)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
