import Foundation

/// A QR code (ISO/IEC 18004) for the short texts GridBot shows for scanning: a voucher's signed
/// payload. Byte mode, error correction level M (15 % of the symbol may be damaged), versions 1
/// to 10 (up to 213 bytes), the mask chosen by the standard's penalty rules.
public struct QRCode: Sendable, Equatable {
    /// 1…10; the symbol is `17 + 4 × version` modules a side.
    public let version: Int
    /// The mask pattern used, 0…7.
    public let mask: Int
    /// Row-major, `true` for a dark module.
    public let modules: [[Bool]]

    public var size: Int { modules.count }

    /// The text does not fit in a version-10 symbol.
    public struct TooLong: Error, Sendable, Equatable {
        public var bytes: Int
    }

    /// Encodes `text` as UTF-8 in the smallest version that holds it; `mask` forces a pattern
    /// (for tests against a reference encoder), otherwise the one with the lowest penalty.
    public init(_ text: String, mask forced: Int? = nil) throws(TooLong) {
        let bytes = Array(text.utf8)
        guard let version = (1...10).first(where: { Self.capacity(version: $0) >= bytes.count }) else { throw TooLong(bytes: bytes.count) }
        let codewords = Self.codewords(bytes, version: version)
        var base = Matrix(version: version)
        base.placeFunctionPatterns()
        base.placeData(codewords)
        let masks = forced.map { [$0] } ?? Array(0..<8)
        var best: (matrix: Matrix, mask: Int, penalty: Int)?
        for mask in masks {
            var candidate = base
            candidate.apply(mask: mask)
            candidate.placeFormat(mask: mask)
            let penalty = forced == nil ? candidate.penalty() : 0
            if best == nil || penalty < best!.penalty { best = (candidate, mask, penalty) }
        }
        self.version = version
        self.mask = best!.mask
        self.modules = best!.matrix.dark
    }

    /// The symbol as an SVG image with a four-module quiet zone, `scale` pixels a module.
    public func svg(scale: Int = 6) -> String {
        let side = (size + 8) * scale
        var path = ""
        for (row, line) in modules.enumerated() {
            for (column, dark) in line.enumerated() where dark {
                path += "M\((column + 4) * scale) \((row + 4) * scale)h\(scale)v\(scale)h-\(scale)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(side)" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges" \
            role="img"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    // MARK: Codewords

    /// Level-M blocks per version: (count, data codewords) groups and EC codewords per block.
    static let blocks: [Int: (groups: [(count: Int, data: Int)], ec: Int)] = [
        1: ([(1, 16)], 10), 2: ([(1, 28)], 16), 3: ([(1, 44)], 26), 4: ([(2, 32)], 18), 5: ([(2, 43)], 24),
        6: ([(4, 27)], 16), 7: ([(4, 31)], 18), 8: ([(2, 38), (2, 39)], 22), 9: ([(3, 36), (2, 37)], 22),
        10: ([(4, 43), (1, 44)], 26),
    ]

    static func dataCodewords(version: Int) -> Int {
        blocks[version]!.groups.reduce(0) { $0 + $1.count * $1.data }
    }

    /// How many bytes a version holds in byte mode at level M.
    static func capacity(version: Int) -> Int {
        (dataCodewords(version: version) * 8 - 4 - (version < 10 ? 8 : 16)) / 8
    }

    /// The final codeword sequence: data and error correction, interleaved across blocks.
    static func codewords(_ bytes: [UInt8], version: Int) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: version < 10 ? 8 : 16)
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacity = dataCodewords(version: version) * 8
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var data = bits.bytes
        var pad: UInt8 = 0xEC
        while data.count < dataCodewords(version: version) {
            data.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        let layout = blocks[version]!
        var dataBlocks: [[UInt8]] = []
        var offset = 0
        for group in layout.groups {
            for _ in 0..<group.count {
                dataBlocks.append(Array(data[offset..<offset + group.data]))
                offset += group.data
            }
        }
        let ecBlocks = dataBlocks.map { ReedSolomon.remainder($0, degree: layout.ec) }
        var result: [UInt8] = []
        for index in 0..<(dataBlocks.map(\.count).max() ?? 0) {
            for block in dataBlocks where index < block.count { result.append(block[index]) }
        }
        for index in 0..<layout.ec {
            for block in ecBlocks { result.append(block[index]) }
        }
        return result
    }
}

/// Bits appended most significant first.
struct BitBuffer {
    private(set) var bits: [Bool] = []

    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        for shift in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
    }

    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            (0..<8).reduce(UInt8(0)) { byte, offset in byte << 1 | (start + offset < bits.count && bits[start + offset] ? 1 : 0) }
        }
    }
}

