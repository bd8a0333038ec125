import Foundation
import PostgresNIO

/// The tables whose audience can change after creation (a comment's is chosen once, within its
/// parent's); their rows and comments share `audience_names` (ids are unique).
enum AudienceTable: String, Sendable {
    case proposals, documents
    case agendaItems = "agenda_items"

    var objectType: String {
        switch self {
        case .proposals: return "proposal"
        case .documents: return "document"
        case .agendaItems: return "agenda_item"
        }
    }
}

extension Dialogue {
    /// A participant's side, for a participant id column (`author`): the same rule as
    /// `sideExpression`, as a scalar subquery that fits any row.
    /// The organization is looked up by its key inside the participant's: written as a join,
    /// the planner hashed every organization once per row (a report's proposal counts took
    /// 320 ms at scale 1 instead of 225).
    static func sideOf(_ participantColumn: String) -> String {
        let organizationSide = "(SELECT so.side FROM organizations so WHERE so.id = sp.organization_id)"
        return "(SELECT \(side(kind: "sp.kind", organizationSide: organizationSide)) FROM participants sp WHERE sp.id = \(participantColumn))"
    }

    /// The listed participants of `named` objects the viewer may know of (proxies only to
    /// coordinators and themselves), by object.
    func audienceNames(_ connection: PostgresConnection, viewer: Viewer, objectIDs: [UUID]) async throws -> [UUID: [UUID]] {
        guard !objectIDs.isEmpty else { return [:] }
        var names: [UUID: [UUID]] = [:]
        for row in try await connection.query("""
            SELECT n.object_id, n.participant_id, p.kind FROM audience_names n JOIN participants p ON p.id = n.participant_id
            WHERE n.object_id = ANY(\(objectIDs)) ORDER BY p.display_name, p.id
            """, logger: logger).collect() {
            let (object, participant, kind) = try row.decode((UUID, UUID, ParticipantKind).self)
            guard AccessPolicy.seesMembership(viewer, ofKind: kind, participantID: participant) else { continue }
            names[object, default: []].append(participant)
        }
        return names
    }

    /// The audience of a new object: the one requested (by default `dialogue`, or the parent's
    /// if narrower), no wider than its parent's, with a list of active people only for `named`.
    func validatedNewAudience(
        _ connection: PostgresConnection, requested: Audience?, named: [UUID], notWiderThan parent: Audience? = nil
    ) async throws -> Audience {
        let audience = requested ?? min(parent ?? .dialogue, .dialogue)
        if let parent, audience.width > parent.width {
            throw DomainError.invalid("audience", "must be no wider than its parent's (\(parent.rawValue))")
        }
        if audience == .named {
            try await checkNamed(connection, named)
        } else if !named.isEmpty {
            throw DomainError.invalid("named_participant_ids", "is only for the named audience")
        }
        return audience
    }

    private func checkNamed(_ connection: PostgresConnection, _ named: [UUID]) async throws {
        guard named.count <= 200 else { throw DomainError.invalid("named_participant_ids", "must list at most 200 participants") }
        let found = try await connection.query(
            "SELECT count(*)::int8 FROM participants WHERE id = ANY(\(Array(Set(named)))) AND status = 'active'", logger: logger
        ).collect().first?.decode(Int.self) ?? 0
        guard found == Set(named).count else {
            throw DomainError.invalid("named_participant_ids", "must list active participants only")
        }
    }

    /// Lists the participants of a new `named` object (the audit row is the object's own).
    func writeNames(_ connection: PostgresConnection, _ context: CallContext, objectID: UUID, _ named: [UUID]) async throws {
        guard !named.isEmpty else { return }
        try await connection.run(
            try Prepared.NewAudienceNames(objectID, Array(Set(named)), context.actor.participantID), logger: logger)
    }

    /// Changes an object's audience in the caller's transaction (the row is locked by the
    /// caller). The author or a coordinator of the author's side may; narrowing is free,
    /// widening needs `confirmWidening`, and both are audited with what changed.
    func changeAudience(
        _ connection: PostgresConnection, _ context: CallContext, viewer: Viewer, table: AudienceTable, objectID: UUID,
        current: AudienceFacts, to change: AudienceChange, notWiderThan parent: Audience? = nil
    ) async throws {
        guard AccessPolicy.mayChangeAudience(viewer, current) else {
            throw DomainError.forbidden("the audience is changed by the author or a coordinator of the author's side")
        }
        if let parent, change.audience.width > parent.width {
            throw DomainError.invalid("audience", "must be no wider than its parent's (\(parent.rawValue))")
        }
        let before = try await connection.query(
            "SELECT participant_id FROM audience_names WHERE object_id = \(objectID)", logger: logger
        ).collect().map { try $0.decode(UUID.self) }
        let after = change.audience == .named ? Set(change.namedParticipantIDs) : []
        if change.audience == .named { try await checkNamed(connection, Array(after)) }
        else if !change.namedParticipantIDs.isEmpty {
            throw DomainError.invalid("named_participant_ids", "is only for the named audience")
        }
        let added = after.subtracting(before)
        let addedSides = try await connection.query(
            "SELECT \(unescaped: Dialogue.sideExpression) FROM participants p LEFT JOIN organizations o ON o.id = p.organization_id WHERE p.id = ANY(\(Array(added)))",
            logger: logger
        ).collect().map { try $0.decode(String.self) }
        let widens = change.audience.width > current.audience.width
            || (change.audience == .named && current.audience == .named && !added.isEmpty)
            || (change.audience == .named && current.audience == .side
                && addedSides.contains { $0 != current.authorSide?.rawValue })
        if widens && !change.confirmWidening {
            throw DomainError.invalid(
                "audience", "widening from \(current.audience.rawValue) shows it to more people; confirm the widening to go ahead")
        }
        try await connection.query(
            "UPDATE \(unescaped: table.rawValue) SET audience = \(change.audience.rawValue), version = version + 1 WHERE id = \(objectID)",
            logger: logger)
        try await connection.query("DELETE FROM audience_names WHERE object_id = \(objectID)", logger: logger)
        try await writeNames(connection, context, objectID: objectID, Array(after))
        let removed = Set(before).subtracting(after)
        try await AuditLog.append(
            connection, logger: logger, context: context, action: "\(table.objectType).audience", objectType: table.objectType,
            objectID: objectID.lowercasedString,
            diff: [
                "from": current.audience.rawValue, "to": change.audience.rawValue, "widened": String(widens),
                "named_added": added.map(\.lowercasedString).sorted().joined(separator: " "),
                "named_removed": removed.map(\.lowercasedString).sorted().joined(separator: " "),
            ])
    }
}

extension Prepared {
    /// The participants a `named` object is shown to, besides its author.
    struct NewAudienceNames: PreparedWrite {
        static let sql = """
            INSERT INTO audience_names (object_id, participant_id, added_by)
            SELECT $1::uuid, unnest($2::uuid[]), $3::uuid ON CONFLICT DO NOTHING
            """
        let bindings: PostgresBindings
    }
}
