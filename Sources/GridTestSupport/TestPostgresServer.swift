import Foundation
import GridStore
import Logging
import SQLKit

/// A throwaway PostgreSQL server for tests: created with `initdb` in a temporary folder, started
/// with `pg_ctl` on a free loopback port the first time a test asks for it, and stopped when the
/// test process exits. `initdb` refuses to run as root, so as root it runs as `postgres`.
///
/// Set `GRIDBOT_PG_BIN` to the folder holding `initdb` and `pg_ctl` when they are not in
/// `/usr/lib/postgresql/<version>/bin`.
public actor TestPostgresServer {
    /// The one server of this test process.
    public static let shared = TestPostgresServer()

    private var started: Task<Endpoint, any Error>?
    private var databaseCounter = 0

    struct Endpoint: Sendable {
        var port: Int
        var binaries: URL
        var socketFolder: String
    }

    /// Whether a PostgreSQL can be had: a server named by `GRIDBOT_TEST_POSTGRES`, or the
    /// binaries to start one.
    public static var canRun: Bool {
        ProcessInfo.processInfo.environment["GRIDBOT_TEST_POSTGRES"] != nil || (try? findBinaries()) != nil
    }

    /// A new, empty database on the server, as a `postgres://` URL.
    public func makeDatabase() async throws -> String {
        if let server = ProcessInfo.processInfo.environment["GRIDBOT_TEST_POSTGRES"] { return try await makeDatabase(on: server) }
        let endpoint = try await start()
        databaseCounter += 1
        let name = "gridbot_test_\(ProcessInfo.processInfo.processIdentifier)_\(databaseCounter)"
        try Shell.run(endpoint.binaries.appendingPathComponent("createdb"), ["-h", "127.0.0.1", "-p", "\(endpoint.port)", "-U", "postgres", name])
        return "postgres://postgres@127.0.0.1:\(endpoint.port)/\(name)?sslmode=disable"
    }

    /// A new database on a server the environment names: created over a connection to it.
    private func makeDatabase(on server: String) async throws -> String {
        databaseCounter += 1
        let name = "gridbot_test_\(ProcessInfo.processInfo.processIdentifier)_\(databaseCounter)"
        guard var parts = URLComponents(string: server) else { throw TestPostgresError(message: "GRIDBOT_TEST_POSTGRES is not a URL: \(server)") }
        let database = try GridDatabase.open(.postgres(url: server), logger: Logger(label: "test"))
        do {
            try await database.withConnection { db in try await db.raw("CREATE DATABASE \(ident: name)").run() }
            try await database.shutdown()
        } catch {
            try? await database.shutdown()
            throw error
        }
        parts.path = "/" + name
        return parts.string ?? server
    }

    private func start() async throws -> Endpoint {
        if let started { return try await started.value }
        let task = Task { try Self.launch() }
        started = task
        return try await task.value
    }

    private static func launch() throws -> Endpoint {
        let binaries = try findBinaries()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gridbot-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = folder.appendingPathComponent("data").path
        let asRoot = getuid() == 0
        if asRoot { try Shell.run(URL(fileURLWithPath: "/bin/chown"), ["postgres:postgres", folder.path]) }
        try Shell.run(binaries.appendingPathComponent("initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"], asPostgres: asRoot)
        var lastError: (any Error)?
        for _ in 0..<8 {
            let port = Int.random(in: 20_000...60_000)
            let options = "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            do {
                try Shell.run(binaries.appendingPathComponent("pg_ctl"), ["-D", data, "-l", folder.appendingPathComponent("server.log").path, "-o", options, "-w", "-t", "60", "start"], asPostgres: asRoot)
                TestPostgresCleanup.register(pgCtl: binaries.appendingPathComponent("pg_ctl").path, data: data, folder: folder.path, asPostgres: asRoot)
                return Endpoint(port: port, binaries: binaries, socketFolder: folder.path)
            } catch {
                lastError = error  // most likely the port was taken: try another
            }
        }
        throw lastError ?? TestPostgresError(message: "PostgreSQL did not start")
    }

    private static func findBinaries() throws -> URL {
        if let configured = ProcessInfo.processInfo.environment["GRIDBOT_PG_BIN"] {
            let bin = URL(fileURLWithPath: configured)
            guard FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) else {
                throw TestPostgresError(message: "GRIDBOT_PG_BIN is \(configured), which has no initdb")
            }
            return bin
        }
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = URL(fileURLWithPath: "\(root)/\(version)/bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
        }
        throw TestPostgresError(message: "PostgreSQL server binaries (initdb, pg_ctl) not found under \(root); install the 'postgresql' package or set GRIDBOT_PG_BIN")
    }
}

/// Why the test server could not be used.
public struct TestPostgresError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Stops the server when the test process exits.
enum TestPostgresCleanup {
    nonisolated(unsafe) static var command: (pgCtl: String, data: String, folder: String, asPostgres: Bool)?

    static func register(pgCtl: String, data: String, folder: String, asPostgres: Bool) {
        command = (pgCtl, data, folder, asPostgres)
        atexit {
            guard let command = TestPostgresCleanup.command else { return }
            try? Shell.run(URL(fileURLWithPath: command.pgCtl), ["-D", command.data, "-m", "immediate", "-w", "stop"], asPostgres: command.asPostgres)
            try? FileManager.default.removeItem(atPath: command.folder)
        }
    }
}

/// Runs a program to completion, failing with its output when it fails.
///
/// Uses `posix_spawn` and `waitpid` rather than `Foundation.Process`: `pg_ctl start` leaves a
/// server running that inherits the parent's descriptors, and Process waits for those to close.
/// Output goes to a temporary file for the same reason.
enum Shell {
    static func run(_ executable: URL, _ arguments: [String], asPostgres: Bool = false) throws {
        let program = asPostgres ? "/usr/sbin/runuser" : executable.path
        let argv = asPostgres ? ["runuser", "-u", "postgres", "--", executable.path] + arguments : [executable.path] + arguments
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("gridbot-shell-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, program, &actions, nil, &cArguments, environ)
        guard spawned == 0 else {
            throw TestPostgresError(message: "cannot start \(program): error \(spawned)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = (status & 0x7F) == 0
        let code = (status >> 8) & 0xFF
        guard exited && code == 0 else {
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw TestPostgresError(message: "\(executable.lastPathComponent) failed (status \(status)): \(output.suffix(2000))")
        }
    }
}
