import Foundation
import PostgresNIO

extension Dialogue {
    static let membershipColumns = """
        m.id, m.working_group_id, m.participant_id, m.role, p.display_name, p.kind, p.organization_id, m.version, m.created_at
        """

    func decodeMembership(_ row: PostgresRow) throws -> Membership {
        let (id, groupID, participantID, role, name, kind, organizationID, version, createdAt) =
            try row.decode((UUID, UUID, UUID, String, String, String, UUID?, Int, Date).self)
        return Membership(
            id: id, workingGroupID: groupID, participantID: participantID, role: MembershipRole(rawValue: role) ?? .member,
            displayName: name, kind: ParticipantKind(rawValue: kind) ?? .diaspora, organizationID: organizationID,
            version: version, createdAt: createdAt)
    }

    /// The members of a group the caller may see: everyone for coordinators; for members of the
    /// group, everyone except in-country proxies (whose memberships are evidence).
    public func listMembers(_ context: CallContext, groupID: UUID, page: PageRequest) async throws -> Page<Membership> {
        let scope = "members|\(groupID.uuidString)"
        let after = try page.cursor.map { try cursors.decode($0, scope: scope) }
        return try await database.read { connection in
            let viewer = try await viewer(context, connection)
            try AccessPolicy.require(viewer, .read, .memberships(groupID: groupID), notFound: "working group not found")
            _ = try await loadGroup(connection, id: groupID, lock: false)
            let selfID = context.actor.participantID
            let afterMicros = after?.createdAtMicros, afterID = after?.id
            let rows = try await connection.query("""
                SELECT \(unescaped: Dialogue.membershipColumns)
                FROM memberships m JOIN participants p ON p.id = m.participant_id
                WHERE m.working_group_id = \(groupID)
                  AND (\(viewer.seesEverything) OR p.kind <> 'in_country_proxy' OR p.id = \(selfID))
                  AND (\(afterMicros)::bigint IS NULL
                       OR (m.created_at, m.id) > ('epoch'::timestamptz + \(afterMicros) * interval '1 microsecond', \(afterID)))
                ORDER BY m.created_at, m.id
                LIMIT \(page.limit + 1)
                """, logger: logger).collect()
            return pageOf(try rows.map(decodeMembership), limit: page.limit, scope: scope) {
                KeysetPosition(createdAt: $0.createdAt, id: $0.id)
            }
        }
    }

    /// Adds a participant to a group, or changes their role there (coordinator).
    public func putMember(
        _ context: CallContext, groupID: UUID, participantID: UUID, role rawRole: String?
    ) async throws -> (membership: Membership, created: Bool) {
        var validator = Validator()
        let choice = validator.choice(rawRole, "role", as: MembershipRole.self)
        try validator.check()
        let role = try Validator.required(choice, "role")
        return try await database.transaction { connection in
            let viewer = try await viewer(context, connection)
            try AccessPolicy.require(viewer, .update, .memberships(groupID: groupID), notFound: "working group not found")
            let group = try await loadGroup(connection, id: groupID, lock: true)
            guard group.status == .active else {
                throw DomainError.conflict("the working group is archived; reactivate it before changing its members")
            }
            let participant = try await lockedParticipant(connection, id: participantID, lock: false)
            guard participant.status == .active else {
                throw DomainError.conflict("participant is \(participant.status.rawValue); only active participants can join")
            }
            let rows = try await connection.rows(try Prepared.NewMembership(groupID, participantID, role.rawValue), logger: logger)
            let created = try rows.first?.decode(Bool.self) ?? true
            var diff: AuditLog.Diff = ["participant_id": participantID.lowercasedString, "role": role.rawValue]
            if role == .observer {
                // Observers do not endorse: becoming one ends the endorsements a member gave.
                diff["endorsements_ended"] = String(try await endEndorsements(connection, groupID: groupID, participantID: participantID))
            }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: created ? "membership.add" : "membership.update",
                objectType: "working_group", objectID: groupID.lowercasedString, diff: diff)
            let membership = try await connection.query("""
                SELECT \(unescaped: Dialogue.membershipColumns)
                FROM memberships m JOIN participants p ON p.id = m.participant_id
                WHERE m.working_group_id = \(groupID) AND m.participant_id = \(participantID)
                """, logger: logger).collect()
            return (try decodeMembership(membership.single(or: .notFound("membership not found"))), created)
        }
    }

    /// What a contributing membership gave ends with it, in the same transaction: the
    /// member's endorsements of the group's proposals. An endorsement being written at the
    /// same moment holds the membership row (`FOR SHARE`, see `endorse`), so the DELETE of the
    /// membership waits for it and this statement then sees and removes it too.
    func endEndorsements(_ connection: PostgresConnection, groupID: UUID, participantID: UUID) async throws -> Int {
        try await connection.query("""
            WITH ended AS (
                DELETE FROM endorsements e USING proposals p
                WHERE p.id = e.proposal_id AND p.working_group_id = \(groupID) AND e.participant_id = \(participantID)
                RETURNING 1
            ) SELECT count(*)::bigint FROM ended
            """, logger: logger).collect().first?.decode(Int.self) ?? 0
    }

    public func removeMember(_ context: CallContext, groupID: UUID, participantID: UUID) async throws {
        try await database.transaction { connection in
            let viewer = try await viewer(context, connection)
            try AccessPolicy.require(viewer, .delete, .memberships(groupID: groupID), notFound: "working group not found")
            _ = try await loadGroup(connection, id: groupID, lock: true)
            let deleted = try await connection.query(
                "DELETE FROM memberships WHERE working_group_id = \(groupID) AND participant_id = \(participantID) RETURNING 1",
                logger: logger
            ).collect()
            guard !deleted.isEmpty else { throw DomainError.notFound("membership not found") }
            let ended = try await endEndorsements(connection, groupID: groupID, participantID: participantID)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "membership.remove",
                objectType: "working_group", objectID: groupID.lowercasedString,
                diff: ["participant_id": participantID.lowercasedString, "endorsements_ended": String(ended)])
        }
    }
}

extension Prepared {
    /// A membership, or its new role; the one column says which.
    struct NewMembership: PreparedWrite {
        static let sql = """
            INSERT INTO memberships (working_group_id, participant_id, role)
            VALUES ($1::uuid, $2::uuid, $3::text)
            ON CONFLICT (working_group_id, participant_id) DO UPDATE
                SET role = excluded.role, version = memberships.version + 1, updated_at = now()
            RETURNING (xmax = 0)
            """
        let bindings: PostgresBindings
    }
}
