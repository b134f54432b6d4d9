import Foundation

/// The words the message parser understands, loaded from a documented text file so that a
/// community can add its own words without recompiling (see `Resources/lexicon.txt`).
public struct Lexicon: Sendable {
    /// What a cue is evidence of.
    public enum Feature: Hashable, Sendable, CustomStringConvertible {
        case category(ReportCategory)
        case urgency(Urgency)
        case problem
        case request
        case question
        case statusQuestion
        case notice
        case spam
        case chat
        case resolved
        case negation
        case scope

        /// The section header that holds cues of this feature.
        public var description: String {
            switch self {
            case .category(let category): "category \(category.rawValue)"
            case .urgency(let urgency): "urgency \(urgency.rawValue)"
            case .problem: "problem"
            case .request: "request"
            case .question: "question"
            case .statusQuestion: "status-question"
            case .notice: "notice"
            case .spam: "spam"
            case .chat: "chat"
            case .resolved: "resolved"
            case .negation: "negation"
            case .scope: "scope"
            }
        }

        /// What the feature means, for staff reading why a message was kept (`燃气类`, `有问题`).
        public var chineseName: String {
            switch self {
            case .category(let category): "\(category.chineseName)类"
            case .urgency(let urgency): urgency.chineseName
            case .problem: "有问题"
            case .request: "求助"
            case .question: "提问"
            case .statusQuestion: "询问进展"
            case .notice: "通知"
            case .spam: "广告"
            case .chat: "闲聊"
            case .resolved: "已解决"
            case .negation: "否定"
            case .scope: "影响范围"
            }
        }

        /// Every feature, in a fixed order; a feature's slot in score arrays is its index here.
        public static let all: [Feature] =
            ReportCategory.allCases.map(Feature.category) + Urgency.allCases.map(Feature.urgency)
            + [.problem, .request, .question, .statusQuestion, .notice, .spam, .chat, .resolved, .negation, .scope]

