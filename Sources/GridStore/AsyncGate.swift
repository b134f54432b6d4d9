/// A first-come, first-served async mutex: waiters suspend instead of blocking a thread.
///
/// SQLite allows one writer at a time. sqlite-nio runs statements on a small thread pool, so
/// writers that wait inside SQLite (its busy timeout) block those threads — including the one the
/// current writer needs to commit. Queuing writers here, before they touch SQLite, keeps the
/// threads free; the busy timeout is left for other processes sharing the file.
actor AsyncGate {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
