import Crypto
import Foundation
import Logging
import PostgresNIO

/// One `sql/NNNN_name.sql` file.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var fileName: String
    public var sql: String
    public var checksum: String

    public init(version: Int, name: String, fileName: String, sql: String, checksum: String) {
        self.version = version
        self.name = name
        self.fileName = fileName
        self.sql = sql
        self.checksum = checksum
    }

    /// PostgresNIO runs one statement per query, so files mark statement boundaries with this
    /// line rather than relying on `;` (which also appears inside function bodies).
    public static let statementBreak = "-- statement-break"

    public var statements: [String] {
        var statements: [String] = []
        var current: [Substring] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces) == Migration.statementBreak {
                statements.append(current.joined(separator: "\n"))
                current = []
            } else {
                current.append(line)
            }
        }
        statements.append(current.joined(separator: "\n"))
        return statements.filter { statement in
            statement.split(separator: "\n").contains { line in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                return !trimmed.isEmpty && !trimmed.hasPrefix("--")
            }
        }
    }
}

public struct MigrationStatus: Sendable, Equatable {
    public enum State: String, Sendable { case applied, pending, changed, unknown }
    public var version: Int
    public var name: String
    public var state: State
    public var appliedAt: Date?
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case badFileName(String)
    case duplicateVersion(Int)
    case changedAfterApply(String)
    case folderUnreadable(String)
    case notPermitted(pending: [String])

    public var description: String {
        switch self {
        case .badFileName(let name): return "migration file '\(name)' is not named NNNN_name.sql"
        case .duplicateVersion(let version): return "two migration files share the number \(version)"
        case .changedAfterApply(let name):
            return "migration \(name) was changed after it was applied; restore the applied version and add a new migration instead"
        case .folderUnreadable(let path): return "cannot read migrations folder \(path)"
        case .notPermitted(let pending):
            return "migrations \(pending.joined(separator: ", ")) are pending and this login may not apply them; "
                + "set DIALOGUE_MIGRATION_DATABASE_URL to the schema owner's login (DATABASE_URL stays the service's)"
        }
    }
}

/// Applies the migrations folder in order, each file in its own transaction, under a
/// session-level advisory lock so that two processes starting at once apply each file once.
public struct Migrator: Sendable {
    /// Arbitrary but fixed: every dialogue process agrees on it.
    static let advisoryLockKey: Int64 = 0x6469_616c_6f67

    public let migrations: [Migration]

    public init(migrations: [Migration]) { self.migrations = migrations }

    public init(directory: URL) throws {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: directory.path) else {
            throw MigrationError.folderUnreadable(directory.path)
        }
        var migrations: [Migration] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let stem = fileName.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"),
                let version = Int(stem[..<underscore]), stem[..<underscore].count == 4
            else { throw MigrationError.badFileName(fileName) }
            guard let data = fileManager.contents(atPath: directory.appendingPathComponent(fileName).path),
                let sql = String(data: data, encoding: .utf8)
            else { throw MigrationError.folderUnreadable(fileName) }
            let checksum = SHA256.hash(data: data).hexString
            migrations.append(Migration(
                version: version, name: String(stem[stem.index(after: underscore)...]), fileName: fileName,
                sql: sql, checksum: checksum))
        }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(next.version)
        }
        self.migrations = migrations
    }

    /// Applies what is pending; returns the files it applied. Refuses (before applying
    /// anything) when an applied file has changed.
    @discardableResult
    public func migrate(_ database: Database) async throws -> [Migration] {
        try await database.read { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Migrator.advisoryLockKey))", logger: database.logger)
            do {
                let applied = try await applyPending(connection, logger: database.logger)
                try await connection.query("SELECT pg_advisory_unlock(\(Migrator.advisoryLockKey))", logger: database.logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Migrator.advisoryLockKey))", logger: database.logger)
                throw error
            }
        }
    }

    /// A login that may only use the schema (the service's role) can still start a server on a
    /// database whose migrations are current: nothing is created unless something is pending.
    private func applyPending(_ connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        let exists = try await connection.query(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
        ).collect().first?.decode(Bool.self) ?? false
        let applied = exists ? try await appliedChecksums(connection, logger: logger) : [:]
        for migration in migrations {
            if let checksum = applied[migration.version]?.checksum, checksum != migration.checksum {
                throw MigrationError.changedAfterApply(migration.fileName)
            }
        }
        let pending = migrations.filter { applied[$0.version] == nil }
        guard !pending.isEmpty else { return [] }
        do {
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            return try await apply(pending, connection, logger: logger)
        } catch where DatabaseErrors.sqlState(error) == "42501" {
            throw MigrationError.notPermitted(pending: pending.map(\.fileName))
        }
    }

    private func apply(_ pending: [Migration], _ connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        var done: [Migration] = []
        for migration in pending {
            logger.info("applying migration", metadata: ["file": "\(migration.fileName)"])
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("""
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
            }
            done.append(migration)
        }
        return done
    }

    private func appliedChecksums(_ connection: PostgresConnection, logger: Logger) async throws -> [Int: (checksum: String, name: String, appliedAt: Date)] {
        var result: [Int: (checksum: String, name: String, appliedAt: Date)] = [:]
        let rows = try await connection.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations", logger: logger)
        for try await (version, name, checksum, appliedAt) in rows.decode((Int, String, String, Date).self) {
            result[version] = (checksum, name, appliedAt)
        }
        return result
    }

    /// Every file on disk and every applied version, with its state.
    public func status(_ database: Database) async throws -> [MigrationStatus] {
        let applied: [Int: (checksum: String, name: String, appliedAt: Date)] = try await database.read { connection in
            let exists = try await connection.query(
                "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: database.logger
            ).collect().first?.decode(Bool.self) ?? false
            guard exists else { return [:] }
            return try await appliedChecksums(connection, logger: database.logger)
        }
        var statuses = migrations.map { migration -> MigrationStatus in
            guard let row = applied[migration.version] else {
                return MigrationStatus(version: migration.version, name: migration.name, state: .pending, appliedAt: nil)
            }
            return MigrationStatus(
                version: migration.version, name: migration.name,
                state: row.checksum == migration.checksum ? .applied : .changed, appliedAt: row.appliedAt)
        }
        let known = Set(migrations.map(\.version))
        for (version, row) in applied where !known.contains(version) {
            statuses.append(MigrationStatus(version: version, name: row.name, state: .unknown, appliedAt: row.appliedAt))
        }
        return statuses.sorted { $0.version < $1.version }
    }

    /// Ready means: every file on disk is applied, unchanged.
    public func isCurrent(_ database: Database) async throws -> Bool {
        try await status(database).allSatisfy { $0.state == .applied || $0.state == .unknown }
    }
}
