import Foundation
import GridCore
import GridStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Sign-in, and the merchant counter: a phone-sized page and a JSON API to look up and consume
/// vouchers and to read the settlement statement. Every route needs a signed-in merchant, and a
/// merchant only ever sees and consumes its own vouchers.
struct CounterController: Sendable {
    let store: SQLStore
    let sessions: WebSessions
    let pages: WebPages
    let counter: VoucherCounter
    let now: @Sendable () -> Date
    let logger: Logger

    func addRoutes(to router: Router<GridRequestContext>) {
        router.get("/login") { request, _ in loginPage(request, next: request.uri.queryParameters["next"].map(String.init)) }
        router.post("/login") { request, context in try await signIn(request, client: context.clientAddress) }
        router.post("/logout") { request, _ in
            let fields = try await formFields(request)
            try sessions.checkCSRF(request, submitted: fields[WebSessions.csrfField])
            try await sessions.signOut(request)
            return WebPages.redirect(to: "/login", cookies: [sessions.expiredSessionCookie(secure: WebSessions.isSecure(request))])
        }
        router.get("/counter") { request, _ in
            guard let merchant = try await merchant(request) else { return WebPages.redirect(to: "/login?next=/counter") }
            return try await counterPage(request, merchant: merchant)
        }
        router.post("/counter/lookup") { request, _ in try await counterAction(request, redeem: false) }
        router.post("/counter/redeem") { request, _ in try await counterAction(request, redeem: true) }
        router.get("/counter/statement") { request, _ in
            guard let merchant = try await merchant(request) else { return WebPages.redirect(to: "/login?next=/counter/statement") }
            let period = try period(request)
            let lines = try await statement(merchant, period)
            return pages.page(.statement, [
                "merchant": try await merchantName(merchant), "person": merchant.person.name,
                "from": period.first.description, "to": period.last.description, "lines": lines.map(Self.line), "totals": Self.line(Self.total(lines)),
                "empty": lines.isEmpty,
            ], for: request)
        }

        router.post("/api/v1/merchant/vouchers/lookup") { request, _ in
            let (merchant, body) = try await apiRequest(request)
            do {
                return try Self.json(VoucherJSON(try await counter.lookup(body.code, merchant: merchant.merchantCode)))
            } catch let problem as ServiceError {
                return try Self.json(ProblemJSON(problem), status: problem.status)
            }
        }
        router.post("/api/v1/merchant/vouchers/redeem") { request, _ in
            let (merchant, body) = try await apiRequest(request)
            do {
                return try Self.json(VoucherJSON(try await counter.redeem(body.code, merchant: merchant.merchantCode, by: merchant.person, now: now())))
            } catch let problem as ServiceError {
                return try Self.json(ProblemJSON(problem), status: problem.status)
            }
        }
        router.get("/api/v1/merchant/statement") { request, _ in
            guard let merchant = try await merchant(request) else { throw Self.unauthorized }
            let period = try period(request)
            let lines = try await statement(merchant, period)
            return try Self.json(StatementJSON(merchant: merchant.merchantCode, from: period.first.description, to: period.last.description, days: lines, total: Self.total(lines)))
        }
    }

    // MARK: Sign-in

    private func loginPage(_ request: Request, next: String?, error: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        pages.page(.login, ["next": Self.safeNext(next) ?? "", "error": error ?? ""], for: request, status: status)
    }

    /// Failed sign-ins an account may have within 15 minutes before it must wait.
    static let freeAccountFailures = 5
    /// Failed sign-ins one client address may have within 15 minutes (a shared office NAT).
    static let freeClientFailures = 20

