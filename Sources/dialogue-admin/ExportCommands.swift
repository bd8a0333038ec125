import ArgumentParser
import DialogueCore
import Foundation
import NIOCore
import Synchronization

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Reports for leadership.", subcommands: [Quarterly.self, SQL.self])

    struct SQL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sql",
            abstract: "Print the query behind one of the quarterly report's lists, values written in, for COPY.",
            discussion: "make bench times `COPY (<this>) TO STDOUT` against the export of the same rows.")
        @Option(help: "Quarter, e.g. 2026-Q4.") var quarter: Quarter
        @Option(help: "Only this direction.") var direction: String?
        @Option(help: "action_items, proposals or sessions.") var list: ReportQueries.List

        func run() throws {
            do {
                print(try ReportQueries.literalListSQL(list, quarter: quarter, direction: direction))
            } catch {
                CLI.fail(error)
            }
        }
    }

    struct Quarterly: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "quarterly",
            abstract: "The quarterly status report as of quarter end: JSON, CSV (a folder of tables) or printable HTML.")
        @Option(help: "Quarter, e.g. 2026-Q4.") var quarter: Quarter
        @Option(help: "Only this direction.") var direction: String?
        @Option(help: "json, csv or html.") var format: ExportFormat = .json
        @Option(help: "internal (proxies by pseudonym) or public (organizations and roles only).") var audience: QuarterlyReport.Audience = .internal
        @Option(help: "Output file (json, html) or folder (csv).") var out: String
        @Option(help: "html: summary (what leadership reads) or full (with the complete lists in an appendix).")
        var detail: ReportDetail = .summary
        @Option(help: "html: en, be or ru, for the report's own words and dates.") var lang: PortalLanguage = .en
        @Flag(help: "Store this report as the quarter's frozen snapshot (kept once; later runs compare).") var freeze = false
        @Flag(help: "Write the frozen snapshot instead of recomputing.") var reissue = false

        func run() async throws {
            let files = OutputFiles(path: out, format: format, page: ReportPageOptions(detail: detail, language: lang))
            let (sha256, fromSnapshot, frozen) = try await CLI.run { dialogue -> (String, Bool, String?) in
                if reissue {
                    guard let snapshot = try await dialogue.frozenReport(.cli(), quarter: quarter.description, direction: direction, audience: audience.rawValue) else {
                        throw DomainError.notFound("no frozen snapshot for \(quarter) (\(direction ?? "all directions"), \(audience.rawValue))")
                    }
                    try await Dialogue.writeReport(snapshot, to: try files.open())
                    try files.close()
                    return (snapshot.sha256, true, nil)
                }
                if freeze {
                    // Freezing stores the content, so this one report is held in memory.
                    let report = try await dialogue.quarterlyReport(.cli(), quarter: quarter.description, direction: direction, audience: audience.rawValue)
                    let stored = try await dialogue.freezeReport(.cli(), report)
                    try await Dialogue.writeReport(report, to: try files.open())
                    try files.close()
                    return (report.sha256, false, stored.sha256)
                }
                let export = try dialogue.quarterlyExport(.cli(), quarter: quarter.description, direction: direction, audience: audience.rawValue)
                let sha256 = try await dialogue.writeQuarterlyExport(export, to: try files.open())
                try files.close()
                return (sha256, false, nil)
            }
            print("sha256 \(sha256)\(fromSnapshot ? " (frozen snapshot)" : "")")
            if let frozen {
                print(frozen == sha256
                      ? "frozen: matches the stored snapshot"
                      : "frozen snapshot differs: stored \(frozen); the figures changed since it was frozen")
            }
        }
    }
}

/// The export's files: one for JSON and HTML, a folder of tables for CSV. Written as the
/// export streams; nothing is held in memory.
final class OutputFiles: Sendable {
    let path: String
    let format: ExportFormat
    let page: ReportPageOptions
    private let handles = Mutex<[FileHandle]>([])

    init(path: String, format: ExportFormat, page: ReportPageOptions) {
        self.path = path
        self.format = format
        self.page = page
    }

    func open() throws -> ExportOutput {
        let url = URL(fileURLWithPath: path)
        switch format {
        case .csv:
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            var sinks: [String: ByteSink] = [:]
            for table in ReportCSV.tables { sinks[table] = try sink(url.appendingPathComponent("\(table).csv")) }
            return .csv(sinks)
        case .html:
            return .html(try sink(url), page)
        case .json:
            return .json(try sink(url))
        }
    }

    func close() throws {
        try handles.withLock { handles in
            for handle in handles { try handle.close() }
            handles.removeAll()
        }
    }

    private func sink(_ url: URL) throws -> ByteSink {
        // Reports name people: readable by the operator only.
        try PrivateFile.create(atPath: url.path)
        let handle = try FileHandle(forWritingTo: url)
        handles.withLock { $0.append(handle) }
        return { buffer in try handle.write(contentsOf: buffer.readableBytesView) }
    }
}

/// The export's formats, as `--format` takes them.
enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    case json, csv, html
}

extension ReportDetail: ExpressibleByArgument {}
extension PortalLanguage: ExpressibleByArgument {}
extension QuarterlyReport.Audience: ExpressibleByArgument {}
extension ReportQueries.List: ExpressibleByArgument {}

extension Quarter: ExpressibleByArgument {
    /// `2026-Q4`, as everywhere else; a bad one is refused by the argument parser, with the usage.
    public init?(argument: String) {
        guard let quarter = try? Quarter(parsing: argument) else { return nil }
        self = quarter
    }

    public var defaultValueDescription: String { description }
}
