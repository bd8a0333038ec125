import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The service's handle on PostgreSQL: a connection pool plus the ways to use it.
/// Every write goes through `transaction` or, where it is one statement, `write`, so a service
/// call is one transaction: the rule checks, the change and its audit row commit together or
/// not at all.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Where the pool connects (tests and tools that shell out need the same database).
    public let configuration: DatabaseConfiguration

    public init(configuration: DatabaseConfiguration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        self.logger = logger
        self.configuration = configuration
    }

    /// Starts the pool's run loop as a child task of `group` and returns once it has begun, so
    /// that no connection is asked for before it (PostgresNIO warns when one is).
    public func startClient(in group: inout ThrowingTaskGroup<Void, any Error>) async {
        let (started, signal) = AsyncStream<Void>.makeStream()
        let client = self.client
        group.addTask {
            signal.finish()
            // No suspension point between the signal and run() marking the client running.
            await client.run()
        }
        for await _ in started {}
        await Task.yield()
    }

    /// How long a request may wait for a pooled connection before the database counts as
    /// unavailable (503). Without it, a request during an outage would hang until the pool's
    /// own circuit breaker gives up, a minute later.
    public static let acquireTimeout: Duration = .seconds(5)

    /// Runs `body` in one transaction; errors come back as `DomainError` where they have a
    /// meaning for the caller, otherwise unchanged. After the body, just before COMMIT: the
    /// idempotency key of the request being served (if any) is settled with what the body
    /// created, and then the audit rows the body recorded are written, so the audit chain's
    /// lock is the last lock taken.
    ///
    /// A deadlock or serialization failure (40P01, 40001) rolls everything back; the body is
    /// run once more on a fresh transaction, and if it fails the same way again the caller
    /// gets `unavailable` (503 with Retry-After), never a 500. The body is a `@Sendable`
    /// closure over values, so running it twice repeats no effect outside the database.
    public func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await retryingConcurrencyFailure { try await attemptTransaction(body) }
    }

    /// A write that is one statement (`AuditLog.SingleStatement`): the change, the request's
    /// idempotency key, its notification and its audit rows, committed by PostgreSQL on its
    /// own. Two round trips fewer than `transaction`, and the audit chain's lock is not held
    /// while the server sends COMMIT (nor, for a keyed request, through the flush). Retried
    /// once on a concurrency failure, as `transaction`.
    func write<Statement: PreparedRead>(_ statement: Statement) async throws -> PostgresRow {
        let logger = self.logger
        return try await retryingConcurrencyFailure {
            try await withConnection(translating: false) { connection in
                try await connection.rows(statement, logger: logger).single(or: .conflict("the change could not be written"))
            }
        }
    }

    private func retryingConcurrencyFailure<Result: Sendable>(_ attempt: () async throws -> Result) async throws -> Result {
        do {
            return try await attempt()
        } catch let error where DatabaseErrors.isConcurrencyFailure(error) {
            logger.notice("transaction retried after a concurrency failure", metadata: ["sqlstate": "\(DatabaseErrors.sqlState(error) ?? "")"])
            do {
                return try await attempt()
            } catch let error where DatabaseErrors.isConcurrencyFailure(error) {
                throw DomainError.unavailable("the change collided with concurrent changes twice; retry later")
            }
        }
    }

    private func attemptTransaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        return try await withConnection(translating: false) { connection in
            try await connection.withTransaction(logger: logger) { connection in
                let pending = AuditLog.Pending()
                let result = try await AuditLog.Pending.$current.withValue(pending) { try await body(connection) }
                let entries = pending.take()
                let settling = IdempotentRequest.current.flatMap { request in
                    entries.first.map { (request, "\($0.1.objectType)/\($0.1.objectID)") }
                }
                try await AuditLog.write(connection, logger: logger, entries, notification: pending.takeNotification(), settling: settling)
                return result
            }
        }
    }

    /// Runs `body` in one read-only REPEATABLE READ transaction, so that every query it makes
    /// sees the same snapshot; `statementTimeout` replaces the service's bound for its queries.
    /// With `joining`, the transaction reads in the snapshot another open transaction
    /// exported (`exportSnapshot`), so that two connections read the same data in parallel.
    public func snapshot<Result: Sendable>(
        statementTimeout: Duration, joining exported: String? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        let milliseconds = statementTimeout.components.seconds * 1000
        if let exported, exported.isEmpty || !exported.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
            throw DomainError.unavailable("the export's snapshot could not be shared")
        }
        return try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            if let exported {
                // Checked above to be hex digits and dashes, as PostgreSQL names snapshots.
                try await connection.query(PostgresQuery(unsafeSQL: "SET TRANSACTION SNAPSHOT '\(exported)'"), logger: logger)
            }
            try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = \(milliseconds)"), logger: logger)
            return try await body(connection)
        }
    }

    /// Names the snapshot of `connection`'s open REPEATABLE READ transaction, for
    /// `snapshot(joining:)` on other connections while this transaction stays open.
    public static func exportSnapshot(_ connection: PostgresConnection, logger: Logger) async throws -> String {
        let rows = try await connection.query("SELECT pg_export_snapshot()", logger: logger).collect()
        guard let name = try rows.first?.decode(String.self) else {
            throw DomainError.unavailable("the export's snapshot could not be shared")
        }
        return name
    }

    /// Runs one statement that PostgreSQL commits on its own, without the BEGIN and COMMIT
    /// round trips of `transaction`. It is for writes that are a single statement.
    @discardableResult
    public func autocommit<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection(body)
    }

    /// One trivial statement on each of the pool's connections at once, so that each is used:
    /// the keep-alive of idle connections (`DatabaseConfiguration.keepAliveInterval`).
    public func touchEveryConnection() async throws {
        let logger = self.logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<configuration.maximumConnections {
                group.addTask {
                    try await read { connection in _ = try await connection.query("SELECT 1", logger: logger).collect() }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Runs `body` on one pooled connection, outside an explicit transaction (reads).
    public func read<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection(body)
    }

    /// Runs `body` on a leased connection. The lease runs as its own task so that it can be
    /// given up alone: if no connection is leased within `acquireTimeout`, the process-wide
    /// `AcquisitionWatchdog` cancels that task and the caller gets `unavailable` (503), while
    /// the request's own task goes on to answer. A request cancelled by its client cancels the
    /// lease with it.
    private func withConnection<Result: Sendable>(
        translating: Bool = true, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let acquisition = Acquisition()
        let client = self.client
        let lease = Task {
            try await client.withConnection { connection in
                // Given up at the deadline: the caller is told 503, so nothing may run.
                guard acquisition.leased() else { throw DomainError.unavailable("the database is not available; retry later") }
                return try await body(connection)
            }
        }
        let watch = AcquisitionWatchdog.shared.watch(deadline: .now + Database.acquireTimeout) {
            if acquisition.giveUp() { lease.cancel() }
        }
        defer { AcquisitionWatchdog.shared.forget(watch) }
        do {
            return try await withTaskCancellationHandler { try await lease.value } onCancel: { lease.cancel() }
        } catch {
            if acquisition.gaveUp { throw DomainError.unavailable("the database is not available; retry later") }
            // A transaction keeps concurrency failures as they are, so that it can retry them.
            if !translating, DatabaseErrors.isConcurrencyFailure(error) { throw DatabaseErrors.unwrap(error) }
            throw DatabaseErrors.translate(error)
        }
    }
}

/// One request for a connection: waiting, leased, or given up by the watchdog — never both of
/// the last two, so a lease that arrives at the deadline is used, not cancelled.
private final class Acquisition: Sendable {
    private enum State: UInt8, AtomicRepresentable { case waiting, leased, gaveUp }
    private let state = Atomic<State>(.waiting)
    /// True if the acquisition was still waiting and now holds its connection.
    func leased() -> Bool { state.compareExchange(expected: .waiting, desired: .leased, ordering: .acquiringAndReleasing).exchanged }
    /// True if the acquisition was still waiting and is now given up.
    func giveUp() -> Bool { state.compareExchange(expected: .waiting, desired: .gaveUp, ordering: .acquiringAndReleasing).exchanged }
    var gaveUp: Bool { state.load(ordering: .acquiring) == .gaveUp }
}

/// One timer for the whole process instead of one per lease: acquisitions register a deadline
/// and what to do when it passes, and a single task looks at them ten times a second. A
/// sleeping child task per request cost as much as the agenda read's own query.
final class AcquisitionWatchdog: Sendable {
    static let shared = AcquisitionWatchdog()
    static let resolution: Duration = .milliseconds(100)

    private struct Watch {
        let deadline: ContinuousClock.Instant
        let expire: @Sendable () -> Void
    }
    private struct State {
        var next = 0
        var watches: [Int: Watch] = [:]
    }
    private let state = Mutex(State())

    private init() {
        Task.detached { [self] in
            while true {
                try? await Task.sleep(for: Self.resolution)
                for expire in expired(at: .now) { expire() }
            }
        }
    }

    func watch(deadline: ContinuousClock.Instant, _ expire: @escaping @Sendable () -> Void) -> Int {
        state.withLock { state in
            state.next &+= 1
            state.watches[state.next] = Watch(deadline: deadline, expire: expire)
            return state.next
        }
    }

    func forget(_ watch: Int) {
        _ = state.withLock { $0.watches.removeValue(forKey: watch) }
    }

    private func expired(at now: ContinuousClock.Instant) -> [@Sendable () -> Void] {
        state.withLock { state in
            let due = state.watches.filter { $0.value.deadline <= now }
            for key in due.keys { state.watches.removeValue(forKey: key) }
            return due.values.map(\.expire)
        }
    }
}

/// The one place where PostgreSQL's failures become domain errors.
public enum DatabaseErrors {
    /// The failure inside a failed transaction (the body's, or BEGIN's, or COMMIT's).
    static func unwrap(_ error: any Error) -> any Error {
        guard let transactionError = error as? PostgresTransactionError else { return error }
        return transactionError.closureError ?? transactionError.beginError
            ?? transactionError.commitError ?? transactionError.rollbackError ?? error
    }

    static func sqlState(_ error: any Error) -> String? {
        (unwrap(error) as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A deadlock or a serialization failure: nothing was written, and the same work may
    /// succeed if it is done again.
    static func isConcurrencyFailure(_ error: any Error) -> Bool {
        let code = sqlState(error)
        return code == "40P01" || code == "40001"
    }

    public static func translate(_ error: any Error) -> any Error {
        let error = unwrap(error)
        if error is DomainError { return error }
        if let psql = error as? PSQLError {
            if let code = psql.serverInfo?[.sqlState] {
                switch code {
                case "23505":
                    return DomainError.conflict(uniqueViolationMessage(psql))
                case "23503":
                    return DomainError.validation([FieldError(foreignKeyField(psql), "refers to an object that does not exist")])
                case "23514", "23502":
                    return DomainError.validation([FieldError(checkedField(psql), "is not allowed here or is too long")])
                case "22021", "22P05":
                    return DomainError.validation([FieldError(columnField(psql), "contains characters that cannot be stored")])
                case "22P02", "22007", "22008", "22003", "22001":
                    return DomainError.validation([FieldError(columnField(psql), "is not a valid value")])
                case "40P01", "40001":
                    return DomainError.unavailable("the change collided with a concurrent change; retry later")
                case "57014":
                    return DomainError.unavailable("the database took too long to answer; retry later")
                case "57P01", "57P02", "57P03", "08000", "08003", "08006":
                    return DomainError.unavailable("the database is not available; retry later")
                default:
                    return error
                }
            }
            switch psql.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed,
                .connectionQuiescing, .uncleanShutdown:
                return DomainError.unavailable("the database is not available; retry later")
            default:
                return error
            }
        }
        if error is CancellationError { return error }
        // Connection attempts that fail below PSQLError (refused, reset) surface as NIO errors.
        let text = String(describing: error)
        if text.contains("ConnectionPoolError") || text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("connectTimeout") {
            return DomainError.unavailable("the database is not available; retry later")
        }
        return error
    }

    /// Names the constraint's purpose without echoing the row: the detail PostgreSQL sends
    /// contains the duplicated value, which may be something a client must not see.
    private static func uniqueViolationMessage(_ error: PSQLError) -> String {
        if let constraint = error.serverInfo?[.constraintName] {
            return "an object with the same unique value already exists (\(constraint))"
        }
        return "an object with the same unique value already exists"
    }

    /// Column CHECKs keep PostgreSQL's default names (<table>_<column>_check); the table-wide
    /// ones are named for their rule, and each names the field a client would fix.
    static let namedChecks: [String: String] = [
        "participants_proxy_without_email": "email",
        "sessions_time_order": "ends_at",
        "sessions_group_kind": "working_group_id",
        "action_items_done_is_complete": "progress",
    ]

    private static func checkedField(_ error: PSQLError) -> String {
        if let column = error.serverInfo?[.columnName] { return column }
        guard let constraint = error.serverInfo?[.constraintName] else { return "body" }
        if let field = namedChecks[constraint] { return field }
        if let table = error.serverInfo?[.tableName], constraint.hasPrefix(table + "_"), constraint.hasSuffix("_check") {
            return String(constraint.dropFirst(table.count + 1).dropLast("_check".count))
        }
        return "body"
    }

    /// A data error names no column; the statement does not say which value it was.
    private static func columnField(_ error: PSQLError) -> String {
        error.serverInfo?[.columnName] ?? "body"
    }

    /// What may be written to a log or a terminal about a failure: for a database error its
    /// SQLSTATE, constraint and table, never its detail or query (they carry row contents,
    /// names and e-mail addresses among them), and its message only where it holds no value.
    public static func loggable(_ error: any Error) -> String {
        let error = unwrap(error)
        guard let psql = error as? PSQLError else {
            return error is DomainError ? String(describing: error) : String(reflecting: error)
        }
        guard let info = psql.serverInfo, let code = info[.sqlState] else {
            return "database connection failure (\(psql.code))"
        }
        var parts = ["database error \(code)"]
        // Classes 22 (data) and 23 (integrity) quote the offending values in their message.
        if !code.hasPrefix("22"), !code.hasPrefix("23"), let message = info[.message] { parts.append(message) }
        if let constraint = info[.constraintName] { parts.append("constraint \(constraint)") }
        if let table = info[.tableName] { parts.append("table \(table)") }
        return parts.joined(separator: ", ")
    }

    private static func foreignKeyField(_ error: PSQLError) -> String {
        // Constraint names follow PostgreSQL's default: <table>_<column>_fkey.
        guard let constraint = error.serverInfo?[.constraintName],
            let table = error.serverInfo?[.tableName],
            constraint.hasPrefix(table + "_"), constraint.hasSuffix("_fkey")
        else { return "body" }
        return String(constraint.dropFirst(table.count + 1).dropLast("_fkey".count))
    }
}
