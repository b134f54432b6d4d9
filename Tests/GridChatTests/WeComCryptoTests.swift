import GridChat
import Testing

/// The official WeCom sample values (加解密方案说明), as reproduced in shared/reference/CHAT-PLATFORMS.md.
@Suite struct WeComCryptoTests {
    let crypto = try! WeComCrypto(token: "QDG6eK", encodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", receiveID: "wx5823bf96d3bd56c7")
    let echo = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
    let message = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="

    @Test func theURLVerificationVectorVerifiesAndDecrypts() throws {
        #expect(crypto.signature(timestamp: "1409659589", nonce: "263014780", encrypted: echo) == "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3")
        #expect(crypto.verify(signature: "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", timestamp: "1409659589", nonce: "263014780", encrypted: echo))
        #expect(try crypto.decrypt(echo) == "1616140317555161061")
    }

    @Test func theMessageVectorVerifiesAndDecryptsWith32BytePadding() throws {
        #expect(crypto.verify(signature: "477715d11cdb4164915debcba66cb864d751f3e6", timestamp: "1409659813", nonce: "1372623149", encrypted: message))
        let xml = try crypto.decrypt(message)
        #expect(xml.contains("<Content><![CDATA[hello]]></Content>"))
        #expect(xml.contains("<MsgId>4561255354251345929</MsgId>"))
    }

    @Test func tamperingIsRefused() throws {
        #expect(!crypto.verify(signature: "477715d11cdb4164915debcba66cb864d751f3e6", timestamp: "1409659814", nonce: "1372623149", encrypted: message))
        let other = try WeComCrypto(token: "QDG6eK", encodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", receiveID: "ww-other-corp")
        #expect(throws: WeComCryptoError.wrongReceiveID) { try other.decrypt(message) }
        #expect(throws: WeComCryptoError.badCiphertext) { try crypto.decrypt("not base64!") }
        #expect(throws: WeComCryptoError.badAESKey) { try WeComCrypto(token: "t", encodingAESKey: "short", receiveID: "") }
    }

    @Test func repliesRoundTripWithTheSameAlgorithm() throws {
        let reply = "<xml><Content><![CDATA[已收到 #12 3号楼电梯]]></Content></xml>"
        let encrypted = try crypto.encrypt(reply)
        #expect(try crypto.decrypt(encrypted) == reply)
        let aiBot = try WeComCrypto(token: "t", encodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", receiveID: "")
        #expect(try aiBot.decrypt(try aiBot.encrypt("{\"msgtype\":\"text\"}")) == "{\"msgtype\":\"text\"}")
    }
}
