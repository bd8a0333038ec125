import Foundation
import PostgresNIO

/// The quarterly report's SQL, in one place: the export streams these queries, the figures
/// that are not counted along the way aggregate over the very same queries, and `make bench`
/// times `COPY (…) TO STDOUT` of them to compare the export with PostgreSQL's own output.
///
/// Every query is sent with the same six typed parameters, used or not: $1 the quarter's first
/// instant, $2 the first instant after it, $3 the direction slug or NULL for all, $4 and $5
/// the same bounds as dates, $6 the exporter's participant id (the nil UUID for the operator).
/// The exceptions count several quarters in one pass (`quartersQuery`): the trend's action
/// figures, and the proposals' states at each quarter's end.
///
/// Objects with an audience (proposals, agenda items, minutes) come with the facts
/// `AccessPolicy` decides on - audience, group, author, author's side, whether the exporter is
/// listed - and `QuarterlyPass` keeps or counts only what the exporter may see. Their counts
/// are grouped by those facts, so the decision is still taken per object kind in Swift.
/// Values are formatted by PostgreSQL (ids as text, instants in UTC as RFC 3339), so the
/// export writes what it reads.
public enum ReportQueries {
    public enum List: String, CaseIterable, Sendable {
        case actionItems = "action_items"
        case proposals
        case sessions
    }

    /// Sessions starting in the quarter, by their status at quarter end.
    static let sessions = """
        SELECT s.id::text AS id, coalesce(g.direction, '') AS direction, s.kind, s.title,
               to_char(s.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS starts_at,
               coalesce((SELECT t.to_status FROM session_transitions t WHERE t.session_id = s.id AND t.created_at < $2
                         ORDER BY t.created_at DESC, t.id DESC LIMIT 1), 'planned') AS status
        FROM sessions s LEFT JOIN working_groups g ON g.id = s.working_group_id
        WHERE s.starts_at >= $1 AND s.starts_at < $2 AND s.created_at < $2
          AND ($3::text IS NULL OR g.direction = $3::text)
        """

    /// Proposals ever submitted by quarter end (drafts never appear), with their state then.
    static let proposals = """
        SELECT p.id::text AS id, g.direction, p.kind, p.title, st.to_status AS status,
               a.display_name, a.kind AS author_kind, coalesce(o.name, '') AS organization,
               EXISTS (SELECT 1 FROM proposal_transitions m WHERE m.proposal_id = p.id AND m.to_status = st.to_status
                       AND m.created_at >= $1 AND m.created_at < $2) AS moved_in_quarter,
               p.created_at,
               \(audienceFacts(object: "p", group: "p.working_group_id", authorSide: Dialogue.side(participant: "a", organization: "o")))
        FROM proposals p JOIN working_groups g ON g.id = p.working_group_id JOIN participants a ON a.id = p.author_id
        LEFT JOIN organizations o ON o.id = a.organization_id
        JOIN LATERAL (SELECT to_status FROM proposal_transitions t WHERE t.proposal_id = p.id AND t.created_at < $2
                      ORDER BY t.created_at DESC, t.id DESC LIMIT 1) st ON true
        WHERE EXISTS (SELECT 1 FROM proposal_transitions t WHERE t.proposal_id = p.id AND t.to_status = 'submitted'
                      AND t.created_at < $2)
          AND ($3::text IS NULL OR g.direction = $3::text)
        """

