import ArgumentParser

/// The `gridbot` command line: parses arguments and hands over to the commands.
@main
struct GridbotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridbot",
        abstract: "GridBot: chat-native community grid governance.",
        discussion: """
            Takes building-group chat messages from WeCom, DingTalk, Feishu, Telegram and generic \
            gateways, turns problems into tracked reports, and runs the community's volunteer points.
            Every option can also be set by a GRIDBOT_* environment variable (flags win).
            """,
        subcommands: [ServeCommand.self, MigrateCommand.self, BackupCommand.self, RestoreCommand.self, PurgeCommand.self, SeedCommand.self, ReportsCommand.self, LedgerCommand.self, AccountsCommand.self, ParseCommand.self, EvalCommand.self, TrainCommand.self, CorrectionsCommand.self, BenchCommand.self]
    )
}
