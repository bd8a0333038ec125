import ArgumentParser
import DialogueCore
import Foundation

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Reports for leadership.", subcommands: [Quarterly.self])

    struct Quarterly: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The quarterly status report as of quarter end: JSON, CSV (a folder of tables) or printable HTML.")
        @Option(help: "Quarter, e.g. 2026-Q4.") var quarter: String
        @Option(help: "Only this direction.") var direction: String?
        @Option(help: "json, csv or html.") var format: String = "json"
        @Option(help: "internal (proxies by pseudonym) or public (organizations and roles only).") var audience: String = "internal"
        @Option(help: "Output file (json, html) or folder (csv).") var out: String
        @Flag(help: "Store this report as the quarter's frozen snapshot (kept once; later runs compare).") var freeze = false
        @Flag(help: "Write the frozen snapshot instead of recomputing.") var reissue = false

        func run() async throws {
            guard ["json", "csv", "html"].contains(format) else { throw ValidationError("--format must be json, csv or html") }
            let (exported, frozen) = try await CLI.run { dialogue -> (ExportedReport, ExportedReport?) in
                if reissue {
                    guard let snapshot = try await dialogue.frozenReport(.cli(), quarter: quarter, direction: direction, audience: audience) else {
                        throw DomainError.notFound("no frozen snapshot for \(quarter) (\(direction ?? "all directions"), \(audience))")
                    }
                    return (snapshot, nil)
                }
                let report = try await dialogue.quarterlyReport(.cli(), quarter: quarter, direction: direction, audience: audience)
                return (report, freeze ? try await dialogue.freezeReport(.cli(), report) : nil)
            }
            let url = URL(fileURLWithPath: out)
            switch format {
            case "csv":
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                for table in ReportCSV.tables {
                    try Data(ReportCSV.table(table, of: exported.report)!.utf8).write(to: url.appendingPathComponent("\(table).csv"))
                }
            case "html":
                try Data(ReportHTML.page(exported.report, sha256: exported.sha256).utf8).write(to: url)
            default:
                try Data(exported.jsonDocument.utf8).write(to: url)
            }
            print("sha256 \(exported.sha256)\(exported.fromSnapshot ? " (frozen snapshot)" : "")")
            if let frozen {
                print(frozen.sha256 == exported.sha256
                      ? "frozen: matches the stored snapshot"
                      : "frozen snapshot differs: stored \(frozen.sha256); the figures changed since it was frozen")
            }
        }
    }
}
