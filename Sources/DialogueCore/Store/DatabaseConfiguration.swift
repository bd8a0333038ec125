import Foundation
import NIOSSL
import PostgresNIO

/// Where the database is and how to reach it, parsed from a `postgres://` URL.
public struct DatabaseConfiguration: Sendable {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    public var maximumConnections: Int
    /// Connections the pool keeps open even when idle (the service keeps all of them).
    public var minimumConnections = 0
    /// How often `serve` touches every pooled connection (`Database.touchEveryConnection`),
    /// so that no firewall drops an idle one unnoticed (they drop after 4 minutes and more).
    public static let keepAliveInterval: Duration = .seconds(60)
    /// Connections per instance unless `DIALOGUE_DB_POOL_SIZE` says otherwise: twice the
    /// cores, plus two, between 6 and 20. More connections than the cores can serve only
    /// queue inside PostgreSQL and cost the service memory: on 2 cores, `make bench`'s loads
    /// ran 13–25 % faster with 6 than with 20, and the server's peak RSS fell 128 → 63 MiB.
    public static var defaultPoolSize: Int {
        min(20, max(6, 2 * ProcessInfo.processInfo.activeProcessorCount + 2))
    }
    /// Server-side limit per statement (`DIALOGUE_STATEMENT_TIMEOUT_MS`); nil keeps the server's.
    public var statementTimeoutMilliseconds: Int?

    public init(host: String, port: Int, username: String, password: String?, database: String, tls: TLSMode, maximumConnections: Int = DatabaseConfiguration.defaultPoolSize) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.maximumConnections = maximumConnections
    }

    public init(url: String) throws {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError.invalid("DATABASE_URL", "expected postgres://user:password@host:port/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw ConfigurationError.invalid("DATABASE_URL", "names no database")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let mode: TLSMode
        switch query["sslmode"] ?? "prefer" {
        case "disable": mode = .disable
        case "allow", "prefer": mode = .prefer
        case "require": mode = .require
        case "verify-ca", "verify-full": mode = .verifyFull
        case let other: throw ConfigurationError.invalid("DATABASE_URL", "unsupported sslmode '\(other)'")
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres",
            password: components.percentEncodedPassword.flatMap { $0.removingPercentEncoding },
            database: database,
            tls: mode
        )
    }

    /// True for loopback hosts, the only ones tests will touch.
    public var isLocal: Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
    }

    /// The same server, another database on it (tests clone a template per suite).
    public func with(database: String) -> DatabaseConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    public var clientConfiguration: PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS
        switch tls {
        case .disable:
            tlsSetting = .disable
        case .prefer:
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = .none
            tlsSetting = .prefer(config)
        case .require:
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = .none
            tlsSetting = .require(config)
        case .verifyFull:
            tlsSetting = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsSetting)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        // Each time a connection goes idle (after every statement) the pool starts a timer for
        // its keep-alive ping and, above `minimumConnections`, one for closing it: three tasks,
        // cancelled when the connection is leased again, whose sleeps still wake a thread when
        // their deadline passes: at 12,000 reads a second the server went on using CPU for 5 s
        // after a load stopped. Kept connections need no closing timer, and `serve` uses each
        // of them itself, all at once, once a minute (`ConnectionKeepAliveService`).
        configuration.options.minimumConnections = min(minimumConnections, maximumConnections)
        configuration.options.keepAliveBehavior = nil
        // Every session runs in UTC, whatever the server's default: dates derived from
        // timestamps (overdue, quarters) and any CHECK on them must not move with its zone.
        configuration.options.additionalStartupParameters = [("TimeZone", "UTC")]
        // No JIT compilation: the service's statements are short reads or the report's
        // aggregates over one quarter, and LLVM spends more compiling them (240 ms of a 580 ms
        // figure query at scale 1) than they take to run.
        configuration.options.additionalStartupParameters.append(("jit", "off"))
        if let timeout = statementTimeoutMilliseconds {
            configuration.options.additionalStartupParameters.append(("statement_timeout", String(timeout)))
        }
        return configuration
    }
}

public enum ConfigurationError: Error, CustomStringConvertible, Equatable {
    case invalid(String, String)
    case missing([String])

    public var description: String {
        switch self {
        case .invalid(let key, let message): return "\(key): \(message)"
        case .missing(let keys): return "missing configuration: \(keys.joined(separator: ", "))"
        }
    }
}
