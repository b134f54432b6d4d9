import Crypto
import Foundation
import GridCore
import GridStore
import Hummingbird

/// `GET /vouchers/{payload}`: the page a resident opens from the private message that carried
/// their voucher, showing the code, its expiry with the year, and a QR image of the signed
/// payload for the merchant's scanner. The address is the payload itself, so the page is exactly
/// as secret as the voucher: it is sent to the person, never into a group.
struct VoucherPageController: Sendable {
    let store: SQLStore
    let pages: WebPages
    let replies: ChatReplies
    let voucherKey: SymmetricKey

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/vouchers/:payload") { request, context in
            try await page(request, payload: try context.parameters.require("payload"))
        }
    }

    private func page(_ request: Request, payload: String) async throws -> Response {
        let ticket: VoucherTicket
        do {
            ticket = try VoucherTicket(payload: payload, key: voucherKey)
        } catch {
            throw ServiceError(.notFound, message: "no voucher has this address", page: "这个兑换券链接无效，请在私聊中回复「我的券」重新获取。")
        }
        guard let voucher = try await store.readingPoints({ tx in try await tx.voucher(code: ticket.code, lock: false) }) else {
            throw ServiceError(.notFound, message: "no voucher has this address", page: "没有找到这张兑换券。")
        }
        let qr = try QRCode(payload).svg(scale: 6)
        return pages.page(.voucher, [
            "title": voucher.offerTitle, "merchant": voucher.merchantName, "value": PointsWording.yuan(voucher.valueFen),
            "code": voucher.code.description, "expires": replies.fullDate(voucher.expiresAt), "status": voucher.status.chineseName,
            "usable": voucher.status == .issued, "qr": qr,
        ], for: request)
    }
}
