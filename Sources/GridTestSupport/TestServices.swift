import Foundation
import GridServer
import Logging

/// Services over a fresh database with the demo community, as each test starts from.
public enum TestServices {
    /// The demo community on `backend`, with the project's templates; `configure` changes the
    /// configuration first.
    public static func demo(_ backend: TestBackend, configure: (inout AppConfiguration) -> Void = { _ in }) async throws -> GridBotServices {
        var configuration = AppConfiguration()
        configuration.database = try await backend.makeLocation()
        configuration.seedFile = packageRoot.appendingPathComponent("seeds/demo-community.seed").path
        configuration.templatesDirectory = packageRoot.appendingPathComponent("templates").path
        // The demo's passwords need no full-cost hashes; each test loads the seed anew.
        configuration.lightPasswordHashing = true
        configure(&configuration)
        return try await prepareServices(configuration, logger: Logger(label: "test"))
    }
}
