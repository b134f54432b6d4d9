import ArgumentParser
import AsyncHTTPClient
import Foundation
import GridChat
import GridServer
import GridStore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `gridbot bench intake`: signed generic webhooks per second, end to end on the embedded
/// default (SQLite), with p50/p99 latency, next to a plain Hummingbird "ok" route in the same run.
struct BenchIntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Measure webhook intake throughput and latency on loopback against a plain 'ok' route."
    )

    @Option(help: "Requests per measurement.")
    var requests = 4000

    @Option(help: "Requests in flight at once.")
    var concurrency = 32

    @Option(help: "A SQLite file path or a postgres:// URL (default: a new SQLite file in a temporary folder). A postgres:// server gets a database of its own for the run, dropped afterwards.")
    var database: String?

    func run() async throws {
        guard requests > 0, requests <= 1_000_000, concurrency > 0, concurrency <= 1024 else {
            throw ValidationError("--requests must be 1…1000000 and --concurrency 1…1024")
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let bench = try await BenchDatabase.make(database, label: "intake", logger: logger)
        defer { bench.cleanUp() }

        let services = try await bench.services(logger: logger)
        guard let bot = try await services.store.bot(code: "demo"), let secret = bot.settings["secret"] else {
            throw ValidationError("the demo seed has no generic bot 'demo'")
        }
        let gridbotPort = PortBox()
        let gridbot = buildApplication(services) { port in await gridbotPort.set(port) }

        let plainRouter = Router()
        plainRouter.get("/ok") { _, _ in "ok" }
        let plainPort = PortBox()
        let plain = Application(
            router: plainRouter, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { await plainPort.set($0.localAddress?.port ?? 0) }, logger: logger)

        let group = ServiceGroup(configuration: .init(services: [gridbot, plain], logger: logger))
        let serving = Task { try await group.run() }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)))

        let okURL = "http://127.0.0.1:\(await plainPort.wait())/ok"
        let webhookURL = "http://127.0.0.1:\(await gridbotPort.wait())/webhooks/generic/demo"
        let gateway = GenericGateway(secret: secret)

        print("bench intake: \(requests) requests, \(concurrency) in flight, loopback, \(bench.location.kind), the processor running")
        _ = try await measure(client: client, count: min(200, requests)) { _ in Self.plainRequest(okURL) }  // warm-up
        let plainResult = try await measure(client: client, count: requests) { _ in Self.plainRequest(okURL) }
        let runID = String(UUID().uuidString.prefix(8))
        let intakeResult = try await measure(client: client, count: requests) { index in
            Self.webhookRequest(webhookURL, gateway: gateway, index: index, runID: runID)
        }
        // The processor has been working all along; what it still holds when the last webhook is
        // answered, and how long it takes to finish, say whether it keeps pace with intake.
        let answered = ContinuousClock.now
        let backlog = try await services.store.unprocessedCount()
        while try await services.store.unprocessedCount() > 0 {
            try await Task.sleep(for: .milliseconds(10))
            if (ContinuousClock.now - answered) > .seconds(600) { break }
        }
        let drained = (ContinuousClock.now - answered).seconds
        let left = try await services.store.unprocessedCount()
        print(plainResult.line(label: "plain Hummingbird GET /ok "))
        print(intakeResult.line(label: "signed generic webhook    "))
        print(String(format: "  signed intake is %.1f %% of the plain route", 100 * plainResult.seconds / intakeResult.seconds))
        let stored = try await services.store.messageCount(botCode: "demo")
        print("  stored messages: \(stored) (every accepted webhook is stored exactly once)")
        print(String(format: "  processor backlog at the last answer: %d messages; drained %.2f s later%@", backlog, drained,
                     left == 0 ? "" : " (\(left) still unprocessed after 600 s)"))
        print(String(format: "  processed end to end: %.0f messages/s over intake and drain", Double(requests) / (intakeResult.seconds + drained)))

        try await client.shutdown()
        await group.triggerGracefulShutdown()
        try await serving.value
        await bench.drop(logger: logger)
    }

    struct Result {
        var count: Int
        var failures: Int
        var seconds: Double
        var latencies: [Double]

        func line(label: String) -> String {
            let sorted = latencies.sorted()
            let p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
            return String(format: "  %@ %8.0f req/s   p50 %6.2f ms   p99 %6.2f ms   failures %d", label, Double(count) / seconds, p50, p99, failures)
        }
    }

    func measure(client: HTTPClient, count: Int, request: @escaping @Sendable (Int) -> HTTPClientRequest) async throws -> Result {
        let clock = ContinuousClock()
        let started = clock.now
        let next = Counter()
        let results = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    var failures = 0
                    while let index = await next.take(below: count) {
                        let begin = clock.now
                        do {
                            let response = try await client.execute(request(index), timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            if response.status != .ok { failures += 1 }
                        } catch {
                            failures += 1
                        }
                        let elapsed = clock.now - begin
                        latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                    }
                    return (latencies, failures)
                }
            }
            return try await group.reduce(into: ([Double](), 0)) { $0.0 += $1.0; $0.1 += $1.1 }
        }
        let total = clock.now - started
        return Result(count: count, failures: results.1, seconds: Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18, latencies: results.0)
    }

    static func plainRequest(_ url: String) -> HTTPClientRequest {
        HTTPClientRequest(url: url)
    }

    static func webhookRequest(_ url: String, gateway: GenericGateway, index: Int, runID: String) -> HTTPClientRequest {
        let (chat, text, messageID) = BenchMessages.body(index: index, runID: runID)
        let body = #"{"message_id":"\#(messageID)","chat_id":"\#(chat)","sender":{"id":"bench-\#(index % 97)","name":"压测"},"text":"\#(text)","attachments":[]}"#
        let timestamp = String(Int(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: GenericGateway.timestampHeader, value: timestamp)
        request.headers.add(name: GenericGateway.signatureHeader, value: gateway.signature(timestamp: timestamp, body: Array(body.utf8)))
        request.body = .bytes(ByteBuffer(string: body))
        return request
    }
}

/// Hands out request numbers to the workers.
actor Counter {
    private var value = 0
    func take(below limit: Int) -> Int? {
        guard value < limit else { return nil }
        defer { value += 1 }
        return value
    }
}

/// The port a server bound to, once it is running.
actor PortBox {
    private var port: Int?
    private var waiters: [CheckedContinuation<Int, Never>] = []

    func set(_ port: Int) {
        self.port = port
        for waiter in waiters { waiter.resume(returning: port) }
        waiters.removeAll()
    }

    func wait() async -> Int {
        if let port { return port }
        return await withCheckedContinuation { waiters.append($0) }
    }
}
