import GridStore
import Hummingbird

/// `GET /healthz`: whether the service can reach its database.
struct HealthController: Sendable {
    let database: GridDatabase

    struct Health: ResponseEncodable {
        var status: String
        var database: String
    }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/healthz") { _, _ -> EditedResponse<Health> in
            do {
                try await database.ping()
                return EditedResponse(status: .ok, response: Health(status: "ok", database: database.backend.rawValue))
            } catch {
                return EditedResponse(status: .serviceUnavailable, response: Health(status: "unavailable", database: database.backend.rawValue))
            }
        }
    }
}
