import Foundation
import GridCore
import GridStore
import Logging

/// A command refused, with the one-line reason for the chat and its kind for HTTP.
struct CommandRefusal: Error, Sendable {
    /// What kind of refusal it is, for the console and the APIs.
    enum Kind: Sendable {
        /// The person may not do this (role or scope).
        case forbidden
        /// The report, task or enrolment named does not exist.
        case notFound
        /// The rules refuse it in the present state, or the command is malformed.
        case conflict
    }

    /// The report the refusal is about, when it names one (`#99：没有找到这个工单`).
    var reportID: Int64?
    var reason: String
    var kind: Kind

    init(_ reportID: Int64?, _ reason: String, _ kind: Kind = .conflict) {
        self.reportID = reportID
        self.reason = reason
        self.kind = kind
    }

    init(_ reason: String, _ kind: Kind = .conflict) {
        self.init(nil, reason, kind)
    }
}

/// What handling a message as a command did.
public enum CommandOutcome: Sendable, Equatable {
    /// The message is not a command; parse it as an ordinary message.
    case notACommand
    /// The command was carried out or refused with a reply.
    case handled
    /// Another worker already processed the message.
    case alreadyProcessed
}

/// Dedupe keys for the messages one event queues: the event's key and a counter, so a retried
/// event queues each message once.
struct DedupeKeys: Sendable {
    let base: String
    private var count = 0

    init(base: String) {
        self.base = base
    }

    mutating func next() -> String {
        defer { count += 1 }
        return "\(base):\(count)"
    }
}

/// A chat command read from a message, ready to run inside the pipeline's transaction.
struct CommandJob: Sendable {
    /// What the command is, for the log (never its text: it may hold names).
    var name: String
    /// Carries out the command and queues what it says, the answer to the sender among it;
    /// throws `CommandRefusal` to refuse, which rolls back everything it wrote.
    var run: @Sendable (StoreTransaction, inout DedupeKeys) async throws -> Void
}

/// One family of chat commands: it recognises its own in a message and prepares them.
protocol ChatCommandReader: Sendable {
    /// The command in a stored message, or nil when the message is not one of this reader's.
    /// Reads what the command needs before the transaction; throws `CommandRefusal` for a
    /// command that is malformed or refused before anything is written.
    func job(for stored: StoredInboundMessage, now: Date) async throws -> CommandJob?
}

/// Every chat command takes one path: the first reader that recognises the message prepares it,
/// the message is claimed and the command runs in one transaction with everything it queues; a
/// refusal rolls that whole transaction back (`合并 #1 #2 #99` merges nothing) and is then
/// recorded and answered in a second one.
struct CommandPipeline: Sendable {
    let store: SQLStore
    let replies: ChatReplies
    let logger: Logger
    /// Tried in order; at most one takes a message.
    let readers: [any ChatCommandReader]

    /// Carries out the command in a message, or says it is not one.
    func handle(_ stored: StoredInboundMessage, now: Date) async throws -> CommandOutcome {
        for reader in readers {
            let job: CommandJob
            do {
                guard let prepared = try await reader.job(for: stored, now: now) else { continue }
                job = prepared
            } catch let refusal as CommandRefusal {
                return try await refuse(stored, refusal, command: "\(type(of: reader))", now: now)
            }
            do {
                let ran = try await store.transaction { tx in
                    guard try await tx.claim(stored, intent: .chat, at: now) else { return false }
                    var keys = DedupeKeys(base: "m\(stored.id)")
                    try await job.run(tx, &keys)
                    return true
                }
                if ran { logger.info("command carried out", metadata: ["command": "\(job.name)", "message.id": "\(stored.id)"]) }
                return ran ? .handled : .alreadyProcessed
            } catch let refusal as CommandRefusal {
                return try await refuse(stored, refusal, command: job.name, now: now)
            }
        }
        return .notACommand
    }

    /// Records a refused command as processed and answers it with the reason, in a transaction
    /// of its own.
    private func refuse(_ stored: StoredInboundMessage, _ refusal: CommandRefusal, command: String, now: Date) async throws -> CommandOutcome {
        logger.info("command refused", metadata: ["command": "\(command)", "command.reason": "\(refusal.reason)"])
        let text = replies.render(.commandRefused, ["id": refusal.reportID.map { "\($0)" } ?? "", "reason": refusal.reason]) ?? refusal.reason
        let finished = try await store.finishProcessing(of: stored, intent: .chat, at: now, reply: .answer(to: stored.message, text))
        return finished ? .handled : .alreadyProcessed
    }
}
