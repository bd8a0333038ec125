import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The service's handle on PostgreSQL: a connection pool plus the two ways to use it.
/// Every write goes through `transaction`, so a service call is one transaction: the rule
/// checks, the change and its audit row commit together or not at all.
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

    /// How long a request may wait for a pooled connection before the database counts as
    /// unavailable (503). Without it, a request during an outage would hang until the pool's
    /// own circuit breaker gives up, a minute later.
    public static let acquireTimeout: Duration = .seconds(5)

    /// Runs `body` in one transaction; errors come back as `DomainError` where they have a
    /// meaning for the caller, otherwise unchanged.
    public func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        return try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await body(connection)
            }
        }
    }

    /// Runs `body` in one read-only REPEATABLE READ transaction, so that every query it makes
    /// sees the same snapshot; `statementTimeout` replaces the service's bound for its queries.
    public func snapshot<Result: Sendable>(
        statementTimeout: Duration,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        let milliseconds = statementTimeout.components.seconds * 1000
        return try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = \(milliseconds)"), logger: logger)
            return try await body(connection)
        }
    }

    /// Runs one statement that PostgreSQL commits on its own, without the BEGIN and COMMIT
    /// round trips of `transaction`. It is for writes that are a single statement.
    @discardableResult
    public func autocommit<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection(body)
    }

    /// Runs `body` on one pooled connection, outside an explicit transaction (reads).
    public func read<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection(body)
    }

    private func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let acquired = AcquiredFlag()
        let client = self.client
        do {
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        acquired.set()
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: Database.acquireTimeout)
                    if acquired.isSet { return nil }
                    throw DomainError.unavailable("the database is not available; retry later")
                }
                while let result = try await group.next() {
                    if let result {
                        group.cancelAll()
                        return result
                    }
                }
                throw DomainError.unavailable("the database is not available; retry later")
            }
        } catch {
            throw DatabaseErrors.translate(error)
        }
    }
}

/// Set once a connection has been leased, read by the acquisition watchdog.
private final class AcquiredFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// The one place where PostgreSQL's failures become domain errors.
public enum DatabaseErrors {
    public static func translate(_ error: any Error) -> any Error {
        var error = error
        if let transactionError = error as? PostgresTransactionError {
            error = transactionError.closureError ?? transactionError.beginError
                ?? transactionError.commitError ?? transactionError.rollbackError ?? error
        }
        if error is DomainError { return error }
        if let psql = error as? PSQLError {
            if let code = psql.serverInfo?[.sqlState] {
                switch code {
                case "23505":
                    return DomainError.conflict(uniqueViolationMessage(psql))
                case "23503":
                    return DomainError.validation([FieldError(foreignKeyField(psql), "refers to an object that does not exist")])
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

    private static func foreignKeyField(_ error: PSQLError) -> String {
        // Constraint names follow PostgreSQL's default: <table>_<column>_fkey.
        guard let constraint = error.serverInfo?[.constraintName],
            let table = error.serverInfo?[.tableName],
            constraint.hasPrefix(table + "_"), constraint.hasSuffix("_fkey")
        else { return "body" }
        return String(constraint.dropFirst(table.count + 1).dropLast("_fkey".count))
    }
}