    private func signIn(_ request: Request, client: String?) async throws -> Response {
        let fields = try await formFields(request)
        try sessions.checkCSRF(request, submitted: fields[WebSessions.csrfField])
        let account = (fields["account"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = fields["password"] ?? ""
        guard !account.isEmpty, !password.isEmpty else {
            return loginPage(request, next: fields["next"], error: "请输入账号和密码", status: .badRequest)
        }
        let moment = now()
        let keys = ["account:\(account.uppercased())"] + (client.map { ["client:\($0)"] } ?? [])
        for key in keys {
            if let wait = try await store.signInLockout(key: key, at: moment) {
                let seconds = Int(wait.rounded(.up))
                var response = loginPage(request, next: fields["next"], error: "尝试次数过多，请 \(seconds) 秒后再试", status: .tooManyRequests)
                response.headers[.retryAfter] = "\(seconds)"
                return response
            }
        }
        let found = try await store.signInAccount(person: account)
        // The same scrypt work whether or not the account exists: timing tells no account apart.
        let matches = (found?.1 ?? PasswordHash.unknownAccount).matches(password)
        guard let (person, _) = found, matches else {
            try await store.recordSignInFailure(key: keys[0], at: moment, free: Self.freeAccountFailures)
            if keys.count > 1 { try await store.recordSignInFailure(key: keys[1], at: moment, free: Self.freeClientFailures) }
            logger.info("sign-in refused", metadata: ["account": "\(account.prefix(32))", "client": "\(client ?? "-")"])
            // One message for an unknown account and a wrong password: no account probing.
            return loginPage(request, next: fields["next"], error: "账号或密码不正确", status: .unauthorized)
        }
        try await store.clearSignInFailures(key: keys[0])
        let landing = Self.safeNext(fields["next"]) ?? (person.role == .merchant ? "/counter" : "/")
        let cookie = try await sessions.signIn(person, client: client, secure: WebSessions.isSecure(request))
        return WebPages.redirect(to: landing, cookies: [cookie])
    }

    /// Only a path on this site (`/counter`), never `//elsewhere` or a full URL. Browsers drop tabs
    /// and line breaks anywhere in a URL and leading spaces and controls (`/\t/evil.example/` goes
    /// to evil.example), so those are removed first, and the path must resolve to this origin.
    static func safeNext(_ next: String?) -> String? {
        guard let next else { return nil }
        let cleaned = String(String.UnicodeScalarView(next.unicodeScalars.filter { $0 != "\t" && $0 != "\n" && $0 != "\r" }))
            .trimmingCharacters(in: CharacterSet(charactersIn: "\u{0}"..."\u{20}"))
        guard cleaned.hasPrefix("/"), !cleaned.hasPrefix("//"), !cleaned.contains("\\"),
              !cleaned.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        let site = URL(string: "https://gridbot.invalid/")
        guard let resolved = URL(string: cleaned, relativeTo: site)?.absoluteURL, resolved.host == "gridbot.invalid", resolved.scheme == "https" else {
            return nil
        }
        return cleaned
    }

    // MARK: The counter page

    struct MerchantPrincipal: Sendable {
        var person: Person
        var merchantCode: String
        var channel: Principal.Channel

        var principal: Principal { Principal(person: person, channel: channel) }
    }

    static let unauthorized = ServiceError(.unauthorized, message: "sign in first, or send Authorization: Bearer <token> (gridbot accounts token)")

    /// The signed-in merchant; nil when nobody is signed in; 403 for anyone who is not a merchant.
    private func merchant(_ request: Request) async throws -> MerchantPrincipal? {
        guard let principal = try await sessions.principal(of: request, allowed: { $0.role == .merchant && $0.merchantCode != nil },
                                                           forbidden: "the merchant counter is for merchants' staff only", page: "核销页面仅供商户店员使用。"),
              let code = principal.person.merchantCode else { return nil }
        return MerchantPrincipal(person: principal.person, merchantCode: code, channel: principal.channel)
    }

    private func merchantName(_ merchant: MerchantPrincipal) async throws -> String {
        try await store.readingPoints { tx in try await tx.merchantName(code: merchant.merchantCode) } ?? merchant.merchantCode
    }

    private func counterPage(
        _ request: Request, merchant: MerchantPrincipal, entered: String = "", voucher: Voucher? = nil, redeemed: Bool = false,
        problem: ServiceError? = nil
    ) async throws -> Response {
        let today = CalendarDay(now()).start()
        let todays = try await store.readingPoints { tx in
            try await tx.redemptions(merchant: merchant.merchantCode, from: today, to: today.addingTimeInterval(86_400))
        }
        var values: [String: Any] = [
            "merchant": try await merchantName(merchant), "person": merchant.person.name,
            "entered": entered, "today": todays.map { ["code": $0.code.description, "title": $0.offerTitle, "value": PointsWording.yuan($0.valueFen),
                                                       "time": VoucherCounter.moment($0.redeemedAt ?? today).suffix(5).description] },
            "todayCount": todays.count, "hasToday": !todays.isEmpty, "todayValue": PointsWording.yuan(todays.reduce(0) { $0 + $1.valueFen }),
        ]
        if let voucher {
            values["voucher"] = [
                "code": voucher.code.description, "title": voucher.offerTitle, "value": PointsWording.yuan(voucher.valueFen),
                "status": voucher.status.chineseName, "expires": VoucherCounter.moment(voucher.expiresAt),
                "redeemable": voucher.status == .issued && voucher.expiresAt > now(), "redeemed": redeemed,
            ] as [String: Any]
        }
        if let problem { values["problem"] = problem.message }
        return pages.page(.counter, values, for: request, status: problem?.status ?? .ok)
    }

    private func counterAction(_ request: Request, redeem: Bool) async throws -> Response {
        let fields = try await formFields(request)
        try sessions.checkCSRF(request, submitted: fields[WebSessions.csrfField])
        guard let merchant = try await merchant(request) else { return WebPages.redirect(to: "/login?next=/counter") }
        let entered = fields["code"] ?? ""
        do {
            let voucher = redeem
                ? try await counter.redeem(entered, merchant: merchant.merchantCode, by: merchant.person, now: now())
                : try await counter.lookup(entered, merchant: merchant.merchantCode)
            return try await counterPage(request, merchant: merchant, entered: redeem ? "" : entered, voucher: voucher, redeemed: redeem)
        } catch let problem as ServiceError {
            return try await counterPage(request, merchant: merchant, entered: entered, problem: problem)
        }
    }

    // MARK: The statement

    /// The statement's period; by default this month so far.
    private func period(_ request: Request) throws -> DayPeriod {
        let today = CalendarDay(now())
        return try DayPeriod(request, now: now()) { _ in CalendarDay(year: today.year, month: today.month, day: 1) }
    }

    private func statement(_ merchant: MerchantPrincipal, _ period: DayPeriod) async throws -> [StatementLine] {
        try await store.readingPoints { tx in try await tx.statement(merchant: merchant.merchantCode, from: period.from, to: period.to) }
    }

    static func total(_ lines: [StatementLine]) -> StatementLine {
        lines.reduce(StatementLine(day: "合计", vouchers: 0, points: 0, valueFen: 0)) {
            StatementLine(day: $0.day, vouchers: $0.vouchers + $1.vouchers, points: $0.points + $1.points, valueFen: $0.valueFen + $1.valueFen)
        }
    }

    static func line(_ line: StatementLine) -> [String: Any] {
        ["day": line.day, "vouchers": line.vouchers, "points": line.points, "value": PointsWording.yuan(line.valueFen)]
    }

    // MARK: JSON

    struct CodeBody: Decodable {
        var code: String
    }

    /// A JSON API call: the merchant (401 without one; a cookie session must pass the CSRF check)
    /// and its `{"code": …}` body (400 with what was wrong).
    private func apiRequest(_ request: Request) async throws -> (MerchantPrincipal, CodeBody) {
        guard let merchant = try await merchant(request) else { throw Self.unauthorized }
        try sessions.checkAPICall(request, by: merchant.principal)
        return (merchant, try await jsonBody(CodeBody.self, request, example: #"{"code": "ABCDE-FGHJK-Q"} (a voucher code or a scanned QR payload)"#))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }

    struct VoucherJSON: Encodable {
        var code: String
        var offer: String
        var title: String
        var merchant: String
        var valueFen: Int64
        var points: Int64
        var status: String
        var expiresAt: Date
        var redeemedAt: Date?

        init(_ voucher: Voucher) {
            code = voucher.code.description
            offer = voucher.offerCode
            title = voucher.offerTitle
            merchant = voucher.merchantCode
            valueFen = voucher.valueFen
            points = voucher.points
            status = voucher.status.rawValue
            expiresAt = voucher.expiresAt
            redeemedAt = voucher.redeemedAt
        }
    }

    struct ProblemJSON: Encodable {
        var error: String
        var message: String

        init(_ problem: ServiceError) {
            error = problem.code
            message = problem.message
        }
    }

    struct StatementJSON: Encodable {
        var merchant: String
        var from: String
        var to: String
        var days: [StatementLine]
        var total: StatementLine
    }
}
