import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird
import NIOCore

/// The grid map page (`/map`) and its drawing alone (`/map.svg`, which the page fetches every
/// 30 seconds so it stays current without a reload). Both show only the buildings of the
/// signed-in person's grids and the reports they may see; `?building=3` lists that building's
/// open reports under the map.
struct GridMapController: Sendable {
    let console: Console

    var store: SQLStore { console.store }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/map") { request, _ in
            guard let staff = try await console.staff(request) else { return Console.signIn(request) }
            return try await page(request, staff)
        }
        router.get("/map.svg") { request, _ in
            guard let staff = try await console.staff(request) else { return Console.signIn(request) }
            let (map, _) = try await draw(staff)
            return Response(status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: map.svg(title: "网格地图", link: Self.link))))
        }
    }

    static func link(_ building: String) -> String {
        "/map?building=" + (building.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? building) + "#building"
    }

    /// The map over the person's buildings and open reports, and those reports.
    private func draw(_ staff: Console.Staff) async throws -> (GridMap, [ReportSummary]) {
        let open = try await store.reports(ReportFilter(scope: staff.scope, statuses: ReportStatus.allCases.filter(\.isOpen), limit: 5_000)).rows
        let all = try await store.buildings()
        let buildings: [Building]
        switch staff.scope {
        case .everything: buildings = all
        case .grids(let codes): buildings = all.filter { codes.contains($0.gridCode) }
        case .building(let code): buildings = all.filter { $0.code == code }
        case .department:
            // A department's map is the buildings its open reports are in.
            let named = Set(open.compactMap(\.order.location.building))
            buildings = all.filter { named.contains($0.code) }
        case .nothing: buildings = []
        }
        return (GridMap(buildings: buildings, open: open, directory: staff.directory, now: console.now()), open)
    }

    private func page(_ request: Request, _ staff: Console.Staff) async throws -> Response {
        let (map, open) = try await draw(staff)
        let chosen = Console.parameter(request, "building")
        var listed: [[String: Any]] = []
        var chosenName = ""
        if let chosen {
            guard let spot = map.spots.first(where: { $0.building.code == chosen }) else {
                throw ServiceError(.notFound, message: "building \(chosen) is not on your map", page: "你的网格里没有这栋楼。")
            }
            chosenName = spot.building.name
            let now = console.now()
            listed = open.filter { $0.order.location.building == chosen }.map { summary in
                let order = summary.order
                return [
                    "id": order.id, "category": order.category.chineseName, "urgency": order.urgency.chineseName, "status": order.status.chineseName,
                    "place": order.location.chineseDescription, "due": Console.shortTime(summary.dueAt),
                    "overdue": summary.dueAt.map { $0 < now } ?? false, "text": String(PersonalData.mask(order.text).prefix(40)),
                ]
            }
        }
        let counts = Dictionary(grouping: map.spots, by: \.state).mapValues(\.count)
        return console.render(.map, request, staff, [
            "map": map.svg(title: "网格地图", link: Self.link),
            "buildings": map.spots.count, "withReports": map.spots.filter { $0.open > 0 }.count,
            "overdue": map.spots.filter(\.overdue).count, "emergency": counts[.emergency] ?? 0,
            "chosen": chosen ?? "", "chosenName": chosenName, "reports": listed, "none": chosen != nil && listed.isEmpty,
            "legend": [GridMap.State.clear, .normal, .urgent, .emergency].map { ["fill": $0.fill, "name": $0.chineseName] },
        ])
    }
}
