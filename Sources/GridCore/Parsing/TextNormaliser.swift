/// Puts a message into the one form the lexicon and the location rules are written for:
/// full-width forms become ASCII (`３号楼` → `3号楼`), traditional characters become simplified
/// (`電梯` → `电梯`), ASCII letters become upper case (`b3栋` → `B3栋`).
///
/// Chinese numerals are not rewritten here: whether `一` is a number depends on what follows it,
/// which the location rules decide.
public struct TextNormaliser: Sendable {
    /// Simplified forms of the CJK block U+4E00–U+9FFF, 0 where a character maps to itself;
    /// a flat table because this runs for every character of every message.
    private let simplified: [UInt32]

    public init(lexicon: Lexicon) {
        var table = [UInt32](repeating: 0, count: 0xA000 - 0x4E00)
        for (traditional, simplified) in lexicon.traditional where (0x4E00..<0xA000).contains(traditional) {
            table[Int(traditional - 0x4E00)] = simplified.value
        }
        self.simplified = table
    }

    /// Appends the normalised scalars of `text` to `output`.
    @inline(__always)
    public func normalise(_ text: String, into output: inout [UInt32]) {
        output.reserveCapacity(output.count + text.utf8.count / 2)
        for scalar in text.unicodeScalars {
            output.append(normalise(scalar.value))
        }
    }

    @inline(__always)
    func normalise(_ value: UInt32) -> UInt32 {
        switch value {
        case 0x61...0x7A:  // a-z
            return value - 0x20
        case 0xFF01...0xFF5E:  // full-width ASCII forms
            let ascii = value - 0xFEE0
            return (0x61...0x7A).contains(ascii) ? ascii - 0x20 : ascii
        case 0x3000:  // ideographic space
            return 0x20
        case 0x4E00...0x9FFF:
            let mapped = simplified[Int(value - 0x4E00)]
            return mapped == 0 ? value : mapped
        default:
            return value
        }
    }
}
