import Crypto
import Foundation
import GridChat
import GridCore
import GridStore
import Hummingbird
import Logging
import ServiceLifecycle

/// The parts a running GridBot is made of, shared by `serve`, the commands and the tests.
public struct GridBotServices: Sendable {
    public let configuration: AppConfiguration
    public let database: GridDatabase
    public let store: SQLStore
    public let logger: Logger
    /// The clock every time-dependent rule reads; tests replace it.
    public var now: @Sendable () -> Date = { Date() }
    /// The message parser, with the bundled lexicon.
    public var parser = MessageParser()
    /// The chat reply templates.
    public let replies: ChatReplies
    /// Sends into chats; tests replace it.
    public var chatSender: any ChatSender = HTTPChatSender(client: .shared)
    /// Deadlines, working calendar and duplicate window of the closed loop.
    public var workOrders: WorkOrderSettings
    /// The chat command words.
    public var commands: ChatCommandParser
    /// Signs vouchers' QR payloads (a secret kept in the database).
    public let voucherKey: SymmetricKey
    /// Signs session cookies and CSRF tokens (a secret kept in the database).
    public let sessionKey: SymmetricKey

    /// The closed loop's shared moves: dispatching, cards, notices.
    var dispatcher: ReportDispatcher {
        ReportDispatcher(replies: replies, settings: workOrders, secrets: configuration.secrets)
    }

    /// New reports: from group messages, Open311 and promotions.
    public var intake: ReportIntake {
        ReportIntake(store: store, dispatcher: dispatcher, logger: logger)
    }

    /// The report commands, in chat and on the console.
    public var reportCommands: ReportCommands {
        ReportCommands(store: store, parser: parser, commands: commands, dispatcher: dispatcher)
    }

    /// Triage: what the parser was unsure of, promoted or dismissed by staff.
    public var triage: TriageDesk {
        TriageDesk(store: store, parser: parser, replies: replies, intake: intake, logger: logger)
    }

    /// Volunteer tasks as chat and the tasks API share them.
    var volunteerTasks: VolunteerTasks {
        VolunteerTasks(parser: parser, replies: replies, secrets: configuration.secrets)
    }

    /// Every chat command's one path, its readers in the order they are tried: binding an
    /// unbound chat, points (they name tasks and offers, T4 and O3), triage (上报 and 忽略 name
    /// messages), then reports (they name reports, #12).
    var commandPipeline: CommandPipeline {
        CommandPipeline(store: store, replies: replies, logger: logger, readers: [
            BindingCommand(store: store, parser: parser, replies: replies, logger: logger),
            PointsCommands(store: store, replies: replies, commands: PointsCommandParser(), tasks: volunteerTasks, voucherKey: voucherKey,
                           publicURL: configuration.publicURL),
            TriageCommands(store: store, commands: commands, triage: triage),
            reportCommands,
        ])
    }
}

/// Opens the database, applies migrations and, when the database holds no community yet, loads
/// the configured seed. Every command that touches data starts here.
public func prepareServices(_ configuration: AppConfiguration, logger: Logger, now: Date = Date()) async throws -> GridBotServices {
    let database = try GridDatabase.open(configuration.database, logger: logger)
    do {
        let migrator = Migrator(database: database, logger: logger)
        do {
            try await migrator.migrate(now: Int64(now.timeIntervalSince1970 * 1000))
        } catch let error as MigrationFailed {
            throw ConfigurationError(key: "--database", message: "\(configuration.database): \(error)")
        }
        let store = SQLStore(database: database)
        let replies = try await ChatReplies(directory: configuration.templatesDirectory)
        if let seedFile = configuration.seedFile, try await store.isEmpty() {
            let seed = try loadSeedFile(seedFile)
            try await store.load(seed, passwordCost: configuration.lightPasswordHashing ? PasswordHash.minimumLogN : PasswordHash.defaultLogN)
            logger.info("loaded seed into an empty database", metadata: ["seed.file": "\(seedFile)"])
        }
        // An escalation that reaches no one is a deadline nobody enforces: say so at start.
        for gap in try await store.directory().escalationGaps() {
            logger.warning("escalation reaches no chat", metadata: ["gap": "\(gap)"])
        }
        let calendar: WorkingCalendar
        do {
            calendar = try configuration.calendarFile.map { try WorkingCalendar(contentsOf: URL(fileURLWithPath: $0)) } ?? WorkingCalendar.bundled()
        } catch {
            throw ConfigurationError(key: "--calendar", message: "\(error)")
        }
        let settings = WorkOrderSettings(policy: configuration.deadlines, calendar: calendar, duplicateWindow: configuration.duplicateWindow)
        if let model = TextClassifier.standard {
            logger.info("parser reads with the lexicon and the shipped model", metadata: ["model.buckets": "\(model.bucketCount)", "model.dimensions": "\(model.dimensions)"])
        } else {
            logger.warning("the shipped model is missing from the build: parsing by the lexicon alone")
        }
        return GridBotServices(configuration: configuration, database: database, store: store, logger: logger, replies: replies,
                               workOrders: settings, commands: try ChatCommandParser.bundled(),
                               voucherKey: try await store.serverSecret(named: "voucher-signing"),
                               sessionKey: try await store.serverSecret(named: "session-signing"))
    } catch {
        try await database.shutdown()
        throw error
    }
}