    /// Every action item that existed at quarter end, with its status then and how it counts.
    /// All of them feed the figures; the list shows those opened or due in the quarter and
    /// those still open at its end.
    static let actionItems = """
        SELECT x.id::text AS id, g.direction, x.title, w.display_name, w.kind AS owner_kind,
               coalesce(o.name, '') AS organization, x.due_on::text AS due_on, st.to_status AS status,
               x.created_at >= $1 AS opened_in_quarter,
               coalesce(closing.at >= $1 AND closing.at < $2, false) AS closed_in_quarter,
               st.to_status NOT IN ('done', 'dropped') AND x.due_on < $5::date AS overdue,
               x.due_on >= $4::date AND x.due_on < $5::date AS due_in_quarter
        FROM action_items x JOIN working_groups g ON g.id = x.working_group_id JOIN participants w ON w.id = x.owner_id
        LEFT JOIN organizations o ON o.id = w.organization_id
        JOIN LATERAL (SELECT to_status FROM action_item_updates u WHERE u.action_item_id = x.id AND u.created_at < $2
                      ORDER BY u.created_at DESC, u.id DESC LIMIT 1) st ON true
        LEFT JOIN LATERAL (SELECT min(u.created_at) AS at FROM action_item_updates u WHERE u.action_item_id = x.id
                             AND u.to_status IN ('done', 'dropped') AND coalesce(u.from_status, '') NOT IN ('done', 'dropped')
                          ) closing ON true
        WHERE x.created_at < $2 AND ($3::text IS NULL OR g.direction = $3::text)
        """

    /// The audience facts of an object `alias` (with `audience` and `author_id` columns): its
    /// audience, its group, its author, the author's side, and whether $6 is listed on it.
    /// `authorSide`, where the query has joined the author already, saves a lookup per row.
    static func audienceFacts(object alias: String, group: String, authorSide: String? = nil) -> String {
        """
        \(alias).audience, \(group) AS audience_group, \(alias).author_id AS audience_author, \
        coalesce(\(authorSide ?? Dialogue.sideOf("\(alias).author_id")), '') AS author_side, \
        EXISTS (SELECT 1 FROM audience_names n WHERE n.object_id = \(alias).id AND n.participant_id = $6::uuid) AS listed
        """
    }

    /// The facts counts are grouped by: the author only where the audience depends on it.
    static let audienceGroup = """
        audience, audience_group, CASE WHEN audience IN ('side', 'named') THEN audience_author END, author_side, listed
        """

    /// Proposals ever submitted by each quarter's end, by direction and state then, grouped by
    /// their audience facts: the report's figures and its trend in one pass over the
    /// transitions (`quartersQuery`), which counts what `proposals` lists. A proposal's state at
    /// a quarter's end is that of its last transition before it (by time, then id) - the one
    /// whose successor came at that end or later.
    static let proposalStates = """
        WITH \(quarters),
        h AS (
            SELECT t.proposal_id, t.created_at, t.to_status,
                   lead(t.created_at) OVER (PARTITION BY t.proposal_id ORDER BY t.created_at, t.id) AS next_at,
                   min(t.created_at) FILTER (WHERE t.to_status = 'submitted') OVER (PARTITION BY t.proposal_id) AS submitted_at
            FROM proposal_transitions t WHERE t.created_at < $7
        )
        SELECT quarter, direction, status, \(audienceGroup), count(*)::int8 FROM (
            SELECT q.quarter, g.direction, h.to_status AS status,
                   \(audienceFacts(object: "p", group: "p.working_group_id", authorSide: Dialogue.side(participant: "a", organization: "o")))
            FROM h JOIN q ON h.created_at < q.ends AND (h.next_at IS NULL OR h.next_at >= q.ends) AND h.submitted_at < q.ends
            JOIN proposals p ON p.id = h.proposal_id JOIN working_groups g ON g.id = p.working_group_id
            JOIN participants a ON a.id = p.author_id LEFT JOIN organizations o ON o.id = a.organization_id
            WHERE ($8::text IS NULL OR g.direction = $8::text)
        ) states GROUP BY quarter, direction, status, \(audienceGroup)
        """

    static func order(_ list: List) -> String {
        switch list {
        case .actionItems: return "ORDER BY due_on, id"
        case .proposals: return "ORDER BY created_at, id"
        case .sessions: return "ORDER BY starts_at, id"
        }
    }

    static func base(_ list: List) -> String {
        switch list {
        case .actionItems: return actionItems
        case .proposals: return proposals
        case .sessions: return sessions
        }
    }

    /// The list query, in the order the export writes it.
    public static func listSQL(_ list: List) -> String {
        "SELECT * FROM (\(base(list))) listed \(order(list))"
    }

