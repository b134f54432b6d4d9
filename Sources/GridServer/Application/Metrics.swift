import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

/// GridBot's Prometheus metrics. Each application has its own registry (no process-wide
/// bootstrap), so the tests' many applications do not share counts.
///
/// Counted as they happen: HTTP requests by route template, method and status; webhook requests
/// refused by signature or token checks. Read from the database at each scrape: reports by
/// status, overdue stages, the outbound queue by state, unprocessed messages, ledger transfers.
final class GridMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    /// Buckets of the request duration histogram: 5 ms to 10 s.
    static let durationBuckets: [Duration] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { .milliseconds($0) }

    /// When this process started, for `process_start_time_seconds`.
    let started = Date()

    func request(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.name("gridbot_http_request_duration_seconds", "HTTP request durations by route template and method"),
                                       labels: [("route", route), ("method", method.rawValue)], buckets: Self.durationBuckets)
            .record(duration)
        registry.makeCounter(descriptor: Self.name("gridbot_http_requests_total", "HTTP requests by route template, method and status"),
                             labels: [("route", route), ("method", method.rawValue), ("status", String(status.code))]).increment()
    }

    func webhookRefused(platform: String) {
        let name = Self.name("gridbot_webhook_verify_failures_total", "Webhook requests refused because their signature or token did not verify")
        registry.makeCounter(descriptor: name, labels: [("platform", platform)]).increment()
    }

    /// A metric's name and help, whole (`gridbot_reports`), as the exposition shows them.
    static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The text exposition, with the database figures read now.
    func exposition(_ figures: OperationalFigures) -> String {
        for status in ReportStatus.allCases {
            registry.makeGauge(descriptor: Self.name("gridbot_reports", "Reports by status"), labels: [("status", status.rawValue)])
                .set(Double(figures.reportsByStatus[status] ?? 0))
        }
        registry.makeGauge(descriptor: Self.name("gridbot_report_stages_overdue", "Open acknowledge and resolve stages past their deadline"))
            .set(Double(figures.overdueStages))
        for state in ["pending", "sending", "sent", "dead"] {
            registry.makeGauge(descriptor: Self.name("gridbot_outbound_messages", "Outbound chat messages by state; pending and sending are the queue"), labels: [("state", state)])
                .set(Double(figures.outboundByState[state] ?? 0))
        }
        registry.makeGauge(descriptor: Self.name("gridbot_inbound_messages_unprocessed", "Received chat messages not processed yet"))
            .set(Double(figures.unprocessedMessages))
        registry.makeGauge(descriptor: Self.name("gridbot_ledger_transfers", "Transfers recorded in the points ledger"))
            .set(Double(figures.ledgerTransfers))
        let process = ProcessFigures.read()
        registry.makeGauge(descriptor: Self.name("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds"))
            .set(started.timeIntervalSince1970)
        if let resident = process.residentBytes {
            registry.makeGauge(descriptor: Self.name("process_resident_memory_bytes", "Resident memory size in bytes")).set(resident)
        }
        if let descriptors = process.openDescriptors {
            registry.makeGauge(descriptor: Self.name("process_open_fds", "Open file descriptors")).set(descriptors)
        }
        if let cpu = process.cpuSeconds {
            registry.makeGauge(descriptor: Self.name("process_cpu_seconds_total", "User and system CPU time spent, in seconds")).set(cpu)
        }
        return registry.emitToString()
    }
}

/// Counts every request by its route template (`/reports/{id}`, not `/reports/12`), so that
/// the metric's cardinality stays bounded.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: GridMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func count(_ status: HTTPResponse.Status) {
            metrics.request(route: context.endpointPath ?? "unmatched", method: request.method, status: status, duration: ContinuousClock.now - start)
        }
        do {
            let response = try await next(request, context)
            count(response.status)
            return response
        } catch let error as any HTTPResponseError {
            count(error.status)
            throw error
        } catch {
            count(.internalServerError)
            throw error
        }
    }
}

/// `GET /metrics` in the Prometheus text format.
struct MetricsController: Sendable {
    let metrics: GridMetrics
    let store: SQLStore
    let now: @Sendable () -> Date

    /// When set, the bearer token a scrape must present.
    var token: String? = nil

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/metrics") { request, _ in
            if let token {
                let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
                // Compared in constant time, so the answer's timing tells nothing of the token.
                let matches = presented.utf8.count == token.utf8.count && zip(presented.utf8, token.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
                guard matches else {
                    throw ServiceError(.unauthorized, message: "/metrics needs 'Authorization: Bearer <token>'", headers: [.wwwAuthenticate: "Bearer realm=\"metrics\""])
                }
            }
            let text = metrics.exposition(try await store.operationalFigures(now: now()))
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

/// The process figures every Prometheus dashboard starts from, read from `/proc/self` (nil
/// where the system has no such files).
struct ProcessFigures {
    var residentBytes: Double?
    var openDescriptors: Double?
    var cpuSeconds: Double?

    static func read() -> ProcessFigures {
        var figures = ProcessFigures()
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Double(fields[1]) { figures.residentBytes = pages * pageSize }
        }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            figures.openDescriptors = Double(entries.count)
        }
        // Fields 14 and 15 of /proc/self/stat (after the command in parentheses) are user and
        // system time in clock ticks.
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]), ticks > 0 {
                figures.cpuSeconds = (user + system) / ticks
            }
        }
        return figures
    }
}
