import Foundation
import GridChat
import GridCore
import GridStore
import HTTPTypes
import Hummingbird
import Logging

/// `/webhooks/{platform}/{bot}`: verifies, stores exactly once, answers fast.
///
/// Verification comes before anything else; a refused request stores nothing. What is accepted is
/// stored durably before the answer, so parsing and routing can continue from the stored message.
struct WebhookController: Sendable {
    let store: SQLStore
    let logger: Logger
    /// The clock: injectable so tests can sign requests for any moment.
    let now: @Sendable () -> Date
    /// Largest body accepted; larger ones are answered 413.
    static let maxBodySize = 64 * 1024

    struct Accepted: ResponseEncodable {
        var status = "accepted"
        var id: Int64
        var duplicate: Bool
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/webhooks/generic/:bot") { request, context -> Accepted in
            let botCode = try context.parameters.require("bot")
            guard let bot = try await store.bot(code: botCode), bot.platform == .generic else {
                throw HTTPError(.notFound, message: "no generic bot '\(botCode)' is configured")
            }
            guard let secret = BotSettings.secret("secret", of: bot) else {
                logger.error("bot has no secret configured", metadata: ["chat.bot": "\(botCode)"])
                throw HTTPError(.serviceUnavailable, message: "bot '\(botCode)' is not configured")
            }
            guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
                throw HTTPError(.unsupportedMediaType, message: "send the message as Content-Type: application/json")
            }
            var request = request
            let body = [UInt8](buffer: try await request.collectBody(upTo: Self.maxBodySize))
            let receivedAt = now()
            do {
                try GenericGateway(secret: secret).verify(
                    timestamp: request.headers[HTTPField.Name(GenericGateway.timestampHeader)!],
                    signature: request.headers[HTTPField.Name(GenericGateway.signatureHeader)!],
                    body: body, now: receivedAt)
            } catch let error as WebhookRejection {
                logger.notice("webhook refused", metadata: ["chat.platform": "generic", "chat.bot": "\(botCode)", "reason": "\(error.reason)"])
                throw HTTPError(.unauthorized, message: error.reason)
            }
            let message: InboundMessage
            do {
                message = try GenericGateway.decode(body, botCode: botCode, receivedAt: receivedAt)
            } catch let error as WebhookMalformed {
                throw HTTPError(.badRequest, message: error.reason)
            }
            return try await accept(message, receivedAt: receivedAt)
        }
    }

    /// Stores the message once and answers with its id.
    private func accept(_ message: InboundMessage, receivedAt: Date) async throws -> Accepted {
        let group = try await store.chatGroup(botCode: message.botCode, chatID: message.chatID)
        let recorded = try await store.record(message, groupCode: group?.code, receivedAt: receivedAt)
        if group == nil, recorded.isNew {
            logger.notice("message from an unbound chat stored for an admin to bind", metadata: [
                "chat.platform": "\(message.platform.rawValue)", "chat.bot": "\(message.botCode)", "chat.id": "\(message.chatID)",
            ])
        }
        return Accepted(id: recorded.id, duplicate: !recorded.isNew)
    }
}

/// Reading a bot's settings, where a value `env:NAME` comes from the environment.
enum BotSettings {
    static func secret(_ key: String, of bot: Bot, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let value = bot.settings[key], !value.isEmpty else { return nil }
        if value.hasPrefix("env:") {
            return environment[String(value.dropFirst(4))].flatMap { $0.isEmpty ? nil : $0 }
        }
        return value
    }
}
