import DialogueCore
import DialogueTestSupport
import PostgresNIO
import Testing

/// The suites' databases must not outlive their tests: a run that kept them filled CI's disk.
@Suite("Test databases")
struct TestDatabaseTests {
    struct Thrown: Error {}

    @Test("a test's database is dropped when the test ends, and when it throws")
    func droppedAfterUse() async throws {
        let kept = try await withTestDatabase { configuration -> String in
            let present = try await Self.exists(configuration.database)
            #expect(present)
            return configuration.database
        }
        #expect(try await !Self.exists(kept))
        let made = Made()
        do {
            try await withTestDatabase(.empty) { configuration in
                await made.set(configuration.database)
                throw Thrown()
            }
            Issue.record("the body's error should have come through")
        } catch is Thrown {}
        let thrownIn = await made.name
        #expect(!thrownIn.isEmpty)
        #expect(try await !Self.exists(thrownIn))
    }

    actor Made {
        var name = ""
        func set(_ name: String) { self.name = name }
    }

    static func exists(_ name: String) async throws -> Bool {
        try await TestDatabases.admin(try await TestDatabases.shared.serverConfiguration()) { connection in
            try await connection.query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = \(name))", logger: TestDatabases.logger)
                .collect().first?.decode(Bool.self) ?? false
        }
    }
}