        static let slots: [Feature: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1, $0) })

        /// The score-array slot of this feature.
        public var slot: Int { Feature.slots[self]! }

        init?(section: String) {
            let parts = section.split(separator: " ")
            switch (parts.first, parts.count) {
            case ("category", 2):
                guard let category = ReportCategory(rawValue: String(parts[1])) else { return nil }
                self = .category(category)
            case ("urgency", 2):
                guard let urgency = Urgency(rawValue: String(parts[1])), urgency != .normal else { return nil }
                self = .urgency(urgency)
            case ("problem", 1): self = .problem
            case ("request", 1): self = .request
            case ("question", 1): self = .question
            case ("status-question", 1): self = .statusQuestion
            case ("notice", 1): self = .notice
            case ("spam", 1): self = .spam
            case ("chat", 1): self = .chat
            case ("resolved", 1): self = .resolved
            case ("negation", 1): self = .negation
            case ("scope", 1): self = .scope
            default: return nil
            }
        }
    }

    /// One cue of one section.
    public struct Cue: Sendable, Equatable {
        public var text: String
        public var feature: Feature {
            didSet { slot = feature.slot }
        }
        public var weight: Int
        /// The feature's score slot, kept so that the hot loop never hashes a feature.
        public private(set) var slot: Int

        init(text: String, feature: Feature, weight: Int) {
            self.text = text
            self.feature = feature
            self.weight = weight
            self.slot = feature.slot
        }
        /// Whether the cue is a one-character, weight-1 fallback (for category sections).
        var isFallback: Bool { weight == 1 && text.unicodeScalars.count == 1 }

        /// Whether the cue begins or ends with a digit, and so must not match inside a longer number.
        var digitEdged: Bool {
            guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
            return ("0"..."9").contains(first) || ("0"..."9").contains(last)
        }
    }

    /// A trie over unicode scalars; `children` maps (node, scalar) to the child node.
    private var children: [UInt64: Int32] = [:]
    /// The cues that end at each node (index = node).
    private var terminals: [[Int32]] = [[]]
    /// Every cue, indexed by the values in `terminals`.
    public private(set) var cues: [Cue] = []
    /// Traditional to simplified characters.
    public private(set) var traditional: [UInt32: Unicode.Scalar] = [:]

    public init() {}

    /// The number of cues.
    public var cueCount: Int { cues.count }

    /// The lexicon shipped with GridBot.
    public static let standard: Lexicon = {
        guard let url = Bundle.module.url(forResource: "lexicon", withExtension: "txt"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("GridCore's bundled lexicon.txt is missing from the build") }
        do {
            return try Lexicon.parse(text, fileName: "lexicon.txt")
        } catch {
            fatalError("GridCore's bundled lexicon is invalid: \(error)")
        }
    }()

    /// Parses a lexicon file; a bad line fails with its number.
    public static func parse(_ text: String, fileName: String) throws(LexiconError) -> Lexicon {
        var lexicon = Lexicon()
        try lexicon.add(text, fileName: fileName)
        return lexicon
    }

    /// Adds the entries of another lexicon file (a community's local words) to this one.
    public mutating func add(_ text: String, fileName: String) throws(LexiconError) {
        var section: String?
        var feature: Feature?
        var seen: Set<String> = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            line = line.drop(while: \.isWhitespace)
            while let last = line.last, last.isWhitespace { line = line.dropLast() }
            guard !line.isEmpty else { continue }
            func fail(_ message: String) -> LexiconError { LexiconError(file: fileName, line: lineNumber, message: message) }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw fail("a section header must end with ]") }
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                if name == "traditional" {
                    section = name
                    feature = nil
                } else if let known = Feature(section: name) {
                    section = name
                    feature = known
                } else {
                    throw fail("unknown section [\(name)]; see the list at the top of lexicon.txt")
                }
                continue
            }
            guard let section else { throw fail("an entry before any [section]") }
            let fields = line.split(whereSeparator: \.isWhitespace)
            if section == "traditional" {
                for pair in fields {
                    let scalars = Array(pair.unicodeScalars)
                    guard scalars.count == 2 else {
                        throw fail("'\(pair)' is not a traditional character followed by its simplified form")
                    }
                    traditional[scalars[0].value] = scalars[1]
                }
                continue
            }
            guard let feature, fields.count <= 2 else { throw fail("an entry is a cue and an optional weight") }
            // ASCII letters match case-insensitively: the normaliser upper-cases messages too.
            let cue = String(String.UnicodeScalarView(fields[0].unicodeScalars.map { ("a"..."z").contains($0) ? Unicode.Scalar($0.value - 32)! : $0 }))
            var weight = 1
            if fields.count == 2 {
                guard let value = Int(fields[1]), (0...9).contains(value) else {
                    throw fail("weight '\(fields[1])' is not a whole number from 0 to 9")
                }
                weight = value
            }
            guard seen.insert("\(section)\u{0}\(cue)").inserted else {
                throw fail("'\(cue)' is listed twice in [\(section)]")
            }
            insert(Cue(text: cue, feature: feature, weight: weight))
        }
        seal()
    }

    private mutating func insert(_ cue: Cue) {
        // A later file's entry for the same cue and section replaces the earlier one.
        let node = node(for: cue.text)
        if let existing = terminals[node].first(where: { cues[Int($0)].feature == cue.feature }) {
            cues[Int(existing)] = cue
            return
        }
        cues.append(cue)
        terminals[node].append(Int32(cues.count - 1))
    }

    private mutating func node(for text: String) -> Int {
        var node = 0
        for scalar in text.unicodeScalars {
            let key = UInt64(node) << 32 | UInt64(scalar.value)
            if let child = children[key] {
                node = Int(child)
            } else {
                terminals.append([])
                let child = terminals.count - 1
                children[key] = Int32(child)
                node = child
            }
        }
        return node
    }

    /// The root's children for scalars below U+A000, as a flat table: most characters of a
    /// message start no cue, and this answers that without hashing.
    private var rootChildren: [Int32] = []

    /// Builds the lookup tables once all entries are in.
    mutating func seal() {
        var table = [Int32](repeating: 0, count: 0xA000)
        for (key, child) in children where key >> 32 == 0 && key < 0xA000 {
            table[Int(key)] = child
        }
        rootChildren = table
    }

    /// Calls `body` with each cue that starts at `start` in `scalars`, longest last.
    @inline(__always)
    func forEachCue(in scalars: UnsafeBufferPointer<UInt32>, startingAt start: Int, _ body: (Int32, Int) -> Void) {
        let first = scalars[start]
        var node: Int
        if first < 0xA000, !rootChildren.isEmpty {
            node = Int(rootChildren[Int(first)])
            guard node != 0 else { return }
        } else {
            guard let child = children[UInt64(first)] else { return }
            node = Int(child)
        }
        var index = start + 1
        for cue in terminals[node] { body(cue, index) }
        while index < scalars.count {
            guard let child = children[UInt64(node) << 32 | UInt64(scalars[index])] else { return }
            node = Int(child)
            index += 1
            for cue in terminals[node] { body(cue, index) }
        }
    }
}

/// A lexicon entry that cannot be used, with the line it is on.
public struct LexiconError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public var description: String { "\(file):\(line): \(message)" }
}
