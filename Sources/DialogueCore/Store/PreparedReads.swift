import Foundation
import Logging
import PostgresNIO
import Synchronization

/// A statement that PostgreSQL parses and plans once per connection rather than on every call:
/// PostgresNIO prepares it by name on first use and reuses it after. It is for the statements
/// nearly every request runs, reads and the writes of a create alike. `make bench` measured a request's three queries at 6,200/s
/// unprepared against 16,500/s prepared (pgbench, same SQL), because planning dominated them.
/// Only fixed-shape statements belong here: one plan must fit every parameter.
protocol PreparedRead: PostgresPreparedStatement where Row == PostgresRow {
    var bindings: PostgresBindings { get }
}

extension PreparedRead {
    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }

    /// The name PostgresNIO prepares the statement under: its type's full name, as
    /// PostgresNIO's own default, but written once per type, not with `String(reflecting:)` on
    /// every call (1.3 % of a create's server CPU, 0.6 % of a kept read's).
    static var name: String { StatementNames.shared.name(of: Self.self) }
}

/// Each prepared statement type's name, made on its first use.
final class StatementNames: Sendable {
    static let shared = StatementNames()
    private let known = Mutex<[ObjectIdentifier: String]>([:])

    func name(of statement: any PreparedRead.Type) -> String {
        known.withLock { known in
            if let name = known[ObjectIdentifier(statement)] { return name }
            let name = String(reflecting: statement)
            known[ObjectIdentifier(statement)] = name
            return name
        }
    }
}

extension PostgresConnection {
    func rows<Statement: PreparedRead>(_ statement: Statement, logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}

/// An insert that a service makes inside its transaction, prepared like a read: its values
/// are given in the order of its parameters, `Prepared.NewComment(proposalID, documentID, …)`
/// for $1, $2, …, and each parameter is cast in its SQL to the type its value is sent as
/// (`$1::uuid`, `$3::text::date`), so that a NULL has a type too.
protocol PreparedWrite: PreparedRead {
    init(bindings: PostgresBindings)
}

extension PreparedWrite {
    init(_ values: (any PostgresEncodable & Sendable)?...) throws {
        self.init(bindings: try Prepared.binding(inOrder: values))
    }
}

extension PostgresConnection {
    /// Runs a write whose rows, if any, the caller does not need.
    func run<Statement: PreparedWrite>(_ statement: Statement, logger: Logger) async throws {
        _ = try await rows(statement, logger: logger)
    }
}

enum Prepared {
    /// The parameters $1, $2, … in order; nil binds NULL (the statement names its type).
    static func binding(_ values: (any PostgresEncodable & Sendable)?...) throws -> PostgresBindings {
        try binding(inOrder: values)
    }

    /// The same, from an array: labelled, so that one array value is never taken for the list.
    static func binding(inOrder values: [(any PostgresEncodable & Sendable)?]) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values {
            if let value { try bindings.append(value) } else { bindings.appendNull() }
        }
        return bindings
    }

    /// The live token behind a bearer secret's hash, with its participant's viewer facts:
    /// every authenticated request's one round trip before its own work. After the token's
    /// id, participant, role, stored hash and whether `last_used_at` is stale: the facts.
    struct Credential: PreparedRead {
        static let sql = "SELECT \(columns) FROM tokens t \(joined)"
        let bindings: PostgresBindings
        init(hash: String) throws { bindings = try binding(hash) }

        /// The token's columns and its participant's facts (`CredentialRow`), named so that a
        /// subquery can pass them on.
        static let columns = """
            t.id AS token_id, t.participant_id, t.role, t.token_hash,
                   \(stale), \(ViewerFacts.columns)
            """
        /// Whether `last_used_at` is due for a write (coarse on purpose: one write a minute per token).
        static let stale = "(t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale"
        /// The live token of hash $1 with its participant, after `FROM tokens t`.
        static let joined = joined(hash: "$1")
        /// The live token whose hash is the parameter `hash` with its participant, after `FROM tokens t`.
        static func joined(hash parameter: String) -> String {
            """
            JOIN participants p ON p.id = t.participant_id
            LEFT JOIN organizations o ON o.id = p.organization_id
            WHERE \(live(hash: parameter))
            """
        }
        /// The token of hash $1 is live: not revoked, not expired, its participant active.
        static let live = live(hash: "$1")
        /// The same for the token whose hash is the parameter `hash`.
        static func live(hash parameter: String) -> String {
            "t.token_hash = \(parameter) AND t.revoked_at IS NULL AND t.expires_at > now() AND p.status = 'active'"
        }
        /// The credential as a one-row table `c` (no row for a token that is not live), for a
        /// read that checks its bearer in its own statement; its columns come first. Kept
        /// apart from the read (`MATERIALIZED`), so that the participant's memberships are read
        /// once, not again for every row the read returns.
        static let common = "WITH \(table(hash: "$1"))"
        /// The one-row table `c`, for the token whose hash is the parameter `hash`.
        static func table(hash parameter: String) -> String {
            "c AS MATERIALIZED (SELECT \(columns) FROM tokens t \(joined(hash: parameter)))"
        }
        static let outerColumns = "c.token_id, c.participant_id, c.role, c.token_hash, c.stale, c.side, c.groups, c.contributing"
    }

