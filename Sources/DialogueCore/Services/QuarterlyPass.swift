import Foundation
import Logging
import PostgresNIO

/// One pass over a quarter's data, in the canonical JSON's key order: action items (their
/// figures counted along the way), the figures, proposals, sessions. The figures written
/// before a list is read come from the same list queries, aggregated by PostgreSQL.
struct QuarterlyPass {
    let export: QuarterlyExport
    /// The exporter: proposals, agenda outcomes and minutes count and appear only as far as
    /// their audience admits this viewer (`shows`).
    let viewer: Viewer
    let connection: PostgresConnection
    let logger: Logger
    /// What is read beside the lists (`Aside`) being read on another connection in the same
    /// snapshot while this pass streams them; nil reads it here.
    var aside: Task<Aside, any Error>? = nil

    /// Whether the report may hold an object: the exporter may read it (`AccessPolicy`), and
    /// the public variant holds `public` objects only.
    private func shows(_ facts: AudienceFacts, _ object: (AudienceFacts) -> AccessObject) -> Bool {
        if export.audience == .public, facts.audience != .public { return false }
        return AccessPolicy.decide(viewer, .read, object(facts)) == .allow
    }

    private static func facts(_ audience: String, _ author: UUID?, _ side: String, _ listed: Bool) -> AudienceFacts {
        // An unknown audience reads as the narrowest, so a newer value never widens an export.
        AudienceFacts(
            audience: Audience(rawValue: audience) ?? .named, authorID: author, authorSide: OrganizationSide(rawValue: side),
            viewerNamed: listed)
    }

    /// The proposal `object` of a report row (ever submitted, so never a draft).
    private static func proposal(_ group: UUID?) -> (AudienceFacts) -> AccessObject {
        { facts in
            .proposal(groupID: group ?? UUID(), authorID: facts.authorID ?? UUID(), status: .submitted, audience: facts)
        }
    }

    /// An agenda item of a report row: the exporter, a coordinator, sees every session.
    private static func agendaItem(_ group: UUID?) -> (AudienceFacts) -> AccessObject {
        { .agendaItem(sessionVisible: true, audience: $0) }
    }

    /// Streams the canonical content (and the lists to `rows`); returns the report's header and
    /// figures, without its lists, and the content's hash.
    func run(canonical: CanonicalReportWriter, rows: (any ReportRowWriter)?) async throws -> (summary: QuarterlyReport, sha256: String) {
        var figures = FigureBook()

        try await canonical.begin()
        canonical.beginArray("action_items")
        try await rows?.begin(.actionItems)
        try await each(.actionItems) { row in
            let (id, slug, title, name, ownerKind, organization, dueOn, status, opened, closedInQuarter, overdue, dueInQuarter) =
                try row.decode((String, String, String, String, String, String, String, String, Bool, Bool, Bool, Bool).self)
            let closed = status == "done" || status == "dropped"
            figures.bump(slug) { f in
                f.actionsByStatus[status, default: 0] += 1
                if opened { f.actionsOpened += 1 }
                if closedInQuarter { f.actionsClosed += 1 }
                if overdue { f.actionsOverdueAtEnd += 1 }
                if dueInQuarter {
                    f.actionsDueInQuarter += 1
                    if status == "done" { f.actionsDoneOfDue += 1 }
                }
            }
            guard opened || dueInQuarter || !closed else { return }
            let item = QuarterlyReport.ActionRow(
                id: id, direction: slug, title: title, owner: label(name, ownerKind, organization),
                dueOn: dueOn, status: status, overdue: overdue)
            canonical.row(item)
            try await rows?.action(item)
            try await canonical.flushIfFull()
        }
        canonical.raw("],")
        try await rows?.end(.actionItems)

        let beside = try await takeAside()
        figures.add(beside.quarter)
        let summary = try await header(figures.completed(), trend: beside.earlier)
        canonical.field("audience", summary.audience.rawValue)
        canonical.field("audit_head_at_end", summary.auditHeadAtEnd)
        canonical.beginArray("decisions")
        for decision in beside.decisions {
            canonical.row(decision)
            try await rows?.decision(decision)
            try await canonical.flushIfFull()
        }
        canonical.raw("],")
        canonical.field("direction", summary.direction)
        canonical.raw("\"directions\":")
        try canonical.encoded(summary.directions)
        canonical.raw(",")
        canonical.beginArray("minutes")
        for minutes in beside.minutes {
            canonical.row(minutes)
            try await rows?.minutes(minutes)
        }
        canonical.raw("],")
        canonical.field("period_end", summary.periodEnd)
        canonical.field("period_start", summary.periodStart)

        canonical.beginArray("proposals")
        try await streamProposals(canonical, rows)
        canonical.raw("],")
        canonical.field("quarter", summary.quarter)
        canonical.beginArray("sessions")
        try await streamSessions(canonical, rows)
        canonical.raw("],\"total\":")
        try canonical.encoded(summary.total)
        canonical.raw(",\"trend\":")
        try canonical.encoded(summary.trend ?? [])
        canonical.raw(",")
        canonical.field("view", summary.view ?? "", last: true)
        return (summary, try await canonical.end())
    }

