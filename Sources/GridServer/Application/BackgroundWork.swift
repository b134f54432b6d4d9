import Foundation
import GridStore
import Logging
import ServiceLifecycle

/// The background workers of one instance: the message processor, the outbound sender, the
/// deadline watcher and the voucher expiry. In production each runs as a `Service`; a test
/// builds the application with `.driven(work)` and calls `drain()` where it wants the workers to
/// have run, so nothing races the test and nothing sleeps.
public struct BackgroundWork: Sendable {
    public let processor: MessageProcessor
    public let outbound: OutboundSender
    public let deadlines: DeadlineWatcher
    public let expiry: VoucherExpiryWatcher
    /// Rotating backups of the embedded database, when `--backup-every` is set.
    public let backups: BackupRotation?
    /// Message retention, when `--retain-messages` is set.
    public let retention: RetentionWatcher?

    /// The workers over a set of services, each telling the sender when it queued something.
    public init(_ services: GridBotServices) {
        let outbound = OutboundSender(store: services.store, sender: services.chatSender, logger: services.logger, now: services.now)
        self.outbound = outbound
        processor = MessageProcessor(
            store: services.store, parser: services.parser, replies: services.replies, commands: services.commandPipeline,
            intake: services.intake, triage: services.triage, logger: services.logger, now: services.now, onReplyQueued: outbound.notify)
        let dispatcher = services.dispatcher
        deadlines = DeadlineWatcher(
            store: services.store, escalation: Escalation(store: services.store, dispatcher: dispatcher, logger: services.logger),
            triage: services.triage, logger: services.logger, now: services.now, onMessagesQueued: outbound.notify)
        expiry = VoucherExpiryWatcher(store: services.store, replies: services.replies, logger: services.logger, now: services.now,
                                      onMessagesQueued: outbound.notify)
        let configuration = services.configuration
        if let every = configuration.backupEvery, services.database.backend == .sqlite, let folder = configuration.resolvedBackupFolder {
            backups = BackupRotation(database: services.database, folder: folder, every: every, keep: configuration.backupKeep,
                                     logger: services.logger, now: services.now)
        } else {
            backups = nil
        }
        retention = configuration.retainMessages.map {
            RetentionWatcher(store: services.store, retain: $0, logger: services.logger, now: services.now)
        }
    }

    /// The workers as services, in the order they start.
    var services: [any Service] {
        let upkeep: [any Service] = [backups as (any Service)?, retention].compactMap { $0 }
        return [outbound, processor, deadlines, expiry] + upkeep
    }

    /// Runs every worker until none has anything left to do at the clock's present moment: each
    /// stored message processed, each deadline and expiry due acted on, each message due sent.
    /// Returns how many steps were taken.
    @discardableResult
    public func drain() async throws -> Int {
        var total = 0
        while true {
            let steps = try await processor.processPending() + deadlines.checkDue() + expiry.expireDue() + outbound.deliverDue()
            total += steps
            if steps == 0 { return total }
        }
    }
}
