import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite("Connection pool")
struct ConnectionPoolTests {
    @Test("the keep-alive uses every pooled connection at once, so that none sits idle for a firewall to drop")
    func keepAliveTouchesEveryConnection() async throws {
        try await withTestDatabase { configuration in
            try await withDatabase(configuration, maximumConnections: 3) { database in
                try await database.touchEveryConnection()
                let open = try await database.read { connection in
                    try await connection.query("""
                        SELECT count(*)::int8 FROM pg_stat_activity
                        WHERE datname = current_database() AND backend_type = 'client backend'
                        """, logger: database.logger).collect().first?.decode(Int.self)
                }
                #expect(open == 3)
            }
        }
    }

    @Test("a read that gets no connection within the acquire timeout is told 'unavailable'; the lease holder finishes, and the pool serves again")
    func acquisitionTimesOut() async throws {
        try await withTestDatabase { configuration in
            try await withDatabase(configuration, maximumConnections: 1) { database in
                let logger = database.logger
                let (holding, held) = AsyncStream<Void>.makeStream()
                let holder = Task {
                    try await database.read { connection in
                        held.yield()
                        try await Task.sleep(for: Database.acquireTimeout + .seconds(1))
                        return try await connection.query("SELECT 1", logger: logger).collect().count
                    }
                }
                for await _ in holding { break }

                let started = ContinuousClock.now
                await #expect(throws: DomainError.unavailable("the database is not available; retry later")) {
                    try await database.read { connection in try await connection.query("SELECT 1", logger: logger).collect().count }
                }
                // Not before the timeout. The bound above is loose on purpose (a loaded machine
                // delays the watchdog's tick and this task alike); a watchdog that did not fire
                // would not fail the read at all, since the holder lets go a second after the timeout.
                let waited = started.duration(to: .now)
                #expect(waited >= Database.acquireTimeout && waited < Database.acquireTimeout + .seconds(10))

                #expect(try await holder.value == 1)
                let again = try await database.read { connection in try await connection.query("SELECT 1", logger: logger).collect().count }
                #expect(again == 1)
            }
        }
    }

    @Test("a second connection that joins an export's snapshot reads what the first reads, not what was committed since")
    func snapshotIsShared() async throws {
        try await withTestDatabase { configuration in
            try await withDatabase(configuration) { database in
                let logger = database.logger
                @Sendable func organizations(_ connection: PostgresConnection) async throws -> Int {
                    try await connection.query("SELECT count(*)::int8 FROM organizations", logger: logger).collect().first?.decode(Int.self) ?? -1
                }
                try await database.snapshot(statementTimeout: .seconds(30)) { first in
                    let before = try await organizations(first)
                    let name = try await Database.exportSnapshot(first, logger: logger)
                    try await database.autocommit { connection in
                        try await connection.query("INSERT INTO organizations (name, side) VALUES ('Committed since', 'partner')", logger: logger)
                    }
                    let joined = try await database.snapshot(statementTimeout: .seconds(30), joining: name) { second in
                        try await organizations(second)
                    }
                    let now = try await database.read { connection in try await organizations(connection) }
                    #expect(joined == before)
                    #expect(now == before + 1)
                }
                await #expect(throws: DomainError.unavailable("the export's snapshot could not be shared")) {
                    try await database.snapshot(statementTimeout: .seconds(30), joining: "1'; DROP TABLE organizations; --") { _ in 0 }
                }
            }
        }
    }

    @Test("with a pool of one, the quarterly report reads its figures, decisions and minutes on its own connection and still comes out whole")
    func reportWithoutASecondConnection() async throws {
        try await withTestDatabase { configuration in
            try await withDatabase(configuration, maximumConnections: 1) { database in
                let dialogue = try await Dialogue.load(database: database, passphraseCost: .forTests)
                let exported = try await dialogue.quarterlyReport(.cli(), quarter: "2026-Q3", direction: nil, audience: nil)
                #expect(exported.report.trend?.map(\.quarter) == ["2025-Q4", "2026-Q1", "2026-Q2"])
            }
        }
    }
}
