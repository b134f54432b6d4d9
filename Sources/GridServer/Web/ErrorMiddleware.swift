import Hummingbird
import HTTPTypes
import Logging
import NIOHTTP1

/// Maps errors to HTTP in one place: an `HTTPError` (a client error that says what was wrong)
/// passes through; a body the HTTP parser cannot read (a bad chunk size, a body cut short) is the
/// client's 400; anything else is logged with the route and becomes a bare 500 that leaks nothing.
///
/// It also refuses, before any handler reads a byte, a request whose `Content-Length` is larger
/// than any route accepts.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body any route reads (forms and webhooks take at most 64 KiB).
    static var maxContentLength: Int { 1 << 20 }

    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength], Int(length).map({ $0 > Self.maxContentLength }) ?? true {
            throw HTTPError(.contentTooLarge, message: "the body is larger than \(Self.maxContentLength) bytes")
        }
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch let error as HTTPParserError {
            throw HTTPError(.badRequest, message: "the request cannot be read: \(error)")
        } catch {
            logger.error("request failed", metadata: [
                "http.method": "\(request.method)",
                "http.route": "\(context.endpointPath ?? "unmatched")",
                "error": "\(String(reflecting: error))",
            ])
            throw HTTPError(.internalServerError, message: "internal error")
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
