import Foundation
import GridServer
import GridStore
import GridTestSupport
import Logging
import Synchronization
import Testing

/// What an operator runs: the systemd unit, backup and restore from the command line, dry runs
/// of migrations and retention, and logs as JSON.
@Suite(.serialized) struct DeploymentTests {
    /// `systemd-analyze verify` passes the unit where systemd is installed (with the binary it
    /// starts pointed at the one just built, which verify insists exists).
    @Test func theSystemdUnitVerifies() throws {
        let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let unit = try String(contentsOf: packageRoot.appendingPathComponent("deploy/gridbot.service"), encoding: .utf8)
        for setting in ["Restart=on-failure", "User=gridbot", "EnvironmentFile=", "KillSignal=SIGTERM", "ProtectSystem=strict", "ReadWritePaths=/var/lib/gridbot",
                        "NoNewPrivileges=true"] {
            #expect(unit.contains(setting), "the unit has \(setting)")
        }
        let environment = try String(contentsOf: packageRoot.appendingPathComponent("deploy/gridbot.env"), encoding: .utf8)
        for line in environment.split(separator: "\n") where !line.hasPrefix("#") {
            let key = String(line.split(separator: "=").first ?? "")
            #expect(AppConfiguration.Key.allCases.contains { $0.environmentName == key }, "\(key) is a setting gridbot reads")
        }
        guard let analyze else {
            print("DeploymentTests: systemd-analyze is not installed; the unit's syntax check is skipped")
            return
        }
        let folder = TestFolders.fresh("unit")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let copy = folder.appendingPathComponent("gridbot.service")
        try unit.replacingOccurrences(of: "/opt/gridbot/bin/gridbot", with: CommandLineTests.executable.path).write(to: copy, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = ["verify", copy.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "systemd-analyze verify: \(text)")
        #expect(!text.contains("gridbot.service:"), "no warning about the unit: \(text)")
    }

    /// Backup, restore, migrate --dry-run and purge --dry-run as an operator runs them.
    @Test func anOperatorBacksUpRestoresAndDryRuns() throws {
        let folder = TestFolders.fresh("operator")
        let database = folder.appendingPathComponent("data/gridbot.sqlite").path
        let fresh = try CommandLineTests.run(["migrate", "--dry-run", "--database", database])
        #expect(fresh.status == 0 && fresh.output.contains("all \(Migrator.all.count) migrations would be applied"), "\(fresh.output)\(fresh.errors)")
        #expect(!FileManager.default.fileExists(atPath: database), "a dry run creates nothing")
        #expect(try CommandLineTests.run(["seed", "seeds/demo-community.seed", "--database", database, "--light-password-hashing"]).status == 0)
        let upToDate = try CommandLineTests.run(["migrate", "--dry-run", "--database", database])
        #expect(upToDate.output.contains("nothing to apply"))

        let backup = folder.appendingPathComponent("copy.sqlite").path
        let made = try CommandLineTests.run(["backup", "--database", database, backup])
        #expect(made.status == 0, "\(made.errors)")
        #expect(made.output.contains("integrity check ok") && made.output.contains("households 5") && made.output.contains("sound"), "\(made.output)")
        let again = try CommandLineTests.run(["backup", "--database", database, backup])
        #expect(again.status == 1 && again.errors.contains("already exists"))

        let restored = try CommandLineTests.run(["restore", "--database", folder.appendingPathComponent("elsewhere/gridbot.sqlite").path, backup])
        #expect(restored.status == 0 && restored.output.contains("households 5"), "\(restored.output)\(restored.errors)")
        let postgres = try CommandLineTests.run(["backup", "--database", "postgres://gridbot@127.0.0.1:1/gridbot", backup + ".2"])
        #expect(postgres.status == 2 && postgres.errors.contains("pg_dump"))

        let purge = try CommandLineTests.run(["purge", "--dry-run", "--retain-messages", "180d", "--database", database])
        #expect(purge.status == 0 && purge.output.contains("would clear 0 messages") && purge.output.contains("dry run"), "\(purge.output)\(purge.errors)")
        let noRetention = try CommandLineTests.run(["purge", "--database", database])
        #expect(noRetention.status == 2 && noRetention.errors.contains("--retain-messages"))
    }

    /// `--log-format json`: one object per line with the entry's fields and metadata.
    @Test func jsonLogsAreOneObjectPerLine() throws {
        let lines = Shared<[String]>([])
        var handler = JSONLogHandler(label: "gridbot") { line in lines.withLock { $0.append(line) } }
        handler.logLevel = .info
        var logger = Logger(label: "gridbot", factory: { _ in handler })
        logger[metadataKey: "instance"] = "a"
        logger.info("message stored", metadata: ["message.id": "12", "level": "spoofed"])
        logger.debug("below the level")
        let written = lines.withLock { $0 }
        #expect(written.count == 1 && written[0].hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: String])
        #expect(object["message"] == "message stored" && object["level"] == "info" && object["label"] == "gridbot")
        #expect(object["message.id"] == "12" && object["instance"] == "a" && object["meta.level"] == "spoofed")
        #expect(object["time"]?.hasSuffix("Z") == true)
    }
}
