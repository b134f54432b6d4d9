/// Voucher codes a person can read aloud and type: Crockford base32 (no I, L, O, U), grouped in
/// fives, with Crockford's mod-37 check symbol, so a mistyped code is caught before any lookup.
/// Reading forgives case, hyphens, spaces, and I/L for 1 and O for 0.
public struct VoucherCode: Sendable, Hashable, CustomStringConvertible {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    static let checkAlphabet = alphabet + Array("*~$=U")

    /// The value: ten symbols, 50 bits.
    public let value: UInt64

    public init(value: UInt64) {
        self.value = value & ((1 << 50) - 1)
    }

    /// A fresh random code whose check symbol is a letter or digit of the code's own alphabet:
    /// Crockford's extra check symbols (`* ~ $ = U`) are hard to say and hidden on phone
    /// keyboards, so values that would need one are drawn again (5 in 37). Codes issued before
    /// still read.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> VoucherCode {
        while true {
            let code = VoucherCode(value: UInt64.random(in: 0..<(1 << 50), using: &generator))
            if code.value % 37 < UInt64(alphabet.count) { return code }
        }
    }

    /// `XXXXX-XXXXX-C`.
    public var description: String {
        var symbols: [Character] = []
        var rest = value
        for _ in 0..<10 {
            symbols.insert(Self.alphabet[Int(rest & 31)], at: 0)
            rest >>= 5
        }
        return String(symbols[0..<5]) + "-" + String(symbols[5..<10]) + "-" + String(Self.checkAlphabet[Int(value % 37)])
    }

    /// Why a typed code is not a voucher code.
    public enum ReadError: Error, Sendable, Equatable, CustomStringConvertible {
        case wrongLength(Int)
        case badSymbol(Character)
        case checkFailed

        public var description: String {
            switch self {
            case .wrongLength(let count): "a voucher code has 10 symbols and a check symbol, not \(count)"
            case .badSymbol(let symbol): "'\(symbol)' is not used in voucher codes"
            case .checkFailed: "the check symbol does not match: the code was mistyped"
            }
        }
    }

    /// Reads a typed or spoken code.
    public init(reading text: String) throws(ReadError) {
        var symbols: [Character] = []
        for character in text.uppercased() where character != "-" && !character.isWhitespace {
            switch character {
            case "I", "L": symbols.append("1")
            case "O": symbols.append("0")
            default: symbols.append(character)
            }
        }
        guard symbols.count == 11 else { throw .wrongLength(symbols.count) }
        var value: UInt64 = 0
        for symbol in symbols[0..<10] {
            guard let digit = Self.alphabet.firstIndex(of: symbol) else { throw .badSymbol(symbol) }
            value = value << 5 | UInt64(digit)
        }
        // The check symbol: U is a check value only, and 1 may have been read from I or L.
        let check = symbols[10]
        guard let expected = Optional(Self.checkAlphabet[Int(value % 37)]), check == expected else {
            if Self.checkAlphabet.contains(check) { throw .checkFailed }
            throw .badSymbol(check)
        }
        self.init(value: value)
    }
}
