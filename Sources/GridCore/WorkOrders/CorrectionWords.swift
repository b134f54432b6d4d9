import Foundation

/// Reading what staff name in a correction or a promotion (`改类 #12 燃气`, `上报 紧急`).
extension MessageParser {
    /// The category the words name: a category's Chinese name or code, else the strongest
    /// category cue in them.
    public func category(named words: String) -> ReportCategory? {
        let text = words.trimmingCharacters(in: .whitespaces)
        if let exact = ReportCategory.allCases.first(where: { text.contains($0.chineseName) || text.lowercased() == $0.rawValue }) { return exact }
        return parse(text, groupBuilding: nil).cues.filter { !$0.negated }.compactMap { cue -> (ReportCategory, Int)? in
            if case .category(let found) = cue.feature { return (found, cue.weight) }
            return nil
        }.max { $0.1 < $1.1 }?.0
    }
}

extension Urgency {
    /// The urgency the words name (`紧急`, `较急`, `一般`, or the codes); nil when they name none.
    public init?(named words: String) {
        let text = words.trimmingCharacters(in: .whitespaces)
        if let code = Urgency(rawValue: text.lowercased()) {
            self = code
        } else if text.contains("一般") || text.contains("不急") || text.contains("普通") {
            self = .normal
        } else if text.contains("紧急") || text.contains("特急") {
            self = .emergency
        } else if text.contains("急") {
            self = .urgent
        } else {
            return nil
        }
    }
}
