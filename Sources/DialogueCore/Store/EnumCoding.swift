import PostgresNIO

// Enums that travel to and from PostgreSQL as their text value.
extension Audience: PostgresCodable {}
extension ParticipantKind: PostgresCodable {}
extension OrganizationSide: PostgresCodable {}
extension ProposalKind: PostgresCodable {}
extension ProposalScale: PostgresCodable {}
extension ProposalStatus: PostgresCodable {}
extension ActionStatus: PostgresCodable {}
extension SessionKind: PostgresCodable {}
extension SessionStatus: PostgresCodable {}
extension AgendaOutcome: PostgresCodable {}
extension ParticipantStatus: PostgresCodable {}
