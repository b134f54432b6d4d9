import Crypto
import CryptoExtras
import Foundation

/// WeCom's callback crypto (加解密方案), shared by the self-built app callback and the AI bot:
/// a SHA-1 `msg_signature` over the sorted token, timestamp, nonce and ciphertext, and AES-256-CBC
/// with the IV taken from the key and PKCS#7 padding to 32-byte blocks.
public struct WeComCrypto: Sendable {
    /// The token configured for the callback URL.
    public let token: String
    /// The 32-byte key decoded from the 43-character EncodingAESKey.
    private let key: SymmetricKey
    private let iv: AES._CBC.IV
    /// The CorpID for an app callback, the empty string for an AI bot.
    public let receiveID: String

    /// Fails with `.badAESKey` unless `encodingAESKey` is 43 characters that decode to 32 bytes.
    public init(token: String, encodingAESKey: String, receiveID: String) throws(WeComCryptoError) {
        guard encodingAESKey.count == 43, let keyData = Data(base64Encoded: encodingAESKey + "="), keyData.count == 32 else {
            throw .badAESKey
        }
        self.token = token
        self.key = SymmetricKey(data: keyData)
        do {
            self.iv = try AES._CBC.IV(ivBytes: keyData.prefix(16))
        } catch {
            throw .badAESKey
        }
        self.receiveID = receiveID
    }

    /// `msg_signature`: SHA-1 of the four values sorted and joined, in lowercase hex.
    public func signature(timestamp: String, nonce: String, encrypted: String) -> String {
        let joined = [token, timestamp, nonce, encrypted].sorted().joined()
        return WebhookSupport.hex(Insecure.SHA1.hash(data: Data(joined.utf8)))
    }

    /// Checks a signature in constant time.
    public func verify(signature: String, timestamp: String, nonce: String, encrypted: String) -> Bool {
        WebhookSupport.constantTimeEqual(signature.lowercased(), self.signature(timestamp: timestamp, nonce: nonce, encrypted: encrypted))
    }

    /// Decrypts a Base64 ciphertext and checks that it was meant for this receive id.
    public func decrypt(_ encrypted: String) throws(WeComCryptoError) -> String {
        guard let ciphertext = Data(base64Encoded: encrypted), !ciphertext.isEmpty, ciphertext.count % 16 == 0 else {
            throw .badCiphertext
        }
        let padded: Data
        do {
            padded = try AES._CBC.decrypt(ciphertext, using: key, iv: iv, noPadding: true)
        } catch {
            throw .badCiphertext
        }
        let bytes = [UInt8](padded)
        guard let pad = bytes.last, (1...32).contains(Int(pad)), bytes.count >= Int(pad) + 20 else { throw .badPadding }
        let plain = bytes[..<(bytes.count - Int(pad))]
        let lengthStart = plain.startIndex + 16
        let length = plain[lengthStart..<(lengthStart + 4)].reduce(0) { $0 << 8 | Int($1) }
        let messageStart = lengthStart + 4
        guard length >= 0, messageStart + length <= plain.endIndex else { throw .badPadding }
        let message = plain[messageStart..<(messageStart + length)]
        let receiver = String(decoding: plain[(messageStart + length)...], as: UTF8.self)
        guard receiver == receiveID else { throw .wrongReceiveID }
        guard let text = String(bytes: message, encoding: .utf8) else { throw .badCiphertext }
        return text
    }

    /// Encrypts a reply: random 16 bytes, the length, the message and the receive id, padded to 32.
    public func encrypt(_ message: String, random: [UInt8]? = nil) throws(WeComCryptoError) -> String {
        var plain = random ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
        let body = Array(message.utf8)
        let length = UInt32(body.count)
        plain += [UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        plain += body
        plain += Array(receiveID.utf8)
        let pad = 32 - plain.count % 32
        plain += [UInt8](repeating: UInt8(pad), count: pad)
        do {
            return try AES._CBC.encrypt(plain, using: key, iv: iv, noPadding: true).base64EncodedString()
        } catch {
            throw .badCiphertext
        }
    }
}

/// Why a WeCom payload was refused; each is a one-line 401 reason.
public enum WeComCryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    case badAESKey
    case badCiphertext
    case badPadding
    case wrongReceiveID

    public var description: String {
        switch self {
        case .badAESKey: "the EncodingAESKey is not 43 characters of Base64 for a 32-byte key"
        case .badCiphertext: "the ciphertext cannot be decrypted"
        case .badPadding: "the decrypted message is malformed"
        case .wrongReceiveID: "the message is for another receive id"
        }
    }
}
