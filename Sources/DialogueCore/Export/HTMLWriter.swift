import Foundation

/// The report as one self-contained, printable page: inline CSS, inline SVG charts, no
/// scripts, no external assets. Every text is escaped.
public enum ReportHTML {
    /// Everything before the lists: the summary and the charts, from the figures alone.
    static func head(_ report: QuarterlyReport, sha256: String) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Quarterly status \(e(report.quarter))</title>
            <style>
            @page { size: A4; margin: 16mm; }
            body { font: 10.5pt/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a; max-width: 178mm; margin: auto; }
            h1 { font-size: 18pt; margin: 0 0 2mm; } h2 { font-size: 13pt; margin: 8mm 0 2mm; border-bottom: 1px solid #bbb; }
            table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; page-break-inside: avoid; }
            th, td { border: 1px solid #ccc; padding: 1mm 2mm; text-align: right; } th:first-child, td:first-child { text-align: left; }
            table.list { page-break-inside: auto; } tr { page-break-inside: avoid; }
            td.text { text-align: left; } .meta { color: #555; font-size: 9pt; } svg { max-width: 100%; height: auto; }
            .overdue { color: #a40000; font-weight: 600; }
            </style></head><body>
            <h1>Quarterly status — \(e(report.quarter))\(report.direction.isEmpty ? "" : " — " + e(report.direction))</h1>
            <p class="meta">\(e(report.periodStart)) to \(e(report.periodEnd)) · audience: \(e(report.audience.rawValue)) ·
            content SHA-256 \(e(sha256)) · audit chain head at quarter end \(e(report.auditHeadAtEnd))</p>
            <h2>Summary by direction</h2>
            """
        html += summaryTable(report)
        html += "<h2>Action items by status, per direction</h2>" + actionChart(report)
        html += "<h2>Proposals funnel</h2>" + funnelChart(report.total)
        return html
    }

    static let tail = "</body></html>\n"

    static func heading(_ list: ReportQueries.List) -> String {
        switch list {
        case .actionItems: return "<h2>Action items</h2>"
        case .proposals: return "<h2>Proposals</h2>"
        case .sessions: return "<h2>Sessions</h2>"
        }
    }

    static func tableHeader(_ list: ReportQueries.List) -> String {
        let header: [String]
        switch list {
        case .actionItems: header = ["Due", "Direction", "Title", "Owner", "Status"]
        case .proposals: header = ["Direction", "Kind", "Title", "Status", "Author"]
        case .sessions: header = ["Starts (UTC)", "Direction", "Kind", "Title", "Status"]
        }
        return "<table class=\"list\"><tr>" + header.map { "<th>\(e($0))</th>" }.joined() + "</tr>"
    }

    static func row(_ cells: [String]) -> String {
        "<tr>" + cells.map { "<td class=\"text\">\(e($0))</td>" }.joined() + "</tr>"

    }

    static func summaryTable(_ report: QuarterlyReport) -> String {
        var html = "<table><tr><th>Direction</th><th>Sessions held</th><th>Planned</th><th>Cancelled</th>"
            + "<th>Outcomes adopted</th><th>Proposals at end</th><th>Actions opened</th><th>Closed</th><th>Overdue</th>"
            + "<th>Completion</th></tr>"
        for (name, f) in report.directions.map({ ($0.name, $0.figures) }) + [("Total", report.total)] {
            let completion = f.completionPerMille.map { String(format: "%.0f%%", Double($0) / 10) } ?? "—"
            html += "<tr><td>\(e(name))</td><td>\(f.sessionsHeld)</td><td>\(f.sessionsPlanned)</td><td>\(f.sessionsCancelled)</td>"
                + "<td>\(f.agendaOutcomes["adopted"] ?? 0)</td><td>\(f.proposalsByState.values.reduce(0, +))</td>"
                + "<td>\(f.actionsOpened)</td><td>\(f.actionsClosed)</td>"
                + "<td\(f.actionsOverdueAtEnd > 0 ? " class=\"overdue\"" : "")>\(f.actionsOverdueAtEnd)</td><td>\(completion)</td></tr>"
        }
        return html + "</table>"
    }

    static let statusColours = [("open", "#8fb3d9"), ("in_progress", "#3a78b5"), ("blocked", "#d98f3a"), ("done", "#3a9a5b"), ("dropped", "#9a9a9a")]

    /// Horizontal stacked bars: one per direction, segments by status.
    static func actionChart(_ report: QuarterlyReport) -> String {
        let rowHeight = 22, labelWidth = 130, barWidth = 380
        let maximum = max(1, report.directions.map { $0.figures.actionsByStatus.values.reduce(0, +) }.max() ?? 1)
        let height = report.directions.count * rowHeight + 30
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(labelWidth + barWidth + 40) \(height)\" role=\"img\" aria-label=\"Action items by status per direction\">"
        for (index, section) in report.directions.enumerated() {
            let y = index * rowHeight
            svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"11\">\(e(section.name))</text>"
            var x = labelWidth
            for (status, colour) in statusColours {
                let count = section.figures.actionsByStatus[status] ?? 0
                guard count > 0 else { continue }
                let width = max(1, count * barWidth / maximum)
                svg += "<rect x=\"\(x)\" y=\"\(y + 3)\" width=\"\(width)\" height=\"\(rowHeight - 6)\" fill=\"\(colour)\"><title>\(e(status)): \(count)</title></rect>"
                x += width
            }
            svg += "<text x=\"\(x + 4)\" y=\"\(y + 15)\" font-size=\"10\">\(section.figures.actionsByStatus.values.reduce(0, +))</text>"
        }
        var legendX = labelWidth
        for (status, colour) in statusColours {
            svg += "<rect x=\"\(legendX)\" y=\"\(height - 20)\" width=\"10\" height=\"10\" fill=\"\(colour)\"/>"
                + "<text x=\"\(legendX + 14)\" y=\"\(height - 11)\" font-size=\"10\">\(e(status))</text>"
            legendX += 78
        }
        return svg + "</svg>"
    }

    /// The proposals funnel: how far the quarter's proposals got, by state at quarter end
    /// (a state counts everything that reached it or went beyond).
    static func funnelChart(_ figures: QuarterlyReport.Figures) -> String {
        let byState = figures.proposalsByState
        let decided = ["adopted", "rejected", "deferred"].map { byState[$0] ?? 0 }.reduce(0, +)
        let scheduled = (byState["scheduled"] ?? 0) + decided
        let accepted = (byState["accepted"] ?? 0) + scheduled
        let reviewed = (byState["under_review"] ?? 0) + (byState["declined"] ?? 0) + accepted
        let submitted = (byState["submitted"] ?? 0) + (byState["withdrawn"] ?? 0) + reviewed
        let steps = [("Submitted", submitted), ("Reviewed", reviewed), ("Accepted", accepted), ("Scheduled", scheduled),
                     ("Adopted", byState["adopted"] ?? 0)]
        let maximum = max(1, submitted), width = 420, rowHeight = 26
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width + 140) \(steps.count * rowHeight)\" role=\"img\" aria-label=\"Proposals funnel\">"
        for (index, (label, count)) in steps.enumerated() {
            let barWidth = max(2, count * width / maximum)
            let x = 100 + (width - barWidth) / 2, y = index * rowHeight
            svg += "<text x=\"0\" y=\"\(y + 17)\" font-size=\"11\">\(e(label))</text>"
                + "<rect x=\"\(x)\" y=\"\(y + 3)\" width=\"\(barWidth)\" height=\"\(rowHeight - 6)\" fill=\"#3a78b5\"/>"
                + "<text x=\"\(100 + width + 8)\" y=\"\(y + 17)\" font-size=\"11\">\(count)</text>"
        }
        return svg + "</svg>"
    }

    /// HTML text escaping.
    static func e(_ text: String) -> String {
        guard text.utf8.contains(where: { [UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'")].contains($0) }) else {
            return text
        }
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// Streams the page's lists: a table per list, or "None." for an empty one.
final class HTMLListsWriter: ReportRowWriter {
    private let output: ChunkedOutput
    private var rows = 0

    init(_ output: ChunkedOutput) { self.output = output }

    func begin(_ list: ReportQueries.List) async throws {
        rows = 0
        output.append(ReportHTML.heading(list))
    }

    func action(_ row: QuarterlyReport.ActionRow) async throws {
        try await write(.actionItems, [row.dueOn, row.direction, row.title, row.owner, row.status + (row.overdue ? " (overdue)" : "")])
    }

    func proposal(_ row: QuarterlyReport.ProposalRow) async throws {
        try await write(.proposals, [row.direction, row.kind, row.title, row.status, row.author])
    }

    func session(_ row: QuarterlyReport.SessionRow) async throws {
        try await write(.sessions, [row.startsAt, row.direction.isEmpty ? "all" : row.direction, row.kind, row.title, row.status])
    }

    func end(_ list: ReportQueries.List) async throws {
        output.append(rows == 0 ? "<p class=\"meta\">None.</p>" : "</table>")
        try await output.flushIfFull()
    }

    private func write(_ list: ReportQueries.List, _ cells: [String]) async throws {
        if rows == 0 { output.append(ReportHTML.tableHeader(list)) }
        rows += 1
        output.append(ReportHTML.row(cells))
        try await output.flushIfFull()
    }
}