    /// Counts of a list by direction and status, for the figures written before the list.
    static func countsSQL(_ list: List) -> String {
        "SELECT direction, status, count(*)::int8 FROM (\(base(list))) listed GROUP BY direction, status"
    }

    /// Agenda outcomes recorded by each quarter's end for that quarter's sessions
    /// (`quartersQuery`). A correction (an item naming the one it corrects, added after
    /// sign-off) is not an item of its own: the corrected item counts once, with the latest
    /// outcome among its own and its corrections'.
    static let agendaOutcomes = """
        WITH \(quarters)
        SELECT quarter, direction, outcome, \(audienceGroup), count(*)::int8 FROM (
            SELECT q.quarter, coalesce(g.direction, '') AS direction, h.outcome, \(audienceFacts(object: "i", group: "s.working_group_id"))
            FROM sessions s JOIN q ON s.starts_at >= q.starts AND s.starts_at < q.ends
            JOIN agenda_items i ON i.session_id = s.id LEFT JOIN working_groups g ON g.id = s.working_group_id
            JOIN LATERAL (\(latestOutcome(by: "q.ends"))) h ON true
            WHERE h.outcome IS NOT NULL AND i.corrects_item_id IS NULL AND ($8::text IS NULL OR g.direction = $8::text)
        ) outcomes GROUP BY quarter, direction, outcome, \(audienceGroup)
        """

    /// The latest outcome of an agenda item `i` before `end`, its own or a correction's.
    static func latestOutcome(by end: String) -> String {
        """
        SELECT outcome FROM (
            SELECT o.outcome, o.created_at, o.id FROM agenda_outcome_history o
            WHERE o.agenda_item_id = i.id AND o.created_at < \(end)
            UNION ALL
            SELECT o.outcome, o.created_at, o.id
            FROM agenda_items c JOIN agenda_outcome_history o ON o.agenda_item_id = c.id
            WHERE c.corrects_item_id = i.id AND o.created_at < \(end)
        ) own_and_corrections ORDER BY created_at DESC, id DESC LIMIT 1
        """
    }

    /// The quarter's decisions: agenda items of its sessions whose latest outcome by quarter end
    /// is `adopted`, with the action items made from them (existing at quarter end) and their
    /// status then, by direction and session. The decisions are found first (a materialized CTE),
    /// so the action items are looked up for them alone, through their index.
    static let decisions = """
        WITH adopted AS MATERIALIZED (
            SELECT i.id, coalesce(g.direction, '') AS direction, i.title, s.title AS session, s.starts_at, i.position,
                   \(audienceFacts(object: "i", group: "s.working_group_id"))
            FROM agenda_items i JOIN sessions s ON s.id = i.session_id LEFT JOIN working_groups g ON g.id = s.working_group_id
            JOIN LATERAL (\(latestOutcome(by: "$2"))) h ON true
            WHERE s.starts_at >= $1 AND s.starts_at < $2 AND h.outcome = 'adopted' AND i.corrects_item_id IS NULL
              AND ($3::text IS NULL OR g.direction = $3::text)
        )
        SELECT d.id::text AS id, d.direction, d.title, d.session,
               coalesce(a.titles, '{}'::text[]) AS action_titles, coalesce(a.statuses, '{}'::text[]) AS action_statuses,
               d.audience, d.audience_group, d.audience_author, d.author_side, d.listed
        FROM adopted d
        LEFT JOIN LATERAL (
            SELECT array_agg(x.title ORDER BY x.due_on, x.id) AS titles, array_agg(st.to_status ORDER BY x.due_on, x.id) AS statuses
            FROM action_items x
            JOIN LATERAL (SELECT to_status FROM action_item_updates u WHERE u.action_item_id = x.id AND u.created_at < $2
                          ORDER BY u.created_at DESC, u.id DESC LIMIT 1) st ON true
            WHERE x.agenda_item_id = d.id AND x.created_at < $2
        ) a ON true
        ORDER BY d.direction, d.starts_at, d.position, d.id
        """

