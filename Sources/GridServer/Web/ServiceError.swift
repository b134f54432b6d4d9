import Foundation
import HTTPTypes
import Hummingbird

/// The one error type HTTP answers are made from: a status, a stable code programs can switch
/// on, a message saying what was wrong and how to put it right, the sentence a person reads on
/// the browser page, and the cause behind it (logged, never shown). `ErrorMiddleware` renders it
/// as JSON for APIs and webhooks and as a Chinese page with a way back for browsers; Open311
/// maps it to its spec's error list.
public struct ServiceError: Error, Sendable, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// Stable and machine-readable: `forbidden`, `not_found`, `stale_form`, `already_redeemed`…
    public var code: String
    /// For API clients and logs: what was wrong and how to fix it.
    public var message: String
    /// For a person in a browser, in Chinese; nil uses the status's own sentence.
    public var page: String?
    public var headers: HTTPFields
    /// What went wrong underneath, for the log.
    public var cause: (any Error & Sendable)?

    /// An error with a status, a message, and optionally its code, page sentence and cause.
    public init(
        _ status: HTTPResponse.Status, code: String? = nil, message: String, page: String? = nil, headers: HTTPFields = [:],
        cause: (any Error & Sendable)? = nil
    ) {
        self.status = status
        self.code = code ?? Self.code(for: status)
        self.message = message
        self.page = page
        self.headers = headers
        self.cause = cause
    }

    /// An error whose code and message are given by name (the counter's shape).
    public init(status: HTTPResponse.Status, code: String, message: String) {
        self.init(status, code: code, message: message, page: message)
    }

    /// A form filled in wrongly: the sentence says which field and how, to API and page alike.
    public static func form(_ sentence: String) -> ServiceError {
        ServiceError(.badRequest, code: "invalid_form", message: sentence, page: sentence)
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// The sentence for the browser page.
    public var pageText: String {
        page ?? Self.sentence(for: status)
    }

    /// The JSON answer: `{"error": {"code": …, "message": …}}`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(Body(error: .init(code: code, message: message)), from: request, context: context)
        response.status = status
        response.headers.append(contentsOf: headers)
        return response
    }

    private struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }

        var error: Detail
    }

    /// The code a status stands for when none is given (`bad_request`, `not_found`).
    static func code(for status: HTTPResponse.Status) -> String {
        status.reasonPhrase.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce(into: "") { $0.append($1) }
    }

    /// What a person is told for a status when the error has no sentence of its own.
    static func sentence(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "请求的内容不完整或格式不对，请返回重试。"
        case 401: "请先登录。"
        case 403: "您没有权限进行这个操作。"
        case 404: "没有找到这个页面或记录。"
        case 409: "记录刚刚有变化，请刷新后重试。"
        case 413: "提交的内容太大了。"
        case 429: "操作太频繁了，请稍后再试。"
        case 500..<600: "服务暂时出了问题，请稍后再试。"
        default: "无法完成这个请求。"
        }
    }
}