/// Reed–Solomon error correction over GF(256) with the QR polynomial x⁸+x⁴+x³+x²+1.
enum ReedSolomon {
    static let (exp, log): ([UInt8], [Int]) = {
        var exp = [UInt8](repeating: 0, count: 512)
        var log = [Int](repeating: 0, count: 256)
        var value = 1
        for power in 0..<255 {
            exp[power] = UInt8(value)
            log[value] = power
            value <<= 1
            if value & 0x100 != 0 { value ^= 0x11D }
        }
        for power in 255..<512 { exp[power] = exp[power - 255] }
        return (exp, log)
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        a == 0 || b == 0 ? 0 : exp[log[Int(a)] + log[Int(b)]]
    }

    /// The generator polynomial of a degree, highest power first (leading 1 left out).
    static func generator(degree: Int) -> [UInt8] {
        var poly: [UInt8] = [1]
        for root in 0..<degree {
            var next = [UInt8](repeating: 0, count: poly.count + 1)
            for (index, coefficient) in poly.enumerated() {
                next[index] ^= coefficient
                next[index + 1] ^= multiply(coefficient, exp[root])
            }
            poly = next
        }
        return Array(poly.dropFirst())
    }

    /// The error-correction codewords of a block.
    static func remainder(_ data: [UInt8], degree: Int) -> [UInt8] {
        let generator = generator(degree: degree)
        var remainder = [UInt8](repeating: 0, count: degree)
        for byte in data {
            let factor = byte ^ remainder[0]
            remainder.removeFirst()
            remainder.append(0)
            for index in 0..<degree { remainder[index] ^= multiply(generator[index], factor) }
        }
        return remainder
    }
}

/// The module grid while a symbol is built: which modules are dark and which belong to function
/// patterns (never masked or filled with data).
struct Matrix: Sendable {
    let version: Int
    var dark: [[Bool]]
    var function: [[Bool]]

    init(version: Int) {
        self.version = version
        let size = 17 + 4 * version
        dark = Array(repeating: Array(repeating: false, count: size), count: size)
        function = dark
    }

    var size: Int { dark.count }

    mutating func set(_ row: Int, _ column: Int, _ value: Bool) {
        dark[row][column] = value
        function[row][column] = true
    }

    static let alignment: [Int: [Int]] = [
        2: [6, 18], 3: [6, 22], 4: [6, 26], 5: [6, 30], 6: [6, 34], 7: [6, 22, 38], 8: [6, 24, 42], 9: [6, 26, 46], 10: [6, 28, 50],
    ]

    mutating func placeFunctionPatterns() {
        for (row, column) in [(0, 0), (0, size - 7), (size - 7, 0)] { placeFinder(row, column) }
        for index in 8..<(size - 8) {
            set(6, index, index % 2 == 0)
            set(index, 6, index % 2 == 0)
        }
        let centres = Self.alignment[version] ?? []
        let last = centres.count - 1
        for (i, row) in centres.enumerated() {
            // Not where a finder pattern is: the three corners of the grid of centres.
            for (j, column) in centres.enumerated() where !(i == 0 && j == 0) && !(i == 0 && j == last) && !(i == last && j == 0) {
                placeAlignment(row, column)
            }
        }
        // Reserve the format areas (written per mask) and the dark module.
        for index in 0..<9 {
            if !function[8][index] { set(8, index, false) }
            if !function[index][8] { set(index, 8, false) }
        }
        for index in 0..<8 {
            set(8, size - 1 - index, false)
            set(size - 1 - index, 8, false)
        }
        set(size - 8, 8, true)
        if version >= 7 { placeVersion() }
    }

