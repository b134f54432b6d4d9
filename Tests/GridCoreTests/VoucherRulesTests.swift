import Crypto
import Foundation
@testable import GridCore
import Testing

@Suite struct VoucherRulesTests {
    static let issuedAt = Date(timeIntervalSince1970: 1_794_967_200)
    static let voucher = VoucherState(status: .issued, merchantCode: "M1", expiresAt: issuedAt.addingTimeInterval(86_400))

    @Test func aVoucherIsConsumedOnceAtItsOwnMerchantBeforeItExpires() throws {
        #expect(try VoucherRules.apply(.redeem(merchant: "M1", at: Self.issuedAt), to: Self.voucher) == .redeemed)
        #expect(throws: VoucherRuleError.otherMerchant("M1")) { try VoucherRules.apply(.redeem(merchant: "M2", at: Self.issuedAt), to: Self.voucher) }
        #expect(throws: VoucherRuleError.expired(at: Self.voucher.expiresAt)) {
            try VoucherRules.apply(.redeem(merchant: "M1", at: Self.voucher.expiresAt), to: Self.voucher)
        }
        var redeemed = Self.voucher
        redeemed.status = .redeemed
        redeemed.redeemedAt = Self.issuedAt
        redeemed.redeemedBy = "M1"
        #expect(throws: VoucherRuleError.alreadyRedeemed(at: Self.issuedAt, by: "M1")) {
            try VoucherRules.apply(.redeem(merchant: "M1", at: Self.issuedAt), to: redeemed)
        }
        #expect(throws: VoucherRuleError.self) { try VoucherRules.apply(.expire(at: Self.voucher.expiresAt), to: redeemed) }
    }

    @Test func onlyAnIssuedVoucherPastItsTimeExpires() throws {
        #expect(throws: VoucherRuleError.notDue(Self.voucher.expiresAt)) { try VoucherRules.apply(.expire(at: Self.issuedAt), to: Self.voucher) }
        #expect(try VoucherRules.apply(.expire(at: Self.voucher.expiresAt), to: Self.voucher) == .expired)
    }

    @Test func theQRPayloadIsSignedAndAForgeryIsToldApartFromATypo() throws {
        let key = SymmetricKey(data: Data(repeating: 7, count: 32))
        let code = VoucherCode(value: 0x2_3456_789A_BCDE)
        let ticket = VoucherTicket(code: code, expiresAt: Self.voucher.expiresAt)
        let payload = ticket.payload(key: key)
        #expect(VoucherTicket.looksLikePayload(payload))
        #expect(try VoucherTicket(payload: payload, key: key) == ticket)
        // Another key, or a changed expiry or code, is a forgery.
        #expect(throws: VoucherTicket.ReadError.forged) { try VoucherTicket(payload: payload, key: SymmetricKey(data: Data(repeating: 8, count: 32))) }
        var parts = payload.split(separator: ".").map(String.init)
        parts[2] = String(Int(parts[2])! + 86_400)
        #expect(throws: VoucherTicket.ReadError.forged) { try VoucherTicket(payload: parts.joined(separator: "."), key: key) }
        #expect(throws: VoucherTicket.ReadError.notAPayload) { try VoucherTicket(payload: "GBV1.nonsense", key: key) }
    }

    @Test func aMistypedCodeIsCaughtByItsCheckSymbol() throws {
        let code = VoucherCode(value: 0x2_3456_789A_BCDE)
        let text = code.description
        #expect(try VoucherCode(reading: text.lowercased()) == code)
        // Change one symbol: the check symbol no longer matches.
        var symbols = Array(text)
        symbols[2] = symbols[2] == "7" ? "8" : "7"
        #expect(throws: VoucherCode.ReadError.checkFailed) { try VoucherCode(reading: String(symbols)) }
        // Swap two neighbouring symbols: caught too (mod 37 catches transpositions).
        var swapped = Array(text)
        swapped.swapAt(0, 1)
        if swapped != Array(text) { #expect(throws: VoucherCode.ReadError.checkFailed) { try VoucherCode(reading: String(swapped)) } }
    }

    /// A new code is read out in letters and digits only: its check symbol is never one of the
    /// extra symbols phone keyboards hide.
    @Test func newCodesUseOnlyTheirOwnAlphabet() {
        var generator = DeterministicRandom(state: 7)
        for _ in 0..<2_000 {
            let text = VoucherCode.random(using: &generator).description
            #expect(text.allSatisfy { $0 == "-" || VoucherCode.alphabet.contains($0) }, "\(text)")
        }
    }

    /// The example the counter page and the API show is a code the counter accepts.
    @Test func theExampleShownToShopAssistantsIsAValidCode() throws {
        #expect(try VoucherCode(reading: "ABCDE-FGHJK-Q").description == "ABCDE-FGHJK-Q")
        #expect(throws: VoucherCode.ReadError.checkFailed) { try VoucherCode(reading: "ABCDE-FGHJK-M") }
    }
}
