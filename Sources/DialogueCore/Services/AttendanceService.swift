import Foundation
import PostgresNIO

public struct AttendanceInput: Sendable {
    public var rsvp: String?
    public var attended: Bool?
    public var onBehalfOf: String??

    public init(rsvp: String? = nil, attended: Bool? = nil, onBehalfOf: String?? = nil) {
        self.rsvp = rsvp
        self.attended = attended
        self.onBehalfOf = onBehalfOf
    }
}

extension Dialogue {
    static let attendanceColumns = """
        a.session_id, a.participant_id, p.display_name, p.kind, a.invited_at, a.rsvp, a.attended, a.on_behalf_of, a.version
        """

    func decodeAttendance(_ row: PostgresRow) throws -> Attendance {
        let (sessionID, participantID, name, kind, invitedAt, rsvp, attended, onBehalfOf, version) =
            try row.decode((UUID, UUID, String, String, Date, String, Bool?, String?, Int).self)
        return Attendance(
            sessionID: sessionID, participantID: participantID, displayName: name,
            kind: ParticipantKind(rawValue: kind) ?? .diaspora, invitedAt: invitedAt, rsvp: RSVP(rawValue: rsvp) ?? .pending,
            attended: attended, onBehalfOf: onBehalfOf, version: version)
    }

    func loadAttendance(_ connection: PostgresConnection, sessionID: UUID, participantID: UUID) async throws -> Attendance? {
        try await connection.query("""
            SELECT \(unescaped: Dialogue.attendanceColumns)
            FROM attendances a JOIN participants p ON p.id = a.participant_id
            WHERE a.session_id = \(sessionID) AND a.participant_id = \(participantID)
            """, logger: logger).collect().first.map(decodeAttendance)
    }