    private mutating func placeFinder(_ top: Int, _ left: Int) {
        for dy in -1...7 {
            for dx in -1...7 {
                let row = top + dy, column = left + dx
                guard (0..<size).contains(row), (0..<size).contains(column) else { continue }
                let ring = max(abs(dy - 3), abs(dx - 3))
                set(row, column, ring != 2 && ring != 4)
            }
        }
    }

    private mutating func placeAlignment(_ row: Int, _ column: Int) {
        for dy in -2...2 {
            for dx in -2...2 { set(row + dy, column + dx, max(abs(dy), abs(dx)) != 1) }
        }
    }

    private mutating func placeVersion() {
        var remainder = version
        for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
        let bits = version << 12 | remainder
        for index in 0..<18 {
            let bit = (bits >> index) & 1 == 1
            let a = index / 3, b = size - 11 + index % 3
            set(a, b, bit)
            set(b, a, bit)
        }
    }

    /// Fills the data modules in the standard zigzag, two columns at a time from the right.
    mutating func placeData(_ codewords: [UInt8]) {
        let total = codewords.count * 8
        var index = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vertical in 0..<size {
                for offset in 0..<2 {
                    let column = right - offset
                    let upward = (right + 1) & 2 == 0
                    let row = upward ? size - 1 - vertical : vertical
                    guard !function[row][column] else { continue }
                    if index < total {
                        dark[row][column] = (codewords[index >> 3] >> (7 - index & 7)) & 1 == 1
                        index += 1
                    }
                }
            }
            right -= 2
        }
    }

    mutating func apply(mask: Int) {
        for row in 0..<size {
            for column in 0..<size where !function[row][column] {
                let flip = switch mask {
                case 0: (row + column) % 2 == 0
                case 1: row % 2 == 0
                case 2: column % 3 == 0
                case 3: (row + column) % 3 == 0
                case 4: (row / 2 + column / 3) % 2 == 0
                case 5: row * column % 2 + row * column % 3 == 0
                case 6: (row * column % 2 + row * column % 3) % 2 == 0
                default: ((row + column) % 2 + row * column % 3) % 2 == 0
                }
                if flip { dark[row][column].toggle() }
            }
        }
    }

    /// The 15 format bits (level M = 00, the mask) in both copies.
    mutating func placeFormat(mask: Int) {
        let data = mask  // level M's two bits are 00
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let bits = (data << 10 | remainder) ^ 0x5412
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        for index in 0...5 { set(index, 8, bit(index)) }
        set(7, 8, bit(6))
        set(8, 8, bit(7))
        set(8, 7, bit(8))
        for index in 9..<15 { set(8, 14 - index, bit(index)) }
        for index in 0..<8 { set(8, size - 1 - index, bit(index)) }
        for index in 8..<15 { set(size - 15 + index, 8, bit(index)) }
        set(size - 8, 8, true)
    }

    /// The standard's penalty: runs of one colour, 2×2 blocks, finder-like patterns, imbalance.
    func penalty() -> Int {
        var score = 0
        let lines = dark + (0..<size).map { column in (0..<size).map { dark[$0][column] } }
        for line in lines {
            var run = 1
            for index in 1..<size {
                if line[index] == line[index - 1] {
                    run += 1
                } else {
                    if run >= 5 { score += run - 2 }
                    run = 1
                }
            }
            if run >= 5 { score += run - 2 }
            for start in 0...(size - 11) {
                let window = Array(line[start..<start + 11])
                if window == Self.finderLike || window == Self.finderLike.reversed() { score += 40 }
            }
        }
        for row in 0..<(size - 1) {
            for column in 0..<(size - 1) {
                let colour = dark[row][column]
                if dark[row][column + 1] == colour, dark[row + 1][column] == colour, dark[row + 1][column + 1] == colour { score += 3 }
            }
        }
        let darkCount = dark.reduce(0) { $0 + $1.filter { $0 }.count }
        let percent = darkCount * 100 / (size * size)
        score += abs(percent - 50) / 5 * 10
        return score
    }

    static let finderLike: [Bool] = [true, false, true, true, true, false, true, false, false, false, false]
}
