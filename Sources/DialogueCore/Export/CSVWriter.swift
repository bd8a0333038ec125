import Foundation

/// The report as RFC 4180 tables, one per file: UTF-8, a header row, a stable column order,
/// CRLF line ends, and cells that a spreadsheet would read as a formula defused.
public enum ReportCSV {
    public static let tables = ["summary", "sessions", "proposals", "action_items"]

    static func header(_ list: ReportQueries.List) -> [String] {
        switch list {
        case .actionItems: return ["id", "direction", "title", "owner", "due_on", "status_at_quarter_end", "overdue_at_quarter_end"]
        case .proposals: return ["id", "direction", "kind", "title", "status_at_quarter_end", "author"]
        case .sessions: return ["id", "direction", "kind", "title", "starts_at", "status_at_quarter_end"]
        }
    }

    static let proposalStates = ["submitted", "under_review", "accepted", "declined", "scheduled", "adopted", "rejected", "deferred", "withdrawn"]
    static let actionStates = ["open", "in_progress", "blocked", "done", "dropped"]

    static func summary(_ report: QuarterlyReport) -> String {
        var header = ["direction", "sessions_held", "sessions_planned", "sessions_cancelled"]
        header += AgendaOutcome.allCases.map { "outcome_\($0.rawValue)" }
        header += proposalStates.map { "proposals_\($0)" }
        header += ["actions_opened", "actions_closed", "actions_overdue_at_end", "actions_due", "actions_done_of_due",
                   "completion_percent"]
        let sections = report.directions.map { ($0.slug, $0.figures) } + [("total", report.total)]
        let rows = sections.map { slug, f -> [String] in
            var row = [slug, String(f.sessionsHeld), String(f.sessionsPlanned), String(f.sessionsCancelled)]
            row += AgendaOutcome.allCases.map { String(f.agendaOutcomes[$0.rawValue] ?? 0) }
            row += proposalStates.map { String(f.proposalsByState[$0] ?? 0) }
            row += [String(f.actionsOpened), String(f.actionsClosed), String(f.actionsOverdueAtEnd),
                    String(f.actionsDueInQuarter), String(f.actionsDoneOfDue),
                    f.completionPerMille.map { String(format: "%.1f", Double($0) / 10) } ?? ""]
            return row
        }
        return write(header, rows)
    }

    static func write(_ header: [String], _ rows: [[String]]) -> String {
        ([header] + rows).map(line).joined()
    }

    /// One record with its CRLF.
    static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// Quotes when needed; a leading = + - @ (or tab/CR) is prefixed with ' so spreadsheets
    /// show the text instead of running it.
    static func cell(_ value: String) -> String {
        let utf8 = value.utf8
        let formula = utf8.first.map { [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D].contains($0) } ?? false
        let quoted = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard formula || quoted else { return value }
        let text = formula ? "'" + value : value
        return quoted ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}

/// Streams the list tables, each to its own sink; lists without a sink are skipped.
final class CSVTablesWriter: ReportRowWriter {
    private let outputs: [ReportQueries.List: ChunkedOutput]

    /// Sinks by table name; the summary is not a list and is written apart.
    init(_ sinks: [String: ByteSink]) {
        outputs = Dictionary(uniqueKeysWithValues: ReportQueries.List.allCases.compactMap { list in
            sinks[list.rawValue].map { (list, ChunkedOutput($0)) }
        })
    }

    func begin(_ list: ReportQueries.List) async throws {
        outputs[list]?.append(ReportCSV.line(ReportCSV.header(list)))
    }

    func action(_ row: QuarterlyReport.ActionRow) async throws {
        try await write(.actionItems, [row.id, row.direction, row.title, row.owner, row.dueOn, row.status, row.overdue ? "yes" : "no"])
    }

    func proposal(_ row: QuarterlyReport.ProposalRow) async throws {
        try await write(.proposals, [row.id, row.direction, row.kind, row.title, row.status, row.author])
    }

    func session(_ row: QuarterlyReport.SessionRow) async throws {
        try await write(.sessions, [row.id, row.direction, row.kind, row.title, row.startsAt, row.status])
    }

    func end(_ list: ReportQueries.List) async throws {
        try await outputs[list]?.flush()
    }

    private func write(_ list: ReportQueries.List, _ cells: [String]) async throws {
        guard let output = outputs[list] else { return }
        output.append(ReportCSV.line(cells))
        try await output.flushIfFull()
    }
}
