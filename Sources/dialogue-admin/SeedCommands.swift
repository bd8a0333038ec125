import ArgumentParser
import DialogueCore
import Foundation

struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed", abstract: "Generated data for benchmarks and scale tests.", subcommands: [Bench.self])

    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Write the deterministic benchmark dataset into an empty database and report rows per second.",
            discussion: "Scale 1: ~50 groups, 5,000 participants, 20,000 sessions, 200,000 agenda items, 50,000 proposals, 300,000 action items.")
        @Option(help: "Dataset size relative to scale 1 (e.g. 0.1 for quick runs).") var scale: Double = 1

        func run() async throws {
            let report = try await CLI.run { dialogue in
                guard try await dialogue.participantCount() == 0 else {
                    throw DomainError.conflict("seed bench needs an empty database; point DATABASE_URL at a fresh one")
                }
                return try await BenchSeed(database: dialogue.database).run(scale: scale) { message in
                    FileHandle.standardError.write(Data("seed: \(message)\n".utf8))
                }
            }
            CLI.printTable(["TABLE", "ROWS"], report.rows.map { [$0.table, String($0.count)] })
            print(String(format: "%d rows in %.1f s: %.0f rows/s", report.total, report.seconds, Double(report.total) / max(report.seconds, 0.001)))
        }
    }
}
