import Foundation
import GridCore
import GridStore

/// How points figures read to residents and merchants: ledger entries, households, yuan, refusals.
enum PointsWording {
    static func describe(_ transfer: LedgerTransfer) -> String {
        let parts = transfer.reference.split(separator: ":").map(String.init)
        switch transfer.code {
        case .taskReward: return parts.count >= 2 && parts[0] == "task" ? "志愿任务 \(parts[1])" : "志愿任务奖励"
        case .voucherReserve: return "兑换券 \(parts.last ?? "")"
        case .voucherRedeem: return "兑换券使用 \(parts.last ?? "")"
        case .voucherExpiryRefund: return "兑换券过期退回 \(parts.last ?? "")"
        case .adjustment: return "积分调整：\(transfer.reference)"
        case .reversal: return "冲正"
        }
    }

    static func householdName(_ code: String) -> String {
        // H-3-2-502 → 3号楼2单元502
        let parts = code.split(separator: "-").dropFirst()
        guard parts.count == 3 else { return code }
        return "\(parts[parts.startIndex])号楼\(parts[parts.startIndex + 1])单元\(parts[parts.startIndex + 2])"
    }

    static func yuan(_ fen: Int64) -> String {
        fen % 100 == 0 ? "\(fen / 100)" : String(format: "%.2f", Double(fen) / 100)
    }

    static func reason(_ error: PointsStoreError, _ replies: ChatReplies) -> String {
        switch error {
        case .offerNotFound(let code): replies.line(.voucherOfferNotFound, ["code": code])
        case .outOfStock(let code): replies.line(.voucherOutOfStock, ["code": code])
        case .voucherNotFound(let code): replies.line(.voucherNotFound, ["code": code.description])
        case .insufficientPoints(let balance, let needed): replies.line(.voucherInsufficientPoints, ["balance": balance, "needed": needed])
        }
    }
}
