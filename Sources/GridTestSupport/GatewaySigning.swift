import Crypto
import Foundation
import GridCore
import HTTPTypes

/// Requests to the generic gateway webhook, signed by its documented algorithm: hex
/// HMAC-SHA256(secret, timestamp + "\n" + body), as `X-GridBot-Signature: v1=…`.
public enum GatewaySigning {
    /// The demo seed's generic-gateway secret.
    public static let demoSecret = "demo-generic-secret"

    /// The headers a gateway sends with `body` at `date`.
    public static func headers(_ body: String, secret: String = demoSecret, at date: Date = Date()) -> HTTPFields {
        let timestamp = String(Int(date.timeIntervalSince1970))
        let mac = HMAC<SHA256>.authenticationCode(for: Data((timestamp + "\n" + body).utf8), using: SymmetricKey(data: Data(secret.utf8)))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("X-GridBot-Timestamp")!] = timestamp
        headers[HTTPField.Name("X-GridBot-Signature")!] = "v1=" + Hex.lowercase(mac)
        return headers
    }
}
