import GridStore
import Logging
import ServiceLifecycle

/// The life of a background worker: work when woken (`notify`) or when the poll interval passes,
/// and on graceful shutdown finish the round in hand and return. Shared by the services that
/// drain a database queue.
struct WorkLoop: Sendable {
    private let wakeUps: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (wakeUps, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a round of work soon; wake-ups while a round runs fold into one.
    func notify() {
        continuation.yield()
    }

    /// Runs rounds of `work` until graceful shutdown; a failed round is logged and retried.
    func run(pollInterval: Duration, logger: Logger, what: String, _ work: @escaping @Sendable () async throws -> Void) async throws {
        let continuation = self.continuation
        await withGracefulShutdownHandler {
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: pollInterval)
                        continuation.yield()
                    }
                }
                // Whatever a previous run left goes first.
                continuation.yield()
                for await _ in wakeUps {
                    do {
                        try await GridDatabase.inBackground(work)
                    } catch {
                        logger.error("\(what) failed; will retry", metadata: ["error": "\(error)"])
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }
}
