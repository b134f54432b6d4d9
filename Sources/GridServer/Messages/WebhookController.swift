import Foundation
import GridChat
import GridCore
import GridStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `/webhooks/{platform}/{bot}`: verifies, stores exactly once, answers fast.
///
/// Verification comes before anything else; a refused request stores nothing. What is accepted is
/// stored durably before the answer, so parsing and routing can continue from the stored message.
struct WebhookController: Sendable {
    let store: SQLStore
    let logger: Logger
    /// The clock: injectable so tests can sign requests for any moment.
    let now: @Sendable () -> Date
    /// Called after a new message is stored, so processing starts at once.
    let onStored: @Sendable () -> Void
    /// Counts refused signatures.
    let metrics: GridMetrics
    /// Where bots' `env:NAME` settings are read from.
    let secrets: [String: String]
    /// Largest body accepted; larger ones are answered 413.
    static let maxBodySize = 64 * 1024

    struct Accepted: Encodable {
        var status = "accepted"
        var id: Int64
        var duplicate: Bool
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/webhooks/:platform/:bot") { request, context -> Response in
            try await receive(request, context: context, isGET: false)
        }
        // WeCom's URL-verification handshake is a GET.
        router.get("/webhooks/:platform/:bot") { request, context -> Response in
            try await receive(request, context: context, isGET: true)
        }
    }

    private func receive(_ request: Request, context: some RequestContext, isGET: Bool) async throws -> Response {
        let platformText = try context.parameters.require("platform")
        let botCode = try context.parameters.require("bot")
        guard let platform = ChatPlatform(rawValue: platformText) else {
            throw ServiceError(.notFound, message: "unknown platform '\(platformText)'; use one of \(ChatPlatform.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // The bot and the chat come from the directory each instance holds (one small query to
        // check it is current), not two queries of their own.
        let directory = try await store.directory()
        guard let bot = directory.bots[botCode], bot.platform == platform else {
            throw ServiceError(.notFound, message: "no \(platform.rawValue) bot '\(botCode)' is configured")
        }
        let adapter = try makeAdapter(for: bot)
        if !isGET, platform != .wecom || bot.settings["mode"] != "app" {
            let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
            guard mediaType == "application/json" else {
                throw ServiceError(.unsupportedMediaType, message: "send the message as Content-Type: application/json")
            }
        }
        var request = request
        let body = isGET ? [] : [UInt8](buffer: try await request.collectBody(upTo: Self.maxBodySize))
        let receivedAt = now()
        var headers: [String: String] = [:]
        // A repeated field is one value joined by commas (RFC 9110), so a second signature header
        // cannot replace the first: the joined value matches no signature.
        for field in request.headers {
            headers[field.name.canonicalName] = headers[field.name.canonicalName].map { $0 + ", " + field.value } ?? field.value
        }
        let webhookRequest = WebhookRequest(
            isGET: isGET, botCode: botCode, query: Self.query(request.uri.query), headers: headers, body: body)
        let outcome: WebhookOutcome
        do {
            outcome = try adapter.handle(webhookRequest, now: receivedAt)
        } catch {
            switch error {
            case .unauthorized(let reason):
                logger.notice("webhook refused", metadata: ["chat.platform": "\(platform.rawValue)", "chat.bot": "\(botCode)", "reason": "\(reason)"])
                metrics.webhookRefused(platform: platform.rawValue)
                throw ServiceError(.unauthorized, message: reason)
            case .malformed(let reason):
                throw ServiceError(.badRequest, message: reason)
            }
        }
        switch outcome {
        case .handshake(let answer):
            return Self.response(answer)
        case .ignored:
            return Self.response(adapter.acknowledgement)
        case .message(let message):
            let signature = adapter.singleUseSignature(of: webhookRequest).map { SingleUseSignature(value: $0.value, expiresAt: $0.expiresAt) }
            let accepted: Accepted
            do {
                accepted = try await accept(message, receivedAt: receivedAt, signature: signature, directory: directory)
            } catch let error as SignatureReused {
                logger.notice("webhook refused", metadata: ["chat.platform": "\(platform.rawValue)", "chat.bot": "\(botCode)", "reason": "\(error)"])
                metrics.webhookRefused(platform: platform.rawValue)
                throw ServiceError(.unauthorized, message: error.description)
            }
            guard platform == .generic else { return Self.response(adapter.acknowledgement) }
            let data = try JSONEncoder().encode(accepted)
            return Self.response(.json(String(decoding: data, as: UTF8.self)))
        }
    }

    /// The adapter for a bot, from its settings; a missing setting is the operator's to fix.
    private func makeAdapter(for bot: Bot) throws -> any WebhookAdapter {
        func setting(_ key: String) throws -> String {
            guard let value = bot.setting(key, environment: secrets) else {
                logger.error("bot setting missing", metadata: ["chat.bot": "\(bot.code)", "setting": "\(key)"])
                throw ServiceError(.serviceUnavailable, message: "bot '\(bot.code)' is not configured (setting '\(key)')")
            }
            return value
        }
        switch bot.platform {
        case .generic:
            return GenericGateway(secret: try setting("secret"))
        case .dingtalk:
            return DingTalkAdapter(appSecret: try setting("app_secret"))
        case .telegram:
            return TelegramAdapter(secretToken: try setting("secret_token"))
        case .feishu:
            return FeishuAdapter(verificationToken: try setting("verification_token"), encryptKey: bot.setting("encrypt_key", environment: secrets))
        case .wecom:
            let mode = WeComAdapter.Mode(rawValue: bot.settings["mode"] ?? "aibot") ?? .aiBot
            do {
                return try WeComAdapter(
                    token: try setting("token"), encodingAESKey: try setting("aes_key"), mode: mode,
                    corpID: mode == .app ? try setting("corp_id") : "")
            } catch let error as WeComCryptoError {
                logger.error("bot setting invalid", metadata: ["chat.bot": "\(bot.code)", "reason": "\(error)"])
                throw ServiceError(.serviceUnavailable, message: "bot '\(bot.code)' is not configured (setting 'aes_key')")
            }
        }
    }

    /// The query's names and values; a `+` stays a `+` (platforms sign base64 values with it).
    static func query(_ query: String?) -> [String: String] {
        urlEncodedPairs(query ?? "", plusIsSpace: false)
    }

    static func response(_ body: WebhookResponseBody) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = body.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body.text)))
    }

    /// Stores the message once and answers with its id.
    private func accept(_ message: InboundMessage, receivedAt: Date, signature: SingleUseSignature?, directory: CommunityDirectory) async throws -> Accepted {
        let group = directory.chatGroup(botCode: message.botCode, chatID: message.chatID)
        let recorded = try await store.record(message, groupCode: group?.code, receivedAt: receivedAt, signature: signature)
        if recorded.isNew { onStored() }
        if group == nil, recorded.isNew {
            logger.notice("message from an unbound chat stored for an admin to bind", metadata: [
                "chat.platform": "\(message.platform.rawValue)", "chat.bot": "\(message.botCode)", "chat.id": "\(message.chatID)",
            ])
        }
        return Accepted(id: recorded.id, duplicate: !recorded.isNew)
    }
}