    /// The lists alone, for a page whose figures were computed by an earlier pass in the same
    /// snapshot.
    func streamLists(_ rows: any ReportRowWriter) async throws {
        try await rows.begin(.actionItems)
        try await each(.actionItems) { row in
            let (id, slug, title, name, ownerKind, organization, dueOn, status, opened, _, overdue, dueInQuarter) =
                try row.decode((String, String, String, String, String, String, String, String, Bool, Bool, Bool, Bool).self)
            guard opened || dueInQuarter || !(status == "done" || status == "dropped") else { return }
            try await rows.action(.init(
                id: id, direction: slug, title: title, owner: label(name, ownerKind, organization),
                dueOn: dueOn, status: status, overdue: overdue))
        }
        try await rows.end(.actionItems)
        try await streamProposals(nil, rows)
        try await streamSessions(nil, rows)
    }

    private func streamProposals(_ canonical: CanonicalReportWriter?, _ rows: (any ReportRowWriter)?) async throws {
        try await rows?.begin(.proposals)
        try await each(.proposals) { row in
            let (id, slug, kind, title, status, name, authorKind, organization, moved, _, audience, group, author, side, listed) =
                try row.decode((String, String, String, String, String, String, String, String, Bool, Date, String, UUID?, UUID?, String, Bool).self)
            guard shows(Self.facts(audience, author, side, listed), Self.proposal(group)) else { return }
            let proposal = QuarterlyReport.ProposalRow(
                id: id, direction: slug, kind: kind, title: title, status: status, author: label(name, authorKind, organization),
                movedInQuarter: moved)
            canonical?.row(proposal)
            try await rows?.proposal(proposal)
            try await canonical?.flushIfFull()
        }
        try await rows?.end(.proposals)
    }

    private func streamSessions(_ canonical: CanonicalReportWriter?, _ rows: (any ReportRowWriter)?) async throws {
        try await rows?.begin(.sessions)
        try await each(.sessions) { row in
            let (id, slug, kind, title, startsAt, status) = try row.decode((String, String, String, String, String, String).self)
            let session = QuarterlyReport.SessionRow(id: id, direction: slug, kind: kind, title: title, startsAt: startsAt, status: status)
            canonical?.row(session)
            try await rows?.session(session)
            try await canonical?.flushIfFull()
        }
        try await rows?.end(.sessions)
    }

    /// The report without its lists: period, audit head, figures by direction and in total.
    private func header(_ figures: [String: QuarterlyReport.Figures], trend books: [String: FigureBook]) async throws -> QuarterlyReport {
        let quarter = export.quarter
        let names = Dictionary(uniqueKeysWithValues: try await connection.query(
            "SELECT slug, name FROM directions ORDER BY position", logger: logger
        ).collect().map { try $0.decode((String, String).self) })
        let end = quarter.end
        let auditHead = try await connection.query(
            "SELECT hash FROM audit_log WHERE occurred_at < \(end) ORDER BY seq DESC LIMIT 1", logger: logger
        ).collect().first?.decode(String.self) ?? AuditLog.genesisHash
        let slugs = export.direction.map { [$0] } ?? Dialogue.directionSlugs
        func sections(_ figures: [String: QuarterlyReport.Figures]) -> [QuarterlyReport.DirectionSection] {
            slugs.map { .init(slug: $0, name: names[$0] ?? $0, figures: figures[$0] ?? .init()) }
        }
        let earlier = quarter.preceding(3)
        let trend = earlier.map { previous in
            let book = (books[previous.description] ?? FigureBook()).completed()
            return QuarterlyReport.QuarterFigures(quarter: previous.description, total: book[""] ?? .init(), directions: sections(book))
        }
        return QuarterlyReport(
            quarter: quarter.description, periodStart: ReportQueries.timestampText(quarter.start),
            periodEnd: ReportQueries.timestampText(end), direction: export.direction ?? "", audience: export.audience,
            auditHeadAtEnd: auditHead, total: figures[""] ?? .init(), directions: sections(figures),
            sessions: [], proposals: [], actionItems: [], trend: trend,
            view: viewer.side?.rawValue ?? (viewer.actor.participantID == nil ? "operator" : ""))
    }

