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

    /// The closed loop's desk over these services.
    public var desk: WorkOrderDesk {
        WorkOrderDesk(store: store, parser: parser, replies: replies, commands: commands, settings: workOrders, logger: logger)
    }

    /// Triage: what the parser was unsure of, promoted or dismissed by staff.
    public var triageDesk: TriageDesk {
        desk.triage
    }

    /// The volunteer-points desk over these services.
    public var pointsDesk: PointsDesk {
        PointsDesk(store: store, parser: parser, replies: replies, voucherKey: voucherKey, logger: logger)
    }
}

/// Opens the database, applies migrations and, when the database holds no community yet, loads
/// the configured seed. Every command that touches data starts here.
public func prepareServices(_ configuration: AppConfiguration, logger: Logger, now: Date = Date()) async throws -> GridBotServices {
    let database = try GridDatabase.open(configuration.database, logger: logger)
    do {
        let migrator = Migrator(database: database, logger: logger)
        try await migrator.migrate(now: Int64(now.timeIntervalSince1970 * 1000))
        let store = SQLStore(database: database)
        let replies = try await ChatReplies(directory: configuration.templatesDirectory)
        if let seedFile = configuration.seedFile, try await store.isEmpty() {
            let seed = try loadSeedFile(seedFile)
            try await store.load(seed)
            logger.info("loaded seed into an empty database", metadata: ["seed.file": "\(seedFile)"])
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

/// Builds the HTTP application over prepared services. Production (`gridbot serve`) and the tests
/// call this one function, so they share one wiring.
public func buildApplication(
    _ services: GridBotServices,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let (router, workers) = buildRouter(services)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(services.configuration.host, port: services.configuration.port), serverName: "GridBot"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: services.logger
    )
    // Shutdown runs in reverse: the server drains, then the processor finishes its batch, then
    // the database closes.
    app.addServices(DatabaseService(database: services.database, logger: services.logger))
    app.addServices(workers)
    return app
}

/// Every route the application answers, as `METHOD /path/{parameter}` (the OpenAPI test checks
/// the document against it).
public func routeDescriptions(_ services: GridBotServices) -> [String] {
    buildRouter(services).router.routes.map(\.description)
}

/// The routes and the background workers they feed.
func buildRouter(_ services: GridBotServices) -> (router: Router<BasicRequestContext>, workers: [any Service]) {
    let router = Router(context: BasicRequestContext.self)
    let metrics = GridMetrics()
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware(logger: services.logger))
    MetricsController(metrics: metrics, store: services.store, now: services.now, token: services.configuration.metricsToken).addRoutes(to: router)
    do {
        OpenAPIController(document: try OpenAPIController.document()).addRoutes(to: router)
    } catch {
        services.logger.error("no OpenAPI document", metadata: ["error": "\(error)"])
    }
    HealthController(database: services.database).addRoutes(to: router)
    let outbound = OutboundSender(store: services.store, sender: services.chatSender, logger: services.logger, now: services.now)
    let processor = MessageProcessor(
        store: services.store, parser: services.parser, replies: services.replies, desk: services.desk, points: services.pointsDesk,
        logger: services.logger, now: services.now, onReplyQueued: outbound.notify)
    let watcher = DeadlineWatcher(store: services.store, desk: services.desk, logger: services.logger, now: services.now, onMessagesQueued: outbound.notify)
    let sessions = WebSessions(store: services.store, key: services.sessionKey, lifetime: services.configuration.sessionLifetime, now: services.now)
    CounterController(
        store: services.store, sessions: sessions, pages: WebPages(replies: services.replies, sessions: sessions),
        counter: VoucherCounter(store: services.store, replies: services.replies, voucherKey: services.voucherKey), now: services.now
    ).addRoutes(to: router)
    let tasks = TasksAPIController(store: services.store, sessions: sessions, points: services.pointsDesk, now: services.now, onQueued: outbound.notify)
    tasks.addRoutes(to: router)
    let console = Console(store: services.store, sessions: sessions, pages: WebPages(replies: services.replies, sessions: sessions), now: services.now)
    DashboardController(console: console).addRoutes(to: router)
    ConsoleController(console: console, desk: services.desk, onQueued: outbound.notify).addRoutes(to: router)
    TriageController(console: console, triage: services.triageDesk, onQueued: outbound.notify).addRoutes(to: router)
    AdminController(console: console, tasks: tasks).addRoutes(to: router)
    Open311Controller(store: services.store, desk: services.desk, parser: services.parser, now: services.now, onQueued: outbound.notify,
                      publicURL: services.configuration.publicURL)
        .addRoutes(to: router)
    let expiry = VoucherExpiryWatcher(points: services.pointsDesk, logger: services.logger, now: services.now, onMessagesQueued: outbound.notify)
    WebhookController(store: services.store, logger: services.logger, now: services.now, onStored: processor.notify, metrics: metrics).addRoutes(to: router)
    return (router, [outbound, processor, watcher, expiry])
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
