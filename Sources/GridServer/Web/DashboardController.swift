import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird
import NIOCore

/// The dashboard (charts drawn as SVG on the server) and the CSV export of reports, both over a
/// period of days and within the signed-in person's scope.
struct DashboardController: Sendable {
    let console: Console

    var store: SQLStore { console.store }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/dashboard") { request, _ in
            guard let staff = try await console.staff(request) else { return Console.signIn(request) }
            return try await dashboard(request, staff)
        }
        router.get("/reports/export.csv") { request, _ in
            guard let staff = try await console.staff(request) else { return Console.signIn(request) }
            return try await export(request, staff)
        }
    }

    private func dashboard(_ request: Request, _ staff: Console.Staff) async throws -> Response {
        let period = try DayPeriod(request, now: console.now(), defaultFirst: DayPeriod.lastDays(30))
        let statistics = try await store.statistics(from: period.from, to: period.to, scope: staff.scope, overdueAt: min(console.now(), period.to))
        let perDay = try await store.reportsPerDay(from: period.from, to: period.to, scope: staff.scope, in: .shanghai)
        let points = try await store.pointsFlow(from: period.from, to: period.to)
        let days = period.days
        let dayBars = days.map { day in SVGChart.Bar(String(day.description.suffix(5)), Double(perDay[day] ?? 0)) }
        let categoryBars = statistics.byCategory.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { SVGChart.Bar(ReportCategory(rawValue: $0.key)?.chineseName ?? $0.key, Double($0.value)) }
        let gridBars = statistics.byGrid.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { SVGChart.Bar(staff.gridName($0.key), Double($0.value)) }
        func hours(_ seconds: Double?) -> String {
            guard let seconds else { return "无数据" }
            return seconds < 3_600 ? String(format: "%.0f 分钟", seconds / 60) : String(format: "%.1f 小时", seconds / 3_600)
        }
        func percent(_ share: Double?) -> String { share.map { String(format: "%.0f%%", $0 * 100) } ?? "无数据" }
        return console.render(.dashboard, request, staff, [
            "from": period.first.description, "to": period.last.description,
            "total": statistics.total, "merged": statistics.merged, "overdue": statistics.overdueNow,
            "completion": percent(statistics.completionRate), "acknowledgedOnTime": percent(statistics.acknowledgedOnTimeRate),
            "resolvedOnTime": percent(statistics.resolvedOnTimeRate),
            "toAcknowledge": hours(statistics.averageSecondsToAcknowledge), "toResolve": hours(statistics.averageSecondsToResolve),
            "pointsIssued": points.issued, "pointsRedeemed": points.redeemed,
            "perDayChart": SVGChart.columns(dayBars, title: "每日反映数"),
            "categoryChart": SVGChart.rows(categoryBars, title: "按类别"),
            "gridChart": SVGChart.rows(gridBars, title: "按网格"),
            "ratesChart": SVGChart.shares([
                ("办结率", statistics.completionRate), ("按时签收率", statistics.acknowledgedOnTimeRate), ("按时办理率", statistics.resolvedOnTimeRate),
            ], title: "办结与按时率"),
            "pointsChart": SVGChart.rows([SVGChart.Bar("发放积分", Double(points.issued)), SVGChart.Bar("核销积分", Double(points.redeemed))], title: "志愿积分"),
            "export": "/reports/export.csv?from=\(period.first)&to=\(period.last)&status=all",
        ])
    }

    // MARK: CSV

    static let csvColumns = ["编号", "反映时间", "类别", "紧急程度", "楼栋", "单元", "房号", "状态", "承办网格", "承办部门",
                             "签收时间", "处置时间", "办结时间", "最近期限", "内容"]

    /// Every report of the period in the person's scope, optionally narrowed like the queue.
    private func export(_ request: Request, _ staff: Console.Staff) async throws -> Response {
        let period = try DayPeriod(request, now: console.now(), defaultFirst: DayPeriod.lastDays(30))
        let queue = try ConsoleController.QueueFilter(request, staff: staff)
        var filter = queue.reportFilter(staff, now: console.now(), pageSize: 1_000)
        if Console.parameter(request, "status") == nil { filter.statuses = nil }
        filter.from = period.from
        filter.to = period.to
        filter.offset = 0
        var csv = "\u{FEFF}" + Self.csvLine(Self.csvColumns)
        while true {
            let (rows, _) = try await store.reports(filter)
            for summary in rows {
                let order = summary.order
                csv += Self.csvLine([
                    "\(order.id)", Console.fullTime(order.createdAt), order.category.chineseName, order.urgency.chineseName,
                    order.location.building ?? "", order.location.unit ?? "", order.location.room ?? "", order.status.chineseName,
                    staff.gridName(order.assigneeGrid), staff.directory.department(code: order.departmentCode)?.name ?? "",
                    Console.fullTime(order.acknowledgedAt), Console.fullTime(order.resolvedAt), Console.fullTime(order.closedAt),
                    Console.fullTime(summary.dueAt), PersonalData.mask(order.text),
                ])
            }
            guard rows.count == filter.limit else { break }
            filter.offset += filter.limit
        }
        var headers: HTTPFields = [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentDisposition] = "attachment; filename=\"reports-\(period.first)-\(period.last).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    /// One RFC 4180 line. A cell that a spreadsheet would read as a formula gets a leading
    /// apostrophe, so an exported report cannot run code in the office's spreadsheet.
    static func csvLine(_ cells: [String]) -> String {
        cells.map { cell in
            var cell = cell
            if let first = cell.first, "=+-@\t\r".contains(first) { cell = "'" + cell }
            guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
            return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",") + "\r\n"
    }
}
