import Foundation
import PostgresNIO

/// Fields of a participant as a client sends them. For updates, nil means "unchanged";
/// `.some(nil)` clears an optional field.
public struct ParticipantInput: Sendable {
    public var displayName: String?
    public var kind: String?
    public var organizationID: UUID??
    public var timezone: String?
    public var languages: [String]?
    public var email: String??
    public var represents: String??
    public var status: String?

    public init(
        displayName: String? = nil, kind: String? = nil, organizationID: UUID?? = nil, timezone: String? = nil,
        languages: [String]? = nil, email: String?? = nil, represents: String?? = nil, status: String? = nil
    ) {
        self.displayName = displayName
        self.kind = kind
        self.organizationID = organizationID
        self.timezone = timezone
        self.languages = languages
        self.email = email
        self.represents = represents
        self.status = status
    }
}

public struct ParticipantFilter: Sendable {
    public var kind: String?
    public var organizationID: UUID?
    public var status: String?
    /// Words in the display name, any case (the console's searchable lists).
    public var name: String?

    public init(kind: String? = nil, organizationID: UUID? = nil, status: String? = nil, name: String? = nil) {
        self.kind = kind
        self.organizationID = organizationID
        self.status = status
        self.name = name
    }
}

extension Dialogue {
    static let participantColumns =
        "id, display_name, kind, organization_id, timezone, languages, email, represents, status, version, created_at, updated_at"

    func decodeParticipant(_ row: PostgresRow) throws -> Participant {
        let (id, name, kind, organizationID, timezone, languages, email, represents, status, version, createdAt, updatedAt) =
            try row.decode((UUID, String, String, UUID?, String, [String], String?, String?, String, Int, Date, Date).self)
        return Participant(
            id: id, displayName: name, kind: ParticipantKind(rawValue: kind) ?? .diaspora, organizationID: organizationID,
            timezone: timezone, languages: languages, email: email, represents: represents,
            status: ParticipantStatus(rawValue: status) ?? .inactive, version: version, createdAt: createdAt,
            updatedAt: updatedAt)
    }

    /// Applies `input` over `current` (nil for a new participant) and checks the result as a
    /// whole: an in-country proxy is known by a pseudonym only, so an email is refused for that
    /// kind whichever field changed (SECURITY.md 1). One rule for create, update and import.
    static func validatedParticipant(_ input: ParticipantInput, over current: Participant?) throws -> Participant {
        var validator = Validator()
        var result = current ?? Participant(
            id: UUID(), displayName: "", kind: .diaspora, organizationID: nil, timezone: "UTC", languages: [], email: nil,
            represents: nil, status: .active, version: 0, createdAt: Date(), updatedAt: Date())
        if let name = validator.text(input.displayName, "display_name", required: current == nil, max: 200) {
            result.displayName = name
        }
        if let kind = validator.choice(input.kind, "kind", as: ParticipantKind.self, required: current == nil) {
            result.kind = kind
        }
        if let organizationID = input.organizationID { result.organizationID = organizationID }
        if let timezone = validator.timezone(input.timezone, "timezone") { result.timezone = timezone }
        if let languages = validator.languages(input.languages, "languages") { result.languages = languages }
        if let email = input.email {
            result.email = email == nil ? nil : validator.email(email, "email")
        }
        if let represents = input.represents {
            result.represents = represents == nil ? nil : validator.text(represents, "represents", required: false, max: 200)
        }
        if let raw = input.status, let status = validator.choice(raw, "status", as: ParticipantStatus.self) {
            if status == .compromised && current?.status != .compromised {
                validator.fail("status", "use the compromise action to mark a participant compromised")
            } else {
                result.status = status
            }
        }
        if result.kind == .inCountryProxy, result.email != nil {
            validator.fail("email", "must not be set for an in_country_proxy: proxies are known by pseudonym only")
        }
        try validator.check()
        return result
    }

    /// Public fields only for callers who are neither coordinators nor the participant itself.
    func shown(_ participant: Participant, to viewer: Viewer) -> Participant {
        guard !AccessPolicy.seesContactFields(viewer, of: participant.id) else { return participant }
        var redacted = participant
        redacted.email = nil
        return redacted
    }

