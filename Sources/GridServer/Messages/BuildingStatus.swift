import Foundation
import GridCore
import GridStore

/// A resident asking in their building's chat what is going on (`楼里有什么事`, `咱楼报修进度
/// 怎么样`) gets the building's open reports and where each stands: number, category, urgency,
/// unit, status and who handles it; never a name, room, phone or the reporter's words. Reports
/// about people rather than the building (disputes, welfare, security, noise) are not listed:
/// naming one and its unit in a group could point at a neighbour.
struct BuildingStatus: Sendable {
    let store: SQLStore
    let replies: ChatReplies

    /// Whether a short message asks what is open in the building.
    static func asks(_ text: String) -> Bool {
        var folded = ChatCommandParser.fold(text).filter { !$0.isWhitespace && !$0.isPunctuation && !$0.isSymbol }
        guard !folded.isEmpty, folded.count <= 24 else { return false }
        for (from, to) in [("啥", "什么"), ("哪些", "什么"), ("些什么", "什么"), ("樓", "楼"), ("裡", "里"), ("這", "这"), ("棟", "栋"), ("問", "问"), ("題", "题"), ("麼", "么"), ("甚么", "什么")] {
            folded = folded.replacingOccurrences(of: from, with: to)
        }
        return folded.firstMatch(of: Self.question) != nil
    }

    /// The building, then what is asked about it.
    static var question: Regex<Substring> {
        #/(?:楼里|本楼|咱楼|咱们楼|我们楼|这栋楼|我们这栋|这个楼|楼上楼下|单元里)(?:最近|现在|目前|这几天|都)?(?:还)?(?:有|在|出了)什么(?:事|问题|情况|在修|在办|报修|没修)|(?:楼里|本楼|咱楼|我们楼|这栋楼)的?(?:报修|问题|事情?|工单)(?:都)?(?:进度|处理得?怎么样|怎么样了|修好了吗|处理了吗)/#
    }

    /// The categories never listed in a group.
    static let `private`: Set<ReportCategory> = [.dispute, .welfare, .security, .noise]

    /// The answer for a building's chat.
    func answer(to message: InboundMessage, building: String, directory: CommunityDirectory) async throws -> OutboundMessage? {
        let open = try await store.reports(ReportFilter(scope: .building(building), statuses: ReportStatus.allCases.filter(\.isOpen),
                                                        categories: ReportCategory.allCases.filter { !Self.private.contains($0) }, limit: 10))
        let reports = open.rows.map { summary -> [String: Any] in
            let order = summary.order
            return [
                "id": order.id, "category": order.category.chineseName, "urgency": order.urgency.chineseName,
                "unit": order.location.unit.map { "\($0)单元" } ?? "", "status": order.status.chineseName,
                "handler": directory.currentRoute(of: order).description,
            ]
        }
        guard let text = replies.render(.buildingStatus, [
            "building": Location(building: building).chineseDescription, "reports": reports, "count": open.total, "any": open.total > 0, "more": open.total > reports.count,
        ]) else { return nil }
        return .answer(to: message, text)
    }
}
