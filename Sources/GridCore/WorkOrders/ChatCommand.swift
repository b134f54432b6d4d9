import Foundation

/// What a chat command asks for.
public enum CommandVerb: String, CaseIterable, Sendable, Hashable {
    case acknowledge, start, resolve, assign, transfer, `return`, verify, close, reopen, merge, split
    case satisfied, dissatisfied, supplement
    /// 上报 and 忽略: staff turn a message the parser did not take for a report into one, or dismiss it.
    case promote, dismiss
    /// 改类, 改级, 改址: staff correct a report's category, urgency or place.
    case recategorise, reprioritise, relocate
    /// 已探访: the households on the care register a report asked about were checked on.
    case visited
}

/// A command found in a chat message: `收到 #12`, `转办 #12 物业 原因…`, `合并 #12 #15`.
public struct ChatCommand: Sendable, Equatable {
    public var verb: CommandVerb
    /// The report numbers named, in order (none when the message replies to a card instead).
    public var reportIDs: [Int64]
    /// The word after the numbers of a transfer: the department or grid it goes to.
    public var target: String?
    /// The rest: a reason, what was done, a supplement.
    public var note: String

    public init(verb: CommandVerb, reportIDs: [Int64], target: String? = nil, note: String = "") {
        self.verb = verb
        self.reportIDs = reportIDs
        self.target = target
        self.note = note
    }
}

/// Recognises chat commands with the words of a command file (`Resources/commands.txt`).
public struct ChatCommandParser: Sendable {
    /// Command words, longest first, so that the longest match wins.
    let words: [(word: String, verb: CommandVerb)]

    /// The bundled command words.
    public static func bundled() throws -> ChatCommandParser {
        guard let url = Bundle.module.url(forResource: "commands", withExtension: "txt") else {
            throw DataFileError(line: 0, message: "the bundled commands.txt is missing")
        }
        return try ChatCommandParser(parsing: String(contentsOf: url, encoding: .utf8))
    }

    /// Parses a command file; fails naming the line of an unknown verb.
    public init(parsing text: String) throws {
        var words: [(String, CommandVerb)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let name = parts.first else { continue }
            guard let verb = CommandVerb(rawValue: name) else {
                throw DataFileError(line: index + 1, message: "unknown command verb '\(name)'")
            }
            words += parts.dropFirst().map { ($0, verb) }
        }
        self.words = words.sorted { $0.0.count > $1.0.count }
    }

    /// The command a message starts with, or nil when it does not start with one. The report
    /// numbers may be missing: the caller decides whether a quoted card or the sender's latest
    /// report stands in for them, or whether the message is ordinary chat after all.
    public func command(in text: String) -> ChatCommand? {
        let folded = Self.fold(text)
        var rest = folded[...]
        // Leading @-mentions (`@GridBot `) are addressed to the bot, not part of the command.
        while rest.first == "@" {
            guard let end = rest.firstIndex(where: { $0 == " " || $0 == "\u{2005}" }) else { return nil }
            rest = rest[end...].drop(while: Self.isSpace)
        }
        var ids = Self.numbers(&rest)
        rest = rest.drop(while: Self.isSpace)
        var verb: CommandVerb?
        if let match = words.first(where: { rest.hasPrefix($0.word) }) {
            verb = match.verb
            rest = rest.dropFirst(match.word.count)
            // A command word must end there (收到货了 is not 收到), unless the number came first.
            if let next = rest.first, !Self.isSpace(next), next != "#", !Self.isPunctuation(next), ids.isEmpty { return nil }
        }
        ids += Self.numbers(&rest)
        if verb == nil {
            // `#12 补充内容`: a number with no command word adds to the report.
            guard !ids.isEmpty, !rest.allSatisfy(Self.isSpace) else { return nil }
            verb = .supplement
        }
        guard let verb else { return nil }
        var target: String?
        if verb == .transfer || verb == .assign {
            rest = rest.drop(while: { Self.isSpace($0) || Self.isPunctuation($0) })
            let word = rest.prefix(while: { !Self.isSpace($0) && !Self.isPunctuation($0) })
            if !word.isEmpty {
                // `转办 #12 物业原因…`: the target ends where 原因 begins.
                let name = word.range(of: "原因").map { String(word[..<$0.lowerBound]) } ?? String(word)
                target = name.isEmpty ? nil : name
                rest = rest.dropFirst(name.count)
            }
        }
        // The note is the sender's own text, as written (`，` stays full-width): folding maps one
        // scalar to one, so the rest starts at the same scalar offset in the original.
        let offset = folded.unicodeScalars.distance(from: folded.unicodeScalars.startIndex, to: rest.startIndex)
        let written = String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(offset)))
        var note = written.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        for prefix in ["原因是", "原因", "理由", "说明"] where note.hasPrefix(prefix) {
            note = String(note.dropFirst(prefix.count)).trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
            break
        }
        return ChatCommand(verb: verb, reportIDs: ids, target: target, note: note)
    }

    /// Reads `#12 #15` (with any spaces) from the front of the text.
    static func numbers(_ rest: inout Substring) -> [Int64] {
        var ids: [Int64] = []
        while true {
            let trimmed = rest.drop(while: isSpace)
            guard trimmed.first == "#" else { return ids }
            let afterHash = trimmed.dropFirst().drop(while: isSpace)
            let digits = afterHash.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, digits.count <= 12, let id = Int64(digits) else { return ids }
            ids.append(id)
            rest = afterHash.dropFirst(digits.count)
            // `#12号` `#12、#15`
            rest = rest.drop(while: { $0 == "号" || $0 == "、" || $0 == "," || $0 == "，" || $0 == "和" })
        }
    }

    static func isSpace(_ character: Character) -> Bool { character.isWhitespace || character == "\u{2005}" }

    static func isPunctuation(_ character: Character) -> Bool {
        character.isPunctuation || "：:，,。；;！!".contains(character)
    }

    /// Folds full-width ASCII (`＃１２`) to ASCII.
    public static func fold(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            (0xFF01...0xFF5E).contains(scalar.value) ? Unicode.Scalar(scalar.value - 0xFEE0)! : scalar == "\u{3000}" ? " " : scalar
        }))
    }
}