    public func createParticipant(_ context: CallContext, _ input: ParticipantInput) async throws -> Participant {
        try AccessPolicy.requireCoordinator(context.actor, "create participants")
        let new = try Dialogue.validatedParticipant(input, over: nil)
        return try await database.transaction { connection in
            let rows = try await connection.rows(
                try Prepared.NewParticipant(
                    new.displayName, new.kind.rawValue, new.organizationID, new.timezone, new.languages, new.email, new.represents),
                logger: logger)
            let participant = try decodeParticipant(rows.single(or: .conflict("the participant could not be created")))
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "participant.create",
                objectType: "participant", objectID: participant.id.lowercasedString,
                diff: Dialogue.participantAuditDiff(participant))
            return participant
        }
    }

    /// The audit diff names the kind, status and organization, never a name or a contact
    /// field: the chain cannot be edited, so anything in it outlives an erasure.
    static func participantAuditDiff(_ participant: Participant) -> AuditLog.Diff {
        [
            "kind": participant.kind.rawValue, "status": participant.status.rawValue,
            "organization_id": participant.organizationID?.lowercasedString,
        ]
    }

    /// One participant, if the caller may see it (else 404), with contact fields for
    /// coordinators and the participant itself only.
    public func getParticipant(_ context: CallContext, id: UUID) async throws -> Participant {
        try await database.read { connection in
            let viewer = try await viewer(context, connection)
            let participant = try await lockedParticipant(connection, id: id, lock: false)
            try AccessPolicy.require(
                viewer, .read,
                .participant(id: id, kind: participant.kind, sharesGroup: try await sharesGroup(connection, viewer, id)),
                notFound: "participant not found")
            return try await withSides(connection, viewer, [shown(participant, to: viewer)]).first ?? shown(participant, to: viewer)
        }
    }

    /// For coordinators, each participant's side (the rule of `sideExpression`, read once for
    /// the batch).
    func withSides(_ connection: PostgresConnection, _ viewer: Viewer, _ participants: [Participant]) async throws -> [Participant] {
        guard viewer.seesEverything, !participants.isEmpty else { return participants }
        var sides: [UUID: OrganizationSide] = [:]
        for row in try await connection.query("""
            SELECT p.id, \(unescaped: Dialogue.sideExpression) FROM participants p LEFT JOIN organizations o ON o.id = p.organization_id
            WHERE p.id = ANY(\(participants.map(\.id)))
            """, logger: logger).collect() {
            let (id, side) = try row.decode((UUID, OrganizationSide).self)
            sides[id] = side
        }
        return participants.map { var participant = $0; participant.side = sides[$0.id]; return participant }
    }

    func lockedParticipant(_ connection: PostgresConnection, id: UUID, lock: Bool) async throws -> Participant {
        let rows = lock
            ? try await connection.query(
                "SELECT \(unescaped: Dialogue.participantColumns) FROM participants WHERE id = \(id) FOR UPDATE", logger: logger
            ).collect()
            : try await connection.rows(Prepared.ParticipantByID(id: id), logger: logger)
        guard let row = rows.first else { throw DomainError.notFound("participant not found") }
        return try decodeParticipant(row)
    }

    func sharesGroup(_ connection: PostgresConnection, _ viewer: Viewer, _ participantID: UUID) async throws -> Bool {
        guard !viewer.seesEverything, !viewer.groupIDs.isEmpty else { return false }
        return try await connection.rows(Prepared.SharesGroup(participantID: participantID, groups: Array(viewer.groupIDs)), logger: logger)
            .first?.decode(Bool.self) ?? false
    }

    /// Participants the caller may see, oldest first. The visibility rule is the policy's,
    /// written as SQL so pages are never short of what the caller may see, nor padded with
    /// what it may not.
    public func listParticipants(_ context: CallContext, page: PageRequest, filter: ParticipantFilter) async throws -> Page<Participant> {
        var validator = Validator()
        let kind = validator.choice(filter.kind, "kind", as: ParticipantKind.self, required: false)
        let status = validator.choice(filter.status, "status", as: ParticipantStatus.self, required: false)
        let name = validator.text(filter.name, "name", required: false, max: 200, min: 0).flatMap { $0.isEmpty ? nil : $0 }
        try validator.check()
        // LIKE's own characters in the words are meant literally.
        let pattern = name.map { "%" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%" }
        let scope = "participants|\(kind?.rawValue ?? "")|\(filter.organizationID?.uuidString ?? "")|\(status?.rawValue ?? "")|\(name ?? "")"
        let after = try page.cursor.map { try cursors.decode($0, scope: scope) }
        return try await database.read { connection in
            let viewer = try await viewer(context, connection)
            let groups = Array(viewer.groupIDs)
            let selfID = context.actor.participantID
            var read = try FilteredRead<ParticipantList>(everyone: viewer.seesEverything, viewer.seesEverything, groups, selfID ?? Prepared.nobody)
            try read.filter(kind)
            try read.filter(filter.organizationID)
            try read.filter(status)
            try read.filter(pattern)
            try read.filter(after: after)
            try read.finish(limit: page.limit + 1)
            let rows = try await connection.rows(read, logger: logger)
            let items = try await withSides(connection, viewer, try rows.map { shown(try decodeParticipant($0), to: viewer) })
            return pageOf(items, limit: page.limit, scope: scope) { KeysetPosition(createdAt: $0.createdAt, id: $0.id) }
        }
    }

    /// Changes a participant (coordinator). Setting `inactive` revokes every token of the
    /// participant in the same transaction (DOMAIN.md).
    public func updateParticipant(_ context: CallContext, id: UUID, _ input: ParticipantInput, ifMatch: Int?) async throws -> Participant {
        try await database.transaction { connection in
            let viewer = try await viewer(context, connection)
            let current = try await lockedParticipant(connection, id: id, lock: true)
            try AccessPolicy.require(
                viewer, .update,
                .participant(id: id, kind: current.kind, sharesGroup: try await sharesGroup(connection, viewer, id)),
                notFound: "participant not found")
            // What was sent is judged before whether it is stale: a bad field is 422 either way.
            let next = try Dialogue.validatedParticipant(input, over: current)
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            if current.status == .compromised, next.status != .compromised, context.actor.role != .admin {
                throw DomainError.forbidden("only an admin may reactivate a compromised participant")
            }
            let rows = try await connection.query("""
                UPDATE participants SET display_name = \(next.displayName), kind = \(next.kind.rawValue),
                    organization_id = \(next.organizationID), timezone = \(next.timezone), languages = \(next.languages),
                    email = \(next.email), represents = \(next.represents), status = \(next.status.rawValue),
                    version = version + 1, updated_at = now()
                WHERE id = \(id)
                RETURNING \(unescaped: Dialogue.participantColumns)
                """, logger: logger).collect()
            let updated = try decodeParticipant(rows.single(or: .notFound("participant not found")))
            if updated.status != .active {
                _ = try await revokeCredentials(connection, participantID: id)
            }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "participant.update",
                objectType: "participant", objectID: id.lowercasedString, diff: Dialogue.participantAuditDiff(updated))
            return updated
        }
    }

    /// How many participants exist (used to detect a brand-new installation).
    public func participantCount() async throws -> Int {
        try await database.read { connection in
            try await connection.query("SELECT count(*)::bigint FROM participants", logger: logger)
                .collect().first?.decode(Int.self) ?? 0
        }
    }
}

