import Foundation

/// The report as RFC 4180 tables, one per file: UTF-8, a header row, a stable column order,
/// CRLF line ends, and cells that a spreadsheet would read as a formula defused.
public enum ReportCSV {
    public static let tables = ["summary", "sessions", "proposals", "action_items"]

    public static func table(_ name: String, of report: QuarterlyReport) -> String? {
        switch name {
        case "summary": return summary(report)
        case "sessions":
            return write(["id", "direction", "kind", "title", "starts_at", "status_at_quarter_end"], report.sessions.map {
                [$0.id, $0.direction, $0.kind, $0.title, $0.startsAt, $0.status]
            })
        case "proposals":
            return write(["id", "direction", "kind", "title", "status_at_quarter_end", "author"], report.proposals.map {
                [$0.id, $0.direction, $0.kind, $0.title, $0.status, $0.author]
            })
        case "action_items":
            return write(["id", "direction", "title", "owner", "due_on", "status_at_quarter_end", "overdue_at_quarter_end"],
                report.actionItems.map { [$0.id, $0.direction, $0.title, $0.owner, $0.dueOn, $0.status, $0.overdue ? "yes" : "no"] })
        default: return nil
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
        ([header] + rows).map { $0.map(cell).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// Quotes when needed; a leading = + - @ (or tab/CR) is prefixed with ' so spreadsheets
    /// show the text instead of running it.
    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) {
            text = "'" + text
        }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
