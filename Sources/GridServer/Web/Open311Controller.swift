import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird
import NIOCore

/// A document of the Open311 GeoReport v2 API, written as JSON or as XML from one tree (the
/// spec's JSON is a mechanical mapping of its XML).
indirect enum Open311Node {
    case text(String)
    case number(Int64)
    case bool(Bool)
    /// Fields in the spec's order.
    case object([(String, Open311Node)])
    /// A list; in XML each item is an element named `item`.
    case list(item: String, [Open311Node])

    var json: Any {
        switch self {
        case .text(let text): text
        case .number(let number): number
        case .bool(let bool): bool
        case .object(let fields): Dictionary(fields.map { ($0.0, $0.1.json) }, uniquingKeysWith: { first, _ in first })
        case .list(_, let items): items.map(\.json)
        }
    }

    func xml(_ name: String) -> String {
        switch self {
        case .text(let text): "<\(name)>\(SVGChart.escape(text))</\(name)>"
        case .number(let number): "<\(name)>\(number)</\(name)>"
        case .bool(let bool): "<\(name)>\(bool)</\(name)>"
        case .object(let fields): "<\(name)>" + fields.map { $0.1.xml($0.0) }.joined() + "</\(name)>"
        case .list(let item, let items): "<\(name)>" + items.map { $0.xml(item) }.joined() + "</\(name)>"
        }
    }
}

/// Open311 GeoReport v2 (`/open311/v2/…`), so that other civic systems (a 12345 hotline, a city
/// platform) can read the community's reports and file new ones. Services are the report
/// categories. Reports show what a public notice board would: never a name, a phone number, a
/// room or a photo; descriptions have phone and ID numbers masked.
struct Open311Controller: Sendable {
    let store: SQLStore
    let intake: ReportIntake
    let parser: MessageParser
    let now: @Sendable () -> Date
    let onQueued: @Sendable () -> Void
    /// The configured public address (`--public-url`) the discovery document names; nil names
    /// the request's own host.
    var publicURL: String? = nil

    static let base = "/open311/v2"
    static let botCode = "open311"

    enum Format: String {
        case json, xml

        var contentType: String { self == .json ? "application/json; charset=utf-8" : "text/xml; charset=utf-8" }
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("\(Self.base)/:resource") { request, context in
            try await answer(context, "resource") { name, format in
                switch name {
                case "discovery": return ("discovery", discovery(request))
                case "services": return ("services", .list(item: "service", ReportCategory.allCases.map(Self.service)))
                case "requests": return ("service_requests", .list(item: "request", try await requests(request)))
                default: throw ServiceError(.notFound, message: "no resource \(name); see \(Self.base)/discovery.json")
                }
            }
        }
        router.post("\(Self.base)/:resource") { request, context in
            var request = request
            // Flat names and values: Open311 names fields `attribute[code]`, which a nested form
            // decoder would read as a dictionary.
            let fields = urlEncodedPairs(String(buffer: try await request.collectBody(upTo: 64 * 1024)), plusIsSpace: true)
            return try await answer(context, "resource") { name, _ in
                guard name == "requests" else { throw ServiceError(.notFound, message: "only requests can be posted") }
                return ("service_requests", .list(item: "request", [try await create(fields)]))
            }
        }
        router.get("\(Self.base)/services/:service") { _, context in
            try await answer(context, "service") { code, _ in
                guard let category = ReportCategory(rawValue: code) else { throw ServiceError(.notFound, message: "no service_code \(code)") }
                return ("service_definition", Self.definition(category))
            }
        }
        router.get("\(Self.base)/requests/:request") { _, context in
            try await answer(context, "request") { id, _ in
                guard let number = Int64(id) else { throw ServiceError(.badRequest, message: "service_request_id must be a number") }
                let (rows, _) = try await store.reports(ReportFilter(scope: .everything, ids: [number], limit: 1))
                guard let row = rows.first else { throw ServiceError(.notFound, message: "no service request \(id)") }
                return ("service_requests", .list(item: "request", [Self.request(row, directory: try await store.directory(), names: try await store.personNames())]))
            }
        }
    }

    /// Splits `name.json` / `name.xml`, runs the body and writes its document or its error.
    private func answer(_ context: some RequestContext, _ parameter: String,
                        _ body: (String, Format) async throws -> (root: String, node: Open311Node)) async throws -> Response {
        let file = context.parameters.get(parameter) ?? ""
        let dot = file.lastIndex(of: ".")
        guard let dot, let format = Format(rawValue: String(file[file.index(after: dot)...])) else {
            return Self.write(("errors", Self.errors(ServiceError(.badRequest, message: "add the format to the path: \(file).json or \(file).xml"))),
                              format: .json, status: .badRequest)
        }
        do {
            return Self.write(try await body(String(file[..<dot]), format), format: format)
        } catch let problem as ServiceError {
            return Self.write(("errors", Self.errors(problem)), format: format, status: problem.status)
        }
    }