    /// The action items' figures of the quarters before the reported one (the trend), counted
    /// by PostgreSQL in one statement the way the reported quarter's are counted along its list
    /// (`actionItems`): per quarter, direction and status at the quarter's end, how many items,
    /// how many were opened in the quarter, first closed in it, late at its end, due in it.
    /// An item's status at a quarter's end is that of its last update before it - the update
    /// whose successor (by time, then id) came at that end or later; its first closing is its
    /// first move into done or dropped from anything else. One pass over the updates serves
    /// the three quarters (`quartersQuery`); `$7` on the items lets PostgreSQL hash only those
    /// that existed by then.
    static let earlierActionFigures = """
        WITH \(quarters),
        h AS (
            SELECT u.action_item_id, u.created_at, u.to_status,
                   lead(u.created_at) OVER (PARTITION BY u.action_item_id ORDER BY u.created_at, u.id) AS next_at,
                   min(u.created_at) FILTER (WHERE u.to_status IN ('done', 'dropped') AND coalesce(u.from_status, '') NOT IN ('done', 'dropped'))
                       OVER (PARTITION BY u.action_item_id) AS first_closing
            FROM action_item_updates u WHERE u.created_at < $7
        )
        SELECT q.quarter, g.direction, h.to_status, count(*)::int8,
               count(*) FILTER (WHERE x.created_at >= q.starts)::int8,
               count(*) FILTER (WHERE h.first_closing >= q.starts AND h.first_closing < q.ends)::int8,
               count(*) FILTER (WHERE h.to_status NOT IN ('done', 'dropped') AND x.due_on < q.end_day)::int8,
               count(*) FILTER (WHERE x.due_on >= q.start_day AND x.due_on < q.end_day)::int8
        FROM h JOIN q ON h.created_at < q.ends AND (h.next_at IS NULL OR h.next_at >= q.ends)
        JOIN action_items x ON x.id = h.action_item_id AND x.created_at < q.ends AND x.created_at < $7
        JOIN working_groups g ON g.id = x.working_group_id
        WHERE ($8::text IS NULL OR g.direction = $8::text)
        GROUP BY q.quarter, g.direction, h.to_status
        """

    /// The quarters of a `quartersQuery` as a table `q` (quarter, starts, ends, start_day,
    /// end_day), `MATERIALIZED` because PostgreSQL otherwise unnests them again for every row it
    /// joins them with.
    static let quarters = """
        q AS MATERIALIZED (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::text[]::date[],
                                                $5::text[]::date[]) AS q(quarter, starts, ends, start_day, end_day))
        """

    /// A statement that counts several quarters in one pass, with its parameters: $1 the
    /// quarters' names, $2 and $3 their first instants and the first instants after them, $4
    /// and $5 the same as dates, $6 the exporter's participant id (the nil UUID for the
    /// operator, as in `query`), $7 the end of the latest quarter, $8 the direction slug or NULL.
    static func quartersQuery(_ sql: String, _ quarters: [Quarter], direction: String?, exporter: UUID?) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(quarters.map(\.description))
        bindings.append(quarters.map(\.start))
        bindings.append(quarters.map(\.end))
        bindings.append(quarters.map { dateText($0.start) })
        bindings.append(quarters.map { dateText($0.end) })
        bindings.append(exporter ?? Prepared.nobody)
        bindings.append(quarters.map(\.end).max() ?? Date(timeIntervalSince1970: 0))
        bindings.append(direction)
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// Transitions of proposals made during each quarter, of those submitted by its end
    /// (`quartersQuery`), by state moved to.
    static let proposalTransitions = """
        WITH \(quarters)
        SELECT quarter, direction, to_status, \(audienceGroup), count(*)::int8 FROM (
            SELECT q.quarter, g.direction, t.to_status, \(audienceFacts(object: "p", group: "p.working_group_id"))
            FROM proposal_transitions t JOIN q ON t.created_at >= q.starts AND t.created_at < q.ends
            JOIN proposals p ON p.id = t.proposal_id JOIN working_groups g ON g.id = p.working_group_id
            WHERE EXISTS (SELECT 1 FROM proposal_transitions s WHERE s.proposal_id = p.id AND s.to_status = 'submitted'
                          AND s.created_at < q.ends)
              AND ($8::text IS NULL OR g.direction = $8::text)
        ) moves GROUP BY quarter, direction, to_status, \(audienceGroup)
        """

