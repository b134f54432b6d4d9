import Foundation
import Hummingbird
import NIOCore

/// `GET /openapi.json`: the OpenAPI document of GridBot's own API, as bundled.
struct OpenAPIController: Sendable {
    static func document() throws -> ByteBuffer {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw ConfigurationError(key: "openapi.json", message: "the bundled OpenAPI document is missing")
        }
        return ByteBuffer(data: try Data(contentsOf: url))
    }

    let document: ByteBuffer

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .accessControlAllowOrigin: "*"], body: .init(byteBuffer: document))
        }
    }
}
