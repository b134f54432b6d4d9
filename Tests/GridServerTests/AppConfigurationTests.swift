import GridServer
import GridStore
import Logging
import Testing

@Suite struct AppConfigurationTests {
    @Test func defaultsServeTheEmbeddedDatabaseOnLoopback() throws {
        let configuration = try AppConfiguration.resolve(flags: [:], environment: [:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.database == .sqlite(path: "data/gridbot.sqlite"))
        #expect(configuration.seedFile == "seeds/demo-community.seed")
        #expect(configuration.logLevel == .info)
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverDefaults() throws {
        let environment = ["GRIDBOT_PORT": "9000", "GRIDBOT_HOST": "0.0.0.0", "GRIDBOT_LOG_LEVEL": "debug"]
        let configuration = try AppConfiguration.resolve(flags: [.port: "9100"], environment: environment)
        #expect(configuration.port == 9100)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.logLevel == .debug)
    }

    @Test func databaseTakesAPathOrAPostgresURL() throws {
        let postgres = try AppConfiguration.resolve(flags: [.database: "postgres://u:p@db.local:5432/grid"], environment: [:])
        #expect(postgres.database == .postgres(url: "postgres://u:p@db.local:5432/grid"))
        #expect(postgres.database.description == "postgres://u:***@db.local:5432/grid", "passwords never reach logs")
        let sqlite = try AppConfiguration.resolve(flags: [:], environment: ["GRIDBOT_DATABASE": "/var/lib/gridbot/g.sqlite"])
        #expect(sqlite.database == .sqlite(path: "/var/lib/gridbot/g.sqlite"))
        #expect(try AppConfiguration.resolve(flags: [.seed: "none"], environment: [:]).seedFile == nil)
    }

    @Test(arguments: [
        (AppConfiguration.Key.port, "eighty", "--port"),
        (.port, "70000", "--port"),
        (.logLevel, "loud", "--log-level"),
        (.database, "mysql://x@y/z", "--database"),
        (.database, "postgres://", "--database"),
        (.host, "", "--host"),
    ])
    func badValuesFailNamingTheKey(key: AppConfiguration.Key, value: String, named: String) {
        #expect {
            try AppConfiguration.resolve(flags: [key: value], environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == named
        }
    }

    @Test func badEnvironmentValuesNameTheVariable() {
        #expect {
            try AppConfiguration.resolve(flags: [:], environment: ["GRIDBOT_PORT": "-1"])
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.key == "GRIDBOT_PORT" && error?.description.contains("'-1' is not a port number") == true
        }
    }
}