    /// Sanctions dossiers with their audience facts: whether submitted in the quarter, and how
    /// many designations their authorities made in it.
    static let dossierFigures = """
        SELECT g.direction, \(audienceFacts(object: "p", group: "p.working_group_id")),
               EXISTS (SELECT 1 FROM proposal_transitions t WHERE t.proposal_id = p.id AND t.to_status = 'submitted'
                       AND t.created_at >= $1 AND t.created_at < $2) AS submitted_in_quarter,
               (SELECT count(*) FROM jsonb_array_elements(d.authorities) a
                WHERE a->>'designated_on' >= $4 AND a->>'designated_on' < $5)::int8 AS designations
        FROM sanctions_dossiers d JOIN proposals p ON p.id = d.proposal_id JOIN working_groups g ON g.id = p.working_group_id
        WHERE p.status <> 'draft' AND p.created_at < $2 AND ($3::text IS NULL OR g.direction = $3::text)
        """

    /// Political-prisoner cases with their audience facts, status and consent.
    static let caseFigures = """
        SELECT g.direction, \(audienceFacts(object: "p", group: "p.working_group_id")), c.status, c.consent
        FROM prisoner_cases c JOIN proposals p ON p.id = c.proposal_id JOIN working_groups g ON g.id = p.working_group_id
        WHERE p.status <> 'draft' AND p.created_at < $2 AND ($3::text IS NULL OR g.direction = $3::text)
        """

    /// Minutes of the quarter's sessions signed off by both sides by quarter end.
    static let minutes = """
        SELECT d.id::text, coalesce(g.direction, ''), s.title, d.title,
               \(audienceFacts(object: "d", group: "s.working_group_id"))
        FROM documents d JOIN sessions s ON s.id = d.session_id LEFT JOIN working_groups g ON g.id = s.working_group_id
        WHERE d.kind = 'minutes' AND d.frozen_at < $2 AND s.starts_at >= $1 AND s.starts_at < $2
          AND ($3::text IS NULL OR g.direction = $3::text)
        ORDER BY s.starts_at, d.id
        """

    static func query(_ sql: String, _ quarter: Quarter, direction: String?, exporter: UUID?) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(quarter.start)
        bindings.append(quarter.end)
        bindings.append(direction)
        bindings.append(Self.dateText(quarter.start))
        bindings.append(Self.dateText(quarter.end))
        // Always a typed uuid (the nil UUID, which lists nobody, for the operator): a query that
        // does not use $6 still has to know its type.
        bindings.append(exporter ?? Prepared.nobody)
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// The list query with its parameters written in as literals, for `COPY (…) TO STDOUT` in
    /// `make bench`. The values are generated here (instants, dates) or validated against the
    /// fixed set of direction slugs, so nothing a caller typed reaches the text.
    public static func literalListSQL(_ list: List, quarter: Quarter, direction: String?) throws -> String {
        if let direction, !Dialogue.directionSlugs.contains(direction) { throw DomainError.invalid("direction", "is not a direction") }
        let values = [
            "'\(timestampText(quarter.start))'::timestamptz", "'\(timestampText(quarter.end))'::timestamptz",
            direction.map { "'\($0)'" } ?? "NULL", "'\(dateText(quarter.start))'", "'\(dateText(quarter.end))'", "NULL",
        ]
        var sql = listSQL(list)
        for (index, value) in values.enumerated().reversed() {
            sql = sql.replacingOccurrences(of: "$\(index + 1)", with: value)
        }
        return sql
    }

    static func dateText(_ date: Date) -> String { RFC3339.dateString(from: date) }
    static func timestampText(_ date: Date) -> String { RFC3339.string(from: date) }
}
