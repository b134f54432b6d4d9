import Logging
import Synchronization
import PostgresNIO
import SQLKit
import SQLiteNIO

/// Group commit: concurrent write transactions are gathered into one database transaction per
/// batch, with one commit (one fsync) for the whole batch.
///
/// Each caller's work runs in a savepoint of its own, one after the other on the batch's
/// connection, so it sees exactly what a transaction of its own would have seen had the batch's
/// earlier items committed first. Work that throws is rolled back to its savepoint and fails
/// alone; its neighbours go on. Every caller is answered only after the batch's commit has
/// returned, so "done" still means durable. A batch is whatever is waiting when a lane becomes
/// free: an idle server commits the first item at once, with no added wait.
///
/// Someone waits on a request's transaction (a webhook's store, a counter's redemption), while
/// background work (processing, sending, deadlines) only has to keep up. So requests go first
/// into every batch, and a batch stops taking more work once it has run for
/// ``BatchTransaction/budget``: a webhook never waits behind a long batch of processing.
final class GroupCommit: Sendable {
    /// One caller's transaction body, with what to do once its fate is known.
    struct Work: Sendable {
        /// Runs the body on the batch's connection; returns how to answer the caller on commit.
        let run: @Sendable (any SQLDatabase) async throws -> @Sendable () -> Void
        /// Answers the caller with an error.
        let fail: @Sendable (any Error) -> Void
        /// Background work, which requests go before.
        var background = false
        /// How many times this work was put back for a transient conflict.
        var retries = 0

        /// The same work, counted as tried once more.
        var retried: Work {
            var next = self
            next.retries += 1
            return next
        }
    }

    /// Runs one batch on one connection; returns the work to run again (transient conflicts).
    typealias Executor = @Sendable ([Work]) async -> [Work]

    private struct Queue: Sendable {
        /// Requests' work, then background work, each oldest first.
        var requests: [Work] = []
        var background: [Work] = []
        var running = 0

        var isEmpty: Bool { requests.isEmpty && background.isEmpty }

        mutating func append(_ work: Work) {
            if work.background { background.append(work) } else { requests.append(work) }
        }

        /// Puts work back at the front, in the order given.
        mutating func putBack(_ work: [Work]) {
            requests.insert(contentsOf: work.filter { !$0.background }, at: 0)
            background.insert(contentsOf: work.filter(\.background), at: 0)
        }

        /// Up to `limit` items, requests first.
        mutating func take(_ limit: Int) -> [Work] {
            var batch = Array(requests.prefix(limit))
            requests.removeFirst(batch.count)
            let more = background.prefix(limit - batch.count)
            batch += more
            background.removeFirst(more.count)
            return batch
        }
    }

    private let lanes: Int
    private let maxBatch: Int
    private let execute: Executor
    private let queue = Mutex(Queue())
    /// A thread per lane, so a lane's synchronous work and disk waits keep off Swift's shared pool.
    private let threads: [LaneThread]

    /// `lanes` batches may run at once (one on SQLite, which has one writer); a batch holds at
    /// most `maxBatch` items.
    init(lanes: Int, maxBatch: Int, execute: @escaping Executor) {
        self.lanes = max(1, lanes)
        self.maxBatch = max(1, maxBatch)
        self.execute = execute
        self.threads = (0..<self.lanes).map { LaneThread(name: "gridbot-commit-\($0)") }
    }

    /// Queues work; a free lane starts on it at once.
    func submit(_ work: Work) {
        let lane = queue.withLock { queue -> Int? in
            queue.append(work)
            guard queue.running < lanes else { return nil }
            queue.running += 1
            return queue.running - 1
        }
        // Lanes that start and stop out of order may share a thread now and then; that only
        // costs a little parallelism.
        if let lane { Task(executorPreference: threads[lane]) { await self.drain() } }
    }

    /// One lane: runs batches of what is waiting until nothing is. What arrives while a batch
    /// runs forms the next one.
    private func drain() async {
        while true {
            let batch = queue.withLock { queue -> [Work] in
                guard !queue.isEmpty else {
                    queue.running -= 1
                    return []
                }
                return queue.take(maxBatch)
            }
            if batch.isEmpty { return }
            let again = await execute(batch)
            if !again.isEmpty { queue.withLock { $0.putBack(again) } }
        }
    }
}

