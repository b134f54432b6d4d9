import Hummingbird
import Logging
import ServiceLifecycle
import Testing

/// A platform stand-in: a router served on a free loopback port, for tests that need a real
/// HTTP endpoint to send to.
struct StubHTTPServer {
    let port: Int
    private let group: ServiceGroup
    private let serving: Task<Void, any Error>

    /// Starts serving `router` and returns once the port is bound.
    static func start(_ router: Router<BasicRequestContext>, label: String = "stub") async throws -> StubHTTPServer {
        let ports = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { ports.continuation.yield($0.localAddress?.port ?? 0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: label)))
        let serving = Task { try await group.run() }
        var iterator = ports.stream.makeAsyncIterator()
        return StubHTTPServer(port: try #require(await iterator.next()), group: group, serving: serving)
    }

    /// Stops serving, letting requests in flight finish.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await serving.value
    }
}
