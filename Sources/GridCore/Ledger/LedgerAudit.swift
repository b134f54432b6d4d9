import Foundation

/// A stored transfer as the audit reads it, with its place in the hash chain.
public struct ChainedTransfer: Sendable, Equatable {
    public var transfer: LedgerTransfer
    public var atMilliseconds: Int64
    public var previousHash: String
    public var hash: String

    public init(transfer: LedgerTransfer, atMilliseconds: Int64, previousHash: String, hash: String) {
        self.transfer = transfer
        self.atMilliseconds = atMilliseconds
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// An account as the audit reads it: its kind and the balance stored beside the transfers.
public struct AuditedAccount: Sendable, Equatable {
    public var code: String
    public var kind: LedgerAccountKind
    public var storedBalance: Int64

    public init(code: String, kind: LedgerAccountKind, storedBalance: Int64) {
        self.code = code
        self.kind = kind
        self.storedBalance = storedBalance
    }
}

/// A voucher as the audit reads it, to match against its transfers.
public struct AuditedVoucher: Sendable, Equatable {
    /// The reference its transfers carry (`voucher:XXXXX-XXXXX-C`).
    public var reference: String
    public var status: VoucherStatus
    public var points: Int64

    public init(reference: String, status: VoucherStatus, points: Int64) {
        self.reference = reference
        self.status = status
        self.points = points
    }
}

/// What `gridbot ledger verify` found.
public struct LedgerAuditReport: Sendable, Equatable {
    public var accounts = 0
    public var transfers = 0
    /// Points issued as task rewards, net of reversals.
    public var pointsIssued: Int64 = 0
    /// Points consumed at merchants, net of reversals.
    public var pointsRedeemed: Int64 = 0
    /// Points held for vouchers not yet redeemed or refunded.
    public var pointsInEscrow: Int64 = 0
    /// Every breach found, each naming what is wrong; empty when the ledger is sound.
    public var breaches: [String] = []

    public var isSound: Bool { breaches.isEmpty }
}

/// Checks a ledger from its stored parts alone: the chain, conservation, balances, limits,
/// reversals, and that rewards and voucher settlements happened at most once.
public enum LedgerAudit {
    /// Audits stored accounts and transfers against the chain head.
    ///
    /// Given the approved enrolments (reward reference → points) and the vouchers, it also checks
    /// that every approved task was paid exactly once and nothing else was paid as a task reward
    /// (`task:` references), that every voucher was reserved once and settled as its status says
    /// (at most once), and that escrow holds exactly the points of unused vouchers.
    public static func audit(
        accounts: [AuditedAccount], transfers: [ChainedTransfer], headHash: String,
        approvedRewards: [String: Int64]? = nil, vouchers: [AuditedVoucher]? = nil
    ) -> LedgerAuditReport {
        var report = LedgerAuditReport()
        report.accounts = accounts.count
        report.transfers = transfers.count
        let kinds = Dictionary(accounts.map { ($0.code, $0.kind) }, uniquingKeysWith: { first, _ in first })
        var running: [String: Int64] = [:]
        var previous = LedgerTransfer.genesisHash
        var seen: [String: LedgerTransfer] = [:]
        var reversed: Set<String> = []
        // Net count and amount of each code's transfers per reference, reversals subtracted.
        var tallies: [TransferCode: [String: (count: Int, amount: Int64)]] = [:]
        func breach(_ text: String) {
            if report.breaches.count < 100 { report.breaches.append(text) }
        }
        for (index, entry) in transfers.enumerated() {
            let transfer = entry.transfer
            let position = "transfer \(index + 1) (\(transfer.id))"
            if entry.previousHash != previous { breach("chain broken at \(position): it follows \(entry.previousHash.prefix(12)), not \(previous.prefix(12))") }
            let recomputed = transfer.chainHash(previous: entry.previousHash, atMilliseconds: entry.atMilliseconds)
            if recomputed != entry.hash { breach("chain broken at \(position): its content does not match its hash (changed after posting)") }
            previous = entry.hash
            if seen[transfer.id] != nil { breach("\(position): id used twice") }
            seen[transfer.id] = transfer
            if transfer.amount <= 0 { breach("\(position): amount \(transfer.amount) is not above zero") }
            for account in [transfer.debitAccount, transfer.creditAccount] where kinds[account] == nil {
                breach("\(position): account \(account) does not exist")
            }
            running[transfer.debitAccount, default: 0] -= transfer.amount
            running[transfer.creditAccount, default: 0] += transfer.amount
            if let kind = kinds[transfer.debitAccount], !kind.mayGoNegative, running[transfer.debitAccount, default: 0] < 0 {
                breach("\(position): \(transfer.debitAccount) went below zero (\(running[transfer.debitAccount, default: 0]))")
            }
            let sign: Int = transfer.code == .reversal ? -1 : 1
            var effective = transfer
            if let target = transfer.reverses {
                if let original = seen[target] {
                    if original.debitAccount != transfer.creditAccount || original.creditAccount != transfer.debitAccount || original.amount != transfer.amount {
                        breach("\(position): does not mirror the transfer \(target) it reverses")
                    }
                    effective = original
                } else {
                    breach("\(position): reverses \(target), which does not come before it")
                }
                if !reversed.insert(target).inserted { breach("\(position): \(target) reversed a second time") }
            }
            let tally = tallies[effective.code, default: [:]][effective.reference] ?? (0, 0)
            tallies[effective.code, default: [:]][effective.reference] = (tally.count + sign, tally.amount + Int64(sign) * effective.amount)
        }
        report.pointsIssued = (tallies[.taskReward] ?? [:]).values.reduce(0) { $0 + $1.amount }
        report.pointsRedeemed = (tallies[.voucherRedeem] ?? [:]).values.reduce(0) { $0 + $1.amount }
        if previous != headHash { breach("the chain head \(headHash.prefix(12)) is not the last transfer's hash \(previous.prefix(12)) (transfers removed or added behind the ledger's back)") }
        var total: Int64 = 0
        for account in accounts {
            total += account.storedBalance
            let derived = running[account.code, default: 0]
            if derived != account.storedBalance { breach("\(account.code): stored balance \(account.storedBalance) but its transfers sum to \(derived)") }
            if !account.kind.mayGoNegative, account.storedBalance < 0 { breach("\(account.code): balance \(account.storedBalance) is below zero") }
            if account.kind == .escrow { report.pointsInEscrow += account.storedBalance }
        }
        if total != 0 { breach("points are not conserved: all balances sum to \(total), not 0") }
        for (reference, paid) in (tallies[.taskReward] ?? [:]).sorted(by: { $0.key < $1.key }) where paid.count > 1 {
            breach("task reward \(reference) paid \(paid.count) times")
        }
        // A voucher is settled by its redemption or its refund, never both, never twice.
        let settlements = [TransferCode.voucherRedeem, .voucherExpiryRefund].flatMap { (tallies[$0] ?? [:]).map { ($0.key, $0.value.count) } }
        for (reference, count) in Dictionary(settlements, uniquingKeysWith: +).sorted(by: { $0.key < $1.key }) where count > 1 {
            breach("voucher \(reference) settled \(count) times")
        }
        func tally(_ code: TransferCode, _ reference: String) -> (count: Int, amount: Int64) { tallies[code]?[reference] ?? (0, 0) }
        if let approvedRewards {
            for (reference, points) in approvedRewards.sorted(by: { $0.key < $1.key }) {
                let paid = tally(.taskReward, reference)
                if paid.count != 1 { breach("approved task \(reference) was paid \(paid.count) times, not once") }
                else if paid.amount != points { breach("approved task \(reference) was paid \(paid.amount) points, not \(points)") }
            }
            for (reference, paid) in (tallies[.taskReward] ?? [:]).sorted(by: { $0.key < $1.key })
            where reference.hasPrefix("task:") && paid.count > 0 && approvedRewards[reference] == nil {
                breach("task reward \(reference) was paid but no approved enrolment stands behind it")
            }
        }
        if let vouchers {
            var known: Set<String> = []
            var unused: Int64 = 0
            for voucher in vouchers.sorted(by: { $0.reference < $1.reference }) {
                known.insert(voucher.reference)
                let reserved = tally(.voucherReserve, voucher.reference)
                if reserved.count != 1 || reserved.amount != voucher.points {
                    breach("\(voucher.reference) was reserved \(reserved.count) times (\(reserved.amount) points), not once (\(voucher.points) points)")
                }
                let redeemed = tally(.voucherRedeem, voucher.reference).count
                let refunded = tally(.voucherExpiryRefund, voucher.reference).count
                let expected: (Int, Int) = switch voucher.status {
                case .issued: (0, 0)
                case .redeemed: (1, 0)
                case .expired: (0, 1)
                }
                if (redeemed, refunded) != expected {
                    breach("\(voucher.reference) is \(voucher.status.rawValue) but was redeemed \(redeemed) and refunded \(refunded) times")
                }
                if voucher.status == .issued { unused += voucher.points }
            }
            for code in [TransferCode.voucherReserve, .voucherRedeem, .voucherExpiryRefund] {
                for (reference, moved) in (tallies[code] ?? [:]).sorted(by: { $0.key < $1.key })
                where reference.hasPrefix("voucher:") && moved.count > 0 && !known.contains(reference) {
                    breach("\(code.rawValue) for \(reference), which is not an issued voucher")
                }
            }
            // What voucher transfers left in escrow must be what unused vouchers hold.
            let held = (tallies[.voucherReserve] ?? [:]).filter { $0.key.hasPrefix("voucher:") }.values.reduce(Int64(0)) { $0 + $1.amount }
                - [TransferCode.voucherRedeem, .voucherExpiryRefund].flatMap { (tallies[$0] ?? [:]).filter { $0.key.hasPrefix("voucher:") }.values }
                    .reduce(Int64(0)) { $0 + $1.amount }
            if held != unused { breach("voucher transfers leave \(held) points in escrow but unused vouchers hold \(unused)") }
        }
        return report
    }
}