    /// What is read beside the lists, from the parallel read if there is one. Where it got no
    /// connection (a pool of one, or one exhausted), it is read here after all.
    private func takeAside() async throws -> Aside {
        guard let aside else { return try await readAside() }
        do {
            return try await aside.value
        } catch let error as DomainError {
            guard case .unavailable = error else { throw error }
            return try await readAside()
        }
    }

    /// What the report reads beside its lists, on this pass's connection: the figures of the
    /// quarter and of the three before it (the trend), and the quarter's decisions and minutes.
    func readAside() async throws -> Aside {
        let earlier = export.quarter.preceding(3), quarters = [export.quarter] + earlier
        var books: [String: FigureBook] = [:]
        for quarter in quarters { books[quarter.description] = try await aggregateFigures(quarter) }
        try await tally(ReportQueries.agendaOutcomes, quarters, \.agendaOutcomes, of: Self.agendaItem, into: &books)
        try await tally(ReportQueries.proposalStates, quarters, \.proposalsByState, of: Self.proposal, into: &books)
        try await tally(ReportQueries.proposalTransitions, quarters, \.proposalTransitions, of: Self.proposal, into: &books)
        try await tallyEarlierActions(earlier, into: &books)
        let own = books.removeValue(forKey: export.quarter.description) ?? FigureBook()
        return Aside(quarter: own, earlier: books, decisions: try await readDecisions(), minutes: try await readMinutes())
    }

    /// The quarter's decisions the exporter may read, with their action items.
    private func readDecisions() async throws -> [QuarterlyReport.DecisionRow] {
        try await query(ReportQueries.decisions).collect().compactMap { row in
            let (id, slug, title, session, titles, statuses, audience, group, author, side, listed) = try row.decode(
                (String, String, String, String, [String], [String], String, UUID?, UUID?, String, Bool).self)
            guard shows(Self.facts(audience, author, side, listed), Self.agendaItem(group)) else { return nil }
            return QuarterlyReport.DecisionRow(
                id: id, direction: slug, title: title, session: session,
                actions: zip(titles, statuses).map { QuarterlyReport.DecisionRow.Action(title: $0, status: $1) })
        }
    }

    /// The quarter's signed-off minutes the exporter may read.
    private func readMinutes() async throws -> [QuarterlyReport.MinutesRow] {
        try await query(ReportQueries.minutes).collect().compactMap { row in
            let (id, slug, session, title, audience, group, author, side, listed) = try row.decode(
                (String, String, String, String, String, UUID?, UUID?, String, Bool).self)
            guard shows(Self.facts(audience, author, side, listed), { .document(groupID: group, invited: false, audience: $0, frozen: true) })
            else { return nil }
            return QuarterlyReport.MinutesRow(id: id, direction: slug, session: session, title: title, link: "/documents/\(id)")
        }
    }