/// Reads and parses a seed file, failing with the file, line and field at fault.
public func loadSeedFile(_ path: String) throws -> CommunitySeed {
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw SeedError(file: path, line: 0, field: nil, message: "cannot read the file: \(error.localizedDescription)")
    }
    return try CommunitySeed.parse(text, fileName: path)
}

/// Whether the application runs its background workers itself (production) or a test drives
/// them, one pass at a time, with `BackgroundWork.drain()`.
public enum BackgroundMode: Sendable {
    case running
    case driven(BackgroundWork)
}

/// Builds the HTTP application over prepared services. Production (`gridbot serve`) and the tests
/// call this one function, so they share one wiring.
public func buildApplication(
    _ services: GridBotServices, background: BackgroundMode = .running,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let work: BackgroundWork
    switch background {
    case .running: work = BackgroundWork(services)
    case .driven(let driven): work = driven
    }
    let router = buildRouter(services, work: work)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(services.configuration.host, port: services.configuration.port), serverName: "GridBot"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: services.logger
    )
    // Shutdown runs in reverse: the server drains, then the workers finish their batches, then
    // the database closes.
    app.addServices(DatabaseService(database: services.database, logger: services.logger))
    if case .running = background { app.addServices(work.services) }
    return app
}

/// Every route the application answers, as `METHOD /path/{parameter}` (the OpenAPI test checks
/// the document against it).
public func routeDescriptions(_ services: GridBotServices) -> [String] {
    buildRouter(services, work: BackgroundWork(services)).routes.map(\.description)
}

/// The routes, feeding the background workers.
func buildRouter(_ services: GridBotServices, work: BackgroundWork) -> Router<GridRequestContext> {
    let router = Router(context: GridRequestContext.self)
    let metrics = GridMetrics()
    let queued = work.outbound.notify
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware(logger: services.logger, replies: services.replies))
    MetricsController(metrics: metrics, store: services.store, now: services.now, token: services.configuration.metricsToken).addRoutes(to: router)
    do {
        OpenAPIController(document: try OpenAPIController.document()).addRoutes(to: router)
    } catch {
        services.logger.error("no OpenAPI document", metadata: ["error": "\(error)"])
    }
    HealthController(database: services.database).addRoutes(to: router)
    let sessions = WebSessions(store: services.store, key: services.sessionKey, lifetime: services.configuration.sessionLifetime, now: services.now)
    let pages = WebPages(replies: services.replies, sessions: sessions)
    CounterController(
        store: services.store, sessions: sessions, pages: pages,
        counter: VoucherCounter(store: services.store, replies: services.replies, voucherKey: services.voucherKey), now: services.now,
        logger: services.logger
    ).addRoutes(to: router)
    VoucherPageController(store: services.store, pages: pages, replies: services.replies, voucherKey: services.voucherKey).addRoutes(to: router)
    let tasks = TasksAPIController(store: services.store, sessions: sessions, tasks: services.volunteerTasks, now: services.now, onQueued: queued)
    tasks.addRoutes(to: router)
    let console = Console(store: services.store, sessions: sessions, pages: pages, now: services.now)
    DashboardController(console: console).addRoutes(to: router)
    GridMapController(console: console).addRoutes(to: router)
    CareController(console: console, commands: services.reportCommands, onQueued: queued).addRoutes(to: router)
    ConsoleController(console: console, commands: services.reportCommands, onQueued: queued).addRoutes(to: router)
    TriageController(console: console, triage: services.triage, onQueued: queued).addRoutes(to: router)
    AdminController(console: console, tasks: tasks).addRoutes(to: router)
    Open311Controller(store: services.store, intake: services.intake, parser: services.parser, now: services.now, onQueued: queued,
                      publicURL: services.configuration.publicURL)
        .addRoutes(to: router)
    WebhookController(store: services.store, logger: services.logger, now: services.now, onStored: work.processor.notify, metrics: metrics,
                      secrets: services.configuration.secrets)
        .addRoutes(to: router)
    return router
}

/// Keeps the database open for the life of the service group and closes it on shutdown. The
/// application lists it before the HTTP server, so the server drains its requests first.
struct DatabaseService: Service {
    let database: GridDatabase
    let logger: Logger

    func run() async throws {
        // Returns on graceful shutdown, throws on cancellation: either way it is time to close.
        try? await gracefulShutdown()
        try await database.shutdown()
        logger.info("database closed")
    }
}
