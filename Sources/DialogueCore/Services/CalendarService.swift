import Foundation
import PostgresNIO

/// A private calendar feed of a participant; its secret exists only in the URL shown once.
public struct CalendarFeed: Sendable, Equatable {
    public var id: UUID
    public var createdAt: Date

    /// The address a calendar application subscribes to; the secret is its only credential.
    public static func url(publicBaseURL: String, secret: String) -> String { "\(publicBaseURL)/v1/calendar/\(secret).ics" }
}

extension Dialogue {
    /// Issues a private feed for the caller: a 256-bit secret shown once in the URL, stored as
    /// its SHA-256. Anyone holding the URL sees that participant's sessions, so it is revocable
    /// on its own and revoked with everything else by the compromise drill.
    public func createCalendarFeed(_ context: CallContext) async throws -> (id: UUID, secret: String) {
        guard let participantID = context.actor.participantID else {
            throw DomainError.invalid("participant", "calendar feeds belong to a participant; the operator has none")
        }
        let (secret, hash) = TokenSecret.generate()
        IdempotentRequest.responseCarriesSecret()
        let id = try await database.transaction { connection in
            let id = try await connection.rows(try Prepared.NewCalendarFeed(participantID, hash), logger: logger)
                .single(or: .conflict("the feed could not be created")).decode(UUID.self)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "calendar_feed.create", objectType: "calendar_feed",
                objectID: id.lowercasedString, diff: ["participant_id": participantID.lowercasedString])
            return id
        }
        return (id, secret)
    }

    /// The caller's feeds that still work (their secrets were shown once and are not kept).
    public func listCalendarFeeds(_ context: CallContext) async throws -> [CalendarFeed] {
        guard let participantID = context.actor.participantID else { return [] }
        return try await database.read { connection in
            try await connection.query("""
                SELECT id, created_at FROM calendar_feeds WHERE participant_id = \(participantID) AND revoked_at IS NULL
                ORDER BY created_at, id
                """, logger: logger).collect().map { row in
                let (id, createdAt) = try row.decode((UUID, Date).self)
                return CalendarFeed(id: id, createdAt: createdAt)
            }
        }
    }

    public func revokeCalendarFeed(_ context: CallContext, id: UUID) async throws {
        try await database.transaction { connection in
            let owner = try await connection.query(
                "SELECT participant_id FROM calendar_feeds WHERE id = \(id) FOR UPDATE", logger: logger
            ).collect().first?.decode(UUID.self)
            guard let owner, context.actor.role == .admin || context.actor.participantID == owner else {
                throw DomainError.notFound("calendar feed not found")
            }
            try await connection.query(
                "UPDATE calendar_feeds SET revoked_at = coalesce(revoked_at, now()), updated_at = now() WHERE id = \(id)",
                logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "calendar_feed.revoke", objectType: "calendar_feed",
                objectID: id.lowercasedString, diff: ["participant_id": owner.lowercasedString])
        }
    }

    /// The feed behind a secret: the participant's sessions (invited and not declined, or of
    /// its working groups) from 90 days ago on. Unknown, revoked and malformed secrets, and
    /// feeds of participants no longer active, all answer the same 404.
    public func calendarFeed(secret: String) async throws -> String {
        let missing = DomainError.notFound("calendar feed not found")
        guard TokenSecret.looksValid(secret) else { throw missing }
        let hash = TokenSecret.hash(secret)
        return try await database.read { connection in
            let owner = try await connection.query("""
                SELECT f.participant_id FROM calendar_feeds f JOIN participants p ON p.id = f.participant_id
                WHERE f.secret_hash = \(hash) AND f.revoked_at IS NULL AND p.status = 'active'
                """, logger: logger).collect().first?.decode(UUID.self)
            guard let owner else { throw missing }
            let rows = try await connection.query("""
                SELECT \(unescaped: Dialogue.qualified(Dialogue.sessionColumns, "s")),
                       g.name
                FROM sessions s LEFT JOIN working_groups g ON g.id = s.working_group_id
                WHERE s.ends_at > now() - interval '90 days'
                  AND (EXISTS (SELECT 1 FROM attendances a WHERE a.session_id = s.id AND a.participant_id = \(owner) AND a.rsvp <> 'no')
                       OR EXISTS (SELECT 1 FROM memberships m WHERE m.working_group_id = s.working_group_id AND m.participant_id = \(owner)))
                ORDER BY s.starts_at, s.id
                LIMIT 2000
                """, logger: logger).collect()
            let events = try rows.map { row in
                ICalendar.Event(session: try decodeSession(row), groupName: try row.decode(
                    (UUID, String, UUID?, String, String, Date, Date, String, String, String, Int, Int, Int, Date, Date, String?).self).15)
            }
            return ICalendar.document(name: "dialogue sessions", events: events)
        }
    }

    /// One session as a calendar file, for anyone who may see the session.
    public func sessionCalendar(_ context: CallContext, sessionID: UUID) async throws -> String {
        try await database.read { connection in
            let (session, _) = try await authorizedSession(connection, context, id: sessionID, .read)
            var groupName: String?
            if let groupID = session.workingGroupID {
                groupName = try await connection.query(
                    "SELECT name FROM working_groups WHERE id = \(groupID)", logger: logger
                ).collect().first?.decode(String.self)
            }
            return ICalendar.document(name: session.title, events: [ICalendar.Event(session: session, groupName: groupName)])
        }
    }
}

extension Prepared {
    /// A calendar feed, by the hash of its secret.
    struct NewCalendarFeed: PreparedWrite {
        static let sql = "INSERT INTO calendar_feeds (participant_id, secret_hash) VALUES ($1::uuid, $2::text) RETURNING id"
        let bindings: PostgresBindings
    }
}