/// Whether the current task is running a body inside a group-commit batch: a transaction begun
/// from there would wait for the batch it is part of.
enum GroupCommitContext {
    @TaskLocal static var insideBatch = false
    /// Whether the current task is background work, whose transactions go after requests'.
    @TaskLocal static var background = false
}

/// A transaction begun inside another one's body: a programming error, refused rather than
/// left to wait forever.
public struct NestedTransaction: Error, CustomStringConvertible {
    public var description: String { "a database transaction was begun inside another transaction's body" }
}

/// One batch's transaction on one pooled connection.
struct BatchTransaction: Sendable {
    let pool: any ConnectionPool
    let logger: Logger
    /// `BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL.
    let begin: String

    /// How long a batch takes more work for: past this, what is left of it waits for the next
    /// batch, so that a request arriving now waits for at most about this long plus a commit.
    /// SQLite's one lane runs a batch in a few milliseconds; PostgreSQL's statements each wait
    /// for the server, and its other lanes take requests meanwhile.
    let budget: Duration

    /// Runs one batch: BEGIN, each item in a savepoint (none for a batch of one), COMMIT; then
    /// answers each caller. Returns the items to run again: those that met a transient conflict,
    /// and those the batch had no time left for.
    func run(_ batch: [GroupCommit.Work]) async -> [GroupCommit.Work] {
        let outcome: Outcome
        do {
            outcome = try await pool.withConnection(logger: logger) { db in try await commit(batch, on: db) }
        } catch {
            // The batch as a whole did not commit: nothing of it is stored. A busy database or a
            // conflict is met again by every item; anything else fails them all.
            if Self.isTransient(error), let retries = batch.map(\.retries).max(), retries < 5 {
                logger.debug("database busy; retrying a batch", metadata: ["items": "\(batch.count)"])
                try? await Task.sleep(for: .milliseconds(10 * (1 << (retries + 1))))
                return batch.map(\.retried)
            }
            for work in batch { work.fail(error) }
            return []
        }
        for answer in outcome.done { answer() }
        for (work, error) in outcome.failed { work.fail(error) }
        return outcome.retry
    }

    /// What became of a committed batch's items.
    private struct Outcome: Sendable {
        var done: [@Sendable () -> Void] = []
        var failed: [(GroupCommit.Work, any Error)] = []
        var retry: [GroupCommit.Work] = []
    }

    private func commit(_ batch: [GroupCommit.Work], on db: any SQLDatabase) async throws -> Outcome {
        var outcome = Outcome()
        let alone = batch.count == 1
        let started = ContinuousClock.now
        try await db.raw(SQLQueryString(begin)).run()
        do {
            for (index, work) in batch.enumerated() {
                if index > 0, ContinuousClock.now - started > budget {
                    // Not run at all: back to the queue as it was, not counted as a retry.
                    outcome.retry += batch[index...]
                    break
                }
                if !alone { try await db.raw("SAVEPOINT item").run() }
                do {
                    let answer = try await GroupCommitContext.$insideBatch.withValue(true) { try await work.run(db) }
                    if !alone { try await db.raw("RELEASE SAVEPOINT item").run() }
                    outcome.done.append(answer)
                } catch {
                    if alone { throw error }
                    try await db.raw("ROLLBACK TO SAVEPOINT item").run()
                    try await db.raw("RELEASE SAVEPOINT item").run()
                    if Self.isTransient(error), work.retries < 5 {
                        outcome.retry.append(work.retried)
                    } else {
                        outcome.failed.append((work, error))
                    }
                }
            }
            try await db.raw("COMMIT").run()
        } catch {
            do {
                try await db.raw("ROLLBACK").run()
            } catch let rollbackError {
                logger.error("rollback failed", metadata: ["error": "\(rollbackError)"])
            }
            throw error
        }
        return outcome
    }

    /// A conflict that running the same work again may not meet: SQLite busy (another process
    /// holds the write lock), PostgreSQL deadlock or serialization failure.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError { return isBusy(error) }
        if let error = error as? SQLiteWriterError { return error.isBusy }
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] {
            return state == "40P01" || state == "40001"
        }
        return false
    }

    static func isBusy(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .busy, .locked, .busyInSnapshot, .busyTimeout, .busyInRecovery: true
        default: false
        }
    }
}
