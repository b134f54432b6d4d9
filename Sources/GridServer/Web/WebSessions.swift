import Crypto
import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird
import NIOCore

/// Who is making a request: a signed-in person, by session cookie or API token.
struct Principal: Sendable {
    enum Channel: Sendable {
        /// A browser session: forms and cookie-authenticated API calls must pass the CSRF check.
        case session
        /// `Authorization: Bearer gbt_…`: a program; no cookies, so no CSRF.
        case apiToken
    }

    var person: Person
    var channel: Channel
}

/// Sessions (a random token in a cookie, its digest on the server), API tokens, and CSRF tokens
/// for the web pages and the JSON API.
///
/// CSRF uses the double-submit pattern bound to a server secret: a random nonce lives in an
/// HttpOnly, SameSite=Strict cookie and every form (or the `X-CSRF-Token` header) carries the
/// HMAC of that nonce. Another site can make a browser send the cookie but cannot read it or
/// compute the HMAC.
struct WebSessions: Sendable {
    let store: SQLStore
    let key: SymmetricKey
    let lifetime: TimeInterval
    let now: @Sendable () -> Date

    static let sessionCookie = "gridbot_session"
    static let csrfCookie = "gridbot_csrf"
    static let csrfField = "csrf"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    /// The person behind a request, or nil when nobody is signed in (or the session expired, or
    /// the token is unknown or revoked).
    func principal(of request: Request) async throws -> Principal? {
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            let token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            guard let person = try await store.person(apiToken: token) else { return nil }
            return Principal(person: person, channel: .apiToken)
        }
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty,
              let person = try await store.sessionPerson(token: token, at: now()) else { return nil }
        return Principal(person: person, channel: .session)
    }

    /// Opens a session for a person and returns the cookie that carries it.
    func signIn(_ person: Person, client: String?, secure: Bool) async throws -> Cookie {
        let moment = now()
        let token = try await store.openSession(person: person.code, client: client, at: moment, expiresAt: moment.addingTimeInterval(lifetime))
        return Cookie(name: Self.sessionCookie, value: token, maxAge: Int(lifetime), path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// Ends the request's session, if it has one, on every instance.
    func signOut(_ request: Request) async throws {
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else { return }
        try await store.closeSession(token: token, at: now())
    }

    /// The cookie that signs out.
    func expiredSessionCookie(secure: Bool) -> Cookie {
        Cookie(name: Self.sessionCookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The request's CSRF nonce, or a new one with the cookie that sets it.
    func csrfNonce(of request: Request, secure: Bool) -> (nonce: String, cookie: Cookie?) {
        if let nonce = request.cookies[Self.csrfCookie]?.value, nonce.count >= 16 { return (nonce, nil) }
        let nonce = Nonce.random()
        return (nonce, Cookie(name: Self.csrfCookie, value: nonce, path: "/", secure: secure, httpOnly: true, sameSite: .strict))
    }

    /// The token forms carry for a nonce.
    func csrfToken(nonce: String) -> String {
        hmacBase64URL("csrf.\(nonce)", key: key)
    }

    /// The signed-in person if `allowed`; nil when nobody is signed in; 403 (saying why) for a
    /// person who is signed in but may not use the route.
    func principal(of request: Request, allowed: (Person) -> Bool, forbidden reason: String, page: String) async throws -> Principal? {
        guard let principal = try await principal(of: request) else { return nil }
        guard allowed(principal.person) else { throw ServiceError(.forbidden, message: reason, page: page) }
        return principal
    }

    /// A JSON API call that changes something: a browser session must send its CSRF token in
    /// `X-CSRF-Token`; a program with an API token sends no cookies and needs none.
    func checkAPICall(_ request: Request, by principal: Principal) throws {
        if principal.channel == .session { try checkCSRF(request, submitted: nil) }
    }

    /// Refuses a state-changing browser request whose CSRF token does not match its cookie.
    func checkCSRF(_ request: Request, submitted: String?) throws {
        guard let nonce = request.cookies[Self.csrfCookie]?.value,
              let token = submitted ?? request.headers[Self.csrfHeader],
              constantTimeEqual(csrfToken(nonce: nonce), token) else {
            throw ServiceError(.forbidden, code: "stale_form", message: "the form's security token is missing or stale; reload the page and try again", page: "页面已过期或安全校验未通过，请刷新页面后重试。")
        }
    }

    /// Whether the request reached us over HTTPS (directly or through a proxy that says so), so
    /// cookies are marked Secure.
    static func isSecure(_ request: Request) -> Bool {
        request.uri.scheme == .https || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}

/// Server-rendered pages from `templates/web`.
struct WebPages: Sendable {
    let replies: ChatReplies
    let sessions: WebSessions

    /// An HTML page answering `request`; `status` for pages that report a refusal. Every page
    /// has a form (sign-in, sign-out, actions), so every page gets the CSRF token as `csrf`,
    /// setting the request's CSRF cookie when it has none yet.
    func page(_ template: WebTemplate, _ values: [String: Any], for request: Request, status: HTTPResponse.Status = .ok) -> Response {
        let (nonce, cookie) = sessions.csrfNonce(of: request, secure: WebSessions.isSecure(request))
        var values = Self.droppingEmptyText(values)
        values["title"] = values["title"] ?? template.title
        values[WebSessions.csrfField] = sessions.csrfToken(nonce: nonce)
        // A fresh nonce per page: only the page's own <script nonce="…"> runs, never a script
        // injected into its text.
        let scriptNonce = Nonce.random()
        values["scriptNonce"] = scriptNonce
        let html = replies.library.render(values, withTemplate: template.rawValue) ?? ""
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        // The pages load nothing from elsewhere and run only their own inline script.
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'self'; script-src 'self' 'nonce-\(scriptNonce)'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        var response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
        if let cookie { response.setCookie(cookie) }
        return response
    }

    /// The values without empty strings, at every depth: Mustache renders a section for any
    /// string, even an empty one, and the templates use `{{#problem}}…{{/problem}}` for "if set".
    /// A dropped key inside a list item falls back to the page's value of the same name, so
    /// list items use names the page itself does not (`actorRole`, not `role`).
    static func droppingEmptyText(_ values: [String: Any]) -> [String: Any] {
        func clean(_ value: Any) -> Any? {
            switch value {
            case let text as String: text.isEmpty ? nil : text
            case let dictionary as [String: Any]: droppingEmptyText(dictionary)
            case let list as [[String: Any]]: list.map(droppingEmptyText)
            default: value
            }
        }
        return values.compactMapValues(clean)
    }

    /// A redirect after a form (303 See Other).
    static func redirect(to location: String, cookies: [Cookie] = []) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }
}

/// The web page templates; all must exist at start.
enum WebTemplate: String, CaseIterable, Sendable {
    case login = "web/login"
    case counter = "web/counter"
    case statement = "web/statement"
    case consoleHeader = "web/console_header"
    case reports = "web/reports"
    case report = "web/report"
    case triage = "web/triage"
    case dashboard = "web/dashboard"
    case map = "web/map"
    case care = "web/care"
    case admin = "web/admin"
    case error = "web/error"
    case voucher = "web/voucher"

    /// The page's title.
    var title: String {
        switch self {
        case .login: "登录"
        case .counter: "兑换券核销"
        case .statement: "结算对账单"
        case .consoleHeader, .reports: "工单"
        case .report: "工单详情"
        case .triage: "待甄别"
        case .dashboard: "统计"
        case .map: "网格地图"
        case .care: "关爱台账"
        case .admin: "社区管理"
        case .error: "出错了"
        case .voucher: "兑换券"
        }
    }
}

/// Reads an `application/x-www-form-urlencoded` body.
func formFields(_ request: Request, limit: Int = 16 * 1024) async throws -> [String: String] {
    var request = request
    let text = String(buffer: try await request.collectBody(upTo: limit))
    do {
        return try URLEncodedFormDecoder().decode([String: String].self, from: text)
    } catch {
        throw ServiceError(.badRequest, message: "the form could not be read; reload the page and try again", page: "表单内容无法读取，请刷新页面后重试。")
    }
}

/// `name=value&…` as flat names and values, percent-decoded; `+` is a space in form bodies.
func urlEncodedPairs(_ text: String, plusIsSpace: Bool) -> [String: String] {
    func decode(_ part: Substring) -> String {
        let text = plusIsSpace ? part.replacingOccurrences(of: "+", with: " ") : String(part)
        return text.removingPercentEncoding ?? text
    }
    var pairs: [String: String] = [:]
    for pair in text.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard let name = parts.first.map(decode), !name.isEmpty else { continue }
        pairs[name] = parts.count > 1 ? decode(parts[1]) : ""
    }
    return pairs
}

/// Reads a JSON body, or refuses it with 400 showing what to send.
func jsonBody<T: Decodable>(_ type: T.Type, _ request: Request, example: String, limit: Int = 16 * 1024) async throws -> T {
    var request = request
    let buffer = try await request.collectBody(upTo: limit)
    do {
        return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
    } catch {
        throw ServiceError(.badRequest, message: "send a JSON body like \(example)")
    }
}