    /// Whether the token of hash $1 is live, and what the statement saw of the database
    /// (`CommittedState`): the token's id, stored hash, whether `last_used_at` is stale, the
    /// snapshot, the date. It reads no viewer facts: it is the whole of a read answered from a
    /// kept answer, and about as cheap as PostgreSQL's own benchmark read.
    struct LiveTokenAndState: PreparedRead {
        static let sql = """
            SELECT t.id, t.token_hash, \(Credential.stale), pg_current_snapshot()::text,
                   to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')
            FROM tokens t JOIN participants p ON p.id = t.participant_id WHERE \(Credential.live)
            """
        let bindings: PostgresBindings
        init(hash: String) throws { bindings = try binding(hash) }

        /// Where the state's columns start in a row.
        static let stateOffset = 3
    }

    /// The live web session behind a cookie's hash ($1): not ended, not idle for
    /// `AccountRules.idleTimeout`, not expired, its participant active; with its account, the
    /// unread notifications and the viewer facts. Use moves the idle clock, at most once in
    /// `AccountRules.idleClockStep`. Every portal page's first statement.
    struct LiveWebSession: PreparedRead {
        static let sql = """
            WITH live AS (
                SELECT s.id, a.id AS account_id, a.participant_id, a.sign_in_name, a.role, a.language, s.csrf_secret,
                       s.expires_at, s.last_seen_at, s.factor, p.timezone, \(ViewerFacts.columns)
                FROM web_sessions s JOIN accounts a ON a.id = s.account_id JOIN participants p ON p.id = a.participant_id
                LEFT JOIN organizations o ON o.id = p.organization_id
                WHERE s.secret_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now()
                  AND s.last_seen_at > now() - \(Int(AccountRules.idleTimeout)) * interval '1 second' AND p.status = 'active'
            ), touched AS (
                UPDATE web_sessions SET last_seen_at = now()
                WHERE id IN (SELECT id FROM live WHERE last_seen_at < now() - \(Int(AccountRules.idleClockStep)) * interval '1 second')
            )
            SELECT id, account_id, participant_id, sign_in_name, role, language, csrf_secret, expires_at, factor,
                   (SELECT count(*) FROM notifications n WHERE n.recipient_id = live.participant_id AND n.read_at IS NULL)::int8,
                   side, groups, contributing, timezone
            FROM live
            """
        let bindings: PostgresBindings
        init(hash: String) throws { bindings = try binding(hash) }
    }

    /// A participant's side and group memberships: the facts `Viewer` holds, for a caller
    /// whose credential did not bring them (the portal's sessions, tests).
    struct ViewerFacts: PreparedRead {
        static let sql = """
            SELECT \(columns) FROM participants p LEFT JOIN organizations o ON o.id = p.organization_id WHERE p.id = $1
            """
        let bindings: PostgresBindings
        init(participantID: UUID) throws { bindings = try binding(participantID) }

        /// Side, groups, contributing groups of the participant `p` (with its organization `o`),
        /// named so that a CTE can pass them on.
        static let columns = """
            \(Dialogue.sideExpression) AS side,
                   ARRAY(SELECT m.working_group_id FROM memberships m WHERE m.participant_id = p.id) AS groups,
                   ARRAY(SELECT m.working_group_id FROM memberships m
                         WHERE m.participant_id = p.id AND m.role IS DISTINCT FROM 'observer') AS contributing
            """
    }

