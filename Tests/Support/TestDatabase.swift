import DialogueCore
import Foundation
import Logging
import PostgresNIO

/// Real PostgreSQL for tests: the schema is migrated once per test process into a template
/// database, and every test gets its own copy (`CREATE DATABASE … TEMPLATE …`), so tests run
/// in parallel without seeing each other's rows. Only a loopback server is ever touched.
public actor TestDatabases {
    public static let shared = TestDatabases()

    private var server: DatabaseConfiguration?
    private var template: String?
    private var preparing: Task<String, any Error>?

    public static let logger: Logger = {
        var logger = Logger(label: "dialogue-test")
        logger.logLevel = ProcessInfo.processInfo.environment["DIALOGUE_TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        return logger
    }()

    /// The repository's migrations folder.
    public static var sqlDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sql")
    }

    public func serverConfiguration() throws -> DatabaseConfiguration {
        if let server { return server }
        let environment = ProcessInfo.processInfo.environment
        let url = environment["DIALOGUE_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let configuration = try DatabaseConfiguration(url: url ?? EmbeddedCluster.ensureRunning().owner)
        guard configuration.isLocal else {
            fatalError("tests refuse to run against a non-local database host (\(configuration.host))")
        }
        server = configuration
        return configuration
    }

    public enum Contents: Sendable {
        /// No schema at all, as a fresh server's database.
        case empty
        /// The current schema, copied from the migrated template.
        case migrated
    }

    /// A new database on the test server; `withTestDatabase` is how tests get one. The
    /// template is prepared first, even for an empty one, because preparing it drops the
    /// databases of earlier runs by name: a database made before that sweep would be swept
    /// with them.
    fileprivate func newDatabase(_ contents: Contents) async throws -> DatabaseConfiguration {
        let server = try serverConfiguration()
        let template = try await migratedTemplate()
        let name = "dlgt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let create: PostgresQuery = switch contents {
        case .empty: "CREATE DATABASE \(unescaped: name)"
        case .migrated: "CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: template) STRATEGY FILE_COPY"
        }
        try await Self.admin(server) { connection in
            try await connection.query(create, logger: Self.logger)
        }
        return server.with(database: name)
    }

    /// Drops a database `newDatabase` made, with any connection still open to it. A failure
    /// here fails no test: the next run's sweep drops what is left.
    fileprivate func drop(_ configuration: DatabaseConfiguration) async {
        guard let server = try? serverConfiguration(), configuration.database.hasPrefix("dlgt_") else { return }
        _ = try? await Self.admin(server) { connection in
            try await connection.query("DROP DATABASE IF EXISTS \(unescaped: configuration.database) WITH (FORCE)", logger: Self.logger)
        }
    }

    private func migratedTemplate() async throws -> String {
        if let template { return template }
        if let preparing { return try await preparing.value }
        let server = try serverConfiguration()
        let task = Task<String, any Error> {
            // Databases of earlier runs are dropped first; ones still in use are left alone.
            try await Self.admin(server) { connection in
                let rows = try await connection.query(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'dlgt\\_%'", logger: Self.logger
                ).collect()
                for row in rows {
                    let name = try row.decode(String.self)
                    _ = try? await connection.query("DROP DATABASE IF EXISTS \(unescaped: name)", logger: Self.logger)
                }
            }
            let name = "dlgt_template_\(ProcessInfo.processInfo.processIdentifier)"
            try await Self.admin(server) { connection in
                try await connection.query("CREATE DATABASE \(unescaped: name)", logger: Self.logger)
            }
            let database = Database(configuration: server.with(database: name), logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                await database.startClient(in: &group)
                try await Migrator(directory: TestDatabases.sqlDirectory).migrate(database)
                group.cancelAll()
            }
            return name
        }
        preparing = task
        let name = try await task.value
        template = name
        return name
    }

    /// Runs `body` on a short-lived connection to the server's `postgres` database.
    public static func admin<T: Sendable>(
        _ server: DatabaseConfiguration, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let configuration = server.with(database: "postgres")
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: configuration.host, port: configuration.port, username: configuration.username,
                password: configuration.password, database: configuration.database, tls: .disable),
            id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// Runs `body` with a running connection pool of `maximumConnections` on `configuration`.
public func withDatabase<T: Sendable>(
    _ configuration: DatabaseConfiguration, maximumConnections: Int = 8, _ body: (Database) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.maximumConnections = maximumConnections
    let database = Database(configuration: configuration, logger: TestDatabases.logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        await database.startClient(in: &group)
        defer { group.cancelAll() }
        return try await body(database)
    }
}

/// Runs `body` with the services on a fresh, migrated database of its own.
public func withDialogue<T: Sendable>(_ body: (Dialogue) async throws -> T) async throws -> T {
    try await withTestDatabase { configuration in
        try await withDatabase(configuration) { database in
            var dialogue = try await Dialogue.load(database: database, passphraseCost: .forTests)
            dialogue.secondFactorKey = try VaultKey(base64: VaultKey.generate())
            return try await body(dialogue)
        }
    }
}

/// Runs `body` with a new database of its own, `.migrated` (the current schema) or `.empty`,
/// and drops it afterwards, whatever `body` did: a suite run leaves no database behind, so
/// the disk it needs does not grow with the number of tests.
public func withTestDatabase<T: Sendable>(
    _ contents: TestDatabases.Contents = .migrated, _ body: (DatabaseConfiguration) async throws -> T
) async throws -> T {
    let configuration = try await TestDatabases.shared.newDatabase(contents)
    let result: Result<T, any Error>
    do {
        result = .success(try await body(configuration))
    } catch {
        result = .failure(error)
    }
    await TestDatabases.shared.drop(configuration)
    return try result.get()
}

extension Passphrase.Cost {
    /// scrypt at 1/32 of the interactive cost: the suites hash many passphrases at once, and
    /// the algorithm is the same (stored hashes carry their cost).
    public static let forTests = Passphrase.Cost(rounds: 1 << 10, blockSize: 8, parallelism: 1)
}

/// Plain SQL for tests that must reach behind the services (to age a token, or to tamper
/// with the audit chain the way an intruder with database access would).
public func sql(_ dialogue: Dialogue, _ query: PostgresQuery) async throws {
    try await dialogue.database.read { connection in
        try await connection.query(query, logger: TestDatabases.logger)
    }
}

public func sqlInt(_ dialogue: Dialogue, _ query: PostgresQuery) async throws -> Int {
    try await dialogue.database.read { connection in
        try await connection.query(query, logger: TestDatabases.logger).collect().first?.decode(Int.self) ?? -1
    }
}

public func sqlText(_ dialogue: Dialogue, _ query: PostgresQuery) async throws -> String {
    try await dialogue.database.read { connection in
        try await connection.query(query, logger: TestDatabases.logger).collect().first?.decode(String?.self) ?? ""
    }
}

/// A participant with a token of the given role, minted the way the CLI does.
public struct TestUser: Sendable {
    public var participantID: UUID
    public var token: String
    public var tokenID: UUID
    public var context: CallContext

    public var bearer: String { "Bearer \(token)" }
}

extension Dialogue {
    public func makeUser(_ role: Role, name: String? = nil, kind: ParticipantKind = .official) async throws -> TestUser {
        let participant = try await createParticipant(
            .cli(), ParticipantInput(displayName: name ?? "\(role.rawValue) \(UUID().uuidString.prefix(6))", kind: kind.rawValue))
        let issued = try await issueToken(
            .cli(), participantID: participant.id, role: role.rawValue, label: "test", expiresInDays: 30)
        return TestUser(
            participantID: participant.id, token: issued.secret, tokenID: issued.info.id,
            context: CallContext(actor: .participant(id: participant.id, role: role, tokenID: issued.info.id), requestID: "test"))
    }
}
