import Foundation
import PostgresNIO

public struct ParticipantInput: Sendable {
    public var displayName: String?
    public var kind: String?
    public var organizationID: UUID??
    public var timezone: String?
    public var languages: [String]?
    public var email: String??
    public var represents: String??

    public init(
        displayName: String? = nil, kind: String? = nil, organizationID: UUID?? = nil, timezone: String? = nil,
        languages: [String]? = nil, email: String?? = nil, represents: String?? = nil
    ) {
        self.displayName = displayName
        self.kind = kind
        self.organizationID = organizationID
        self.timezone = timezone
        self.languages = languages
        self.email = email
        self.represents = represents
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

    /// Creates a participant. An in-country proxy is known by a pseudonym only: an email (or
    /// any other contact field) is refused for that kind (SECURITY.md 1).
    public func createParticipant(_ context: CallContext, _ input: ParticipantInput) async throws -> Participant {
        try AccessPolicy.requireCoordinator(context.actor, "create participants")
        var validator = Validator()
        let name = validator.text(input.displayName, "display_name", max: 200)
        let kind = validator.choice(input.kind, "kind", as: ParticipantKind.self)
        let timezone = validator.timezone(input.timezone, "timezone") ?? "UTC"
        let languages = validator.languages(input.languages, "languages") ?? []
        let email = validator.email(input.email ?? nil, "email")
        let represents = validator.text(input.represents ?? nil, "represents", required: false, max: 200)
        if kind == .inCountryProxy, (input.email ?? nil) != nil {
            validator.fail("email", "must not be set for an in_country_proxy: proxies are known by pseudonym only")
        }
        try validator.check()
        let organizationID = input.organizationID ?? nil
        return try await database.transaction { connection in
            let rows = try await connection.query("""
                INSERT INTO participants (display_name, kind, organization_id, timezone, languages, email, represents)
                VALUES (\(name!), \(kind!.rawValue), \(organizationID), \(timezone), \(languages), \(email), \(represents))
                RETURNING \(unescaped: Dialogue.participantColumns)
                """, logger: logger).collect()
            let participant = try decodeParticipant(rows[0])
            // The audit diff names the kind, never the pseudonym of a proxy or any contact field.
            var diff: AuditLog.Diff = ["kind": participant.kind.rawValue]
            if participant.kind != .inCountryProxy { diff["display_name"] = participant.displayName }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "participant.create",
                objectType: "participant", objectID: participant.id.uuidString.lowercased(), diff: diff)
            return participant
        }
    }

    /// The caller's own participant record (`/v1/me`), or any one for a coordinator.
    public func getParticipant(_ context: CallContext, id: UUID) async throws -> Participant {
        guard context.actor.isAtLeast(.coordinator) || context.actor.participantID == id else {
            throw DomainError.notFound("participant not found")
        }
        return try await database.read { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Dialogue.participantColumns) FROM participants WHERE id = \(id)", logger: logger
            ).collect()
            guard let row = rows.first else { throw DomainError.notFound("participant not found") }
            return try decodeParticipant(row)
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
