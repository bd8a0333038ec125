import Foundation

/// How much of the report the HTML page carries: the summary leadership reads, or that and
/// the complete lists in an appendix.
public enum ReportDetail: String, Sendable, CaseIterable {
    case summary, full
}

/// The options of the printable page; the JSON and CSV formats have none.
public struct ReportPageOptions: Sendable {
    public var detail: ReportDetail
    public var language: PortalLanguage

    public init(detail: ReportDetail = .summary, language: PortalLanguage = .en) {
        self.detail = detail
        self.language = language
    }

    /// From a request's or a command line's text: `detail` summary or full, `lang` en, be or ru.
    public init(detail: String?, language: String?) throws {
        var validator = Validator()
        let detail = validator.choice(detail ?? "summary", "detail", as: ReportDetail.self)
        let language = validator.choice(language ?? "en", "lang", as: PortalLanguage.self)
        try validator.check()
        self.init(detail: try Validator.required(detail, "detail"), language: try Validator.required(language, "lang"))
    }
}

/// What the summary shows of the lists, gathered while they stream past: capped, so the page
/// stays a few pages long and memory stays flat however dense the quarter. The lists arrive in
/// the canonical order (action items by due date, so the first overdue ones are the oldest).
final class ReportDigest: ReportRowWriter {
    static let decisionsPerDirection = 6
    static let actionsPerDecision = 3
    static let proposalsPerDirection = 6
    static let latePerDirection = 12

    struct Capped<Row> {
        var kept: [Row] = []
        var rest = 0

        mutating func offer(_ row: Row, cap: Int) {
            if kept.count < cap { kept.append(row) } else { rest += 1 }
        }
    }

    private(set) var decisions: [String: Capped<QuarterlyReport.DecisionRow>] = [:]
    private(set) var closedProposals: [String: Capped<QuarterlyReport.ProposalRow>] = [:]
    private(set) var late: [String: Capped<QuarterlyReport.ActionRow>] = [:]
    private(set) var minutes = Capped<QuarterlyReport.MinutesRow>()
    static let minutesShown = 30

    func begin(_ list: ReportQueries.List) async throws {}
    func end(_ list: ReportQueries.List) async throws {}
    func session(_ row: QuarterlyReport.SessionRow) async throws {}

    func action(_ row: QuarterlyReport.ActionRow) async throws {
        if row.overdue { late[row.direction, default: .init()].offer(row, cap: Self.latePerDirection) }
    }

    func proposal(_ row: QuarterlyReport.ProposalRow) async throws {
        guard row.movedInQuarter == true, row.status == "declined" || row.status == "deferred" else { return }
        closedProposals[row.direction, default: .init()].offer(row, cap: Self.proposalsPerDirection)
    }

    func decision(_ row: QuarterlyReport.DecisionRow) async throws {
        decisions[row.direction, default: .init()].offer(row, cap: Self.decisionsPerDirection)
    }

    func minutes(_ row: QuarterlyReport.MinutesRow) async throws {
        minutes.offer(row, cap: Self.minutesShown)
    }
}

/// The report as one self-contained, printable page for leadership: what changed since the last
/// quarter, what was decided, what is late; the complete lists only in the appendix. Inline CSS
/// and SVG, no script, nothing fetched; every text escaped; the report's own words in the
/// chosen language, content as written.
struct ReportPage {
    let report: QuarterlyReport
    let sha256: String
    let options: ReportPageOptions

    var words: [String: String] { ReportWords.catalogs[options.language] ?? ReportWords.catalogs[.en] ?? [:] }

    func word(_ key: String, _ values: [String: String] = [:]) -> String {
        var text = words[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    func status(_ raw: String) -> String { words["status_" + raw] ?? raw }

    /// Everything before the appendix: head, summary, decisions, late items.
    func body(_ digest: ReportDigest) -> String {
        head() + summary() + decided(digest) + signedMinutes(digest) + lateItems(digest)
    }

    func head() -> String {
        let title = word("report_title") + " — " + report.quarter
        let scope = report.direction.isEmpty ? word("all_directions") : (report.directions.first?.name ?? report.direction)
        let audience = word(report.audience == .public ? "audience_public" : "audience_internal")
        return """
            <!DOCTYPE html>
            <html lang="\(options.language.rawValue)"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title))</title>
            <style>\(Self.style(footer: "SHA-256 \(sha256)", page: word("page"), of: word("of")))</style></head><body>
            <header>
            <h1>\(e(title)) <span class="scope">· \(e(scope))</span></h1>
            <p class="meta">\(e(word("period"))): \(e(period())) · \(e(word("audience"))): \(e(audience))\(viewNote())<br>
            \(e(word("content_hash"))): <code>\(e(sha256))</code><br>
            \(e(word("audit_head"))): <code>\(e(report.auditHeadAtEnd))</code></p>
            </header>
            <main>
            """
    }

    static let tail = "</main></body></html>\n"

    /// The first day to the last, in the language's way of writing dates.
    func period() -> String {
        guard let start = RFC3339.date(from: report.periodStart), let end = RFC3339.date(from: report.periodEnd) else {
            return "\(report.periodStart) – \(report.periodEnd)"
        }
        var style = Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: options.language.rawValue), timeZone: .gmt)
        style.calendar = Calendar(identifier: .gregorian)
        return start.formatted(style) + " – " + end.addingTimeInterval(-1).formatted(style)
    }

