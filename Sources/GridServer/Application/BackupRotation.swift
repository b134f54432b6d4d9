import Foundation
import GridStore
import Logging
import ServiceLifecycle

/// `serve --backup-every 6h --backup-keep 28`: checked backups of the embedded database into a
/// folder of their own, the oldest beyond `keep` removed.
///
/// Each round looks at the newest backup in the folder and writes one only when it is older
/// than the interval, so a restart neither skips a backup nor makes an extra one. Only files
/// this rotation names (`gridbot-YYYYMMDD-HHMMSS.sqlite`) are ever removed.
public struct BackupRotation: Service, Sendable {
    let database: GridDatabase
    let folder: String
    let every: TimeInterval
    let keep: Int
    let logger: Logger
    let now: @Sendable () -> Date
    private let loop = WorkLoop()

    public init(database: GridDatabase, folder: String, every: TimeInterval, keep: Int, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.folder = folder
        self.every = every
        self.keep = max(1, keep)
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        try await loop.run(pollInterval: .seconds(min(every, 300)), logger: logger, what: "writing a backup") {
            try await self.backUpIfDue()
        }
    }

    /// Writes a backup if the newest is older than the interval (or there is none), then
    /// removes the oldest beyond `keep`; returns the new backup's check, nil when none was due.
    @discardableResult
    public func backUpIfDue() async throws -> DatabaseCopyCheck? {
        let moment = now()
        if let newest = try backups().last, moment.timeIntervalSince(newest.date) < every { return nil }
        let path = URL(fileURLWithPath: folder).appendingPathComponent("gridbot-\(DatabaseCopy.stamp(moment)).sqlite").path
        let check = try await DatabaseCopy.backup(database, to: path, logger: logger)
        logger.notice("backup written and checked", metadata: [
            "backup.path": "\(path)", "backup.schema": "\(check.schemaVersion)", "backup.transfers": "\(check.ledger.transfers)",
        ])
        for old in try backups().dropLast(keep) {
            try FileManager.default.removeItem(atPath: old.path)
            logger.info("old backup removed", metadata: ["backup.path": "\(old.path)"])
        }
        return check
    }

    /// The rotation's backups in the folder, oldest first, with the moment each was taken.
    func backups() throws -> [(path: String, date: Date)] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder).compactMap { name -> (String, Date)? in
            guard name.hasPrefix("gridbot-"), name.hasSuffix(".sqlite"),
                  let date = DatabaseCopy.date(fromStamp: String(name.dropFirst("gridbot-".count).dropLast(".sqlite".count)))
            else { return nil }
            return (URL(fileURLWithPath: folder).appendingPathComponent(name).path, date)
        }.sorted { $0.1 < $1.1 }
    }
}
