import Foundation
import Logging

/// Everything the service reads from its environment, validated once at start-up.
public struct Configuration: Sendable {
    /// Where the service reads and writes, as its least-privileged role.
    public var database: DatabaseConfiguration
    /// Where migrations run, as the schema's owner (`DIALOGUE_MIGRATION_DATABASE_URL`, else
    /// the service's own database URL).
    public var migrationDatabase: DatabaseConfiguration
    /// True when the database is the embedded development cluster (nothing was configured).
    public var usesEmbeddedDatabase: Bool
    public var logLevel: Logger.Level
    public var sqlDirectory: URL
    /// The URL clients use to reach the service (`DIALOGUE_PUBLIC_URL`), for absolute links
    /// such as calendar feeds; nil means "the address `serve` listens on".
    public var publicURL: String?
    /// `DIALOGUE_LOG_FORMAT=json`: one JSON object per log line.
    public var jsonLogs: Bool
    /// `DIALOGUE_TRUSTED_PROXY_HEADER` (e.g. X-Forwarded-For): when set, request log lines carry
    /// the client address the trusted proxy reports. Unset (the default), no address is logged
    /// at all (SECURITY.md 4).
    public var trustedProxyHeader: String?
    /// How long an export may wait for a client that stopped reading before it gives up and
    /// releases its database connection.
    public var exportStallSeconds: Int = 30
    /// Seals portal second factors (`DIALOGUE_FACTOR_KEY` or `DIALOGUE_FACTOR_KEY_FILE`); on the
    /// embedded default, a key file made inside the checkout's `.data/`.
    public var secondFactorKey: VaultKey?
    /// Set when this start made that key file, so that `serve` says where it is.
    public var secondFactorKeyCreated: String?
    /// The relay e-mail about notifications goes through (`DIALOGUE_SMTP_HOST` and friends);
    /// without one, no e-mail is sent and the portal still lists every notification.
    public var smtp: SMTPConfiguration?
    /// How often the e-mail outbox is worked (`DIALOGUE_EMAIL_INTERVAL_SECONDS`, default 60).
    public var emailIntervalSeconds: Int = 60
    /// Development (the embedded database) or `DIALOGUE_WEBHOOKS_ALLOW_LOOPBACK=1`: webhooks may
    /// target this machine.
    public var webhooksMayTargetLoopback = false
    /// `DIALOGUE_EVIDENCE_MAX_FILE_MB` and `DIALOGUE_EVIDENCE_MAX_TOTAL_MB` (per object).
    public var evidenceLimits = EvidenceLimits()
    /// `DIALOGUE_READ_MEMO_MB`: how much memory the answers kept for reuse may take (default
    /// 32 MiB; 0 keeps none, and every read is made afresh).
    public var readMemoBytes = Configuration.defaultReadMemoBytes
    public static let defaultReadMemoBytes = 32 << 20