    /// Invites a participant (coordinator). Double-booking is reported, not refused (DOMAIN.md).
    public func invite(
        _ context: CallContext, sessionID: UUID, participantID: UUID, onBehalfOf: String?
    ) async throws -> (attendance: Attendance, created: Bool, conflicts: [SessionConflict]) {
        var validator = Validator()
        let onBehalfOf = validator.text(onBehalfOf, "on_behalf_of", required: false, max: 200, min: 0)
        try validator.check()
        return try await database.transaction { connection in
            let (session, _) = try await authorizedSession(connection, context, id: sessionID, .update, attendance: true, lock: true)
            guard session.status == .planned || session.status == .confirmed else {
                throw DomainError.conflict("participants can be invited only before a session is held; it is \(session.status.rawValue)")
            }
            let participant = try await lockedParticipant(connection, id: participantID, lock: false)
            guard participant.status == .active else {
                throw DomainError.conflict("participant is \(participant.status.rawValue); only active participants can be invited")
            }
            let inserted = try await connection.rows(
                try Prepared.NewAttendance(sessionID, participantID, onBehalfOf), logger: logger)
            let created = try inserted.first?.decode(Bool.self) ?? true
            if created { try await notify(connection, context, .sessionInvited, objectID: sessionID, recipients: [participantID]) }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: created ? "attendance.invite" : "attendance.update",
                objectType: "session", objectID: sessionID.lowercasedString,
                diff: ["participant_id": participantID.lowercasedString])
            guard let attendance = try await loadAttendance(connection, sessionID: sessionID, participantID: participantID) else {
                throw DomainError.notFound("attendance not found")
            }
            let conflicts = try await conflicts(connection, session: session, participantID: participantID)
            return (attendance, created, conflicts)
        }
    }

    public func listAttendees(_ context: CallContext, sessionID: UUID) async throws -> [Attendance] {
        try await database.read { connection in
            _ = try await authorizedSession(connection, context, id: sessionID, .read, attendance: true)
            let rows = try await connection.query("""
                SELECT \(unescaped: Dialogue.attendanceColumns)
                FROM attendances a JOIN participants p ON p.id = a.participant_id
                WHERE a.session_id = \(sessionID) ORDER BY a.invited_at, a.id
                """, logger: logger).collect()
            return try rows.map(decodeAttendance)
        }
    }

    /// The caller's own invitation to a session they may see, if they have one.
    public func myAttendance(_ context: CallContext, sessionID: UUID) async throws -> Attendance? {
        try await database.read { connection in
            _ = try await authorizedSession(connection, context, id: sessionID, .read)
            guard let participantID = context.actor.participantID else { return nil }
            return try await loadAttendance(connection, sessionID: sessionID, participantID: participantID)
        }
    }

    /// RSVP is the attendee's own answer; `attended` and `on_behalf_of` are recorded by a
    /// coordinator, `attended` only once the session is held.
    public func updateAttendance(
        _ context: CallContext, sessionID: UUID, participantID: UUID, _ input: AttendanceInput
    ) async throws -> Attendance {
        var validator = Validator()
        let rsvp = validator.choice(input.rsvp, "rsvp", as: RSVP.self, required: false)
        let onBehalfOf = input.onBehalfOf.map { validator.text($0, "on_behalf_of", required: false, max: 200, min: 0) }
        try validator.check()
        return try await database.transaction { connection in
            let isSelf = context.actor.participantID == participantID
            let (session, viewer) = try await authorizedSession(
                connection, context, id: sessionID, .read, attendance: !isSelf, lock: true)
            guard try await loadAttendance(connection, sessionID: sessionID, participantID: participantID) != nil else {
                throw DomainError.notFound("attendance not found")
            }
            if rsvp != nil, !isSelf {
                throw DomainError.forbidden("only the attendee answers an invitation")
            }
            if input.attended != nil || input.onBehalfOf != nil {
                guard viewer.seesEverything else { throw DomainError.forbidden("only a coordinator records attendance") }
            }
            if input.attended != nil, session.status != .held {
                throw DomainError.conflict("attendance is recorded once the session is held; it is \(session.status.rawValue)")
            }
            if rsvp != nil, session.status == .held || session.status == .cancelled {
                throw DomainError.conflict("the session is \(session.status.rawValue); invitations are closed")
            }
            let setOnBehalf = input.onBehalfOf != nil
            try await connection.query("""
                UPDATE attendances SET rsvp = coalesce(\(rsvp?.rawValue), rsvp), attended = coalesce(\(input.attended), attended),
                    on_behalf_of = CASE WHEN \(setOnBehalf) THEN \(onBehalfOf ?? nil) ELSE on_behalf_of END,
                    version = version + 1, updated_at = now()
                WHERE session_id = \(sessionID) AND participant_id = \(participantID)
                """, logger: logger)
            var diff: AuditLog.Diff = ["participant_id": participantID.lowercasedString]
            if let rsvp { diff["rsvp"] = rsvp.rawValue }
            if let attended = input.attended { diff["attended"] = String(attended) }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "attendance.update", objectType: "session",
                objectID: sessionID.lowercasedString, diff: diff)
            guard let attendance = try await loadAttendance(connection, sessionID: sessionID, participantID: participantID) else {
                throw DomainError.notFound("attendance not found")
            }
            return attendance
        }
    }

    /// Attendees of this session who are also invited to another non-cancelled session that
    /// overlaps it in time.
    public func sessionConflicts(_ context: CallContext, sessionID: UUID) async throws -> [SessionConflict] {
        try await database.read { connection in
            let (session, _) = try await authorizedSession(connection, context, id: sessionID, .update, attendance: true)
            return try await conflicts(connection, session: session, participantID: nil)
        }
    }

    func conflicts(_ connection: PostgresConnection, session: Session, participantID: UUID?) async throws -> [SessionConflict] {
        guard session.status != .cancelled else { return [] }
        let rows = try await connection.query("""
            SELECT a.participant_id, p.display_name, o.id, o.title, o.starts_at, o.ends_at
            FROM attendances a
            JOIN participants p ON p.id = a.participant_id
            JOIN attendances oa ON oa.participant_id = a.participant_id AND oa.session_id <> a.session_id
            JOIN sessions o ON o.id = oa.session_id
            WHERE a.session_id = \(session.id)
              AND (\(participantID)::uuid IS NULL OR a.participant_id = \(participantID))
              AND o.status <> 'cancelled'
              AND o.starts_at < \(session.endsAt) AND o.ends_at > \(session.startsAt)
            ORDER BY p.display_name, o.starts_at
            """, logger: logger).collect()
        return try rows.map { row in
            let (participant, name, other, title, startsAt, endsAt) = try row.decode((UUID, String, UUID, String, Date, Date).self)
            return SessionConflict(
                participantID: participant, displayName: name, otherSessionID: other, otherTitle: title,
                otherStartsAt: startsAt, otherEndsAt: endsAt)
        }
    }
}

extension Prepared {
    /// An invitation to a session, or its new "on behalf of"; the one column says which.
    struct NewAttendance: PreparedWrite {
        static let sql = """
            INSERT INTO attendances (session_id, participant_id, on_behalf_of)
            VALUES ($1::uuid, $2::uuid, $3::text)
            ON CONFLICT (session_id, participant_id) DO UPDATE
                SET on_behalf_of = excluded.on_behalf_of, version = attendances.version + 1, updated_at = now()
            RETURNING (xmax = 0)
            """
        let bindings: PostgresBindings
    }
}
