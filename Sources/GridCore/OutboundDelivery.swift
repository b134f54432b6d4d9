/// The life of one outbound chat message: queued, then sent, or retried with backoff until it is
/// given up. A pure state machine: the sender does the I/O and feeds it the results.
public enum OutboundDelivery: Sendable, Equatable {
    /// Waiting to be sent at or after `notBefore` (seconds since 1970).
    case pending(attempts: Int, notBefore: Double)
    /// Delivered.
    case sent(at: Double)
    /// Given up after too many attempts, or refused for good.
    case dead(reason: String)

    /// How many attempts before giving up.
    public static let maxAttempts = 8

    /// The state after a failed attempt at `now`: retried with exponential backoff (2 s, 4 s, 8 s,
    /// … at most 5 minutes), or dead after `maxAttempts`. A permanent failure (the platform
    /// refused the message itself) is dead at once.
    public func failed(at now: Double, reason: String, permanent: Bool) -> OutboundDelivery {
        switch self {
        case .pending(let attempts, _):
            let made = attempts + 1
            if permanent || made >= Self.maxAttempts { return .dead(reason: reason) }
            let backoff = min(300.0, 2.0 * Double(1 << min(made - 1, 16)))
            return .pending(attempts: made, notBefore: now + backoff)
        case .sent, .dead:
            return self
        }
    }

    /// The state after a successful attempt.
    public func succeeded(at now: Double) -> OutboundDelivery {
        switch self {
        case .pending: .sent(at: now)
        case .sent, .dead: self
        }
    }

    /// The state after the platform said "too many requests, wait `seconds`": not an attempt.
    public func throttled(at now: Double, seconds: Double) -> OutboundDelivery {
        switch self {
        case .pending(let attempts, _): .pending(attempts: attempts, notBefore: now + max(1, seconds))
        case .sent, .dead: self
        }
    }
}

/// A message GridBot sends into a chat.
public struct OutboundMessage: Sendable, Equatable, Codable {
    public var platform: ChatPlatform
    public var botCode: String
    public var chatID: String
    public var text: String
    /// The platform message this one answers, where the platform can quote it.
    public var replyTo: String?
    /// The reply address the platform gave with the message answered, where it has one.
    public var replyURL: String?
    /// The platform user this message is for alone: delivered to them directly (a private chat,
    /// an app message), never into `chatID`, which names the chat it concerns.
    public var recipient: String?
    /// The key that names this one delivery on every attempt, from any instance, so a gateway
    /// or platform that dedupes by key drops a repeat. Set by the queue when it hands a message
    /// out for sending; nil before it is queued.
    public var deliveryKey: String?

    /// A message into a chat (or, with `recipient`, to one person about it).
    public init(
        platform: ChatPlatform, botCode: String, chatID: String, text: String, replyTo: String? = nil, replyURL: String? = nil,
        recipient: String? = nil
    ) {
        self.replyURL = replyURL
        self.recipient = recipient
        self.platform = platform
        self.botCode = botCode
        self.chatID = chatID
        self.text = text
        self.replyTo = replyTo
    }
}

/// A per-chat sending limit: at most `limit` messages in any `window` seconds (platforms allow
/// about 20 a minute into one group).
public struct RateLimit: Sendable, Equatable {
    public var limit: Int
    public var window: Double

    public init(limit: Int = 20, window: Double = 60) {
        self.limit = limit
        self.window = window
    }

    /// When the next message may go, given the send times already in the window.
    public func nextAllowed(after sentTimes: [Double], now: Double) -> Double {
        let recent = sentTimes.filter { $0 > now - window }.sorted()
        guard recent.count >= limit else { return now }
        return recent[recent.count - limit] + window
    }
}
