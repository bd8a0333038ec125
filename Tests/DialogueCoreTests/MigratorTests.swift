import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite("Migrations")
struct MigratorTests {
    /// A scratch migrations folder with the given files.
    func folder(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dialogue-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return url
    }

    @Test("the repository's migrations apply in order, create the six directions, and are then current")
    func appliesRepositoryMigrations() async throws {
        try await withTestDatabase(.empty) { configuration in
            try await withDatabase(configuration) { database in
                let migrator = try Migrator(directory: TestDatabases.sqlDirectory)
                #expect(try await !migrator.isCurrent(database))
                let applied = try await migrator.migrate(database)
                #expect(applied.map(\.version) == migrator.migrations.map(\.version))
                #expect(applied.map(\.version) == applied.map(\.version).sorted())
                #expect(try await migrator.isCurrent(database))
                #expect(try await migrator.migrate(database).isEmpty, "a second run applies nothing")
                let slugs = try await database.read { connection in
                    try await connection.query("SELECT slug FROM directions ORDER BY position", logger: database.logger)
                        .collect().map { try $0.decode(String.self) }
                }
                #expect(slugs == ["political", "human_rights", "accountability", "media", "identity_culture", "private_sector"])
                let statuses = try await migrator.status(database)
                #expect(statuses.allSatisfy { $0.state == .applied })
            }
        }
    }

    @Test("a file changed after it was applied stops migration with its name, and nothing more is applied")
    func refusesChangedMigration() async throws {
        try await withTestDatabase(.empty) { configuration in
            let first = "CREATE TABLE one (id integer)"
            let url = try folder(["0001_one.sql": first])
            defer { try? FileManager.default.removeItem(at: url) }
            try await withDatabase(configuration) { database in
                try await Migrator(directory: url).migrate(database)
                try "CREATE TABLE one (id bigint)".write(to: url.appendingPathComponent("0001_one.sql"), atomically: true, encoding: .utf8)
                try "CREATE TABLE two (id integer)".write(to: url.appendingPathComponent("0002_two.sql"), atomically: true, encoding: .utf8)
                let migrator = try Migrator(directory: url)
                await #expect(throws: MigrationError.changedAfterApply("0001_one.sql")) {
                    try await migrator.migrate(database)
                }
                #expect("\(MigrationError.changedAfterApply("0001_one.sql"))".contains("0001_one.sql"))
                let statuses = try await migrator.status(database)
                #expect(statuses.map(\.state) == [.changed, .pending])
                #expect(try await !migrator.isCurrent(database))
            }
        }
    }

    @Test("two processes migrating at once apply each file exactly once")
    func concurrentMigrationsApplyOnce() async throws {
        try await withTestDatabase(.empty) { configuration in
            // A slow first file widens the window in which the two runs overlap.
            let url = try folder([
                "0001_slow.sql": "SELECT pg_sleep(0.3)\n-- statement-break\nCREATE TABLE counter (n integer)",
                "0002_count.sql": "INSERT INTO counter VALUES (1)",
            ])
            defer { try? FileManager.default.removeItem(at: url) }
            try await withDatabase(configuration) { first in
                try await withDatabase(configuration) { second in
                    async let a = Migrator(directory: url).migrate(first)
                    async let b = Migrator(directory: url).migrate(second)
                    let (appliedA, appliedB) = try await (a, b)
                    #expect(appliedA.count + appliedB.count == 2)
                    let rows = try await first.read { connection in
                        try await connection.query("SELECT count(*)::bigint FROM counter", logger: first.logger)
                            .collect().first?.decode(Int.self)
                    }
                    #expect(rows == 1)
                }
            }
        }
    }

    @Test("a failing file is rolled back whole and not recorded")
    func failingFileRollsBack() async throws {
        try await withTestDatabase(.empty) { configuration in
            let url = try folder(["0001_bad.sql": "CREATE TABLE half (id integer)\n-- statement-break\nSELECT no_such_function()"])
            defer { try? FileManager.default.removeItem(at: url) }
            try await withDatabase(configuration) { database in
                await #expect(throws: (any Error).self) { try await Migrator(directory: url).migrate(database) }
                let exists = try await database.read { connection in
                    try await connection.query("SELECT to_regclass('half') IS NOT NULL", logger: database.logger)
                        .collect().first?.decode(Bool.self)
                }
                #expect(exists == false)
                #expect(try await Migrator(directory: url).status(database).map(\.state) == [.pending])
            }
        }
    }

    @Test("files must be named NNNN_name.sql; statements split on the marker line only")
    func fileNamesAndStatementSplitting() throws {
        let badlyNamed = try folder(["1_x.sql": "SELECT 1"])
        defer { try? FileManager.default.removeItem(at: badlyNamed) }
        #expect(throws: MigrationError.badFileName("1_x.sql")) { try Migrator(directory: badlyNamed) }
        let migration = Migration(
            version: 1, name: "f", fileName: "0001_f.sql",
            sql: "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql\n-- statement-break\n-- only a comment\n",
            checksum: "")
        #expect(migration.statements.count == 1)
        #expect(migration.statements[0].contains("SELECT 1;"))
    }
}
