import Crypto
import Foundation

/// Backups that restore (deploy/README.md): a `pg_dump` custom-format archive plus a manifest
/// holding the migration version and the archive's SHA-256. The vault key is never in it.
public enum Backup {
    public struct Manifest: Codable, Sendable, Equatable {
        public var format: String
        public var createdAt: String
        public var database: String
        public var migrationVersion: Int
        public var sha256: String
        public var sizeBytes: Int
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case tool(String)
        case checksum(expected: String, found: String)
        case notEmpty(String)
        case manifest(String)

        public var description: String {
            switch self {
            case .tool(let message): return message
            case .checksum(let expected, let found):
                return "the archive does not match its manifest (sha256 \(found), manifest says \(expected)); it is damaged or not this backup"
            case .notEmpty(let database): return "database \(database) is not empty; restore only into a new, empty database"
            case .manifest(let message): return message
            }
        }
    }

    static let format = "dialogue-backup/1"

    public static func manifestPath(_ archive: String) -> String { archive + ".manifest.json" }

    /// The PostgreSQL client tools matching the installed server.
    static func tool(_ name: String) throws -> String {
        var candidates: [String] = []
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            candidates += versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin/\(name)" }
        }
        candidates += ["/usr/bin/\(name)", "/usr/local/bin/\(name)"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure.tool("\(name) not found; install the PostgreSQL client tools")
        }
        return path
    }

    static func connectionArguments(_ database: DatabaseConfiguration) -> (arguments: [String], environment: [String: String]) {
        var environment = ["PGSSLMODE": database.tls == .disable ? "disable" : (database.tls == .verifyFull ? "verify-full" : "require")]
        if let password = database.password { environment["PGPASSWORD"] = password }
        return (["-h", database.host, "-p", String(database.port), "-U", database.username], environment)
    }

    /// Dumps `database` (as its owner) to `archive` and writes the manifest beside it, both
    /// readable by the operator alone (pg_dump keeps the mode of the file it is given).
    public static func create(_ database: DatabaseConfiguration, migrationVersion: Int, to archive: String) throws -> Manifest {
        let (connection, environment) = connectionArguments(database)
        try PrivateFile.create(atPath: archive)
        try PrivateFile.create(atPath: manifestPath(archive))
        let (status, output) = try EmbeddedCluster.runCapturingStdout(
            try tool("pg_dump"), ["--format=custom", "--no-owner", "--file", archive] + connection + [database.database],
            environment: environment)
        guard status == 0 else { throw Failure.tool("pg_dump failed (\(status)) \(String(decoding: output, as: UTF8.self))") }
        let data = try Data(contentsOf: URL(fileURLWithPath: archive))
        let manifest = Manifest(
            format: format, createdAt: RFC3339.string(from: Date()), database: database.database,
            migrationVersion: migrationVersion, sha256: SHA256.hash(data: data).hexString, sizeBytes: data.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: manifestPath(archive)))
        defer { try? handle.close() }
        try handle.write(contentsOf: try encoder.encode(manifest))
        return manifest
    }

    /// Checks the archive against its manifest and restores it into an empty database.
    public static func restore(_ archive: String, into database: Database) async throws -> Manifest {
        guard let manifestData = FileManager.default.contents(atPath: manifestPath(archive)) else {
            throw Failure.manifest("no manifest at \(manifestPath(archive))")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let manifest = try? decoder.decode(Manifest.self, from: manifestData), manifest.format == format else {
            throw Failure.manifest("\(manifestPath(archive)) is not a dialogue backup manifest")
        }
        let found = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: archive))).hexString
        guard found == manifest.sha256 else { throw Failure.checksum(expected: manifest.sha256, found: found) }
        let tables = try await database.read { connection in
            try await connection.query(
                "SELECT count(*)::bigint FROM pg_tables WHERE schemaname = 'public'", logger: database.logger
            ).collect().first?.decode(Int.self) ?? 0
        }
        guard tables == 0 else { throw Failure.notEmpty(database.configuration.database) }
        // The grants in the archive name the service role; it is cluster-wide, so make sure it exists.
        try await database.read { connection in
            try await connection.query("""
                DO $$ BEGIN CREATE ROLE dialogue_app NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$
                """, logger: database.logger)
        }
        let (connection, environment) = connectionArguments(database.configuration)
        let (status, output) = try EmbeddedCluster.runCapturingStdout(
            try tool("pg_restore"), ["--no-owner", "--exit-on-error", "--dbname", database.configuration.database] + connection + [archive],
            environment: environment)
        guard status == 0 else { throw Failure.tool("pg_restore failed (\(status)) \(String(decoding: output, as: UTF8.self))") }
        return manifest
    }
}
