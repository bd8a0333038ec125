import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite("Connection pool")
struct ConnectionPoolTests {
    @Test("a read that gets no connection within the acquire timeout is told 'unavailable'; the lease holder finishes, and the pool serves again")
    func acquisitionTimesOut() async throws {
        var configuration = try await TestDatabases.shared.migratedDatabase()
        configuration.maximumConnections = 1
        let database = Database(configuration: configuration, logger: TestDatabases.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            await database.startClient(in: &group)
            defer { group.cancelAll() }
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
            let waited = started.duration(to: .now)
            #expect(waited >= Database.acquireTimeout && waited < Database.acquireTimeout + .seconds(2))

            #expect(try await holder.value == 1)
            let again = try await database.read { connection in try await connection.query("SELECT 1", logger: logger).collect().count }
            #expect(again == 1)
        }
    }
}
