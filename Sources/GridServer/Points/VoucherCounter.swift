import Crypto
import Foundation
import GridCore
import GridStore
import HTTPTypes

/// A merchant's counter: reads a typed code or a scanned QR payload, looks a voucher up, and
/// consumes it at most once. The web page and the JSON API both go through here.
struct VoucherCounter: Sendable {
    let store: SQLStore
    let replies: ChatReplies
    let voucherKey: SymmetricKey

    /// The voucher code in a typed code or a scanned payload.
    func read(_ text: String) throws(ServiceError) -> (code: VoucherCode, ticket: VoucherTicket?) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ServiceError(status: .badRequest, code: "missing_code", message: "请输入券码或扫描二维码") }
        if VoucherTicket.looksLikePayload(trimmed) {
            do {
                let ticket = try VoucherTicket(payload: trimmed, key: voucherKey)
                return (ticket.code, ticket)
            } catch .forged {
                throw ServiceError(status: .badRequest, code: "forged", message: "二维码签名无效：这不是本社区签发的券，请勿核销")
            } catch {
                throw ServiceError(status: .badRequest, code: "bad_payload", message: "二维码内容无法识别，请改为手动输入券码")
            }
        }
        do {
            return (try VoucherCode(reading: trimmed), nil)
        } catch {
            switch error {
            case .checkFailed:
                throw ServiceError(status: .badRequest, code: "check_failed", message: "券码校验位不符，可能输错了，请核对后重新输入")
            case .wrongLength(let count):
                throw ServiceError(status: .badRequest, code: "wrong_length", message: "券码应为 10 位加 1 位校验位（如 ABCDE-FGHJK-Q），您输入了 \(count) 位")
            case .badSymbol(let symbol):
                throw ServiceError(status: .badRequest, code: "bad_symbol", message: "券码中不会出现「\(symbol)」，请核对后重新输入")
            }
        }
    }

    /// Looks a voucher up for a merchant: its offer, value and state.
    func lookup(_ text: String, merchant: String) async throws -> Voucher {
        let (code, ticket) = try read(text)
        guard let voucher = try await store.readingPoints({ tx in try await tx.voucher(code: code, lock: false) }) else {
            throw ServiceError(status: .notFound, code: "not_found", message: "没有找到券码 \(code)，请核对后重新输入")
        }
        try check(voucher, ticket: ticket, merchant: merchant)
        return voucher
    }

    /// Consumes a voucher at a merchant's counter and tells its holder.
    func redeem(_ text: String, merchant: String, by person: Person, now: Date) async throws -> Voucher {
        let (code, ticket) = try read(text)
        do {
            return try await store.withPoints { tx in
                if let voucher = try await tx.voucher(code: code, lock: false) { try check(voucher, ticket: ticket, merchant: merchant) }
                let voucher = try await tx.redeem(code, merchant: merchant, by: person.code, at: now)
                let name = try await tx.personName(code: voucher.personCode) ?? ""
                if let text = replies.render(.voucherRedeemed, [
                    "name": name, "title": voucher.offerTitle, "code": voucher.code.description, "merchant": voucher.merchantName,
                    "when": replies.clockTime(now, relativeTo: now),
                ]) {
                    try await tx.enqueue(voucher.contact.outbound(text), dedupeKey: "voucher-redeemed:\(voucher.code)", at: now)
                }
                return voucher
            }
        } catch PointsStoreError.voucherNotFound {
            throw ServiceError(status: .notFound, code: "not_found", message: "没有找到券码 \(code)，请核对后重新输入")
        } catch let error as VoucherRuleError {
            throw try await problem(error)
        }
    }

    private func check(_ voucher: Voucher, ticket: VoucherTicket?, merchant: String) throws(ServiceError) {
        if let ticket, Int64(ticket.expiresAt.timeIntervalSince1970) != Int64(voucher.expiresAt.timeIntervalSince1970) {
            throw ServiceError(status: .badRequest, code: "forged", message: "二维码与券的记录不符，请勿核销")
        }
        guard voucher.merchantCode == merchant else {
            throw ServiceError(status: .forbidden, code: "other_merchant", message: "这张券是「\(voucher.merchantName)」的，本店不能核销")
        }
    }

    private func problem(_ error: VoucherRuleError) async throws -> ServiceError {
        switch error {
        case .alreadyRedeemed(let at, let by):
            var who: String?
            if let by { who = try await store.person(code: by)?.name }
            let when = at.map { Self.moment($0) } ?? "此前"
            return ServiceError(status: .conflict, code: "already_redeemed",
                                  message: "这张券已于 \(when) 核销\(who.map { "（核销人：\($0)）" } ?? "")，不能重复使用")
        case .expired(let at):
            return ServiceError(status: .conflict, code: "expired", message: "这张券已于 \(Self.moment(at)) 过期，积分已或将退回居民")
        case .otherMerchant:
            return ServiceError(status: .forbidden, code: "other_merchant", message: "这张券不是本店的，不能核销")
        case .notDue:
            return ServiceError(status: .conflict, code: "not_due", message: "这张券还不能处理")
        }
    }

    /// `2026年11月18日 10:00` in Beijing time.
    static func moment(_ date: Date) -> String {
        LocalTime.community.chinese(date)
    }
}
