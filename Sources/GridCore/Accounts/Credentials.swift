import Crypto
import CryptoExtras
import Foundation

/// A password stored as an scrypt hash: `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64). Never
/// the password, never a bare digest: scrypt is slow and memory-hard on purpose, so a stolen
/// table cannot be guessed through quickly.
public struct PasswordHash: Sendable, Equatable, CustomStringConvertible {
    public var logN: Int
    public var blockSize: Int
    public var parallelism: Int
    public var salt: Data
    public var hash: Data

    /// N = 2^15 with r = 8: 32 MiB and about 0.1 s per check. OWASP suggests 2^17 where memory
    /// allows; small community servers often do not. Each stored hash carries its parameters, so
    /// they can be raised later without invalidating existing passwords.
    public static let defaultLogN = 15
    /// The lowest cost a stored hash may have (2^10).
    public static let minimumLogN = 10

    /// Hashes a new password with a fresh random salt.
    public static func make(_ password: String, logN: Int = defaultLogN) throws -> PasswordHash {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        return PasswordHash(logN: logN, blockSize: 8, parallelism: 1, salt: salt,
                            hash: try derive(password, salt: salt, logN: logN, blockSize: 8, parallelism: 1))
    }

    init(logN: Int, blockSize: Int, parallelism: Int, salt: Data, hash: Data) {
        self.logN = logN
        self.blockSize = blockSize
        self.parallelism = parallelism
        self.salt = salt
        self.hash = hash
    }

    /// Reads a stored hash; nil when it is not one.
    public init?(stored text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), (Self.minimumLogN...20).contains(logN),
              let blockSize = Int(parts[2]), (1...32).contains(blockSize), let parallelism = Int(parts[3]), (1...16).contains(parallelism),
              let salt = Data(base64Encoded: parts[4]), let hash = Data(base64Encoded: parts[5]), hash.count == 32 else { return nil }
        self.init(logN: logN, blockSize: blockSize, parallelism: parallelism, salt: salt, hash: hash)
    }

    public var description: String {
        "scrypt$\(logN)$\(blockSize)$\(parallelism)$\(salt.base64EncodedString())$\(hash.base64EncodedString())"
    }

    /// A hash no password matches, at the full cost: checked for an account that does not exist,
    /// so a sign-in takes as long either way.
    public static let unknownAccount: PasswordHash = {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        let hash = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return PasswordHash(logN: defaultLogN, blockSize: 8, parallelism: 1, salt: salt, hash: hash)
    }()

    /// Whether a password matches, compared in constant time.
    public func matches(_ password: String) -> Bool {
        guard let candidate = try? Self.derive(password, salt: salt, logN: logN, blockSize: blockSize, parallelism: parallelism) else { return false }
        return constantTimeEqual(candidate, hash)
    }

    static func derive(_ password: String, salt: Data, logN: Int, blockSize: Int, parallelism: Int) throws -> Data {
        let key = try KDF.Scrypt.deriveKey(from: Data(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << logN,
                                           blockSize: blockSize, parallelism: parallelism, maxMemory: 64 * 1024 * 1024)
        return key.withUnsafeBytes { Data($0) }
    }
}

/// Random one-time values: CSRF nonces, script nonces, form keys.
public enum Nonce {
    /// 128 random bits in base64url.
    public static func random() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }.base64URL
    }
}

/// API tokens for programs (a merchant's till): random, shown once, stored only as a SHA-256
/// digest (a 256-bit random token needs no slow hash).
public enum APIToken {
    /// A new token: `gbt_` and 43 base64url characters.
    public static func make() -> String {
        "gbt_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64URL
    }

    /// What is stored for a token.
    public static func digest(_ token: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(token.utf8)))
    }
}

/// HMAC-SHA256 of a text in base64url, truncated to `bytes` where a shorter tag will do.
public func hmacBase64URL(_ text: String, key: SymmetricKey, bytes: Int = 32) -> String {
    Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key).prefix(bytes)).base64URL
}

/// Compares two byte sequences without stopping at the first difference.
public func constantTimeEqual<A: Sequence<UInt8>, B: Sequence<UInt8>>(_ a: A, _ b: B) -> Bool {
    let left = Array(a), right = Array(b)
    guard left.count == right.count else { return false }
    return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
}

/// Compares two strings without stopping at the first difference.
public func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    constantTimeEqual(a.utf8, b.utf8)
}

extension Data {
    /// Base64url without padding.
    public var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public init?(base64URL text: String) {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        self.init(base64Encoded: standard)
    }
}