    /// A session by id, unlocked.
    struct SessionByID: PreparedRead {
        static let sql = "SELECT \(Dialogue.sessionColumns) FROM sessions WHERE id = $1"
        let bindings: PostgresBindings
        init(id: UUID) throws { bindings = try binding(id) }
    }

    /// A working group by id, unlocked.
    struct GroupByID: PreparedRead {
        static let sql = "SELECT \(Dialogue.groupColumns) FROM working_groups WHERE id = $1"
        let bindings: PostgresBindings
        init(id: UUID) throws { bindings = try binding(id) }
    }

    /// A group read with its bearer checked in the same statement: the credential of hash $1
    /// (`CredentialRow`), then group $2 as `GroupByID` reads it. No row when the token is not
    /// live; the group's columns null when the group does not exist.
    struct GroupForBearer: PreparedRead {
        static let sql = """
            \(Credential.common)
            SELECT \(Credential.outerColumns), \(Dialogue.qualified(Dialogue.groupColumns, "g"))
            FROM c LEFT JOIN working_groups g ON g.id = $2
            """
        let bindings: PostgresBindings
        init(hash: String, groupID: UUID) throws { bindings = try binding(hash, groupID) }

        /// Where the group's columns start in a row.
        static let groupOffset = CredentialRow.columnCount
    }

    /// A participant by id, unlocked.
    struct ParticipantByID: PreparedRead {
        static let sql = "SELECT \(Dialogue.participantColumns) FROM participants WHERE id = $1"
        let bindings: PostgresBindings
        init(id: UUID) throws { bindings = try binding(id) }
    }

    /// Whether participant $1 is a member of any of the groups $2 (the viewer's).
    struct SharesGroup: PreparedRead {
        static let sql = "SELECT EXISTS (SELECT 1 FROM memberships WHERE participant_id = $1::uuid AND working_group_id = ANY($2::uuid[]))"
        let bindings: PostgresBindings
        init(participantID: UUID, groups: [UUID]) throws { bindings = try binding(participantID, groups) }
    }

    /// Endorsements of the proposals $1 by proposal, counted as the viewer sees them: $2
    /// whether they see everything, else no proxy's but their own ($3, NULL for the operator).
    struct VisibleEndorsements: PreparedRead {
        static let sql = """
            SELECT e.proposal_id, count(*)::bigint FROM endorsements e JOIN participants p ON p.id = e.participant_id
            WHERE e.proposal_id = ANY($1::uuid[]) AND \(shown(endorser: "p", everything: "$2::boolean", viewer: "$3::uuid"))
            GROUP BY e.proposal_id
            """
        let bindings: PostgresBindings
        init(proposalIDs: [UUID], seesEverything: Bool, viewerID: UUID?) throws {
            bindings = try binding(proposalIDs, seesEverything, viewerID)
        }

        /// Whether the viewer is shown the endorsement of participant `endorser`: `everything`
        /// when they see everything, else no proxy's but their own (`viewer`).
        static func shown(endorser: String, everything: String, viewer: String) -> String {
            "(\(everything) OR \(endorser).kind <> 'in_country_proxy' OR \(endorser).id = \(viewer))"
        }

        /// The same count for the proposal `p` of a list, as a column: a list's proposals come
        /// with their counts in its one statement.
        static func counted(everything: String, viewer: String) -> String {
            """
            (SELECT count(*) FROM endorsements e JOIN participants ep ON ep.id = e.participant_id
                    WHERE e.proposal_id = p.id AND \(shown(endorser: "ep", everything: everything, viewer: viewer)))::int8
            """
        }
    }

    /// A session and whether the viewer $2 is invited to it: what AccessPolicy needs to decide
    /// on a session read, in one round trip. After the session's columns: invited.
    struct SessionForViewer: PreparedRead {
        static let sql = """
            SELECT \(Dialogue.qualified(Dialogue.sessionColumns, "s")), \(invited(viewer: "$2"))
            FROM sessions s WHERE s.id = $1
            """
        let bindings: PostgresBindings
        init(sessionID: UUID, viewerID: UUID?) throws { bindings = try binding(sessionID, viewerID ?? nobody) }

        static func invited(viewer: String) -> String {
            "EXISTS (SELECT 1 FROM attendances a WHERE a.session_id = s.id AND a.participant_id = \(viewer))"
        }
        /// The column that holds `invited`, after the session's.
        static let invitedColumn = 15
    }

