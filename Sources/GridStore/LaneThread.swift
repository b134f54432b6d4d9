import Foundation

/// A thread of its own for a group-commit lane, as a task executor.
///
/// SQLite's writer runs its statements synchronously, and its commit waits for the disk. On
/// Swift's shared pool, which has one thread per core, that wait held one of a small machine's
/// two threads for every batch, and parsing and webhooks had only the other. The lane runs here
/// instead: the disk waits on this thread, and the shared pool keeps both cores for the rest.
/// The thread ends after two idle seconds and starts again with the next batch, so a database
/// that is no longer used leaves no thread behind.
final class LaneThread: TaskExecutor, @unchecked Sendable {
    // Unchecked: `jobs` and `running` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var running = false
    private let name: String

    init(name: String) {
        self.name = name
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let start = !running
        running = true
        condition.signal()
        condition.unlock()
        if start {
            let thread = Thread { [self] in run() }
            thread.name = name
            thread.start()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty {
                if !condition.wait(until: Date().addingTimeInterval(2)), jobs.isEmpty {
                    running = false
                    condition.unlock()
                    return
                }
            }
            let ready = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
