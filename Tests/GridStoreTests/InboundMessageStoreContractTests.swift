import Foundation
import GridCore
import GridStore
import GridTestSupport
import Testing

@Suite struct InboundMessageStoreContractTests {
    static func message(_ id: String) -> InboundMessage {
        InboundMessage(
            platform: .generic, botCode: "demo", chatID: "building-3", senderID: "u1", senderName: "王芳",
            text: "电梯坏了", quotedMessageID: nil, attachments: ["img-1"], sentAt: Date(timeIntervalSince1970: 1_763_712_000),
            platformMessageID: id)
    }

    @Test(arguments: TestBackend.allCases)
    func messagesAreStoredOnceAndProcessedOnce(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await store.load(CommunityStoreContractTests.demoSeed)
            let first = try await store.record(Self.message("a"), groupCode: "chat-b3", receivedAt: Date())
            let again = try await store.record(Self.message("a"), groupCode: "chat-b3", receivedAt: Date())
            let second = try await store.record(Self.message("b"), groupCode: nil, receivedAt: Date())
            #expect(first.isNew)
            #expect(!again.isNew)
            #expect(again.id == first.id)
            #expect(second.isNew)
            let pending = try await store.unprocessedMessages(limit: 10)
            #expect(pending.map(\.id) == [first.id, second.id])
            #expect(pending.first?.message == Self.message("a"))
            #expect(try await store.markProcessed(id: first.id, at: Date()))
            #expect(try await !store.markProcessed(id: first.id, at: Date()), "a message is processed once")
            #expect(try await store.unprocessedMessages(limit: 10).map(\.id) == [second.id])
        }
    }

    @Test(arguments: TestBackend.allCases)
    func concurrentDeliveriesOfOneMessageStoreOneRow(backend: TestBackend) async throws {
        try await backend.withDatabase { (database: GridDatabase) async throws -> Void in
            let store = SQLStore(database: database)
            try await store.load(CommunityStoreContractTests.demoSeed)
            let results = try await withThrowingTaskGroup(of: RecordedMessage.self) { group in
                for _ in 0..<50 { group.addTask { try await store.record(Self.message("same"), groupCode: nil, receivedAt: Date()) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter(\.isNew).count == 1)
            #expect(Set(results.map(\.id)).count == 1)
            #expect(try await store.messageCount(botCode: "demo") == 1)
        }
    }
}