    // MARK: Summary

    struct Measure: Sendable {
        let key: String
        let value: @Sendable (QuarterlyReport.Figures) -> Int?
        /// Shown as a percentage (the figure is per mille).
        var perMille = false
    }

    static let measures: [Measure] = [
        Measure(key: "m_sessions") { $0.sessionsHeld },
        Measure(key: "m_submitted") { $0.proposalTransitions["submitted"] ?? 0 },
        Measure(key: "m_decided") { f in ["accepted", "declined", "adopted", "rejected"].reduce(0) { $0 + (f.proposalTransitions[$1] ?? 0) } },
        Measure(key: "m_adopted") { $0.agendaOutcomes["adopted"] ?? 0 },
        Measure(key: "m_closed") { $0.actionsClosed },
        Measure(key: "m_overdue") { $0.actionsOverdueAtEnd },
        Measure(key: "m_completion", value: { $0.completionPerMille }, perMille: true),
    ]

    func summary() -> String {
        let previous = report.trend?.last
        let caption = previous.map { word("summary_caption", ["p": $0.quarter]) } ?? word("summary_caption_first")
        var html = """
            <section aria-labelledby="summary-heading"><h2 id="summary-heading">\(e(word("summary_heading")))</h2>
            <table class="summary"><caption>\(e(caption))</caption>
            <thead><tr><th scope="col">\(e(word("direction")))</th>
            """
        html += Self.measures.map { "<th scope=\"col\">\(e(word($0.key)))</th>" }.joined()
        html += "<th scope=\"col\">\(e(word("m_trend")))</th></tr></thead><tbody>"
        var rows: [(name: String, slug: String?, figures: QuarterlyReport.Figures)] = report.directions.map { ($0.name, $0.slug, $0.figures) }
        if report.directions.count > 1 { rows.append((word("total"), nil, report.total)) }
        for row in rows {
            let earlier = previous.map { quarter in row.slug.map { slug in quarter.directions.first { $0.slug == slug }?.figures } ?? quarter.total }
            html += "<tr\(row.slug == nil ? " class=\"total\"" : "")><th scope=\"row\">\(e(row.name))</th>"
            for measure in Self.measures {
                html += "<td>" + cell(measure, now: row.figures, before: earlier.flatMap { $0 }, previous: previous?.quarter) + "</td>"
            }
            html += "<td>" + sparkline(name: row.name, slug: row.slug) + "</td></tr>"
        }
        return html + "</tbody></table>" + accountabilityLine() + "</section>"
    }

    /// A figure with its change: a number and an arrow (▲ ▼ or =), and the same in words for a
    /// screen reader; colour is never the signal.
    func cell(_ measure: Measure, now: QuarterlyReport.Figures, before: QuarterlyReport.Figures?, previous: String?) -> String {
        guard let value = measure.value(now) else { return "—" }
        let shown = measure.perMille ? percent(value) : number(value)
        guard let before, let previous, let old = measure.value(before) else { return shown }
        let delta = value - old
        let amount = measure.perMille ? String(format: "%.0f", Double(abs(delta)) / 10) + " pp" : number(abs(delta))
        let (arrow, key) = delta > 0 ? ("▲", "change_up") : delta < 0 ? ("▼", "change_down") : ("=", "change_same")
        let spoken = word(key, ["n": amount, "p": previous])
        let visible = delta == 0 ? arrow : "\(arrow) \(amount)"
        return "\(shown) <span class=\"change\" aria-hidden=\"true\">\(e(visible))</span><span class=\"sr\">(\(e(spoken)))</span>"
    }

    /// Completion of the items due, over the three earlier quarters and this one, as a line;
    /// its text equivalent names each quarter's value.
    func sparkline(name: String, slug: String?) -> String {
        let points: [(String, Int?)] = (report.trend ?? []).map { quarter in
            (quarter.quarter, (slug.map { s in quarter.directions.first { $0.slug == s }?.figures } ?? quarter.total)?.completionPerMille)
        } + [(report.quarter, (slug.map { s in report.directions.first { $0.slug == s }?.figures } ?? report.total)?.completionPerMille)]
        let label = word("trend_label") + ", " + name + ": "
            + points.map { "\($0.0) \($0.1.map(percent) ?? "—")" }.joined(separator: "; ")
        let width = 56, height = 20, step = width / max(1, points.count - 1)
        var path = "", dots = ""
        for (index, point) in points.enumerated() {
            guard let value = point.1 else { continue }
            let x = index * step, y = height - 2 - value * (height - 4) / 1000
            path += path.isEmpty ? "M\(x) \(y)" : " L\(x) \(y)"
            dots += "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"2\"/>"
        }
        return "<svg class=\"spark\" viewBox=\"-3 -3 \(width + 6) \(height + 6)\" width=\"\(width + 6)\" height=\"\(height + 6)\" role=\"img\" "
            + "aria-label=\"\(e(label))\"><path d=\"\(path)\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\"/>\(dots)</svg>"
    }

    /// Sanctions and prisoners in one line, when the quarter has any.
    func accountabilityLine() -> String {
        let total = report.total
        let cases = (total.casesByStatus ?? [:]).sorted { $0.key < $1.key }
        guard (total.dossiersSubmitted ?? 0) + (total.designationsObtained ?? 0) > 0 || !cases.isEmpty else { return "" }
        var parts = [word("acc_dossiers", ["n": number(total.dossiersSubmitted ?? 0)]),
                     word("acc_designations", ["n": number(total.designationsObtained ?? 0)])]
        if !cases.isEmpty {
            parts.append(word("acc_cases") + " " + cases.map { "\(word("case_" + $0.key)) \(number($0.value))" }.joined(separator: ", "))
        }
        return "<p class=\"accountability\">" + e(parts.joined(separator: "; ")) + "</p>"
    }

    /// Whose view the report is (reports made before audiences say nothing).
    func viewNote() -> String {
        guard let view = report.view, !view.isEmpty else { return "" }
        return " · \(e(word("view"))): \(e(word("view_" + view)))"
    }

    // MARK: Decisions, minutes and late items

    /// The quarter's signed-off minutes: title, session, and where the portal keeps them.
    func signedMinutes(_ digest: ReportDigest) -> String {
        guard !digest.minutes.kept.isEmpty else { return "" }
        var html = "<section aria-labelledby=\"minutes-heading\"><h2 id=\"minutes-heading\">\(e(word("minutes_heading")))</h2><ul class=\"minutes\">"
        for minutes in digest.minutes.kept {
            html += "<li><strong>\(e(minutes.title))</strong> <span class=\"quiet\">— \(e(word("at_session"))) \(e(minutes.session))"
                + " · <code>\(e(minutes.link))</code></span></li>"
        }
        html += "</ul>"
        if digest.minutes.rest > 0 { html += "<p class=\"more\">\(e(word("more_minutes", ["n": number(digest.minutes.rest)])))</p>" }
        return html + "</section>"
    }

    func decided(_ digest: ReportDigest) -> String {
        var html = "<section aria-labelledby=\"decided-heading\"><h2 id=\"decided-heading\">\(e(word("decided_heading")))</h2>"
        let any = !digest.decisions.isEmpty || !digest.closedProposals.isEmpty
        if !any { return html + "<p>\(e(word("decisions_all_none")))</p></section>" }
        // Decisions of plenary and quarterly sessions belong to no direction: they come first.
        let groups = [(slug: "", name: word("decided_plenary"))] + sections().map { (slug: $0.slug, name: $0.name) }
        for direction in groups where digest.decisions[direction.slug] != nil || digest.closedProposals[direction.slug] != nil {
            html += "<h3>\(e(direction.name))</h3>"
            if let decisions = digest.decisions[direction.slug] {
                html += "<ol class=\"decisions\">"
                for decision in decisions.kept {
                    // One line each: the decision, where it was taken, what came of it.
                    html += "<li><strong>\(e(decision.title))</strong> <span class=\"quiet\">— \(e(word("at_session"))) \(e(decision.session))</span>: "
                    if decision.actions.isEmpty {
                        html += "<span class=\"quiet\">\(e(word("no_actions")))</span>"
                    } else {
                        html += decision.actions.prefix(ReportDigest.actionsPerDecision).map {
                            "\(e($0.title)) <span class=\"state\">[\(e(status($0.status)))]</span>"
                        }.joined(separator: "; ")
                        if decision.actions.count > ReportDigest.actionsPerDecision {
                            html += " <span class=\"quiet\">\(e(word("more_actions", ["n": number(decision.actions.count - ReportDigest.actionsPerDecision)])))</span>"
                        }
                    }
                    html += "</li>"
                }
                html += "</ol>"
                if decisions.rest > 0 { html += "<p class=\"more\">\(e(word("more_decisions", ["n": number(decisions.rest)])))</p>" }
            } else {
                html += "<p>\(e(word("decisions_none")))</p>"
            }
            if let closed = digest.closedProposals[direction.slug] {
                html += "<p class=\"closed\"><strong>\(e(word("declined_deferred"))):</strong> "
                    + closed.kept.map { "\(e($0.title)) <span class=\"state\">[\(e(status($0.status)))]</span>" }.joined(separator: "; ")
                    + "</p>"
                if closed.rest > 0 { html += "<p class=\"more\">\(e(word("more_proposals", ["n": number(closed.rest)])))</p>" }
            }
        }
        return html + "</section>"
    }

    func lateItems(_ digest: ReportDigest) -> String {
        var html = "<section aria-labelledby=\"late-heading\"><h2 id=\"late-heading\">\(e(word("late_heading")))</h2>"
        if digest.late.isEmpty { return html + "<p>\(e(word("late_none")))</p></section>" }
        html += "<p class=\"quiet\">\(e(word("late_intro")))</p>"
        for direction in sections() {
            guard let late = digest.late[direction.slug] else { continue }
            html += "<h3>\(e(direction.name))</h3><dl class=\"late\">"
            // By owner, in the order of each owner's oldest item.
            var owners: [String] = []
            var byOwner: [String: [QuarterlyReport.ActionRow]] = [:]
            for item in late.kept {
                if byOwner[item.owner] == nil { owners.append(item.owner) }
                byOwner[item.owner, default: []].append(item)
            }
            for owner in owners {
                html += "<dt>\(e(owner))</dt>"
                for item in byOwner[owner] ?? [] {
                    html += "<dd>\(e(item.title)) <span class=\"quiet\">— \(e(word("due"))) \(e(day(item.dueOn))) [\(e(status(item.status)))]</span></dd>"
                }
            }
            html += "</dl>"
            if late.rest > 0 { html += "<p class=\"more\">\(e(word("more_late", ["n": number(late.rest)])))</p>" }
        }
        return html + "</section>"
    }

    /// The directions in the report's order; plenary sessions (no direction) are counted in
    /// the total only and have no section.
    func sections() -> [QuarterlyReport.DirectionSection] { report.directions }

    // MARK: Appendix

    func appendixHeading() -> String { "<section aria-labelledby=\"appendix-heading\"><h2 id=\"appendix-heading\" class=\"appendix\">\(e(word("appendix")))</h2>" }
    static let appendixEnd = "</section>"

    func listHeading(_ list: ReportQueries.List) -> String { "<h3>\(e(word("list_" + list.rawValue)))</h3>" }

    func tableHeader(_ list: ReportQueries.List) -> String {
        let header: [String]
        switch list {
        case .actionItems: header = ["col_due", "col_direction", "col_title", "col_owner", "col_status"]
        case .proposals: header = ["col_direction", "col_kind", "col_title", "col_status", "col_author"]
        case .sessions: header = ["col_starts", "col_direction", "col_kind", "col_title", "col_status"]
        }
        return "<table class=\"list\"><caption>\(e(word("list_" + list.rawValue)))</caption><thead><tr>"
            + header.map { "<th scope=\"col\">\(e(word($0)))</th>" }.joined() + "</tr></thead><tbody>"
    }

    // MARK: Writing

    func number(_ value: Int) -> String { Written.number(value, options.language) }
    func percent(_ perMille: Int) -> String { String(format: "%.0f%%", Double(perMille) / 10) }
    func day(_ text: String) -> String { Written.day(text, options.language, style: .abbreviated) }

    func e(_ text: String) -> String { Self.e(text) }

    /// HTML text escaping (`HTMLText.escaped`).
    static func e(_ text: String) -> String { HTMLText.escaped(text) }

    /// A CSS string: the footer's words are the catalog's and the hash is hex, but quote anyway.
    static func css(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func style(footer: String, page: String, of: String) -> String {
        """
        @page { size: A4; margin: 14mm 14mm 16mm;
          @bottom-left { content: \(css(footer)); font: 7pt system-ui, sans-serif; color: #444; }
          @bottom-right { content: \(css(page + " ")) counter(page) \(css(" " + of + " ")) counter(pages); font: 8pt system-ui, sans-serif; } }
        body { font: 10pt/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a; max-width: 182mm; margin: 1rem auto; padding: 0 .75rem; }
        h1 { font-size: 17pt; margin: 0 0 1mm; } h1 .scope { font-weight: 400; }
        h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; }
        h3 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; }
        .meta, .quiet, .more { color: #444; font-size: 8.5pt; } .meta code { font-size: 8pt; overflow-wrap: anywhere; }
        table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; }
        caption { text-align: left; font-size: 9pt; color: #333; padding-bottom: 1mm; }
        th, td { border: 1px solid #bbb; padding: .8mm 1.5mm; text-align: right; vertical-align: top; }
        th[scope="row"], td.text, table.list td { text-align: left; } thead th { font-size: 8.5pt; font-weight: 600; }
        table.summary { font-size: 8.5pt; table-layout: fixed; } table.summary th:first-child { width: 14%; }
        table.summary thead th { font-size: 7.5pt; hyphens: auto; overflow-wrap: anywhere; }
        tr.total th, tr.total td { font-weight: 700; border-top: 2px solid #555; }
        .change { display: block; white-space: nowrap; font-size: 7.5pt; }
        .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        .spark { color: #1d4f91; } .spark circle { fill: currentColor; }
        ol.decisions { padding-left: 5mm; margin: 0; font-size: 9pt; } ol.decisions > li { margin-bottom: .5mm; break-inside: avoid; }
        ul.minutes { padding-left: 5mm; margin: 0; font-size: 9pt; } ul.minutes > li { margin-bottom: .5mm; break-inside: avoid; }
        .state { color: #333; font-size: 8.5pt; }
        dl.late { margin: 0; columns: 2; column-gap: 6mm; } dl.late dt { font-weight: 600; margin-top: 1.5mm; break-after: avoid; }
        dl.late dd { margin: 0 0 0 4mm; font-size: 9pt; break-inside: avoid; }
        .closed { font-size: 9pt; }
        table.list { font-size: 8.5pt; } table.list tr { break-inside: avoid; }
        h2.appendix { break-before: page; }
        @media screen and (max-width: 40rem) { table.summary { display: block; overflow-x: auto; } }
        """
    }
}