    /// An error in the spec's format: a list of code and description.
    static func errors(_ problem: ServiceError) -> Open311Node {
        .list(item: "error", [.object([("code", .number(Int64(problem.status.code))), ("description", .text(problem.message))])])
    }

    static func write(_ document: (root: String, node: Open311Node), format: Format, status: HTTPResponse.Status = .ok) -> Response {
        let body: ByteBuffer
        switch format {
        case .json:
            let data = (try? JSONSerialization.data(withJSONObject: document.node.json, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
            body = ByteBuffer(data: data)
        case .xml:
            body = ByteBuffer(string: #"<?xml version="1.0" encoding="utf-8"?>"# + document.node.xml(document.root))
        }
        return Response(status: status, headers: [.contentType: format.contentType, .accessControlAllowOrigin: "*"], body: .init(byteBuffer: body))
    }

    // MARK: Discovery and services

    private func discovery(_ request: Request) -> Open311Node {
        let host = request.head.authority ?? "localhost"
        let scheme = WebSessions.isSecure(request) ? "https" : "http"
        let root = publicURL ?? "\(scheme)://\(host)"
        return .object([
            ("changeset", .text("2026-11-21T00:00:00+08:00")),
            ("contact", .text("社区网格服务中心，通过 GridBot 社区群反映问题")),
            ("key_service", .text("API keys are issued by the community admin: gridbot accounts token PERSON")),
            ("endpoints", .list(item: "endpoint", [.object([
                ("specification", .text("http://wiki.open311.org/GeoReport_v2")),
                ("url", .text("\(root)\(Self.base)")),
                ("changeset", .text("2026-11-21T00:00:00+08:00")),
                ("type", .text("production")),
                ("formats", .list(item: "format", [.text("text/xml"), .text("application/json")])),
            ])])),
        ])
    }

    static func service(_ category: ReportCategory) -> Open311Node {
        .object([
            ("service_code", .text(category.rawValue)), ("service_name", .text(category.chineseName)),
            ("description", .text("\(category.chineseName)方面的问题")), ("metadata", .bool(true)), ("type", .text("realtime")),
            ("keywords", .text(category.chineseName)), ("group", .text("社区网格")),
        ])
    }

    /// Every service takes one optional attribute: how urgent the problem is.
    static func definition(_ category: ReportCategory) -> Open311Node {
        .object([
            ("service_code", .text(category.rawValue)),
            ("attributes", .list(item: "attribute", [.object([
                ("variable", .bool(true)), ("code", .text("urgency")), ("datatype", .text("singlevaluelist")), ("required", .bool(false)),
                ("datatype_description", .text("不填时按描述判断")), ("order", .number(1)), ("description", .text("紧急程度")),
                ("values", .list(item: "value", Urgency.allCases.map { .object([("key", .text($0.rawValue)), ("name", .text($0.chineseName))]) })),
            ])])),
        ])
    }

    // MARK: Requests

    static func timestamp(_ date: Date) -> String {
        LocalTime.community.iso8601(date)
    }

    static func date(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        throw ServiceError(.badRequest, message: "\(text) is not a W3C datetime with a zone, like 2026-11-21T09:30:00+08:00")
    }

    /// A report's text as the public may see it: phone and ID numbers and people's names masked,
    /// and the room number, which points at one household, left out.
    static func publicText(_ order: WorkOrder, names: [String]) -> String {
        var text = PersonalData.maskRooms(PersonalData.maskNames(PersonalData.mask(order.text), known: names))
        if let room = order.location.room, !room.isEmpty { text = text.replacingOccurrences(of: room, with: "×××") }
        return text
    }

    /// One report as the public may see it.
    static func request(_ summary: ReportSummary, directory: CommunityDirectory, names: [String]) -> Open311Node {
        let order = summary.order
        let closed = !order.status.isOpen
        var notes = order.status.chineseName
        if let target = order.mergedInto { notes = "Duplicate request. 重复反映，已并入 #\(target)" }
        // The building and unit only: a room number points at one household.
        let address = Location(building: order.location.building, unit: order.location.unit).chineseDescription
        var fields: [(String, Open311Node)] = [
            ("service_request_id", .text(String(order.id))), ("status", .text(closed ? "closed" : "open")), ("status_notes", .text(notes)),
            ("service_name", .text(order.category.chineseName)), ("service_code", .text(order.category.rawValue)),
            ("description", .text(publicText(order, names: names))),
            ("agency_responsible", .text(directory.department(code: order.departmentCode)?.name ?? order.assigneeGrid.flatMap { directory.grids[$0]?.name } ?? "")),
            ("service_notice", .text("")),
            ("requested_datetime", .text(timestamp(order.createdAt))),
            ("updated_datetime", .text(timestamp(closed ? (order.closedAt ?? summary.updatedAt) : summary.updatedAt))),
        ]
        if let due = summary.dueAt { fields.append(("expected_datetime", .text(timestamp(due)))) }
        fields.append(("address", .text(address)))
        if let building = order.location.building { fields.append(("address_id", .text(building))) }
        fields.append(("zipcode", .text("")))
        return .object(fields)
    }

    /// GET requests with the spec's filters: `service_request_id` (a comma list that overrides
    /// the rest), `service_code` (comma list), `start_date`, `end_date` (at most 90 days apart;
    /// the last 90 days by default), `status` (open, closed); the first 1000 at most.
    private func requests(_ request: Request) async throws -> [Open311Node] {
        func parameter(_ name: String) -> String? { Console.parameter(request, name) }
        var filter = ReportFilter(scope: .everything, limit: 1_000)
        if let ids = parameter("service_request_id") {
            filter.ids = try ids.split(separator: ",").map { part in
                guard let id = Int64(part.trimmingCharacters(in: .whitespaces)) else { throw ServiceError(.badRequest, message: "service_request_id must be numbers separated by commas") }
                return id
            }
        } else {
            if let codes = parameter("service_code") {
                filter.categories = try codes.split(separator: ",").map { code in
                    guard let category = ReportCategory(rawValue: code.trimmingCharacters(in: .whitespaces)) else { throw ServiceError(.badRequest, message: "no service_code \(code)") }
                    return category
                }
            }
            let end = try parameter("end_date").map(Self.date) ?? now()
            let start = try parameter("start_date").map(Self.date) ?? end.addingTimeInterval(-90 * 86_400)
            guard start <= end else { throw ServiceError(.badRequest, message: "start_date is after end_date") }
            guard end.timeIntervalSince(start) <= 90 * 86_400 else { throw ServiceError(.badRequest, message: "start_date and end_date may be at most 90 days apart") }
            filter.from = start
            filter.to = end.addingTimeInterval(0.001)
            if let statuses = parameter("status") {
                var chosen: [ReportStatus] = []
                for status in statuses.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    switch status {
                    case "open": chosen += ReportStatus.allCases.filter(\.isOpen)
                    case "closed": chosen += ReportStatus.allCases.filter { !$0.isOpen }
                    default: throw ServiceError(.badRequest, message: "status must be open or closed")
                    }
                }
                filter.statuses = chosen
            }
        }
        let directory = try await store.directory()
        let names = try await store.personNames()
        return try await store.reports(filter).rows.map { Self.request($0, directory: directory, names: names) }
    }

    /// POST requests: a new report from another system, with an API key of a member of staff.
    private func create(_ fields: [String: String]) async throws -> Open311Node {
        func field(_ name: String) -> String? {
            guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            return value
        }
        guard let key = field("api_key") else { throw ServiceError(.forbidden, message: "api_key is required") }
        guard let person = try await store.person(apiToken: key), person.role.isStaff else { throw ServiceError(.forbidden, message: "api_key is not valid") }
        guard let code = field("service_code") else { throw ServiceError(.badRequest, message: "service_code is required") }
        guard let category = ReportCategory(rawValue: code) else { throw ServiceError(.notFound, message: "no service_code \(code)") }
        let address = field("address_string") ?? field("address_id").map { "\($0)号楼" }
        guard address != nil || (field("lat") != nil && field("long") != nil) else {
            throw ServiceError(.badRequest, message: "a location is required: address_string, address_id, or lat and long")
        }
        let description = field("description") ?? category.chineseName
        guard description.count <= 4_000 else { throw ServiceError(.badRequest, message: "description is limited to 4000 characters") }
        guard !description.contains("<") else { throw ServiceError(.badRequest, message: "description must be plain text, without HTML") }
        var urgency = parser.parse(description, groupBuilding: nil).urgency ?? .normal
        if let given = field("attribute[urgency]") {
            guard let value = Urgency(rawValue: given) else {
                throw ServiceError(.badRequest, message: "attribute[urgency] must be one of \(Urgency.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            urgency = value
        }
        let location = parser.location(in: address ?? "")
        let text = [address, description].compactMap { $0 }.joined(separator: " ")
        let moment = now()
        try await store.ensureChannelBot(code: Self.botCode, channel: "open311")
        let message = InboundMessage(
            platform: .generic, botCode: Self.botCode, chatID: "open311", senderID: "open311:\(person.code)", senderName: person.name,
            text: text, attachments: field("media_url").map { [$0] } ?? [], sentAt: moment, platformMessageID: UUID().uuidString)
        let recorded = try await store.record(message, groupCode: nil, receivedAt: moment)
        let stored = StoredInboundMessage(id: recorded.id, message: message, groupCode: nil)
        let report = NewReport(category: category, urgency: urgency, location: location, confidence: 1, needsTriage: false)
        // Nil only when the message processor took the message first and made the report itself.
        var made = try await intake.record(stored, report: report, answering: false, now: moment)
        if made == nil { made = try await store.reportID(messageID: recorded.id) }
        guard let id = made else {
            throw ServiceError(.badRequest, message: "the request could not be recorded as a report; try again")
        }
        onQueued()
        return .object([("service_request_id", .text(String(id))), ("service_notice", .text("已受理，可用 service_request_id 查询进展"))])
    }
}
