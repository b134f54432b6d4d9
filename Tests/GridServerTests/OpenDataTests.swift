import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Open311 GeoReport v2 checked against the spec's fields, `/metrics`, and the OpenAPI document
/// checked against the routes the application really has and the answers it really gives.
@Suite struct OpenDataTests {
    static func json(_ response: TestResponse) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(buffer: response.body))
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\($0.key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&"))
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test(arguments: TestBackend.allCases)
    func open311AnswersWithTheSpecsFieldsAndNoPersonalData(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        let token = try #require(try await loop.services.store.createAPIToken(person: "ADM1", label: "12345 hotline", at: loop.clock.now()))
        try await loop.run { loop, client in
            try await ConsoleTests.twoReports(loop, client)
            let base = "/open311/v2"

            let discovery = try #require(try Self.json(try await client.execute(uri: "\(base)/discovery.json", method: .get)) as? [String: Any])
            let endpoint = try #require((discovery["endpoints"] as? [[String: Any]])?.first)
            #expect(endpoint["specification"] as? String == "http://wiki.open311.org/GeoReport_v2")
            #expect((endpoint["formats"] as? [String])?.contains("text/xml") == true)

            let services = try #require(try Self.json(try await client.execute(uri: "\(base)/services.json", method: .get)) as? [[String: Any]])
            #expect(services.count == ReportCategory.allCases.count)
            for service in services {
                for field in ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"] {
                    #expect(service[field] != nil, "service has \(field)")
                }
                #expect(service["type"] as? String == "realtime")
            }
            let definition = try #require(try Self.json(try await client.execute(uri: "\(base)/services/elevator.json", method: .get)) as? [String: Any])
            let attribute = try #require((definition["attributes"] as? [[String: Any]])?.first)
            for field in ["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"] {
                #expect(attribute[field] != nil, "attribute has \(field)")
            }
            #expect(try await client.execute(uri: "\(base)/services/unicorns.json", method: .get).status == .notFound)

            let listed = try await client.execute(uri: "\(base)/requests.json", method: .get)
            let requests = try #require(try Self.json(listed) as? [[String: Any]])
            #expect(requests.count == 2)
            let first = try #require(requests.first { $0["service_request_id"] as? String == "1" })
            for field in ["service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
                          "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id"] {
                #expect(first[field] != nil, "request has \(field)")
            }
            #expect(first["status"] as? String == "open")
            #expect(first["service_code"] as? String == "elevator")
            #expect(first["address"] as? String == "3号楼2单元", "no room number")
            #expect((first["requested_datetime"] as? String)?.hasSuffix("+08:00") == true)
            let text = listed.text
            for secret in ["13812345678", "502", "王芳", "resident.wangfang", "img.example.com"] {
                #expect(!text.contains(secret), "\(secret) is not published")
            }

            let closed = try #require(try Self.json(try await client.execute(uri: "\(base)/requests.json?status=closed", method: .get)) as? [[String: Any]])
            #expect(closed.isEmpty)
            let byCode = try #require(try Self.json(try await client.execute(uri: "\(base)/requests.json?service_code=fire_safety", method: .get)) as? [[String: Any]])
            #expect(byCode.map { $0["service_request_id"] as? String } == ["2"])
            let tooLong = try await client.execute(uri: "\(base)/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z", method: .get)
            #expect(tooLong.status == .badRequest)
            let error = try #require((try Self.json(tooLong) as? [[String: Any]])?.first)
            #expect(error["code"] as? Int == 400 && (error["description"] as? String)?.contains("90 days") == true)

            let xml = try await client.execute(uri: "\(base)/requests/1.xml", method: .get)
            #expect(xml.headers[.contentType] == "text/xml; charset=utf-8")
            #expect(xml.text.hasPrefix(#"<?xml version="1.0" encoding="utf-8"?><service_requests><request><service_request_id>1</service_request_id><status>open</status>"#))
            #expect(try await client.execute(uri: "\(base)/requests/99.xml", method: .get).text.contains("<errors><error><code>404</code>"))

            // Filing a request needs a staff API key.
            let noKey = try await client.execute(uri: "\(base)/requests.json", method: .post, headers: Self.formHeaders,
                                                 body: Self.form(["service_code": "sanitation", "address_string": "5号楼"]))
            #expect(noKey.status == .forbidden)
            let unknown = try await client.execute(uri: "\(base)/requests.json", method: .post, headers: Self.formHeaders,
                                                   body: Self.form(["api_key": token, "service_code": "unicorns", "address_string": "5号楼"]))
            #expect(unknown.status == .notFound)
            let nowhere = try await client.execute(uri: "\(base)/requests.json", method: .post, headers: Self.formHeaders,
                                                   body: Self.form(["api_key": token, "service_code": "sanitation"]))
            #expect(nowhere.status == .badRequest)
            let filed = try await client.execute(uri: "\(base)/requests.json", method: .post, headers: Self.formHeaders,
                                                 body: Self.form(["api_key": token, "service_code": "sanitation", "address_string": "5号楼1单元",
                                                                  "description": "楼道垃圾三天没人清理", "attribute[urgency]": "urgent"]))
            #expect(filed.status == .ok)
            let id = try #require((try Self.json(filed) as? [[String: Any]])?.first?["service_request_id"] as? String)
            let number = try #require(Int64(id))
            let order = try #require(try await loop.services.store.workOrder(id: number))
            #expect(order.category == .sanitation && order.urgency == .urgent && order.location.building == "5")
            #expect(order.status == .assigned, "routed like a chat report")
        }
    }

    /// `--metrics-token` guards `/metrics`, `--public-url` names Open311's endpoint (not the
    /// request's Host header), and every answer, errors included, says `nosniff`.
    /// The forms the security test found published: a second room, a room in Chinese numerals,
    /// a resident's name, full-width and +86 phone numbers.
    @Test func thePublicFeedHidesEveryFormOfPersonalData() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, "resident.zhangxiuying", in: "building-3",
                               "3号楼1单元五零二室李强家漏水到我家302，我是张秀英，电话＋86 139 1234 5678 或 １３８１２３４５６７８")
            let listed = try await client.execute(uri: "/open311/v2/requests.xml", method: .get)
            let text = String(buffer: listed.body)
            #expect(text.contains("漏水"), "the problem itself is published")
            for secret in ["五零二", "302", "李强", "张秀英", "1234 5678", "５６７８"] {
                #expect(!text.contains(secret), "\(secret) is not published")
            }
        }
    }

    @Test func metricsTokenPublicURLAndNosniff() async throws {
        let loop = try await LoopHarness(.sqlite) { configuration in
            configuration.metricsToken = "scrape-token-0123456789"
            configuration.publicURL = "https://grid.example.org"
        }
        try await loop.run { _, client in
            let anonymous = try await client.execute(uri: "/metrics", method: .get)
            #expect(anonymous.status == .unauthorized && anonymous.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer scrape-token-0123456788"]).status == .unauthorized)
            let scraped = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer scrape-token-0123456789"])
            #expect(scraped.status == .ok && scraped.text.contains("gridbot_http_requests_total"))

            let discovery = try await client.execute(uri: "/open311/v2/discovery.json", method: .get)
            #expect(discovery.text.contains(#""url":"https://grid.example.org/open311/v2""#), "\(discovery.text)")

            let error = try await client.execute(uri: "/open311/v2/requests/<script>.json", method: .get)
            #expect(error.status.code >= 400 && error.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let page = try await client.execute(uri: "/login", method: .get)
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
        }
        var configuration = AppConfiguration()
        configuration.lightPasswordHashing = true
        #expect(throws: ConfigurationError.self) { configuration = try AppConfiguration.resolve(flags: [.metricsToken: "short"], environment: [:]) }
        #expect(throws: ConfigurationError.self) { configuration = try AppConfiguration.resolve(flags: [.publicURL: "ftp://x"], environment: [:]) }
        configuration = try AppConfiguration.resolve(flags: [:], environment: ["GRIDBOT_PUBLIC_URL": "https://grid.example.org/"])
        #expect(configuration.publicURL == "https://grid.example.org")
    }

    @Test func metricsCountRequestsByRouteTemplateAndReadTheDatabase() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await ConsoleTests.twoReports(loop, client)
            let forged = try await client.execute(uri: "/webhooks/generic/demo", method: .post,
                                                  headers: GatewaySigning.headers("{}", secret: "wrong"), body: ByteBuffer(string: "{}"))
            #expect(forged.status == .unauthorized)
            _ = try await client.execute(uri: "/open311/v2/requests/1.json", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            let text = metrics.text
            #expect(text.contains(#"gridbot_http_requests_total{route="/webhooks/{platform}/{bot}",method="POST",status="200"} 2"#))
            #expect(text.contains(#"gridbot_http_requests_total{route="/open311/v2/requests/{request}",method="GET",status="200"} 1"#))
            #expect(text.contains(#"gridbot_webhook_verify_failures_total{platform="generic"} 1"#))
            // Durations by route, and the process figures dashboards start from.
            #expect(text.contains(#"gridbot_http_request_duration_seconds_count{route="/webhooks/{platform}/{bot}",method="POST"} 3"#), "the two accepted and the forged one")
            #expect(text.contains(#"gridbot_http_request_duration_seconds_bucket{route="/webhooks/{platform}/{bot}",method="POST",le="10.0"} 3"#))
            for figure in ["process_start_time_seconds ", "process_resident_memory_bytes ", "process_open_fds ", "process_cpu_seconds_total "] {
                #expect(text.contains(figure), "\(figure) is exported")
            }
            #expect(text.contains(#"gridbot_reports{status="assigned"} 2"#))
            #expect(text.contains("gridbot_report_stages_overdue 0"))
            #expect(text.contains(#"gridbot_outbound_messages{state="pending"}"#))
            #expect(text.contains("gridbot_ledger_transfers 0"))
        }
    }

    /// The document lists exactly the JSON API's routes, and what the API answers is what the
    /// document says: the statuses, and the required (and only the documented) fields.
    @Test func theOpenAPIDocumentIsTrue() async throws {
        let loop = try await LoopHarness(.sqlite)
        let routes = Set(routeDescriptions(loop.services))
        try await loop.run { loop, client in
            let served = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(served.status == .ok)
            let document = try #require(try Self.json(served) as? [String: Any])
            #expect(document["openapi"] as? String == "3.0.3")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented: Set<String> = []
            for (path, item) in paths {
                for method in ["get", "post", "put", "delete", "patch"] where item[method] != nil {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            let api = routes.filter { route in
                ["/api/", "/open311/", "/webhooks/", "/metrics", "/healthz", "/openapi.json"].contains { route.contains(" \($0)") }
            }
            #expect(documented == api, "documented but missing: \(documented.subtracting(api)); undocumented: \(api.subtracting(documented))")

            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
            func schema(_ path: String, _ method: String, _ status: Int) throws -> [String: Any]? {
                let operation = try #require(paths[path]?[method] as? [String: Any])
                let responses = try #require(operation["responses"] as? [String: Any])
                let response = try #require(responses[String(status)] as? [String: Any], "\(method) \(path) documents \(status)")
                guard let content = (response["content"] as? [String: Any])?["application/json"] as? [String: Any],
                      var schema = content["schema"] as? [String: Any] else { return nil }
                if let reference = schema["$ref"] as? String { schema = try #require(schemas[String(reference.split(separator: "/").last ?? "")]) }
                return schema
            }
            /// The body has every required field and no field the schema does not list.
            func conforms(_ body: Any, _ schema: [String: Any]) throws {
                if let items = schema["items"] as? [String: Any], let list = body as? [Any] {
                    var item = items
                    if let reference = items["$ref"] as? String { item = try #require(schemas[String(reference.split(separator: "/").last ?? "")]) }
                    for element in list { try conforms(element, item) }
                    return
                }
                guard let object = body as? [String: Any], let properties = schema["properties"] as? [String: Any] else { return }
                for field in schema["required"] as? [String] ?? [] { #expect(object[field] != nil, "required field \(field)") }
                if schema["additionalProperties"] as? Bool == false {
                    for field in object.keys { #expect(properties[field] != nil, "undocumented field \(field)") }
                }
            }
            func check(_ path: String, _ method: String, _ response: TestResponse) throws {
                let status = Int(response.status.code)
                let found = try schema(path, method, status)
                if let found, response.headers[.contentType]?.hasPrefix("application/json") == true { try conforms(try Self.json(response), found) }
            }

            try await ConsoleTests.twoReports(loop, client)
            let token = try #require(try await loop.services.store.createAPIToken(person: "GH1", label: "test", at: loop.clock.now()))
            let bearer: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            try check("/healthz", "get", try await client.execute(uri: "/healthz", method: .get))
            try check("/api/v1/tasks", "get", try await client.execute(uri: "/api/v1/tasks", method: .get))
            try check("/api/v1/tasks", "get", try await client.execute(uri: "/api/v1/tasks", method: .get, headers: bearer))
            try check("/api/v1/tasks", "post", try await client.execute(uri: "/api/v1/tasks", method: .post, headers: bearer,
                                                                        body: ByteBuffer(string: #"{"title": "清理3号楼楼道小广告", "points": 10, "slots": 2}"#)))
            try check("/api/v1/tasks", "post", try await client.execute(uri: "/api/v1/tasks", method: .post, headers: bearer, body: ByteBuffer(string: "{}")))
            try check("/api/v1/tasks/{code}/review", "post", try await client.execute(uri: "/api/v1/tasks/T9/review", method: .post, headers: bearer,
                                                                                      body: ByteBuffer(string: #"{"person": "王芳", "approve": true}"#)))
            try check("/api/v1/merchant/vouchers/lookup", "post", try await client.execute(uri: "/api/v1/merchant/vouchers/lookup", method: .post, headers: bearer,
                                                                                           body: ByteBuffer(string: #"{"code": "ABCDE-FGHJK-M"}"#)))
            let merchant = try #require(try await loop.services.store.createAPIToken(person: "MA1", label: "till", at: loop.clock.now()))
            let till: HTTPFields = [.authorization: "Bearer \(merchant)", .contentType: "application/json"]
            try check("/api/v1/merchant/vouchers/lookup", "post", try await client.execute(uri: "/api/v1/merchant/vouchers/lookup", method: .post, headers: till,
                                                                                           body: ByteBuffer(string: #"{"code": "ABCDE-FGHJK-M"}"#)))
            try check("/api/v1/merchant/vouchers/redeem", "post", try await client.execute(uri: "/api/v1/merchant/vouchers/redeem", method: .post, headers: till,
                                                                                           body: ByteBuffer(string: #"{"code": 12}"#)))
            try check("/api/v1/merchant/statement", "get", try await client.execute(uri: "/api/v1/merchant/statement", method: .get, headers: till))
            try check("/api/v1/merchant/statement", "get", try await client.execute(uri: "/api/v1/merchant/statement?from=yesterday", method: .get, headers: till))
            try check("/open311/v2/requests/{request}", "get", try await client.execute(uri: "/open311/v2/requests/1.json", method: .get))
            try check("/open311/v2/requests/{request}", "get", try await client.execute(uri: "/open311/v2/requests/x.json", method: .get))
            try check("/open311/v2/{resource}", "get", try await client.execute(uri: "/open311/v2/requests.json?status=maybe", method: .get))
            try check("/webhooks/{platform}/{bot}", "post", try await client.execute(uri: "/webhooks/generic/nobody", method: .post, headers: [.contentType: "application/json"],
                                                                                     body: ByteBuffer(string: "{}")))
        }
    }
}