/// Streams the appendix's lists: a table per list, or "None." for an empty one.
final class HTMLListsWriter: ReportRowWriter {
    private let output: ChunkedOutput
    private let page: ReportPage
    private var rows = 0

    init(_ output: ChunkedOutput, page: ReportPage) {
        self.output = output
        self.page = page
    }

    func begin(_ list: ReportQueries.List) async throws {
        rows = 0
        output.append(page.listHeading(list))
    }

    func action(_ row: QuarterlyReport.ActionRow) async throws {
        try await write(.actionItems, [
            row.dueOn, row.direction, row.title, row.owner, page.status(row.status) + (row.overdue ? " (\(page.word("overdue")))" : ""),
        ])
    }

    func proposal(_ row: QuarterlyReport.ProposalRow) async throws {
        try await write(.proposals, [row.direction, row.kind, row.title, page.status(row.status), row.author])
    }

    func session(_ row: QuarterlyReport.SessionRow) async throws {
        try await write(.sessions, [row.startsAt, row.direction.isEmpty ? page.word("plenary") : row.direction, row.kind, row.title,
                                    page.status(row.status)])
    }

    func end(_ list: ReportQueries.List) async throws {
        output.append(rows == 0 ? "<p class=\"quiet\">\(ReportPage.e(page.word("none")))</p>" : "</tbody></table>")
        try await output.flushIfFull()
    }

    private func write(_ list: ReportQueries.List, _ cells: [String]) async throws {
        if rows == 0 { output.append(page.tableHeader(list)) }
        rows += 1
        output.append("<tr>" + cells.map { "<td>\(ReportPage.e($0))</td>" }.joined() + "</tr>")
        try await output.flushIfFull()
    }
}
