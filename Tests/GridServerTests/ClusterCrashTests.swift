import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SQLKit
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Two real `gridbot serve` instances on one PostgreSQL, one killed with SIGKILL while webhooks
/// arrive and its replies are on their way to a slow gateway: every accepted message is stored,
/// reported and answered once, and no reply reaches the gateway under two different keys.
@Suite(.serialized) struct ClusterCrashTests {
    /// A generic gateway that takes 300 ms over each reply, on any free port.
    static func slowGateway(_ deliveries: OrderLog) async throws -> StubHTTPServer {
        let router = Router()
        router.post("/reply") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let fields = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
            let key = request.headers[HTTPField.Name("Idempotency-Key")!] ?? "none"
            #expect(fields?["idempotency_key"] as? String == key, "the header and the body carry one key")
            deliveries.append(key)
            try await Task.sleep(for: .milliseconds(300))
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"message_id":"gw-\#(UUID().uuidString)"}"#)))
        }
        return try await StubHTTPServer.start(router, label: "gateway")
    }

    /// Posts one signed group message; true only when the server answered 200.
    static func post(_ index: Int, to url: String) async -> Bool {
        let body = #"{"message_id":"cluster-\#(index)","chat_id":"building-\#(index % 6 + 1)","sender":{"id":"r\#(index)","name":"居民\#(index)"},"text":"\#(index % 6 + 1)号楼\#(index % 3 + 1)单元楼道灯坏了，第\#(index)次反映","attachments":[]}"#
        var request = URLRequest(url: URL(string: url + "/webhooks/generic/demo")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 20
        for field in GatewaySigning.headers(body) { request.setValue(field.value, forHTTPHeaderField: field.name.rawName) }
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return false }
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    @Test func twoInstancesOneKilledMidLoadStoreReportAndAnswerEachMessageOnce() async throws {
        guard TestBackend.allCases.contains(.postgres) else { return }
        // The delivery keys the slow gateway received, in order.
        let deliveries = OrderLog()
        let gateway = try await Self.slowGateway(deliveries)

        // The demo community on a fresh PostgreSQL database, its gateway pointed at the slow one.
        let location = try await TestBackend.postgres.makeLocation()
        guard case .postgres(let url) = location else { return }
        let services = try await TestServices.demo(.postgres) { $0.database = location }
        let settings = #"{"reply_url":"http://127.0.0.1:\#(gateway.port)/reply","secret":"\#(GatewaySigning.demoSecret)"}"#
        try await services.database.withConnection { db in
            try await db.raw("UPDATE bots SET settings = \(bind: settings) WHERE code = 'demo'").run()
        }

        let arguments = ["--database", url, "--seed", "none", "--log-level", "error", "--light-password-hashing"]
        let doomed = try CommandLineTests.startServer(arguments)
        let survivor = try CommandLineTests.startServer(arguments)
        defer {
            for server in [doomed, survivor] where server.process.isRunning { server.process.terminate() }
        }

        // Messages go to both instances, four at a time; the first is killed once a third of them
        // are accepted, with its processing and replies in flight. The rest go to the survivor.
        let total = 40
        var accepted: Set<Int> = []
        var index = 0
        while index < total {
            let wave = Array(index..<min(index + 4, total))
            index += wave.count
            let results = await withTaskGroup(of: (Int, Bool).self) { group in
                for number in wave {
                    let target = doomed.process.isRunning && number % 2 == 0 ? doomed.url : survivor.url
                    group.addTask {
                        if await Self.post(number, to: target) { return (number, true) }
                        // A request to the killed instance is sent again to the other, as a gateway would.
                        return (number, await Self.post(number, to: survivor.url))
                    }
                }
                return await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
            }
            for (number, ok) in results where ok { accepted.insert(number) }
            if accepted.count >= total / 3, doomed.process.isRunning, !deliveries.entries.isEmpty {
                kill(doomed.process.processIdentifier, SIGKILL)
                doomed.process.waitUntilExit()
            }
        }
        #expect(doomed.process.terminationReason == .uncaughtSignal, "the first instance was killed mid-load")
        #expect(accepted.count == total, "every message was accepted by one instance or the other")

        // The survivor takes over the dead instance's leases (30 s for messages, 20 s for replies).
        let deadline = Date().addingTimeInterval(150)
        var unfinished = -1
        while Date() < deadline {
            unfinished = try await services.database.withConnection { db in
                let open = try await db.raw("""
                    SELECT (SELECT COUNT(*) FROM inbound_messages WHERE processed_at IS NULL)
                         + (SELECT COUNT(*) FROM outbound_messages WHERE state <> 'sent') AS n
                    """).first(decodingColumn: "n", as: Int64.self)
                return Int(open ?? -1)
            }
            if unfinished == 0 { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(unfinished == 0, "every message processed and every reply delivered")

        let counts = try await services.database.withConnection { db in
            (
                stored: try await db.raw("SELECT COUNT(*) AS n, COUNT(DISTINCT platform_message_id) AS d FROM inbound_messages").first(),
                reported: try await db.raw("SELECT COUNT(*) AS n, COUNT(DISTINCT message_id) AS d FROM reports").first(),
                answers: try await db.raw("""
                    SELECT COUNT(*) AS n, COUNT(DISTINCT dedupe_key) AS d FROM outbound_messages WHERE chat_id LIKE 'building-%'
                    """).first(),
                keys: try await db.raw("SELECT delivery_key FROM outbound_messages").all(decodingColumn: "delivery_key", as: String.self)
            )
        }
        #expect(try counts.stored?.decode(column: "n", as: Int64.self) == Int64(total), "each message stored once")
        #expect(try counts.stored?.decode(column: "d", as: Int64.self) == Int64(total))
        let reports = try counts.reported?.decode(column: "n", as: Int64.self)
        #expect(reports == Int64(total), "each message made one report (new or merged)")
        #expect(try counts.reported?.decode(column: "d", as: Int64.self) == reports)
        #expect(try counts.answers?.decode(column: "n", as: Int64.self) == Int64(total), "each reporter answered once")
        #expect(try counts.answers?.decode(column: "d", as: Int64.self) == Int64(total))

        // Every reply reached the gateway under its own key; a key seen twice is a send the
        // killed instance had begun, repeated with the same key for the gateway to drop.
        let received = deliveries.entries
        let queued = Set(counts.keys)
        #expect(Set(received) == queued, "every queued reply arrived, and nothing else did")
        let repeated = Dictionary(grouping: received, by: { $0 }).filter { $0.value.count > 1 }
        #expect(repeated.count <= 16, "only sends in flight at the kill were repeated: \(repeated.count)")
        #expect(repeated.values.allSatisfy { $0.count == 2 })

        kill(survivor.process.processIdentifier, SIGTERM)
        survivor.process.waitUntilExit()
        try await gateway.stop()
        try await services.database.shutdown()
    }
}
