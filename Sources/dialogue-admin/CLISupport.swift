import ArgumentParser
import DialogueCore
import Foundation
import Logging

/// Opens the database for one CLI command, makes sure the schema is current, runs the body,
/// and turns failures into one line on stderr and a non-zero exit.
enum CLI {
    static func logger(level: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: "dialogue") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }

    static func run<Result: Sendable>(
        migrateIfEmbedded: Bool = true, _ body: @Sendable (Dialogue) async throws -> Result
    ) async throws -> Result {
        do {
            let configuration = try Configuration.fromEnvironment()
            let logger = logger()
            let migrator = try Migrator(directory: configuration.sqlDirectory)
            // A command opens the connections it uses as it uses them; the service's pool keeps
            // all of its own open (`minimumConnections`), each a SCRAM handshake on both ends,
            // which a one-shot command would spend before its work and beside it.
            var service = configuration.database
            service.minimumConnections = 0
            return try await withDatabase(service, logger: logger) { database in
                // The service's role reads the schema's version as /readyz does; the owner's
                // login, a connection of its own, is opened only when something is pending.
                if try await !migrator.isCurrent(database) {
                    guard configuration.usesEmbeddedDatabase && migrateIfEmbedded else {
                        throw DomainError.unavailable("the database schema is not current; run: dialogue-admin migrate up")
                    }
                    try await withDatabase(configuration.migrationDatabase, logger: logger) { owner in
                        try await migrator.migrate(owner)
                    }
                }
                return try await body(try await Dialogue.load(database: database))
            }
        } catch let error as ValidationError {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch {
            fail(error)
        }
    }

    /// Every page of a list, for commands that print the whole list.
    static func all<Item: Sendable>(_ fetch: (String?) async throws -> Page<Item>) async throws -> [Item] {
        var items: [Item] = []
        var cursor: String?
        repeat {
            let page = try await fetch(cursor)
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return items
    }

    /// Runs `body` with a connection pool on `configuration`, closed afterwards.
    static func withDatabase<T: Sendable>(
        _ configuration: DatabaseConfiguration, logger: Logger, _ body: (Database) async throws -> T
    ) async throws -> T {
        let database = Database(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            await database.startClient(in: &group)
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    static func fail(_ error: any Error) -> Never {
        let translated = DatabaseErrors.translate(error)
        let message: String
        if let domain = translated as? DomainError {
            message = domain.description
        } else {
            message = DatabaseErrors.loggable(translated)
        }
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(1)
    }

    static func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }

    /// A plain table for people: columns padded to the widest cell.
    static func printTable(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { column in
            ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }

    static func uuid(_ raw: String, _ option: String) throws -> UUID {
        guard let id = UUID(uuidString: raw) else { throw ValidationError("\(option): '\(raw)' is not a UUID") }
        return id
    }

    static func timestamp(_ date: Date?) -> String {
        guard let date else { return "-" }
        return RFC3339.string(from: date)
    }
}