    /// A session read with its bearer checked in the same statement: the credential of hash
    /// $1 (`CredentialRow`), then what `SessionForViewer` reads of session $2 for that token's
    /// participant. No row when the token is not live; session columns null when the session
    /// does not exist.
    struct SessionForBearer: PreparedRead {
        static let sql = """
            \(Credential.common)
            SELECT \(Credential.outerColumns), \(Dialogue.qualified(Dialogue.sessionColumns, "s")),
                   \(SessionForViewer.invited(viewer: "c.participant_id"))
            FROM c LEFT JOIN sessions s ON s.id = $2
            """
        let bindings: PostgresBindings
        init(hash: String, sessionID: UUID) throws { bindings = try binding(hash, sessionID) }

        /// Where the session's columns start in a row.
        static let sessionOffset = CredentialRow.columnCount
    }

    /// A session, whether the viewer $2 is invited, and its agenda in order with each item's
    /// facts: the agenda read's one round trip. One row per item (a session without items
    /// gives one row whose item columns are null). Session columns, invited, then the
    /// columns of `AgendaOfSession`.
    struct SessionAgenda: PreparedRead {
        static let sql = """
            SELECT \(columns(viewer: "$2"))
            FROM sessions s LEFT JOIN agenda_items i ON i.session_id = s.id
            WHERE s.id = $1 ORDER BY i.position
            """
        let bindings: PostgresBindings
        init(sessionID: UUID, viewerID: UUID?) throws { bindings = try binding(sessionID, viewerID ?? nobody) }

        static func columns(viewer: String) -> String {
            """
            \(Dialogue.qualified(Dialogue.sessionColumns, "s")), \(SessionForViewer.invited(viewer: viewer)), \
            \(AgendaOfSession.columns(viewer: viewer))
            """
        }
        /// Where the item's columns start in a row.
        static let itemOffset = SessionForViewer.invitedColumn + 1
    }

    /// The agenda read with its bearer checked in the same statement: the credential of hash
    /// $1 (`CredentialRow`), then what `SessionAgenda` reads of session $2 for that token's
    /// participant. No row when the token is not live; one row whose session columns are null
    /// when the session does not exist. Authentication, access facts and payload in one
    /// round trip; AccessPolicy still decides in Swift on the facts returned.
    struct SessionAgendaForBearer: PreparedRead {
        static let sql = """
            \(Credential.common)
            SELECT \(Credential.outerColumns), \(SessionAgenda.columns(viewer: "c.participant_id"))
            FROM c
            LEFT JOIN sessions s ON s.id = $2 LEFT JOIN agenda_items i ON i.session_id = s.id
            ORDER BY i.position
            """
        let bindings: PostgresBindings
        init(hash: String, sessionID: UUID) throws { bindings = try binding(hash, sessionID) }

        /// Where the session's columns start in a row.
        static let sessionOffset = CredentialRow.columnCount
    }

    /// Whether a participant is invited to a session.
    struct Invited: PreparedRead {
        static let sql = "SELECT EXISTS (SELECT 1 FROM attendances WHERE session_id = $1 AND participant_id = $2)"
        let bindings: PostgresBindings
        init(sessionID: UUID, participantID: UUID) throws { bindings = try binding(sessionID, participantID) }
    }

    /// A session's agenda in order, with each presenter's kind (a proxy presenter is hidden
    /// from those who may not see proxies). The kind is looked up per item by primary key,
    /// so the plan does not change with the number of participants.
    struct AgendaOfSession: PreparedRead {
        static let sql = "SELECT \(columns(viewer: "$2")) FROM agenda_items i WHERE i.session_id = $1 ORDER BY i.position"
        let bindings: PostgresBindings
        init(sessionID: UUID, viewerID: UUID?) throws { bindings = try binding(sessionID, viewerID ?? nobody) }

        /// The item's columns, the presenter's kind, then the audience facts (author, the
        /// author's side, whether the participant `viewer` is listed).
        static func columns(viewer: String) -> String {
            """
            \(Dialogue.qualified(Dialogue.agendaColumns, "i")),
                   coalesce((SELECT p.kind FROM participants p WHERE p.id = i.presenter_id), ''),
                   i.author_id, coalesce(\(Dialogue.sideOf("i.author_id")), ''),
                   EXISTS (SELECT 1 FROM audience_names n WHERE n.object_id = i.id AND n.participant_id = \(viewer))
            """
        }
    }

    /// The nil UUID lists nobody and is invited nowhere: the operator's id in a viewer parameter.
    static let nobody = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
}
