import ArgumentParser
import DialogueCore
import Foundation

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply or list the database migrations in sql/.",
        subcommands: [Up.self, Status.self], defaultSubcommand: Status.self)

    /// Migrations need only the database, not the loaded services.
    static func withDatabase<T: Sendable>(_ body: @Sendable (Database, Migrator) async throws -> T) async throws -> T {
        do {
            let configuration = try Configuration.fromEnvironment()
            let migrator = try Migrator(directory: configuration.sqlDirectory)
            return try await CLI.withDatabase(configuration.migrationDatabase, logger: CLI.logger()) { database in
                try await body(database, migrator)
            }
        } catch {
            CLI.fail(error)
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "up", abstract: "Apply every pending migration, in order.")

        func run() async throws {
            let applied = try await Migrate.withDatabase { database, migrator in
                try await migrator.migrate(database)
            }
            if applied.isEmpty {
                print("database is current")
            } else {
                for migration in applied { print("applied \(migration.fileName)") }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "List migrations and whether each is applied.")

        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let statuses = try await Migrate.withDatabase { database, migrator in
                try await migrator.status(database)
            }
            if json {
                CLI.printJSON(statuses.map {
                    ["version": String($0.version), "name": $0.name, "state": $0.state.rawValue,
                     "applied_at": $0.appliedAt.map { CLI.timestamp($0) } ?? ""]
                })
            } else {
                CLI.printTable(
                    ["VERSION", "NAME", "STATE", "APPLIED AT"],
                    statuses.map { [String(format: "%04d", $0.version), $0.name, $0.state.rawValue, CLI.timestamp($0.appliedAt)] })
            }
            if statuses.contains(where: { $0.state == .changed }) { throw ExitCode(2) }
        }
    }
}
