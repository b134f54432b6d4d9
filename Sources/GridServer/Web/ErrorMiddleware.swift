import Hummingbird
import HTTPTypes
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Maps errors to HTTP in one place. A `ServiceError` (a client error that says what was wrong)
/// is answered as JSON, or, to a browser, as a Chinese page in the site's style with a link back;
/// Hummingbird's own `HTTPError` becomes one; a body the HTTP parser cannot read (a bad chunk
/// size, a body cut short) is the client's 400; anything else is logged with the route and
/// becomes a bare 500 that leaks nothing.
///
/// It also refuses, before any handler reads a byte, a request whose `Content-Length` is larger
/// than any route accepts.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body any route reads (forms and webhooks take at most 64 KiB).
    static var maxContentLength: Int { 1 << 20 }

    let logger: Logger
    /// The templates the browser's error page is rendered from.
    let replies: ChatReplies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            if let length = request.headers[.contentLength], Int(length).map({ $0 > Self.maxContentLength }) ?? true {
                throw ServiceError(.contentTooLarge, message: "the body is larger than \(Self.maxContentLength) bytes")
            }
            return try await next(request, context)
        } catch let error as ServiceError {
            if let cause = error.cause { logger.info("request refused", metadata: ["http.route": "\(context.endpointPath ?? "unmatched")", "error": "\(cause)"]) }
            return try answer(error, to: request, context: context)
        } catch let error as HTTPError {
            return try answer(ServiceError(error.status, message: error.body ?? error.status.reasonPhrase, headers: error.headers), to: request, context: context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch let error as HTTPParserError {
            return try answer(ServiceError(.badRequest, message: "the request cannot be read: \(error)"), to: request, context: context)
        } catch {
            logger.error("request failed", metadata: [
                "http.method": "\(request.method)",
                "http.route": "\(context.endpointPath ?? "unmatched")",
                "error": "\(String(reflecting: error))",
            ])
            return try answer(ServiceError(.internalServerError, message: "internal error"), to: request, context: context)
        }
    }

    /// JSON for programs; a page for a browser, which asks for HTML.
    private func answer(_ error: ServiceError, to request: Request, context: Context) throws -> Response {
        guard Self.isBrowser(request) else { return try error.response(from: request, context: context) }
        let values: [String: Any] = [
            "title": WebTemplate.error.title, "heading": Self.heading(for: error.status), "message": error.pageText,
            "back": Self.way(back: request), "signIn": error.status == .unauthorized,
        ]
        let html = replies.library.render(values, withTemplate: WebTemplate.error.rawValue) ?? error.pageText
        var headers = error.headers
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Whether a person's browser sent the request: it asks for HTML first.
    static func isBrowser(_ request: Request) -> Bool {
        guard let accept = request.headers[.accept] else { return false }
        return accept.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).hasPrefix("text/html") } ?? false
    }

    /// Where the page's link goes: the page the person came from on this site, else the start
    /// of the part of the site they were in.
    static func way(back request: Request) -> String {
        if let referer = request.headers[.referer], let url = URL(string: referer), url.host == request.head.authority?.split(separator: ":").first.map(String.init) {
            let path = url.path.isEmpty ? "/" : url.path
            return path + (url.query.map { "?" + $0 } ?? "")
        }
        let path = request.uri.path
        for section in ["/console", "/counter", "/admin", "/dashboard", "/triage"] where path.hasPrefix(section) { return section }
        return "/"
    }

    static func heading(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 401, 403: "无法访问"
        case 404: "没有找到"
        case 500..<600: "服务出错"
        default: "无法完成"
        }
    }
}

/// Headers every answer carries, errors included: `X-Content-Type-Options: nosniff`, so a JSON
/// error that echoes input is never read by a browser as HTML or script.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return response
    }
}
