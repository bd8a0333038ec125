import ArgumentParser
import DialogueAPI
import DialogueCore
import DialogueWeb
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API (migrates the database first).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Flag(help: "On an empty database, create a first admin and print its token once (make run does this).")
    var bootstrapAdmin = false

    func run() async throws {
        Self.pinTimeZone()
        Self.sizeEventLoops()
        let configuration: Configuration
        do { configuration = try Configuration.fromEnvironment() } catch { CLI.fail(error) }
        LoggingSystem.bootstrap { label in
            if configuration.jsonLogs { return JSONLogHandler(label: label, logLevel: configuration.logLevel) }
            return TextLogHandler(label: label, logLevel: configuration.logLevel)
        }
        // A line per request: routine lines leave in batches, warnings and errors at once.
        LogSink.standardError.startBatching()
        let logger = Logger(label: "dialogue")
        if let problem = Self.portProblem(host: host, port: port) {
            FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
            throw ExitCode(1)
        }
        let database = Database(configuration: configuration.database, logger: logger)
        do {
            let migrator = try Migrator(directory: configuration.sqlDirectory)
            // Migrations run as the schema's owner, on a connection of their own; the service
            // then runs as its least-privileged role.
            let applied = try await CLI.withDatabase(configuration.migrationDatabase, logger: logger) { owner in
                try await Self.waitForDatabase(owner, logger: logger)
                if !configuration.usesEmbeddedDatabase { try await Self.checkDurability(owner) }
                return try await migrator.migrate(owner)
            }
            logger.info("migrations current", metadata: ["applied_now": "\(applied.count)"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                await database.startClient(in: &group)
                defer { group.cancelAll() }
                try await Self.waitForDatabase(database, logger: logger)
                var dialogue = try await Dialogue.load(database: database)
                dialogue.secondFactorKey = configuration.secondFactorKey
                dialogue.webhooksMayTargetLoopback = configuration.webhooksMayTargetLoopback
                dialogue.evidenceLimits = configuration.evidenceLimits
                if let created = configuration.secondFactorKeyCreated {
                    logger.info(
                        "made a key for portal second factors inside the checkout; outside development keep it elsewhere and set DIALOGUE_FACTOR_KEY_FILE",
                        metadata: ["file": "\(created)"])
                } else if configuration.secondFactorKey == nil {
                    logger.info(
                        "no DIALOGUE_FACTOR_KEY_FILE: coordinators and admins cannot sign in to the portal (they need a second factor)")
                }
                let publicURL = configuration.publicURL ?? "http://\(host):\(port)"
                if bootstrapAdmin { try await Self.bootstrapFirstAdmin(dialogue, publicURL: publicURL) }
                let portal = PortalDependencies(
                    dialogue: dialogue, publicBaseURL: publicURL, trustedProxyHeader: configuration.trustedProxyHeader, logger: logger)
                if !portal.secureCookies {
                    logger.info(
                        "the portal is served over plain http, so its cookie cannot be Secure nor __Host- prefixed; outside development set DIALOGUE_PUBLIC_URL to its https address behind a TLS proxy",
                        metadata: ["portal": "\(publicURL)/"])
                }
                let app = try DialogueHTTP.buildApplication(
                    {
                        var dependencies = APIDependencies(
                            dialogue: dialogue, migrator: migrator, logger: logger, publicBaseURL: publicURL,
                            trustedProxyHeader: configuration.trustedProxyHeader)
                        dependencies.exportStallLimit = .seconds(configuration.exportStallSeconds)
                        dependencies.readMemoBytes = configuration.readMemoBytes
                        return dependencies
                    }(),
                    host: host, port: port, extending: { router in try DialoguePortal.addRoutes(to: router, portal) })
                var email: EmailWorker?
                if let relay = configuration.smtp {
                    logger.info("e-mail about notifications goes through the relay", metadata: ["relay": "\(relay.host):\(relay.port)"])
                    email = EmailWorker(dialogue: dialogue, relay: relay, publicBaseURL: publicURL, logger: logger)
                } else {
                    logger.info("no DIALOGUE_SMTP_HOST: no e-mail is sent; the portal lists every notification")
                }
                let services: [any Service] = [
                    app, MaintenanceService(store: IdempotencyStore(database: database), dialogue: dialogue, logger: logger),
                    ConnectionKeepAliveService(database: database, logger: logger),
                    OutboxService(email: email, webhooks: WebhookWorker(dialogue: dialogue, logger: logger),
                                  interval: .seconds(configuration.emailIntervalSeconds), logger: logger),
                ]
                let group = ServiceGroup(
                    configuration: .init(
                        services: services.map { .init(service: $0) },
                        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            }
        } catch {
            CLI.fail(error)
        }
    }

    /// With no TZ, glibc looks at /etc/localtime again each time a log line's time is
    /// formatted: a `stat` per request. Naming that same file keeps the local time and lets
    /// glibc read it once. Done first, before the service starts threads of its own.
    static func pinTimeZone() {
        if ProcessInfo.processInfo.environment["TZ"] == nil { setenv("TZ", ":/etc/localtime", 1) }
    }

    /// The event loops carry every socket, the HTTP clients' and PostgreSQL's; handlers run on
    /// Swift's own pool, one thread per core. One loop per core (NIO's default) puts more threads
    /// on the cores than they can run, beside PostgreSQL's backends: a request then pays for
    /// thread wake-ups more than for its work. Half the cores, at least one, measured on two
    /// cores: ~15 % less server CPU per agenda read and 4–8 % less per create (deploy/README,
    /// "Eleventh round"). `NIO_SINGLETON_GROUP_LOOP_COUNT`, NIO's own setting, overrides it.
    /// Set before anything makes the loops, and only here, so each command keeps NIO's default.
    static func sizeEventLoops() {
        guard ProcessInfo.processInfo.environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil else { return }
        NIOSingletons.groupLoopCountSuggestion = max(1, System.coreCount / 2)
    }

    /// A port already taken is one clear line, found before anything starts.
    static func portProblem(host: String, port: Int) -> String? {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard probe >= 0 else { return nil }
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else { return nil }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0 ? "port \(port) on \(host) is already in use (is dialogue already running? try --port)" : nil
    }

    /// SECURITY.md 10: an acknowledged write must survive a crash. Outside the embedded
    /// development cluster, refuse a server that would lose one, unless explicitly allowed.
    static func checkDurability(_ database: Database) async throws {
        guard ProcessInfo.processInfo.environment["DIALOGUE_ALLOW_UNSAFE_DURABILITY"] != "1" else { return }
        let settings = try await database.read { connection in
            try await connection.query("""
                SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes')
                """, logger: database.logger).collect().first?.decode((String, String, String).self)
        }
        guard let (fsync, synchronousCommit, fullPageWrites) = settings else { return }
        var unsafe: [String] = []
        if fsync == "off" { unsafe.append("fsync") }
        if synchronousCommit == "off" { unsafe.append("synchronous_commit") }
        if fullPageWrites == "off" { unsafe.append("full_page_writes") }
        if !unsafe.isEmpty {
            throw ConfigurationError.invalid(
                "database", "\(unsafe.joined(separator: ", ")) is off, so acknowledged writes could be lost in a crash; "
                    + "turn it on, or set DIALOGUE_ALLOW_UNSAFE_DURABILITY=1 to accept that")
        }
    }

    /// At start-up the database may still be coming up (a container, a restart): wait a little.
    static func waitForDatabase(_ database: Database, logger: Logger) async throws {
        var attempt = 0
        while true {
            do {
                _ = try await database.read { connection in
                    try await connection.query("SELECT 1", logger: logger).collect()
                }
                return
            } catch {
                attempt += 1
                if attempt >= 30 { throw error }
                if attempt == 1 { logger.warning("waiting for the database", metadata: ["error": "\(error)"]) }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    static func bootstrapFirstAdmin(_ dialogue: Dialogue, publicURL: String) async throws {
        guard try await dialogue.participantCount() == 0 else { return }
        let context = CallContext.cli()
        let admin = try await dialogue.createParticipant(
            context, ParticipantInput(displayName: "Administrator", kind: ParticipantKind.official.rawValue))
        let issued = try await dialogue.issueToken(
            context, participantID: admin.id, role: Role.admin.rawValue, label: "first admin (make run)", expiresInDays: nil)
        let invitation = try await dialogue.invitePortalUser(context, participantID: admin.id, role: Role.admin.rawValue)
        FileHandle.standardOutput.write(Data("""
            First start on an empty database: created participant "Administrator" with an admin token.
            This token is shown once; keep it somewhere safe:

                \(issued.secret)

            Try it: curl -H 'Authorization: Bearer \(issued.secret)' \(publicURL)/v1/directions

            The portal is at \(publicURL)/ . To enter it as this admin, open this one-time invitation
            (72 hours, single use), choose a sign-in name and a passphrase, and type the key it shows
            into an authenticator app (admins and coordinators sign in with a one-time code too):

                \(invitation.link(publicBaseURL: publicURL))

            """.utf8))
    }
}

/// Periodic housekeeping on a running server: purges idempotency keys past their retention.
struct MaintenanceService: Service {
    let store: IdempotencyStore
    let dialogue: Dialogue
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let purged = try await store.purgeExpired()
                if purged > 0 { logger.info("purged idempotency keys", metadata: ["count": "\(purged)"]) }
            } catch {
                logger.warning("idempotency purge failed; will retry", metadata: ["error": "\(error)"])
            }
            do {
                // Action items coming due or overdue remind their owners, once per due date.
                let reminded = try await dialogue.sweepReminders()
                if reminded > 0 { logger.info("action item reminders written", metadata: ["count": "\(reminded)"]) }
            } catch {
                logger.warning("action item reminders failed; will retry", metadata: ["error": "\(DatabaseErrors.loggable(error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(900)) }
        }
    }
}

/// Touches every pooled connection once a minute, so that no firewall drops an idle one
/// unnoticed (the pool's own per-connection pings are off: `DatabaseConfiguration`).
struct ConnectionKeepAliveService: Service {
    let database: Database
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: DatabaseConfiguration.keepAliveInterval) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            do {
                try await database.touchEveryConnection()
            } catch {
                logger.warning("a connection keep-alive failed", metadata: ["error": "\(DatabaseErrors.loggable(error))"])
            }
        }
    }
}

/// Works the outboxes every `interval` while the server runs: e-mail (with a relay) and webhooks.
struct OutboxService: Service {
    let email: EmailWorker?
    let webhooks: WebhookWorker
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if let email {
                    let (sent, failed) = try await email.runOnce()
                    if sent + failed > 0 { logger.info("e-mail outbox worked", metadata: ["sent": "\(sent)", "failed": "\(failed)"]) }
                }
                let (delivered, failed) = try await webhooks.runOnce()
                if delivered + failed > 0 { logger.info("webhook outbox worked", metadata: ["delivered": "\(delivered)", "failed": "\(failed)"]) }
            } catch {
                logger.warning("an outbox failed; will retry", metadata: ["error": "\(DatabaseErrors.loggable(error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
