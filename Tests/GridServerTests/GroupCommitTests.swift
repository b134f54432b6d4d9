import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import Logging
import SQLKit
import Synchronization
import Testing

/// Group commit, queue leases and start-up with several instances, on both backends.
@Suite struct GroupCommitTests {
    static func message(_ index: Int, chat: String) -> InboundMessage {
        InboundMessage(platform: .generic, botCode: "demo", chatID: chat, senderID: "u\(index)", senderName: nil,
                       text: "消息 \(index)", sentAt: Date(), platformMessageID: "gc-\(index)")
    }

    /// The demo community's store (its bots and chats), closed afterwards.
    static func withDemo(_ backend: TestBackend, _ body: (SQLStore) async throws -> Void) async throws {
        let services = try await TestServices.demo(backend)
        do {
            try await body(services.store)
            try await services.database.shutdown()
        } catch {
            try? await services.database.shutdown()
            throw error
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aFailingTransactionInABatchFailsAloneAndItsNeighboursCommit(backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let store = SQLStore(database: database)
            try await store.openAccount(LedgerAccounts.issuance, kind: .issuance, at: Date())
            try await store.openAccount(LedgerAccounts.household("gc"), kind: .household, at: Date())
            // Forty transactions at once share batches; every fifth writes and then throws.
            let results = await withTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            try await database.withTransaction { db in
                                try await db.insert(into: "server_secrets").columns("name", "value")
                                    .values(SQLBind("gc-\(index)"), SQLBind("v")).run()
                                if index % 5 == 0 { throw CancellationError() }
                            }
                            return (index, true)
                        } catch {
                            return (index, false)
                        }
                    }
                }
                return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(results.count == 40)
            for (index, committed) in results { #expect(committed == (index % 5 != 0), "transaction \(index)") }
            let stored = try await database.withConnection { db in
                try await db.select().column("name").from("server_secrets").where("name", .like, "gc-%").all(decodingColumn: "name", as: String.self)
            }
            #expect(Set(stored) == Set((0..<40).filter { $0 % 5 != 0 }.map { "gc-\($0)" }), "what failed left nothing; the rest is durable")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aTransactionBegunInsideAnotherIsRefused(backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            await #expect(throws: NestedTransaction.self) {
                try await database.withTransaction { _ in try await database.withTransaction { _ in 1 } }
            }
            // The lane is free afterwards.
            let after = try await database.withTransaction { _ in 2 }
            #expect(after == 2)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func twoInstancesClaimDifferentMessagesAndKeepEachChatWithOne(backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store in
            for index in 0..<12 { _ = try await store.record(Self.message(index, chat: "chat-\(index % 3)"), groupCode: nil, receivedAt: Date()) }
            let now = Date()
            let first = try await store.claimUnprocessed(owner: "a", now: now, lease: 30, limit: 2)
            let second = try await store.claimUnprocessed(owner: "b", now: now, lease: 30, limit: 100)
            #expect(first.count == 2)
            #expect(second.count == 4, "b takes the chat a holds nothing of")
            #expect(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)), "no message is claimed twice")
            let chatsOfA = Set(first.map(\.message.chatID))
            #expect(second.allSatisfy { !chatsOfA.contains($0.message.chatID) }, "a chat another instance holds is left to it")
            // Once a's lease has run out (it died), b takes over what it held.
            let later = try await store.claimUnprocessed(owner: "b", now: now.addingTimeInterval(31), lease: 30, limit: 100)
            #expect(later.count == 12)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func anOutboundMessageTakenOverIsNeverSentByItsFirstClaimer(backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store in
            let now = Date()
            let id = try await store.enqueue(OutboundMessage(platform: .generic, botCode: "demo", chatID: "c", text: "好"), dedupeKey: nil, at: now)
            let claimedByA = try await store.claimDueOutbound(owner: "a", now: now, limit: 10, lease: 20)
            #expect(claimedByA.map(\.id) == [id])
            let key = try #require(claimedByA.first?.message.deliveryKey)
            #expect(try await store.claimDueOutbound(owner: "b", now: now.addingTimeInterval(5), limit: 10, lease: 20).isEmpty, "a live lease is a's")
            #expect(try await store.renewOutboundLease(id: id, owner: "a", now: now.addingTimeInterval(5), lease: 20))
            // a hangs past its lease; b takes the message over with the same delivery key.
            let claimedByB = try await store.claimDueOutbound(owner: "b", now: now.addingTimeInterval(26), limit: 10, lease: 20)
            #expect(claimedByB.map(\.id) == [id])
            #expect(claimedByB.first?.message.deliveryKey == key, "every attempt carries the same key")
            #expect(try await store.renewOutboundLease(id: id, owner: "a", now: now.addingTimeInterval(27), lease: 20) == false)
            // a's late outcome changes nothing; b's is recorded.
            try await store.recordDelivery(id: id, owner: "a", .dead(reason: "late"), error: nil)
            #expect(try await store.outboundState(id: id)?.state == "sending")
            try await store.recordDelivery(id: id, owner: "b", .sent(at: now.timeIntervalSince1970 + 28), error: nil)
            #expect(try await store.outboundState(id: id)?.state == "sent")
        }
    }

    /// Instances sharing a database are processes on PostgreSQL, the backend for growing past
    /// one machine. (On SQLite, instances are processes sharing a file, serialised by its write
    /// lock; four pools in one test process would share sqlite-nio's two threads, which a
    /// waiting BEGIN IMMEDIATE blocks.)
    @Test(arguments: TestBackend.allCases.filter { $0 == .postgres })
    func instancesStartingTogetherOnAnEmptyDatabaseAllStart(backend: TestBackend) async throws {
        let location = try await backend.makeLocation()
        let logger = Logger(label: "test")
        let databases = try (0..<4).map { _ in try GridDatabase.open(location, logger: logger) }
        let outcomes = await withTaskGroup(of: Result<[Int], any Error>.self) { group in
            for database in databases {
                group.addTask {
                    do { return .success(try await Migrator(database: database, logger: logger).migrate(now: 0)) } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: [Result<[Int], any Error>]()) { $0.append($1) }
        }
        let applied = outcomes.compactMap { try? $0.get() }
        for case .failure(let error) in outcomes { Issue.record("an instance failed to start: \(error)") }
        #expect(applied.map { $0.count }.sorted() == [0, 0, 0, Migrator.all.count], "one instance migrated, the others found it done")
        for database in databases {
            #expect(try await Migrator(database: database, logger: logger).isCurrent())
            try await database.shutdown()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aChangeToTheCommunityMadeAnywhereIsSeenByEveryInstanceAtItsNextRead(backend: TestBackend) async throws {
        let location = try await backend.makeLocation()
        let first = try await TestServices.demo(backend) { $0.database = location }
        let second = try GridDatabase.open(location, logger: Logger(label: "test"))
        let other = SQLStore(database: second)
        let before = try await first.store.directory()
        let person = try #require(before.staff.first { $0.role == .gridWorker })
        let admin = try #require(before.staff.first { $0.role == .communityAdmin })
        // The first instance holds the directory in memory; the second renames a grid worker
        // through the console's path, and an operator renames a department by hand.
        #expect(try await other.save(.person, key: person.code, fields: [("name", .text("改名后"))], by: admin, at: Date()))
        let department = try #require(before.departments.first)
        try await second.withConnection { db in
            try await db.raw("UPDATE departments SET name = \(bind: "手改的部门") WHERE code = \(bind: department.code)").run()
        }
        let after = try await first.store.directory()
        #expect(after.staff.first { $0.code == person.code }?.name == "改名后")
        #expect(after.departments.first { $0.code == department.code }?.name == "手改的部门")
        // Work that changes nothing else leaves the directory as it was.
        _ = try await first.store.record(Self.message(1, chat: "chat-x"), groupCode: nil, receivedAt: Date())
        #expect(try await first.store.directory().staff.map(\.name) == after.staff.map(\.name))
        try await second.shutdown()
        try await first.database.shutdown()
    }

    @Test func aRequestsTransactionGoesBeforeBackgroundWorkWaitingForTheLane() async throws {
        // SQLite has one lane: hold it, queue background work and then a request, let go.
        try await TestBackend.sqlite.withDatabase { database in
            let order = OrderLog()
            let release = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await database.withTransaction { _ in
                    for await _ in release.stream { break }
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            let background = Task {
                try await GridDatabase.inBackground {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<20 {
                            group.addTask { try await database.withTransaction { _ in order.append("background \(index)") } }
                        }
                        try await group.waitForAll()
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            let request = Task { try await database.withTransaction { _ in order.append("request") } }
            try await Task.sleep(for: .milliseconds(100))
            release.continuation.yield()
            try await holder.value
            try await background.value
            try await request.value
            let ran = order.entries
            #expect(ran.count == 21)
            #expect(ran.first == "request", "the request waited for no background work: \(ran.prefix(3))")
        }
    }
    @Test func aDueStageAnotherInstanceIsCheckingIsSkippedNotWaitedFor() async throws {
        guard TestBackend.allCases.contains(.postgres) else { return }
        let services = try await TestServices.demo(.postgres)
        let store = services.store
        let message = InboundMessage(platform: .generic, botCode: "demo", chatID: "building-3", senderID: "r1", senderName: "王芳",
                                     text: "3号楼1单元楼道灯坏了", sentAt: Date(), platformMessageID: "stage-lock")
        _ = try await store.record(message, groupCode: nil, receivedAt: Date())
        #expect(try await BackgroundWork(services).processor.processPending() == 1)
        let stage = try #require(try await store.stages(reportID: 1).first)
        let later = Date().addingTimeInterval(30 * 86_400)
        // One instance's watcher holds the stage; another's finds it taken at once.
        let held = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await store.withWorkOrders { tx in
                let mine = try await tx.dueStage(id: stage.id, now: later)
                held.continuation.yield()
                for await _ in release.stream { break }
                return mine?.id
            }
        }
        for await _ in held.stream { break }
        let other = try await store.withWorkOrders { tx in try await tx.dueStage(id: stage.id, now: later) }
        release.continuation.yield()
        #expect(try await holder.value == stage.id)
        #expect(other == nil, "skipped, not waited for")
        try await services.database.shutdown()
    }
}

/// What ran, in order, from any task.
final class OrderLog: Sendable {
    private let log = Mutex<[String]>([])
    func append(_ entry: String) { log.withLock { $0.append(entry) } }
    var entries: [String] { log.withLock { $0 } }
}
