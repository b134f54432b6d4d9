import Foundation
import GridCore
import GridServer
import GridStore
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit

/// Drives the closed loop as people do: residents and staff post signed webhooks into the real
/// application, a test clock moves time, and the test reads what GridBot queued into which chat.
/// The application's background workers are driven by the harness (`BackgroundMode.driven`), so
/// each step has finished when the call returns and nothing races the test.
public final class LoopHarness: @unchecked Sendable {
    public let services: GridBotServices
    public let clock: ManualClock
    public let work: BackgroundWork
    public let recorder = RecordingSender()
    private var seen: Int64 = 0
    private var counter = 0

    /// The demo community at `start` (Beijing 2026-11-18 10:00 unless given).
    public init(_ backend: TestBackend, at start: Date = ManualClock.beijing(2026, 11, 18, 10),
                configure: (inout AppConfiguration) -> Void = { _ in }) async throws {
        clock = ManualClock(start)
        var services = try await TestServices.demo(backend, configure: configure)
        services.now = clock.now
        services.chatSender = recorder
        self.services = services
        work = BackgroundWork(services)
    }

    /// The message processor the application would run.
    public var processor: MessageProcessor { work.processor }
    /// The deadline watcher the application would run.
    public var watcher: DeadlineWatcher { work.deadlines }
    /// The outbound sender the application would run.
    public var outbound: OutboundSender { work.outbound }

    /// Runs the scenario against the real application (which closes the database at the end).
    public func run(_ body: @escaping @Sendable (LoopHarness, any TestClientProtocol) async throws -> Void) async throws {
        try await buildApplication(services, background: .driven(work)).test(.router) { client in
            try await body(self, client)
        }
    }

    /// Posts a signed generic-gateway message and processes it; throws when the webhook does not
    /// accept it.
    public func say(_ client: any TestClientProtocol, _ sender: String, in chat: String, _ text: String,
                    name: String? = nil, quoting: String? = nil, attachments: [String] = []) async throws {
        counter += 1
        var fields: [String: Any] = [
            "message_id": "msg-\(counter)", "chat_id": chat, "sender": ["id": sender, "name": name ?? sender], "text": text,
            "attachments": attachments, "sent_at": Int(clock.now().timeIntervalSince1970),
        ]
        if let quoting { fields["quoted_message_id"] = quoting }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
        let response = try await client.execute(uri: "/webhooks/generic/demo", method: .post,
                                                headers: GatewaySigning.headers(body, at: clock.now()), body: ByteBuffer(string: body))
        guard response.status == .ok else { throw WebhookRefused(status: response.status, body: String(buffer: response.body)) }
        try await settle()
    }

    /// Processes every stored message.
    public func settle() async throws {
        try await work.processor.processPending()
    }

    /// What GridBot queued since the last call.
    public func newMessages() async throws -> [QueuedOutbound] {
        let queued = try await services.store.queuedOutbound(after: seen)
        if let last = queued.last { seen = last.id }
        return queued
    }

    /// Sends what is queued through the recording sender, so cards get platform ids to quote.
    public func deliver() async throws {
        while try await work.outbound.deliverDue() > 0 {}
    }

    /// The platform id a delivered card got in a chat.
    public func cardID(report: Int64, chat: String) async throws -> String? {
        try await deliveredID(of: "report_id", report, chat: chat)
    }

    /// The platform id a delivered triage note got in a chat.
    public func noteID(messageID: Int64, chat: String) async throws -> String? {
        try await deliveredID(of: "triage_message_id", messageID, chat: chat)
    }

    /// The platform id the first delivered message marked `column = value` got in a chat.
    public func deliveredID(of column: String, _ value: Int64, chat: String) async throws -> String? {
        try await deliver()
        return try await services.database.withConnection { db in
            try await db.select().column("platform_message_id").from("outbound_messages")
                .where(SQLIdentifier(column), .equal, SQLBind(value)).where("chat_id", .equal, chat).where("platform_message_id", .isNot, SQLLiteral.null)
                .orderBy("id").first(decodingColumn: "platform_message_id", as: String.self)
        }
    }

    /// The actions on a report's timeline, oldest first.
    public func timeline(_ id: Int64) async throws -> [String] {
        try await services.store.timeline(reportID: id).map(\.action)
    }

    /// The newest stored message.
    public func lastMessage() async throws -> StoredInboundMessage? {
        try await services.store.messages(botCode: "demo", limit: 10_000).last
    }
}

/// The webhook did not accept a message the scenario sent.
public struct WebhookRefused: Error, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var body: String

    public var description: String { "the webhook answered \(status): \(body)" }
}

extension [QueuedOutbound] {
    /// The texts queued into a chat, for everyone in it to read.
    public func texts(in chat: String) -> [String] { filter { $0.message.chatID == chat && $0.message.recipient == nil }.map(\.message.text) }

    /// The texts queued for one person alone (a private message).
    public func privateTexts(to user: String) -> [String] { filter { $0.message.recipient == user }.map(\.message.text) }
}