    /// Reads `DATABASE_URL`, `DIALOGUE_LOG_LEVEL`, `DIALOGUE_DB_POOL_SIZE`, `DIALOGUE_SQL_DIR`
    /// and `DIALOGUE_PUBLIC_URL`; reports every problem in one error. Without `DATABASE_URL` the
    /// embedded cluster is started (or reused).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
        var problems: [String] = []
        let logLevel: Logger.Level
        if let raw = environment["DIALOGUE_LOG_LEVEL"], !raw.isEmpty {
            if let level = Logger.Level(rawValue: raw) { logLevel = level } else {
                problems.append("DIALOGUE_LOG_LEVEL: '\(raw)' is not one of trace, debug, info, notice, warning, error, critical")
                logLevel = .info
            }
        } else {
            logLevel = .info
        }
        let jsonLogs: Bool
        switch environment["DIALOGUE_LOG_FORMAT"] ?? "" {
        case "", "text": jsonLogs = false
        case "json": jsonLogs = true
        case let other:
            problems.append("DIALOGUE_LOG_FORMAT: '\(other.prefix(20))' is not text or json")
            jsonLogs = false
        }
        var trustedProxyHeader: String?
        if let raw = environment["DIALOGUE_TRUSTED_PROXY_HEADER"], !raw.isEmpty {
            if raw.count <= 64, raw.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                trustedProxyHeader = raw
            } else {
                problems.append("DIALOGUE_TRUSTED_PROXY_HEADER: not a header name")
            }
        }
        var statementTimeout: Int?
        if let raw = environment["DIALOGUE_STATEMENT_TIMEOUT_MS"], !raw.isEmpty {
            if let value = Int(raw), (100...3_600_000).contains(value) { statementTimeout = value } else {
                problems.append("DIALOGUE_STATEMENT_TIMEOUT_MS: expected milliseconds from 100 to 3600000")
            }
        }
        var exportStall = 30
        if let raw = environment["DIALOGUE_EXPORT_STALL_SECONDS"], !raw.isEmpty {
            if let value = Int(raw), (1...3600).contains(value) { exportStall = value } else {
                problems.append("DIALOGUE_EXPORT_STALL_SECONDS: expected seconds from 1 to 3600")
            }
        }
        var poolSize = DatabaseConfiguration.defaultPoolSize
        if let raw = environment["DIALOGUE_DB_POOL_SIZE"], !raw.isEmpty {
            if let value = Int(raw), (1...500).contains(value) { poolSize = value } else {
                problems.append("DIALOGUE_DB_POOL_SIZE: expected a number from 1 to 500")
            }
        }
        let sqlDirectory: URL?
        if let raw = environment["DIALOGUE_SQL_DIR"], !raw.isEmpty {
            sqlDirectory = URL(fileURLWithPath: raw)
        } else if let root = EmbeddedCluster.checkoutRoot() {
            sqlDirectory = root.appendingPathComponent("sql")
        } else {
            problems.append("DIALOGUE_SQL_DIR: the migrations folder was not found; set it to the sql/ folder")
            sqlDirectory = nil
        }
        var database: DatabaseConfiguration?
        var migrationDatabase: DatabaseConfiguration?
        var embedded = false
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            do { database = try DatabaseConfiguration(url: url) } catch { problems.append("\(error)") }
            if let owner = environment["DIALOGUE_MIGRATION_DATABASE_URL"], !owner.isEmpty {
                do { migrationDatabase = try DatabaseConfiguration(url: owner) } catch {
                    problems.append("DIALOGUE_MIGRATION_DATABASE_URL: \(error)")
                }
            } else {
                migrationDatabase = database
            }
        } else if problems.isEmpty {
            let urls = try EmbeddedCluster.ensureRunning()
            database = try DatabaseConfiguration(url: urls.service)
            migrationDatabase = try DatabaseConfiguration(url: urls.owner)
            embedded = true
        }
        guard problems.isEmpty, var database, var migrationDatabase, let sqlDirectory else {
            throw ConfigurationError.invalid("configuration", problems.joined(separator: "; "))
        }
        database.maximumConnections = poolSize
        database.minimumConnections = poolSize
        database.statementTimeoutMilliseconds = statementTimeout
        migrationDatabase.maximumConnections = 2
        // A database across a network without TLS exposes tokens and data to anyone on the path.
        if !embedded, environment["DIALOGUE_ALLOW_INSECURE_DATABASE"] != "1" {
            for (key, target) in [("DATABASE_URL", database), ("DIALOGUE_MIGRATION_DATABASE_URL", migrationDatabase)]
            where !target.isLocal && (target.tls == .disable || target.tls == .prefer) {
                throw ConfigurationError.invalid(
                    key, "connects to \(target.host) without required TLS; use sslmode=verify-full (or require), "
                        + "or set DIALOGUE_ALLOW_INSECURE_DATABASE=1 on a private network you trust")
            }
        }
        let publicURL = environment["DIALOGUE_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : String($0.reversed().drop(while: { $0 == "/" }).reversed()) }
        var configuration = Configuration(
            database: database, migrationDatabase: migrationDatabase, usesEmbeddedDatabase: embedded, logLevel: logLevel, sqlDirectory: sqlDirectory,
            publicURL: publicURL, jsonLogs: jsonLogs, trustedProxyHeader: trustedProxyHeader)
        configuration.exportStallSeconds = exportStall
        do {
            configuration.secondFactorKey = try VaultKey.fromEnvironment(environment, variable: "DIALOGUE_FACTOR_KEY")
        } catch VaultError.noKey {
            if embedded, let root = EmbeddedCluster.checkoutRoot() {
                let path = root.appendingPathComponent(".data/factor.key").path
                if !FileManager.default.fileExists(atPath: path) {
                    try PrivateFile.create(atPath: path, field: "DIALOGUE_FACTOR_KEY_FILE")
                    try Data(VaultKey.generate().utf8).write(to: URL(fileURLWithPath: path))
                    configuration.secondFactorKeyCreated = path
                }
                configuration.secondFactorKey = try VaultKey.fromFile(path)
            }
        } catch {
            throw ConfigurationError.invalid("DIALOGUE_FACTOR_KEY", "\(error)")
        }
        configuration.smtp = try Self.smtp(environment)
        configuration.webhooksMayTargetLoopback = embedded || environment["DIALOGUE_WEBHOOKS_ALLOW_LOOPBACK"] == "1"
        for (key, path) in [("DIALOGUE_EVIDENCE_MAX_FILE_MB", \EvidenceLimits.fileBytes), ("DIALOGUE_EVIDENCE_MAX_TOTAL_MB", \EvidenceLimits.parentBytes)] {
            guard let text = environment[key] else { continue }
            guard let megabytes = Int(text), (1...4096).contains(megabytes) else {
                throw ConfigurationError.invalid(key, "must be a number of MiB from 1 to 4096")
            }
            configuration.evidenceLimits[keyPath: path] = megabytes << 20
        }
        if let text = environment["DIALOGUE_READ_MEMO_MB"], !text.isEmpty {
            guard let megabytes = Int(text), (0...1024).contains(megabytes) else {
                throw ConfigurationError.invalid("DIALOGUE_READ_MEMO_MB", "must be a number of MiB from 0 to 1024")
            }
            configuration.readMemoBytes = megabytes << 20
        }
        if let interval = environment["DIALOGUE_EMAIL_INTERVAL_SECONDS"] {
            guard let seconds = Int(interval), (1...86_400).contains(seconds) else {
                throw ConfigurationError.invalid("DIALOGUE_EMAIL_INTERVAL_SECONDS", "must be a number of seconds from 1 to 86400")
            }
            configuration.emailIntervalSeconds = seconds
        }
        return configuration
    }

    /// The relay, when `DIALOGUE_SMTP_HOST` names one: a port (587 by default), the sender, and
    /// optionally a user with a password read from a file (never from the environment itself).
    static func smtp(_ environment: [String: String]) throws -> SMTPConfiguration? {
        guard let host = environment["DIALOGUE_SMTP_HOST"], !host.isEmpty else { return nil }
        let port = Int(environment["DIALOGUE_SMTP_PORT"] ?? "587") ?? 0
        guard (1...65535).contains(port) else { throw ConfigurationError.invalid("DIALOGUE_SMTP_PORT", "must be a port number") }
        guard let from = environment["DIALOGUE_SMTP_FROM"], from.contains("@"), !from.contains(where: { "<>\r\n ".contains($0) }) else {
            throw ConfigurationError.invalid("DIALOGUE_SMTP_FROM", "must be the sender's address, e.g. portal@dialogue.example")
        }
        var password: String?
        if let file = environment["DIALOGUE_SMTP_PASSWORD_FILE"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError.invalid("DIALOGUE_SMTP_PASSWORD_FILE", "cannot be read")
            }
            password = text.trimmingCharacters(in: .newlines)
        }
        if let caFile = environment["DIALOGUE_SMTP_CA_FILE"], !FileManager.default.isReadableFile(atPath: caFile) {
            throw ConfigurationError.invalid("DIALOGUE_SMTP_CA_FILE", "cannot be read")
        }
        return SMTPConfiguration(
            host: host, port: port, from: from, username: environment["DIALOGUE_SMTP_USER"], password: password,
            caFile: environment["DIALOGUE_SMTP_CA_FILE"])
    }
}
