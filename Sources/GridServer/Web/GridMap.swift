import Foundation
import GridCore
import GridStore

/// The grid map (网格地图): the community's buildings drawn as a site plan, each coloured by the
/// most urgent of its open reports and outlined when one is overdue, grouped by grid with the
/// grid's worker named. Drawn on the server as SVG, like the dashboard's charts.
struct GridMap: Sendable {
    /// How a building stands: no open report, or the most urgent one's urgency.
    enum State: String, Sendable, Comparable {
        case clear, normal, urgent, emergency

        init(_ urgency: Urgency) {
            switch urgency {
            case .normal: self = .normal
            case .urgent: self = .urgent
            case .emergency: self = .emergency
            }
        }

        var fill: String {
            switch self {
            case .clear: "#e6efe8"
            case .normal: "#ffe08a"
            case .urgent: "#ff9f43"
            case .emergency: "#e03131"
            }
        }

        var ink: String { self == .emergency ? "#ffffff" : "#1f2d24" }

        var chineseName: String {
            switch self {
            case .clear: "无待办"
            case .normal: "一般"
            case .urgent: "较急"
            case .emergency: "紧急"
            }
        }

        private var rank: Int { [.clear, .normal, .urgent, .emergency].firstIndex(of: self) ?? 0 }
        static func < (lhs: State, rhs: State) -> Bool { lhs.rank < rhs.rank }
    }

    /// One building as drawn.
    struct Spot: Sendable {
        var building: Building
        var x: Int
        var y: Int
        var state: State
        var open: Int
        var overdue: Bool
    }

    /// The buildings in the person's scope, placed, with their open reports.
    let spots: [Spot]
    /// The grids drawn, with their names and workers.
    let grids: [(code: String, name: String, workers: String)]

    static let cellWidth = 64
    static let cellHeight = 46
    static let gap = 14

    /// Places the buildings and sums their open reports. Buildings with a seed position stand
    /// there; the others are laid out grid by grid in rows below the plan.
    init(buildings: [Building], open: [ReportSummary], directory: CommunityDirectory, now: Date) {
        var state: [String: (state: State, open: Int, overdue: Bool)] = [:]
        for summary in open {
            guard let code = summary.order.location.building else { continue }
            var entry = state[code] ?? (.clear, 0, false)
            entry.state = max(entry.state, State(summary.order.urgency))
            entry.open += 1
            if let due = summary.dueAt, due < now { entry.overdue = true }
            state[code] = entry
        }
        func spot(_ building: Building, x: Int, y: Int) -> Spot {
            let entry = state[building.code] ?? (.clear, 0, false)
            return Spot(building: building, x: x, y: y, state: entry.state, open: entry.open, overdue: entry.overdue)
        }
        let placed = buildings.filter { $0.planX != nil && $0.planY != nil }
        var nextRow = (placed.compactMap(\.planY).max() ?? -2) + 2
        var spots = placed.map { spot($0, x: $0.planX ?? 0, y: $0.planY ?? 0) }
        // The rest: each grid's buildings in a row of at most six, a grid a row.
        let unplaced = Dictionary(grouping: buildings.filter { $0.planX == nil || $0.planY == nil }, by: \.gridCode)
        for gridCode in unplaced.keys.sorted() {
            for (index, building) in (unplaced[gridCode] ?? []).enumerated() {
                spots.append(spot(building, x: index % 6, y: nextRow + index / 6))
            }
            nextRow += ((unplaced[gridCode]?.count ?? 1) + 5) / 6 + 1
        }
        self.spots = spots
        let codes = Set(buildings.map(\.gridCode))
        grids = codes.sorted().map { code in
            let workers = directory.staff.filter { $0.gridCode == code && $0.role == .gridWorker }.map(\.name).joined(separator: "、")
            return (code, directory.grids[code]?.name ?? code, workers)
        }
    }

    /// The map as one `<svg>` element: grid outlines with their names, then the buildings, each
    /// a link to its open reports (`link(building)`).
    func svg(title: String, link: (String) -> String) -> String {
        guard !spots.isEmpty else {
            return #"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="网格地图" viewBox="0 0 320 40" width="100%"><text x="8" y="24" font-size="14">没有可显示的楼栋</text></svg>"#
        }
        let stepX = Self.cellWidth + Self.gap, stepY = Self.cellHeight + Self.gap + 8
        let labelSpace = 22
        func left(_ spot: Spot) -> Int { Self.gap + spot.x * stepX }
        func top(_ spot: Spot) -> Int { labelSpace + Self.gap + spot.y * stepY }
        var body = ""
        for grid in grids {
            let mine = spots.filter { $0.building.gridCode == grid.code }
            guard let minX = mine.map(left).min(), let minY = mine.map(top).min(),
                  let maxX = mine.map({ left($0) + Self.cellWidth }).max(), let maxY = mine.map({ top($0) + Self.cellHeight }).max() else { continue }
            let label = grid.workers.isEmpty ? grid.name : "\(grid.name) · \(grid.workers)"
            body += #"<g class="grid" data-grid="\#(SVGChart.escape(grid.code))"><rect x="\#(minX - 6)" y="\#(minY - 20)" width="\#(maxX - minX + 12)" height="\#(maxY - minY + 26)" rx="8" fill="none" stroke='#9fb3a6' stroke-dasharray="4 3"/>"#
            body += #"<text x="\#(minX - 2)" y="\#(minY - 7)" font-size="11" fill='#3d5245'>\#(SVGChart.escape(label))</text></g>"#
        }
        for spot in spots {
            let x = left(spot), y = top(spot)
            let name = spot.building.name
            let stroke = spot.overdue ? #" stroke='#7a0010' stroke-width="4""# : #" stroke='#8aa394' stroke-width="1""#
            let what = spot.open == 0 ? "无待办工单" : "\(spot.open) 件待办，最急：\(spot.state.chineseName)\(spot.overdue ? "，有超时" : "")"
            body += #"<a href="\#(SVGChart.escape(link(spot.building.code)))" data-building="\#(SVGChart.escape(spot.building.code))" data-state="\#(spot.state.rawValue)" data-overdue="\#(spot.overdue)">"#
            body += #"<title>\#(SVGChart.escape("\(name)：\(what)"))</title>"#
            body += #"<rect x="\#(x)" y="\#(y)" width="\#(Self.cellWidth)" height="\#(Self.cellHeight)" rx="5" fill="\#(spot.state.fill)"\#(stroke)/>"#
            body += #"<text x="\#(x + Self.cellWidth / 2)" y="\#(y + 20)" font-size="13" text-anchor="middle" fill="\#(spot.state.ink)">\#(SVGChart.escape(name))</text>"#
            if spot.open > 0 {
                body += #"<text x="\#(x + Self.cellWidth / 2)" y="\#(y + 37)" font-size="11" text-anchor="middle" fill="\#(spot.state.ink)">\#(spot.open) 件\#(spot.overdue ? " 超时" : "")</text>"#
            }
            body += "</a>"
        }
        let width = Self.gap * 2 + ((spots.map(\.x).max() ?? 0) + 1) * stepX
        let height = labelSpace + Self.gap * 2 + ((spots.map(\.y).max() ?? 0) + 1) * stepY
        return #"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="\#(SVGChart.escape(title))" viewBox="0 0 \#(width) \#(height)" width="100%" preserveAspectRatio="xMinYMin meet"><title>\#(SVGChart.escape(title))</title>\#(body)</svg>"#
    }
}
