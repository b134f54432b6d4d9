import Foundation
import GridCore

/// One platform's webhook: verifies a request and turns it into a message, a handshake answer, or
/// nothing to store. Adapters are pure: no I/O, the clock passed in.
public protocol WebhookAdapter: Sendable {
    /// Verifies first, then decodes. Throws `.unauthorized` (401) or `.malformed` (400).
    func handle(_ request: WebhookRequest, now: Date) throws(WebhookError) -> WebhookOutcome
    /// The body the platform expects when a message was accepted (its "ok").
    var acknowledgement: WebhookResponseBody { get }
    /// For a platform whose signature does not cover the body: the signature of a verified
    /// request and when it expires, so the server lets it carry one message only.
    func singleUseSignature(of request: WebhookRequest) -> (value: String, expiresAt: Date)?
}

extension WebhookAdapter {
    public func singleUseSignature(of request: WebhookRequest) -> (value: String, expiresAt: Date)? { nil }
}

/// The parts of an HTTP request an adapter reads.
public struct WebhookRequest: Sendable {
    public var isGET: Bool
    public var botCode: String
    /// Query parameters, percent-decoded.
    public var query: [String: String]
    /// Headers by lower-cased name.
    public var headers: [String: String]
    /// The raw body bytes, exactly as received (signatures are over these).
    public var body: [UInt8]

    public init(isGET: Bool = false, botCode: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8]) {
        self.isGET = isGET
        self.botCode = botCode
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// What a verified request amounts to.
public enum WebhookOutcome: Sendable, Equatable {
    /// A group message to store.
    case message(InboundMessage)
    /// A URL-verification handshake: answer with this body, store nothing.
    case handshake(WebhookResponseBody)
    /// A verified event GridBot does not act on (a card click, a join event): acknowledge only.
    case ignored(String)
}

/// A response body and its content type.
public struct WebhookResponseBody: Sendable, Equatable {
    public var contentType: String
    public var text: String

    public static func json(_ text: String) -> WebhookResponseBody { WebhookResponseBody(contentType: "application/json", text: text) }
    public static func plain(_ text: String) -> WebhookResponseBody { WebhookResponseBody(contentType: "text/plain; charset=utf-8", text: text) }
}

/// Why a request was refused.
public enum WebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Verification failed: 401, nothing stored.
    case unauthorized(String)
    /// Verified, but the body cannot be read: 400.
    case malformed(String)

    public var description: String {
        switch self {
        case .unauthorized(let reason), .malformed(let reason): reason
        }
    }
}

/// Small helpers the adapters share.
enum WebhookSupport {
    /// Compares two strings in time independent of where they differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        Hex.lowercase(bytes)
    }

    /// How far in the past a platform's send time may be: older messages are refused, not stored
    /// with a moment the reports and statistics would misread.
    static let oldestSendTime: TimeInterval = 366 * 86_400
    /// How far ahead of GridBot's clock a send time may be (clock drift, never a year).
    static let latestSendTime: TimeInterval = 86_400

    /// The moment a message says it was sent, read from `seconds` since 1970, or `now` where the
    /// platform sent none. A value that is not a finite time within a year before now and a day
    /// after is refused with the field named, so no stored moment can overflow later.
    static func sendTime(seconds: Double?, field: String, now: Date) throws(WebhookError) -> Date {
        guard let seconds else { return now }
        let nowSeconds = now.timeIntervalSince1970
        guard seconds.isFinite, seconds >= nowSeconds - oldestSendTime, seconds <= nowSeconds + latestSendTime else {
            throw .malformed("field '\(field)' is not a time within a year of now")
        }
        return Date(timeIntervalSince1970: seconds)
    }

    /// A send time written as text (`"1716000000000"`), in units of `perSecond` a second; absent
    /// is `now`, text that is no number is refused naming the field, and then as `sendTime`.
    static func sendTime(text: String?, perSecond: Double, field: String, now: Date) throws(WebhookError) -> Date {
        guard let text else { return now }
        guard let number = Double(text) else { throw .malformed("field '\(field)' is not a number") }
        return try sendTime(seconds: number / perSecond, field: field, now: now)
    }

    /// Whether a header or query time in seconds is a finite moment within `window` of now.
    static func isFresh(seconds: Double, window: TimeInterval, now: Date) -> Bool {
        seconds.isFinite && abs(now.timeIntervalSince1970 - seconds) <= window
    }

    static func jsonObject(_ body: [UInt8]) throws(WebhookError) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)), let dictionary = object as? [String: Any] else {
            throw .malformed("the body is not a JSON object")
        }
        return dictionary
    }
}
