import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// A browser's cookie jar over the test client: keeps what `Set-Cookie` sets and sends it back.
public final class Browser: @unchecked Sendable {
    public let client: any TestClientProtocol
    public private(set) var cookies: [String: String] = [:]

    /// A browser with no cookies yet.
    public init(_ client: any TestClientProtocol) {
        self.client = client
    }

    /// Sets a cookie by hand (a cookie copied from another browser, as a thief would).
    public func setCookie(_ name: String, _ value: String) {
        cookies[name] = value
    }

    /// Gets a page.
    @discardableResult
    public func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(uri, method: .get, headers: headers, body: nil)
    }

    /// Posts a form, adding the page's CSRF token unless told not to.
    @discardableResult
    public func post(_ uri: String, form: [String: String], csrf: String?) async throws -> TestResponse {
        var fields = form
        if let csrf { fields["csrf"] = csrf }
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await send(uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
    }

    /// Sends a request with the cookies held, keeping the ones the answer sets.
    public func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: String?) async throws -> TestResponse {
        var headers = headers
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        for value in response.headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let cookie = pair.count > 1 ? String(pair[1]) : ""
            if value.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = cookie }
        }
        return response
    }

    /// The CSRF token of the last page, from its hidden form field.
    public static func csrf(in response: TestResponse) -> String? {
        String(buffer: response.body).firstMatch(of: #/name="csrf" value="([^"]+)"/#).map { String($0.output.1) }
    }

    /// Signs in through the login form.
    public func signIn(_ account: String, _ password: String) async throws -> TestResponse {
        let page = try await get("/login")
        return try await post("/login", form: ["account": account, "password": password], csrf: Self.csrf(in: page))
    }
}

extension TestResponse {
    /// The body as text.
    public var text: String { String(buffer: body) }
}
