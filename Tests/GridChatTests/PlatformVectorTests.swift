import Foundation
@testable import GridChat
import Testing

/// The self-computed vectors of shared/reference/CHAT-PLATFORMS.md (computed there with Python).
@Suite struct PlatformVectorTests {
    @Test func dingTalkSignMatchesTheReferenceVector() {
        #expect(DingTalkAdapter(appSecret: "SECtestsecret123").sign(timestamp: "1700000000000") == "Y4At+TruAh3C4rXZwD748s2rqrapbJWKRagqLANB690=")
    }

    @Test func feishuSignatureMatchesTheReferenceVector() {
        let signature = FeishuAdapter.signature(timestamp: "1700000000", nonce: "n0nce", encryptKey: "testkey", body: Array(#"{"encrypt":"abc"}"#.utf8))
        #expect(signature == "7cf555ca4c7a3719fe7e464ff9b9bededf11cd3d039fc7db6af3913b1a6b594a")
    }

    @Test func feishuEncryptionMatchesTheReferenceVector() throws {
        let encrypted = try FeishuAdapter.encrypt(#"{"challenge": "c-123", "token": "vt", "type": "url_verification"}"#, encryptKey: "testkey", iv: Array(0..<16))
        #expect(encrypted == "AAECAwQFBgcICQoLDA0OD42hPNAn3P9+LYG3gV+xrymw7NQAP4YdJfh3yddggJlv7pcgcObthbux2EPaDXvJoyBxeO+SqrwQf7MTLFuqxnLHXMf59UvhB5GH5s+WANfl")
        let adapter = FeishuAdapter(verificationToken: "vt", encryptKey: "testkey")
        let outcome = try adapter.handle(WebhookRequest(botCode: "f", body: Array(#"{"encrypt":"\#(encrypted)"}"#.utf8)), now: Date())
        #expect(outcome == .handshake(.json(#"{"challenge":"c-123"}"#)))
    }

    @Test func telegramMentionsAreResolvedByUTF16Offsets() {
        let entities: [[String: Any]] = [["type": "text_mention", "offset": 0, "length": 2, "user": ["first_name": "李娜"]]]
        #expect(TelegramAdapter.resolveMentions("李娜 电梯坏了😭", entities: entities) == "@李娜 电梯坏了😭")
    }
}
