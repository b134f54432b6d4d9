import Hummingbird
import Logging

/// Maps errors to HTTP in one place: an `HTTPError` (a client error that says what was wrong)
/// passes through; anything else is logged with the route and becomes a bare 500 that leaks nothing.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
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
