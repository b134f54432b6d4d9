import ArgumentParser
import Foundation
import GridCore
import GridServer
import GridStore

/// `gridbot accounts …`: who may sign in to the web pages and the JSON API.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "Set sign-in passwords and make API tokens for staff and merchants.",
        subcommands: [AccountsPasswordCommand.self, AccountsTokenCommand.self, AccountsRevokeCommand.self]
    )
}

/// Runs `body` over prepared services (no seeding) and closes the database either way.
func withAccounts(_ options: ConfigurationOptions, _ body: (SQLStore) async throws -> Void) async throws {
    var configuration = try options.resolve()
    configuration.seedFile = nil
    let services = try await prepareServices(configuration, logger: bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat))
    do {
        try await body(services.store)
    } catch {
        try await services.database.shutdown()
        throw error
    }
    try await services.database.shutdown()
}

/// `gridbot accounts password MA1`: reads the new password from standard input (so it never
/// appears in the shell history or the process list) and stores its scrypt hash.
struct AccountsPasswordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "password",
        abstract: "Set a person's sign-in password, read from standard input (one line, 10+ characters).")

    @Argument(help: "The person's code, as in the seed (e.g. MA1, ADM1).")
    var person: String

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        guard let line = readLine(strippingNewline: true), line.count >= 10 else {
            throw ValidationError("give the password on standard input, at least 10 characters, e.g. `gridbot accounts password \(person) < file`")
        }
        let hash = try PasswordHash.make(line)
        try await withAccounts(options) { store in
            guard try await store.setPassword(person: person, hash: hash, at: Date()) else { throw ValidationError("no person with code '\(person)'") }
            print("password set for \(person)")
        }
    }
}

/// `gridbot accounts token MA1`: prints a new API token once.
struct AccountsTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make an API token for a person (printed once; only its digest is stored).")

    @Argument(help: "The person's code (e.g. MA1 for a merchant's till).")
    var person: String

    @Option(help: "What the token is for, to tell tokens apart.")
    var label = "api"

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        try await withAccounts(options) { store in
            guard let token = try await store.createAPIToken(person: person, label: label, at: Date()) else {
                throw ValidationError("no person with code '\(person)'")
            }
            print(token)
        }
    }
}

/// `gridbot accounts revoke MA1`: revokes every API token of a person and ends their sessions.
struct AccountsRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke every API token of a person and end their sessions.")

    @Argument(help: "The person's code.")
    var person: String

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        try await withAccounts(options) { store in
            let tokens = try await store.revokeAPITokens(person: person, at: Date())
            let sessions = try await store.closeSessions(person: person, at: Date())
            print("revoked \(tokens) token(s) and ended \(sessions) session(s) of \(person)")
        }
    }
}
