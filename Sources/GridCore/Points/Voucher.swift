import Crypto
import Foundation

/// Where a voucher stands.
public enum VoucherStatus: String, CaseIterable, Codable, Sendable, Hashable {
    /// Issued to a household; its points are held in escrow.
    case issued
    /// Consumed at its merchant's counter; the points went to the merchant.
    case redeemed
    /// Not used in time; the points went back to the household.
    case expired

    public var chineseName: String {
        switch self {
        case .issued: "未使用"
        case .redeemed: "已使用"
        case .expired: "已过期（积分已退回）"
        }
    }
}

/// A voucher as the rules see it.
public struct VoucherState: Sendable, Equatable {
    public var status: VoucherStatus
    public var merchantCode: String
    public var expiresAt: Date
    public var redeemedAt: Date?
    public var redeemedBy: String?

    public init(status: VoucherStatus, merchantCode: String, expiresAt: Date, redeemedAt: Date? = nil, redeemedBy: String? = nil) {
        self.status = status
        self.merchantCode = merchantCode
        self.expiresAt = expiresAt
        self.redeemedAt = redeemedAt
        self.redeemedBy = redeemedBy
    }
}

/// Why a voucher cannot be consumed or expired.
public enum VoucherRuleError: Error, Sendable, Equatable {
    case alreadyRedeemed(at: Date?, by: String?)
    case expired(at: Date)
    case otherMerchant(String)
    case notDue(Date)
}

/// The voucher lifecycle, with no I/O: issued → redeemed at its own merchant before it expires,
/// or issued → expired (points refunded) once its time is up. Nothing leaves redeemed or expired.
public enum VoucherRules {
    public enum Action: Sendable, Equatable {
        case redeem(merchant: String, at: Date)
        case expire(at: Date)
    }

    public static func apply(_ action: Action, to voucher: VoucherState) throws(VoucherRuleError) -> VoucherStatus {
        switch (voucher.status, action) {
        case (.redeemed, _):
            throw .alreadyRedeemed(at: voucher.redeemedAt, by: voucher.redeemedBy)
        case (.expired, .redeem):
            throw .expired(at: voucher.expiresAt)
        case (.expired, .expire):
            throw .expired(at: voucher.expiresAt)
        case (.issued, .redeem(let merchant, let at)):
            guard merchant == voucher.merchantCode else { throw .otherMerchant(voucher.merchantCode) }
            guard at < voucher.expiresAt else { throw .expired(at: voucher.expiresAt) }
            return .redeemed
        case (.issued, .expire(let at)):
            guard at >= voucher.expiresAt else { throw .notDue(voucher.expiresAt) }
            return .expired
        }
    }

    /// The ledger transfer ids of a voucher: one reserve, then exactly one of redeem or refund.
    public static func reserveTransferID(_ code: VoucherCode) -> String { "reserve:\(code)" }
    public static func redeemTransferID(_ code: VoucherCode) -> String { "redeem:\(code)" }
    public static func refundTransferID(_ code: VoucherCode) -> String { "refund:\(code)" }
}

/// The signed payload a voucher's QR code carries: `GBV1.<code>.<expiry>.<signature>`. The
/// signature (HMAC-SHA256, truncated to 128 bits) covers the code and the expiry, so a scanned
/// voucher that was not issued by this GridBot is told apart from a mistyped one.
public struct VoucherTicket: Sendable, Equatable {
    public var code: VoucherCode
    public var expiresAt: Date

    public init(code: VoucherCode, expiresAt: Date) {
        self.code = code
        self.expiresAt = expiresAt
    }

    static let prefix = "GBV1"

    /// The text to put in the QR code.
    public func payload(key: SymmetricKey) -> String {
        let body = "\(Self.prefix).\(Self.compact(code)).\(Int64(expiresAt.timeIntervalSince1970))"
        return "\(body).\(Self.signature(body, key: key))"
    }

    /// Why a scanned payload was refused.
    public enum ReadError: Error, Sendable, Equatable {
        case notAPayload
        case badCode(VoucherCode.ReadError)
        case forged
    }

    /// Reads a scanned payload, checking its signature.
    public init(payload: String, key: SymmetricKey) throws(ReadError) {
        let parts = payload.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.prefix, let seconds = Int64(parts[2]) else { throw .notAPayload }
        let body = parts[0..<3].joined(separator: ".")
        let expected = Self.signature(body, key: key)
        guard constantTimeEqual(expected, String(parts[3])) else { throw .forged }
        do {
            code = try VoucherCode(reading: String(parts[1]))
        } catch {
            throw .badCode(error)
        }
        expiresAt = Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Whether a scanned or typed text is a payload rather than a bare code.
    public static func looksLikePayload(_ text: String) -> Bool {
        text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix(prefix + ".")
    }

    static func compact(_ code: VoucherCode) -> String {
        code.description.replacingOccurrences(of: "-", with: "")
    }

    static func signature(_ body: String, key: SymmetricKey) -> String {
        hmacBase64URL(body, key: key, bytes: 16)
    }
}