    /// The figures PostgreSQL aggregates for a quarter, in this snapshot: sessions, dossiers,
    /// cases. Not the outcomes and the proposals' states and moves, counted for all the
    /// quarters at once (`tally`), nor the action items': the reported quarter counts those
    /// along its list, the trend in one statement (`tallyEarlierActions`).
    private func aggregateFigures(_ quarter: Quarter) async throws -> FigureBook {
        var figures = FigureBook()
        for row in try await query(ReportQueries.countsSQL(.sessions), quarter).collect() {
            let (slug, status, count) = try row.decode((String, String, Int).self)
            figures.bump(slug) { f in
                switch status {
                case "held": f.sessionsHeld += count
                case "cancelled": f.sessionsCancelled += count
                default: f.sessionsPlanned += count
                }
            }
        }
        for row in try await query(ReportQueries.dossierFigures, quarter).collect() {
            let (slug, audience, group, author, side, listed, submitted, designations) =
                try row.decode((String, String, UUID?, UUID?, String, Bool, Bool, Int).self)
            guard shows(Self.facts(audience, author, side, listed), Self.proposal(group)) else { continue }
            figures.bump(slug) { f in
                f.dossiersSubmitted = (f.dossiersSubmitted ?? 0) + (submitted ? 1 : 0)
                f.designationsObtained = (f.designationsObtained ?? 0) + designations
            }
        }
        // A case appears only where its recorded consent allows (SECURITY.md 27).
        let needed: CaseConsent = export.audience == .public ? .public : .internal
        for row in try await query(ReportQueries.caseFigures, quarter).collect() {
            let (slug, audience, group, author, side, listed, status, consent) =
                try row.decode((String, String, UUID?, UUID?, String, Bool, String, CaseConsent).self)
            guard consent >= needed, shows(Self.facts(audience, author, side, listed), Self.proposal(group)) else { continue }
            figures.bump(slug) { $0.casesByStatus = ($0.casesByStatus ?? [:]).merging([status: 1], uniquingKeysWith: +) }
        }
        return figures
    }

    /// Counts by quarter, direction, a key (an outcome, a state) and audience facts, from a
    /// statement over all the quarters (`ReportQueries.quartersQuery`), as far as the objects'
    /// audience admits the exporter.
    private func tally(
        _ sql: String, _ quarters: [Quarter], _ figure: WritableKeyPath<QuarterlyReport.Figures, [String: Int]>,
        of object: (UUID?) -> (AudienceFacts) -> AccessObject, into books: inout [String: FigureBook]
    ) async throws {
        for row in try await query(sql, quarters).collect() {
            let (quarter, slug, key, audience, group, author, side, listed, count) =
                try row.decode((String, String, String, String, UUID?, UUID?, String, Bool, Int).self)
            guard shows(Self.facts(audience, author, side, listed), object(group)) else { continue }
            books[quarter, default: FigureBook()].bump(slug) { $0[keyPath: figure][key, default: 0] += count }
        }
    }

    /// The earlier quarters' action figures, counted by PostgreSQL as the reported quarter's
    /// are counted along its list (`ReportQueries.earlierActionFigures`).
    private func tallyEarlierActions(_ quarters: [Quarter], into books: inout [String: FigureBook]) async throws {
        let rows = try await query(ReportQueries.earlierActionFigures, quarters).collect()
        for row in rows {
            let (quarter, slug, status, count, opened, closed, overdue, due) =
                try row.decode((String, String, String, Int, Int, Int, Int, Int).self)
            books[quarter, default: FigureBook()].bump(slug) { f in
                f.actionsByStatus[status, default: 0] += count
                f.actionsOpened += opened
                f.actionsClosed += closed
                f.actionsOverdueAtEnd += overdue
                f.actionsDueInQuarter += due
                if status == "done" { f.actionsDoneOfDue += due }
            }
        }
    }

    private func label(_ name: String, _ kind: String, _ organization: String) -> String {
        Dialogue.personLabel(name: name, kind: kind, organization: organization, audience: export.audience)
    }

    static let batchSize = 2000

    /// Reads a list through a server-side cursor, a batch at a time, the next batch read
    /// while this one is written: memory holds two batches whatever the size of the quarter.
    /// (A plain query lets the driver buffer up to 16,384 rows, which made the peak grow
    /// with the data.)
    private func each(_ list: ReportQueries.List, _ body: (PostgresRow) async throws -> Void) async throws {
        let cursor = "report_\(list.rawValue)"
        try await query("DECLARE \(cursor) NO SCROLL CURSOR FOR \(ReportQueries.listSQL(list))")
        let connection = self.connection, logger = self.logger
        @Sendable func fetch() async throws -> [PostgresRow] {
            try await connection.query(PostgresQuery(unsafeSQL: "FETCH \(Self.batchSize) FROM \(cursor)"), logger: logger).collect()
        }
        var batch = try await fetch()
        while true {
            let more = batch.count == Self.batchSize
            async let next = more ? fetch() : []
            for row in batch { try await body(row) }
            batch = try await next
            if !more { break }
        }
        try await connection.query(PostgresQuery(unsafeSQL: "CLOSE \(cursor)"), logger: logger)
    }

