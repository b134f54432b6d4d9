/// Reads the numbers people write in addresses: Arabic digits, Chinese numerals counted
/// (`二十一` = 21) or read digit by digit (`五零一` = 501, `一〇〇二` = 1002).
enum ChineseNumber {
    /// The value of a Chinese digit, or nil. `两` is deliberately absent: it is a count
    /// (`两单元` = two units), never an address.
    @inline(__always)
    static func digit(_ scalar: UInt32) -> Int? {
        switch scalar {
        case 0x3007, 0x96F6: 0  // 〇 零
        case 0x4E00: 1  // 一
        case 0x4E8C: 2  // 二
        case 0x4E09: 3  // 三
        case 0x56DB: 4  // 四
        case 0x4E94: 5  // 五
        case 0x516D: 6  // 六
        case 0x4E03: 7  // 七
        case 0x516B: 8  // 八
        case 0x4E5D: 9  // 九
        default: nil
        }
    }

    static let ten: UInt32 = 0x5341  // 十
    static let hundred: UInt32 = 0x767E  // 百
    static let liang: UInt32 = 0x4E24  // 两

    /// Whether the scalar can be part of a Chinese numeral run.
    @inline(__always)
    static func isNumeral(_ scalar: UInt32) -> Bool {
        digit(scalar) != nil || scalar == ten || scalar == hundred || scalar == liang
    }

    /// The value of a numeral run as address text, or nil when it is not an address number.
    static func value(_ run: ArraySlice<UInt32>) -> String? {
        guard !run.isEmpty, !run.contains(liang) else { return nil }
        if run.contains(ten) || run.contains(hundred) {
            return counted(run).map(String.init)
        }
        // Digit by digit: 五零一 = 501.
        var text = ""
        for scalar in run {
            guard let d = digit(scalar) else { return nil }
            text.append(Character(Unicode.Scalar(UInt8(48 + d))))
        }
        if text.count > 1, text.hasPrefix("0") { return nil }
        return text
    }

    /// Counted numerals up to 999: 十 = 10, 十二 = 12, 二十一 = 21, 一百零一 = 101.
    private static func counted(_ run: ArraySlice<UInt32>) -> Int? {
        var total = 0
        var pending: Int?
        var lastUnit = Int.max
        for scalar in run {
            if let d = digit(scalar) {
                guard pending == nil || pending == 0 else { return nil }
                pending = d
            } else {
                let unit = scalar == ten ? 10 : 100
                guard unit < lastUnit else { return nil }
                total += (pending ?? 1) * unit
                pending = nil
                lastUnit = unit
            }
        }
        total += pending ?? 0
        return total > 0 ? total : nil
    }
}