/// The participants a viewer ($1 sees everything, $2 their groups, $3 themselves) may see:
/// never an in-country proxy through a shared group. Filtered, oldest first.
enum ParticipantList: FilteredList {
    static let name = "participants.list"
    static let select = "SELECT \(Dialogue.participantColumns) FROM participants p"
    static let head = """
        \(select)
        WHERE ($1 OR p.id = $3
               OR (p.kind <> 'in_country_proxy' AND EXISTS (
                   SELECT 1 FROM memberships m WHERE m.participant_id = p.id AND m.working_group_id = ANY($2))))
        """
    static let headForEveryone: String? = "\(select)\nWHERE \(ViewerParameters.seesEverything)"
    static let filters = [
        "p.kind = ?",
        "p.organization_id = ?",
        "p.status = ?",
        "p.display_name ILIKE ?",
        keyset("p.created_at, p.id"),
    ]
    static let order = "p.created_at, p.id"
}

extension Prepared {
    /// A participant, active.
    struct NewParticipant: PreparedWrite {
        static let sql = """
            INSERT INTO participants (display_name, kind, organization_id, timezone, languages, email, represents)
            VALUES ($1::text, $2::text, $3::uuid, $4::text, $5::text[], $6::text, $7::text)
            RETURNING \(Dialogue.participantColumns)
            """
        let bindings: PostgresBindings
    }
}
