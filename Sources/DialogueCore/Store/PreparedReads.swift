import Foundation
import Logging
import PostgresNIO

/// A read that PostgreSQL parses and plans once per connection rather than on every call:
/// PostgresNIO prepares it by name on first use and reuses it after. It is for the statements
/// nearly every request runs. `make bench` measured a request's three queries at 6,200/s
/// unprepared against 16,500/s prepared (pgbench, same SQL), because planning dominated them.
/// Only fixed-shape statements belong here: one plan must fit every parameter.
protocol PreparedRead: PostgresPreparedStatement where Row == PostgresRow {
    var bindings: PostgresBindings { get }
}

extension PreparedRead {
    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension PostgresConnection {
    func rows<Statement: PreparedRead>(_ statement: Statement, logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}

enum Prepared {
    static func binding(_ values: any PostgresEncodable & Sendable...) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { try bindings.append(value) }
        return bindings
    }

    /// The live token behind a bearer secret's hash (every authenticated request).
    struct TokenByHash: PreparedRead {
        static let sql = """
            SELECT t.id, t.participant_id, t.role, t.token_hash,
                   (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
            FROM tokens t JOIN participants p ON p.id = t.participant_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND p.status = 'active'
            """
        let bindings: PostgresBindings
        init(hash: String) throws { bindings = try binding(hash) }
    }

    /// A participant's side and group memberships (every request): the facts `Viewer` holds.
    /// One row even without memberships; the arrays are then empty.
    struct ViewerFacts: PreparedRead {
        static let sql = """
            SELECT \(Dialogue.sideExpression),
                   coalesce(array_agg(m.working_group_id) FILTER (WHERE m.working_group_id IS NOT NULL), '{}'),
                   coalesce(array_agg(m.working_group_id) FILTER (WHERE m.role IS DISTINCT FROM 'observer'
                                                                  AND m.working_group_id IS NOT NULL), '{}')
            FROM participants p LEFT JOIN organizations o ON o.id = p.organization_id
            LEFT JOIN memberships m ON m.participant_id = p.id
            WHERE p.id = $1 GROUP BY p.id, o.side, p.kind
            """
        let bindings: PostgresBindings
        init(participantID: UUID) throws { bindings = try binding(participantID) }
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

    /// A participant by id, unlocked.
    struct ParticipantByID: PreparedRead {
        static let sql = "SELECT \(Dialogue.participantColumns) FROM participants WHERE id = $1"
        let bindings: PostgresBindings
        init(id: UUID) throws { bindings = try binding(id) }
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
    /// After the item's columns: the presenter's kind, then the audience facts (author, the
    /// author's side, whether the viewer $2 is listed).
    struct AgendaOfSession: PreparedRead {
        static let sql = """
            SELECT \(Dialogue.qualified(Dialogue.agendaColumns, "i")),
                   coalesce((SELECT p.kind FROM participants p WHERE p.id = i.presenter_id), ''),
                   i.author_id, coalesce(\(Dialogue.sideOf("i.author_id")), ''),
                   EXISTS (SELECT 1 FROM audience_names n WHERE n.object_id = i.id AND n.participant_id = $2)
            FROM agenda_items i WHERE i.session_id = $1 ORDER BY i.position
            """
        let bindings: PostgresBindings
        init(sessionID: UUID, viewerID: UUID?) throws {
            // The nil UUID lists nobody: the operator is on no list.
            bindings = try binding(sessionID, viewerID ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        }
    }
}
