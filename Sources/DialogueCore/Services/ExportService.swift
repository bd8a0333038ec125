import Foundation
import PostgresNIO

extension Dialogue {
    /// Computes the quarterly report (coordinators). Figures are as of quarter end, from
    /// transition histories; drafts never appear; sealed data is never read.
    public func quarterlyReport(
        _ context: CallContext, quarter text: String, direction: String?, audience rawAudience: String?
    ) async throws -> ExportedReport {
        try AccessPolicy.requireCoordinator(context.actor, "export quarterly reports")
        var validator = Validator()
        var quarter: Quarter?
        do { quarter = try Quarter(parsing: text) } catch DomainError.validation(let errors) {
            errors.forEach { validator.fail($0.field, $0.message) }
        }
        _ = validator.direction(direction)
        let audience = validator.choice(rawAudience ?? "internal", "audience", as: QuarterlyReport.Audience.self)
        try validator.check()
        let period = quarter!
        let report = try await database.read { connection in
            try await computeReport(
                connection, quarter: period, start: period.start, end: period.end, direction: direction, audience: audience!)
        }
        let canonical = try report.canonicalJSON()
        return ExportedReport(report: report, canonical: canonical, sha256: QuarterlyReport.sha256(canonical), fromSnapshot: false)
    }

    /// Stores the report as the quarter's frozen snapshot (once); returns the stored one, so a
    /// second freeze compares instead of overwriting.
    public func freezeReport(_ context: CallContext, _ exported: ExportedReport) async throws -> ExportedReport {
        try AccessPolicy.requireCoordinator(context.actor, "freeze quarterly reports")
        let report = exported.report
        let content = String(decoding: exported.canonical, as: UTF8.self)
        try await database.transaction { connection in
            let inserted = try await connection.query("""
                INSERT INTO export_snapshots (quarter, direction, audience, content, sha256)
                VALUES (\(report.quarter), \(report.direction), \(report.audience.rawValue), \(content), \(exported.sha256))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger).collect()
            if !inserted.isEmpty {
                try await AuditLog.append(
                    connection, logger: logger, context: context, action: "export.freeze", objectType: "export",
                    objectID: "\(report.quarter)/\(report.direction)/\(report.audience.rawValue)", diff: ["sha256": exported.sha256])
            }
        }
        return try await frozenReport(context, quarter: report.quarter, direction: report.direction, audience: report.audience.rawValue)!
    }

    public func frozenReport(_ context: CallContext, quarter: String, direction: String?, audience: String?) async throws -> ExportedReport? {
        try AccessPolicy.requireCoordinator(context.actor, "read frozen reports")
        let row = try await database.read { connection in
            try await connection.query("""
                SELECT content, sha256 FROM export_snapshots
                WHERE quarter = \(quarter) AND direction = \(direction ?? "") AND audience = \(audience ?? "internal")
                """, logger: logger).collect().first?.decode((String, String).self)
        }
        guard let (content, sha256) = row else { return nil }
        let data = Data(content.utf8)
        return ExportedReport(report: try QuarterlyReport.decode(canonical: data), canonical: data, sha256: sha256, fromSnapshot: true)
    }

    private func computeReport(
        _ connection: PostgresConnection, quarter: Quarter, start: Date, end: Date, direction: String?,
        audience: QuarterlyReport.Audience
    ) async throws -> QuarterlyReport {
        let names = Dictionary(uniqueKeysWithValues: try await connection.query(
            "SELECT slug, name FROM directions ORDER BY position", logger: logger
        ).collect().map { try $0.decode((String, String).self) })
        var figures: [String: QuarterlyReport.Figures] = [:]
        func bump(_ slug: String, _ change: (inout QuarterlyReport.Figures) -> Void) {
            change(&figures[slug, default: QuarterlyReport.Figures()])
            change(&figures["", default: QuarterlyReport.Figures()])
        }
        let endDate = ISO8601DateFormatter.dateOnly.string(from: end)
        let startDate = ISO8601DateFormatter.dateOnly.string(from: start)

        // Sessions starting in the quarter, by their status at quarter end.
        var sessions: [QuarterlyReport.SessionRow] = []
        for row in try await connection.query("""
            SELECT s.id, coalesce(g.direction, ''), s.kind, s.title, s.starts_at,
                   coalesce((SELECT t.to_status FROM session_transitions t WHERE t.session_id = s.id AND t.created_at < \(end)
                             ORDER BY t.created_at DESC, t.id DESC LIMIT 1), 'planned')
            FROM sessions s LEFT JOIN working_groups g ON g.id = s.working_group_id
            WHERE s.starts_at >= \(start) AND s.starts_at < \(end) AND s.created_at < \(end)
              AND (\(direction)::text IS NULL OR g.direction = \(direction))
            ORDER BY s.starts_at, s.id
            """, logger: logger).collect() {
            let (id, slug, kind, title, startsAt, status) = try row.decode((UUID, String, String, String, Date, String).self)
            sessions.append(.init(
                id: id.uuidString.lowercased(), direction: slug, kind: kind, title: title,
                startsAt: ISO8601DateFormatter().string(from: startsAt), status: status))
            bump(slug) { figures in
                switch status {
                case "held": figures.sessionsHeld += 1
                case "cancelled": figures.sessionsCancelled += 1
                default: figures.sessionsPlanned += 1
                }
            }
        }

        // Agenda outcomes of those sessions, as recorded by quarter end.
        for row in try await connection.query("""
            SELECT coalesce(g.direction, ''), h.outcome
            FROM agenda_items i JOIN sessions s ON s.id = i.session_id LEFT JOIN working_groups g ON g.id = s.working_group_id
            JOIN LATERAL (SELECT outcome FROM agenda_outcome_history WHERE agenda_item_id = i.id AND created_at < \(end)
                          ORDER BY created_at DESC, id DESC LIMIT 1) h ON true
            WHERE s.starts_at >= \(start) AND s.starts_at < \(end) AND h.outcome IS NOT NULL
              AND (\(direction)::text IS NULL OR g.direction = \(direction))
            """, logger: logger).collect() {
            let (slug, outcome) = try row.decode((String, String).self)
            bump(slug) { $0.agendaOutcomes[outcome, default: 0] += 1 }
        }

        // Proposals: state at quarter end; only those ever submitted (drafts never appear).
        var proposals: [QuarterlyReport.ProposalRow] = []
        for row in try await connection.query("""
            SELECT p.id, g.direction, p.kind, p.title, st.to_status, a.display_name, a.kind, coalesce(o.name, '')
            FROM proposals p JOIN working_groups g ON g.id = p.working_group_id JOIN participants a ON a.id = p.author_id
            LEFT JOIN organizations o ON o.id = a.organization_id
            JOIN LATERAL (SELECT to_status FROM proposal_transitions t WHERE t.proposal_id = p.id AND t.created_at < \(end)
                          ORDER BY t.created_at DESC, t.id DESC LIMIT 1) st ON true
            WHERE EXISTS (SELECT 1 FROM proposal_transitions t WHERE t.proposal_id = p.id AND t.to_status = 'submitted'
                          AND t.created_at < \(end))
              AND (\(direction)::text IS NULL OR g.direction = \(direction))
            ORDER BY p.created_at, p.id
            """, logger: logger).collect() {
            let (id, slug, kind, title, status, name, authorKind, organization) =
                try row.decode((UUID, String, String, String, String, String, String, String).self)
            proposals.append(.init(
                id: id.uuidString.lowercased(), direction: slug, kind: kind, title: title, status: status,
                author: Dialogue.personLabel(name: name, kind: authorKind, organization: organization, audience: audience)))
            bump(slug) { $0.proposalsByState[status, default: 0] += 1 }
        }
        for row in try await connection.query("""
            SELECT g.direction, t.to_status FROM proposal_transitions t
            JOIN proposals p ON p.id = t.proposal_id JOIN working_groups g ON g.id = p.working_group_id
            WHERE t.created_at >= \(start) AND t.created_at < \(end)
              AND EXISTS (SELECT 1 FROM proposal_transitions s WHERE s.proposal_id = p.id AND s.to_status = 'submitted'
                          AND s.created_at < \(end))
              AND (\(direction)::text IS NULL OR g.direction = \(direction))
            """, logger: logger).collect() {
            let (slug, status) = try row.decode((String, String).self)
            bump(slug) { $0.proposalTransitions[status, default: 0] += 1 }
        }

        // Action items that existed at quarter end, with their status then.
        var actions: [QuarterlyReport.ActionRow] = []
        for row in try await connection.query("""
            SELECT x.id, g.direction, x.title, w.display_name, w.kind, coalesce(o.name, ''), x.due_on::text, x.created_at,
                   st.to_status,
                   (SELECT min(u.created_at) FROM action_item_updates u WHERE u.action_item_id = x.id
                      AND u.to_status IN ('done', 'dropped') AND coalesce(u.from_status, '') NOT IN ('done', 'dropped'))
            FROM action_items x JOIN working_groups g ON g.id = x.working_group_id JOIN participants w ON w.id = x.owner_id
            LEFT JOIN organizations o ON o.id = w.organization_id
            JOIN LATERAL (SELECT to_status FROM action_item_updates u WHERE u.action_item_id = x.id AND u.created_at < \(end)
                          ORDER BY u.created_at DESC, u.id DESC LIMIT 1) st ON true
            WHERE x.created_at < \(end) AND (\(direction)::text IS NULL OR g.direction = \(direction))
            ORDER BY x.due_on, x.id
            """, logger: logger).collect() {
            let (id, slug, title, name, ownerKind, organization, dueOn, createdAt, status, firstClosed) =
                try row.decode((UUID, String, String, String, String, String, String, Date, String, Date?).self)
            let closed = status == "done" || status == "dropped"
            let overdue = !closed && dueOn < endDate
            let dueInQuarter = dueOn >= startDate && dueOn < endDate
            bump(slug) { figures in
                figures.actionsByStatus[status, default: 0] += 1
                if createdAt >= start { figures.actionsOpened += 1 }
                if let firstClosed, firstClosed >= start, firstClosed < end { figures.actionsClosed += 1 }
                if overdue { figures.actionsOverdueAtEnd += 1 }
                if dueInQuarter {
                    figures.actionsDueInQuarter += 1
                    if status == "done" { figures.actionsDoneOfDue += 1 }
                }
            }
            if createdAt >= start || dueInQuarter || !closed {
                actions.append(.init(
                    id: id.uuidString.lowercased(), direction: slug, title: title,
                    owner: Dialogue.personLabel(name: name, kind: ownerKind, organization: organization, audience: audience),
                    dueOn: dueOn, status: status, overdue: overdue))
            }
        }
        for (key, value) in figures where value.actionsDueInQuarter > 0 {
            figures[key]?.completionPerMille = (value.actionsDoneOfDue * 1000) / value.actionsDueInQuarter
        }

        let auditHead = try await connection.query(
            "SELECT hash FROM audit_log WHERE occurred_at < \(end) ORDER BY seq DESC LIMIT 1", logger: logger
        ).collect().first?.decode(String.self) ?? AuditLog.genesisHash
        let slugs = direction.map { [$0] } ?? Dialogue.directionSlugs
        return QuarterlyReport(
            quarter: quarter.description, periodStart: ISO8601DateFormatter().string(from: start),
            periodEnd: ISO8601DateFormatter().string(from: end), direction: direction ?? "", audience: audience,
            auditHeadAtEnd: auditHead, total: figures[""] ?? .init(),
            directions: slugs.map { .init(slug: $0, name: names[$0] ?? $0, figures: figures[$0] ?? .init()) },
            sessions: sessions, proposals: proposals, actionItems: actions)
    }

    /// How a person appears in a report: internal reports use display names (a pseudonym for
    /// an in-country proxy); public ones name only an organization or a role.
    static func personLabel(name: String, kind: String, organization: String, audience: QuarterlyReport.Audience) -> String {
        switch audience {
        case .internal:
            return name
        case .public:
            if kind == ParticipantKind.inCountryProxy.rawValue { return "in-country participant" }
            if !organization.isEmpty { return organization }
            return kind == ParticipantKind.official.rawValue ? "official" : "movement participant"
        }
    }
}

extension ISO8601DateFormatter {
    static var dateOnly: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter
    }
}
