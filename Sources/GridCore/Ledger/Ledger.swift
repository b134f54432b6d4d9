import Crypto
import Foundation

/// Why points moved: every transfer carries one.
public enum TransferCode: String, CaseIterable, Codable, Sendable, Hashable {
    /// A reviewed volunteer task paid to a household (community issuance → household).
    case taskReward = "task_reward"
    /// Points held for a voucher when it is issued (household → voucher escrow).
    case voucherReserve = "voucher_reserve"
    /// A voucher consumed at a merchant's counter (escrow → merchant).
    case voucherRedeem = "voucher_redeem"
    /// A voucher that expired unused: the points go back (escrow → household).
    case voucherExpiryRefund = "voucher_expiry_refund"
    /// A correction by community staff, with a reason in the reference.
    case adjustment
    /// The exact opposite of an earlier transfer, which it names.
    case reversal
}

/// What kind of account points sit in, which decides whether it may go below zero.
public enum LedgerAccountKind: String, CaseIterable, Codable, Sendable, Hashable {
    /// A household's points: never below zero.
    case household
    /// Where reward points come from: goes negative by what has been issued.
    case issuance
    /// Points reserved for issued vouchers, until redeemed or refunded: never below zero.
    case escrow
    /// What merchants have redeemed, for settlement: never below zero.
    case merchant

    /// Whether the account may go below zero (only the issuance account does).
    public var mayGoNegative: Bool { self == .issuance }
}

/// One movement of points: from one account to another, once, for a reason.
public struct LedgerTransfer: Sendable, Equatable, Codable {
    /// The idempotency key: the same id posted twice is one transfer.
    public var id: String
    public var debitAccount: String
    public var creditAccount: String
    /// Whole points, more than zero.
    public var amount: Int64
    public var code: TransferCode
    /// What it is for: a task and person, a voucher code, a reason.
    public var reference: String
    /// The transfer this one reverses, for a reversal.
    public var reverses: String?
    public var at: Date

    public init(id: String, debitAccount: String, creditAccount: String, amount: Int64, code: TransferCode,
                reference: String, reverses: String? = nil, at: Date) {
        self.id = id
        self.debitAccount = debitAccount
        self.creditAccount = creditAccount
        self.amount = amount
        self.code = code
        self.reference = reference
        self.reverses = reverses
        self.at = at
    }

    /// Whether two postings of one id ask for the same thing (time aside).
    public func sameRequest(as other: LedgerTransfer) -> Bool {
        id == other.id && debitAccount == other.debitAccount && creditAccount == other.creditAccount && amount == other.amount
            && code == other.code && reference == other.reference && reverses == other.reverses
    }

    /// The entry's link in the hash chain: SHA-256 over the previous entry's hash and every field,
    /// so changing, removing or reordering any entry breaks every hash after it.
    public func chainHash(previous: String, atMilliseconds: Int64) -> String {
        let fields = [previous, id, debitAccount, creditAccount, String(amount), code.rawValue, reference, reverses ?? "", String(atMilliseconds)]
        // Length-prefixed, so no two field lists serialise alike.
        let material = fields.map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
        return Hex.lowercase(SHA256.hash(data: Data(material.utf8)))
    }

    /// The hash before the first entry.
    public static let genesisHash = String(repeating: "0", count: 64)
}

/// Why a transfer was refused.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    case accountNotFound(String)
    case exceedsBalance(account: String, balance: Int64, amount: Int64)
    case invalidAmount(Int64)
    case sameAccount(String)
    /// The id was used before for a different transfer.
    case idReusedDifferently(String)
    case notFound(String)
    case alreadyReversed(String)

    public var description: String {
        switch self {
        case .accountNotFound(let account): "account \(account) does not exist"
        case .exceedsBalance(let account, let balance, let amount): "account \(account) holds \(balance) points, \(amount) asked"
        case .invalidAmount(let amount): "an amount must be a whole number of points above zero, not \(amount)"
        case .sameAccount(let account): "a transfer cannot debit and credit the same account \(account)"
        case .idReusedDifferently(let id): "transfer id \(id) was already used for a different transfer"
        case .notFound(let id): "no transfer \(id)"
        case .alreadyReversed(let id): "transfer \(id) is already reversed"
        }
    }
}

/// Account names: `household:H-3-2-502`, `merchant:M1`, `community:issuance`, `voucher:escrow`.
public enum LedgerAccounts {
    public static let issuance = "community:issuance"
    public static let escrow = "voucher:escrow"
    public static func household(_ code: String) -> String { "household:\(code)" }
    public static func merchant(_ code: String) -> String { "merchant:\(code)" }
}