    @discardableResult
    private func query(_ sql: String, _ quarter: Quarter? = nil) async throws -> PostgresRowSequence {
        try await connection.query(
            ReportQueries.query(sql, quarter ?? export.quarter, direction: export.direction, exporter: viewer.actor.participantID),
            logger: logger)
    }

    /// A statement that counts several quarters in one pass (`ReportQueries.quartersQuery`).
    private func query(_ sql: String, _ quarters: [Quarter]) async throws -> PostgresRowSequence {
        try await connection.query(
            ReportQueries.quartersQuery(sql, quarters, direction: export.direction, exporter: viewer.actor.participantID),
            logger: logger)
    }
}

/// What the export reads beside its lists, on a second connection while the lists stream: the
/// figures PostgreSQL aggregates (the reported quarter's sessions, outcomes, proposals, dossiers
/// and cases - its action items are counted along their list - and the trend's three earlier
/// quarters, keyed by quarter), and the quarter's decisions and minutes, short lists read whole.
struct Aside: Sendable {
    var quarter: FigureBook
    var earlier: [String: FigureBook]
    var decisions: [QuarterlyReport.DecisionRow]
    var minutes: [QuarterlyReport.MinutesRow]
}

/// Figures per direction slug, and in total under "".
struct FigureBook: Sendable {
    private var figures: [String: QuarterlyReport.Figures] = [:]

    /// Counts under the direction and in the total; a plenary session (no direction) counts
    /// in the total only.
    mutating func bump(_ slug: String, _ change: (inout QuarterlyReport.Figures) -> Void) {
        if !slug.isEmpty { change(&figures[slug, default: QuarterlyReport.Figures()]) }
        change(&figures["", default: QuarterlyReport.Figures()])
    }

    /// Adds another book's counts to this one's (the quarter's aggregates to those counted
    /// along its action items).
    mutating func add(_ other: FigureBook) {
        for (key, theirs) in other.figures { figures[key, default: QuarterlyReport.Figures()].add(theirs) }
    }

    /// With the completion rate of the items due in the quarter.
    func completed() -> [String: QuarterlyReport.Figures] {
        var result = figures.mapValues { figures in
            var filled = figures
            filled.dossiersSubmitted = figures.dossiersSubmitted ?? 0
            filled.designationsObtained = figures.designationsObtained ?? 0
            filled.casesByStatus = figures.casesByStatus ?? [:]
            return filled
        }
        for (key, value) in figures where value.actionsDueInQuarter > 0 {
            result[key]?.completionPerMille = (value.actionsDoneOfDue * 1000) / value.actionsDueInQuarter
        }
        return result
    }
}

extension QuarterlyReport.Figures {
    /// Adds every count of `other` to this one's. The completion rate is not a count: it is
    /// worked out once the counts are complete (`FigureBook.completed`).
    mutating func add(_ other: Self) {
        sessionsHeld += other.sessionsHeld
        sessionsPlanned += other.sessionsPlanned
        sessionsCancelled += other.sessionsCancelled
        agendaOutcomes.merge(other.agendaOutcomes, uniquingKeysWith: +)
        proposalsByState.merge(other.proposalsByState, uniquingKeysWith: +)
        proposalTransitions.merge(other.proposalTransitions, uniquingKeysWith: +)
        actionsOpened += other.actionsOpened
        actionsClosed += other.actionsClosed
        actionsOverdueAtEnd += other.actionsOverdueAtEnd
        actionsDueInQuarter += other.actionsDueInQuarter
        actionsDoneOfDue += other.actionsDoneOfDue
        actionsByStatus.merge(other.actionsByStatus, uniquingKeysWith: +)
        if let theirs = other.dossiersSubmitted { dossiersSubmitted = (dossiersSubmitted ?? 0) + theirs }
        if let theirs = other.designationsObtained { designationsObtained = (designationsObtained ?? 0) + theirs }
        if let theirs = other.casesByStatus { casesByStatus = (casesByStatus ?? [:]).merging(theirs, uniquingKeysWith: +) }
    }
}
