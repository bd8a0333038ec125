import Foundation
import PostgresNIO

extension Dialogue {
    /// Which side a participant stands on, for sign-off and group health: their organization's
    /// side, else officials for the government and everyone else for the movement.
    static let sideExpression = side(participant: "p", organization: "o")

    static func side(participant p: String, organization o: String) -> String {
        side(kind: "\(p).kind", organizationSide: "\(o).side")
    }

    /// The rule itself, over any expressions for the participant's kind and its organization's side.
    static func side(kind: String, organizationSide: String) -> String {
        "coalesce(\(organizationSide), CASE \(kind) WHEN 'official' THEN 'government' ELSE 'movement' END)"
    }

    /// A chair signs the outcomes of a held session for their side. Once both the government
    /// and the movement side have signed, outcomes are frozen; corrections become new items.
    public func signOff(_ context: CallContext, sessionID: UUID) async throws -> [SignOff] {
        guard let participantID = context.actor.participantID, context.actor.isAtLeast(.member) else {
            throw DomainError.forbidden("sign-off is by a chair, with their own member token")
        }
        return try await database.transaction { connection in
            let (session, _) = try await authorizedSession(connection, context, id: sessionID, .read, lock: true)
            guard session.status == .held else {
                throw DomainError.conflict("outcomes are signed off once the session is held; it is \(session.status.rawValue)")
            }
            guard let side = try await chairSide(connection, participantID: participantID, session: session) else {
                throw DomainError.forbidden(
                    session.workingGroupID == nil
                        ? "only a working-group chair invited to this session may sign off its outcomes"
                        : "only a chair of this working group may sign off its outcomes")
            }
            guard side == "government" || side == "movement" else {
                throw DomainError.forbidden("sign-off is by one chair of the government side and one of the movement side")
            }
            let inserted = try await connection.rows(try Prepared.NewSessionSignOff(sessionID, side, participantID), logger: logger)
            guard !inserted.isEmpty else { throw DomainError.conflict("the \(side) side has already signed off this session") }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "session.signoff", objectType: "session",
                objectID: sessionID.lowercasedString, diff: ["side": side])
            return try await signedSides(connection, sessionID: sessionID)
        }
    }

    /// The side a participant would sign for: a chair of the session's group (of any group,
    /// and invited, for a plenary), with their side; nil for anyone else.
    func chairSide(_ connection: PostgresConnection, participantID: UUID, session: Session) async throws -> String? {
        try await connection.query("""
            SELECT \(unescaped: Dialogue.sideExpression)
            FROM participants p LEFT JOIN organizations o ON o.id = p.organization_id
            WHERE p.id = \(participantID)
              AND EXISTS (SELECT 1 FROM memberships m WHERE m.participant_id = p.id AND m.role = 'chair'
                          AND (m.working_group_id = \(session.workingGroupID)
                               OR (\(session.workingGroupID)::uuid IS NULL AND EXISTS (
                                   SELECT 1 FROM attendances a WHERE a.session_id = \(session.id) AND a.participant_id = p.id))))
            """, logger: logger).collect().first?.decode(String.self)
    }

    /// Whether the caller may sign off this session's outcomes now, and for which side: what
    /// the portal offers is what `signOff` would accept.
    public func signOffChoice(_ context: CallContext, sessionID: UUID) async throws -> (side: String?, signed: [SignOff]) {
        try await database.read { connection in
            let (session, _) = try await authorizedSession(connection, context, id: sessionID, .read, lock: false)
            let signed = try await signedSides(connection, sessionID: sessionID)
            guard session.status == .held, let participantID = context.actor.participantID, context.actor.isAtLeast(.member),
                let side = try await chairSide(connection, participantID: participantID, session: session),
                side == "government" || side == "movement", !signed.contains(where: { $0.side == side })
            else { return (nil, signed) }
            return (side, signed)
        }
    }

    public func signOffs(_ context: CallContext, sessionID: UUID) async throws -> [SignOff] {
        try await database.read { connection in
            let (_, viewer) = try await authorizedSession(connection, context, id: sessionID, .read)
            // Who signed is named to coordinators; others learn which sides did and when.
            return try await signedSides(connection, sessionID: sessionID).map { signOff in
                var shown = signOff
                if !viewer.seesEverything && signOff.participantID != context.actor.participantID { shown.participantID = nil }
                return shown
            }
        }
    }
}

extension Prepared {
    /// One side's sign-off of a session's outcomes; a second one for the same side gives no row.
    struct NewSessionSignOff: PreparedWrite {
        static let sql = """
            INSERT INTO session_signoffs (session_id, side, participant_id) VALUES ($1::uuid, $2::text, $3::uuid)
            ON CONFLICT DO NOTHING RETURNING 1
            """
        let bindings: PostgresBindings
    }
}
