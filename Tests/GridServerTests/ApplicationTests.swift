import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite struct ApplicationTests {
    static func configuration(_ location: DatabaseLocation, seed: String? = "seeds/demo-community.seed") -> AppConfiguration {
        var configuration = AppConfiguration()
        configuration.lightPasswordHashing = true
        configuration.database = location
        configuration.seedFile = seed.map { packageRoot.appendingPathComponent($0).path }
        configuration.port = 0
        return configuration
    }

    @Test(arguments: TestBackend.allCases)
    func firstStartMigratesAndLoadsTheDemoCommunity(backend: TestBackend) async throws {
        let services = try await prepareServices(Self.configuration(try await backend.makeLocation()), logger: Logger(label: "test"))
        #expect(try await services.store.counts().buildings == 46)
        let app = buildApplication(services)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains("\"status\":\"ok\""))
                #expect(body.contains("\"database\":\"\(backend.rawValue)\""))
            }
        }
    }

    @Test func aDatabaseWithACommunityIsNotSeededAgain() async throws {
        let location = try await TestBackend.sqlite.makeLocation()
        let logger = Logger(label: "test")
        let first = try await prepareServices(Self.configuration(location), logger: logger)
        try await first.database.shutdown()
        // A second start with a seed that would fail proves the seed is not read at all.
        let second = try await prepareServices(Self.configuration(location, seed: "does-not-exist.seed"), logger: logger)
        #expect(try await second.store.counts().buildings == 46)
        try await second.database.shutdown()
    }

    @Test func aBadSeedFileFailsTheStartAndWritesNothing() async throws {
        let folder = TestFolders.fresh("bad-seed")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let seedPath = folder.appendingPathComponent("bad.seed").path
        try "street code=S name=x\ncommunity code=C name=c street=S\ngrid code=G name=g community=C\nbuilding code=1 grid=NOPE units=1 floors=1\n"
            .write(toFile: seedPath, atomically: true, encoding: .utf8)
        let location = DatabaseLocation.sqlite(path: folder.appendingPathComponent("g.sqlite").path)
        var configuration = Self.configuration(location)
        configuration.seedFile = seedPath
        await #expect {
            try await prepareServices(configuration, logger: Logger(label: "test"))
        } throws: { error in
            let seedError = error as? SeedError
            return seedError?.line == 4 && seedError?.field == "grid"
        }
        configuration.seedFile = nil
        let services = try await prepareServices(configuration, logger: Logger(label: "test"))
        #expect(try await services.store.isEmpty())
        try await services.database.shutdown()
    }

    @Test func unknownRoutesAreA404() async throws {
        let services = try await prepareServices(Self.configuration(try await TestBackend.sqlite.makeLocation(), seed: nil), logger: Logger(label: "test"))
        try await buildApplication(services).test(.router) { client in
            try await client.execute(uri: "/no-such-page", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
