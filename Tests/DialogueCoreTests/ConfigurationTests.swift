import DialogueCore
import Foundation
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let base = ["DIALOGUE_SQL_DIR": "/tmp"]

    @Test("a remote database without TLS is refused unless explicitly allowed; sslmode is honoured")
    func insecureCombination() throws {
        var environment = Self.base
        environment["DATABASE_URL"] = "postgres://app:pw@db.example.org:5432/dialogue?sslmode=disable"
        #expect(throws: ConfigurationError.self) { try Configuration.fromEnvironment(environment) }
        environment["DATABASE_URL"] = "postgres://app:pw@db.example.org:5432/dialogue"
        #expect(throws: ConfigurationError.self, "prefer is not required TLS") { try Configuration.fromEnvironment(environment) }
        environment["DIALOGUE_ALLOW_INSECURE_DATABASE"] = "1"
        #expect(try Configuration.fromEnvironment(environment).database.tls == .prefer)
        environment["DIALOGUE_ALLOW_INSECURE_DATABASE"] = nil
        environment["DATABASE_URL"] = "postgres://app:pw@db.example.org:5432/dialogue?sslmode=verify-full"
        let secure = try Configuration.fromEnvironment(environment)
        #expect(secure.database.tls == .verifyFull)
        #expect(secure.migrationDatabase.host == "db.example.org", "migrations default to DATABASE_URL")
        environment["DATABASE_URL"] = "postgres://app:pw@127.0.0.1:5432/dialogue?sslmode=disable"
        #expect(try Configuration.fromEnvironment(environment).database.isLocal)
    }

    @Test("every problem is reported in one message; pool size, timeout, log format and owner URL are read")
    func values() throws {
        var environment = Self.base
        environment["DATABASE_URL"] = "postgres://app:pw@127.0.0.1:5432/dialogue?sslmode=disable"
        environment["DIALOGUE_DB_POOL_SIZE"] = "0"
        environment["DIALOGUE_LOG_LEVEL"] = "loud"
        environment["DIALOGUE_LOG_FORMAT"] = "xml"
        do {
            _ = try Configuration.fromEnvironment(environment)
            Issue.record("bad values accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("DIALOGUE_DB_POOL_SIZE") && text.contains("DIALOGUE_LOG_LEVEL") && text.contains("DIALOGUE_LOG_FORMAT"))
        }
        environment["DIALOGUE_DB_POOL_SIZE"] = "7"
        environment["DIALOGUE_LOG_LEVEL"] = "debug"
        environment["DIALOGUE_LOG_FORMAT"] = "json"
        environment["DIALOGUE_STATEMENT_TIMEOUT_MS"] = "5000"
        environment["DIALOGUE_MIGRATION_DATABASE_URL"] = "postgres://owner:pw@127.0.0.1:5432/dialogue?sslmode=disable"
        let configuration = try Configuration.fromEnvironment(environment)
        #expect(configuration.database.maximumConnections == 7)
        #expect(configuration.database.minimumConnections == 7, "the service keeps its connections: no idle timers")
        var unsized = environment
        unsized["DIALOGUE_DB_POOL_SIZE"] = nil
        let sizedByCores = try Configuration.fromEnvironment(unsized).database.maximumConnections
        #expect(sizedByCores == min(20, max(6, 2 * ProcessInfo.processInfo.activeProcessorCount + 2)))
        #expect(configuration.database.statementTimeoutMilliseconds == 5000)
        #expect(configuration.jsonLogs)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.migrationDatabase.username == "owner")
        #expect(!configuration.usesEmbeddedDatabase)
    }

    @Test("DIALOGUE_READ_MEMO_MB: 32 MiB by default, 0 keeps nothing, anything else outside 0-1024 is refused by name")
    func readMemoSize() throws {
        var environment = Self.base
        environment["DATABASE_URL"] = "postgres://app:pw@127.0.0.1:5432/dialogue?sslmode=disable"
        #expect(try Configuration.fromEnvironment(environment).readMemoBytes == 32 << 20)
        environment["DIALOGUE_READ_MEMO_MB"] = "0"
        #expect(try Configuration.fromEnvironment(environment).readMemoBytes == 0)
        environment["DIALOGUE_READ_MEMO_MB"] = "64"
        #expect(try Configuration.fromEnvironment(environment).readMemoBytes == 64 << 20)
        for bad in ["-1", "1025", "32MB", " 8"] {
            environment["DIALOGUE_READ_MEMO_MB"] = bad
            do {
                _ = try Configuration.fromEnvironment(environment)
                Issue.record("DIALOGUE_READ_MEMO_MB=\(bad) accepted")
            } catch {
                #expect("\(error)".contains("DIALOGUE_READ_MEMO_MB"), "\(bad)")
            }
        }
    }
}
