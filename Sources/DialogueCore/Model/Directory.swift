import Foundation

public struct Direction: Sendable, Equatable {
    public var slug: String
    public var name: String
    public var description: String
    public var position: Int
}

public enum OrganizationSide: String, Sendable, CaseIterable {
    case government, movement, partner
}

public struct Organization: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var side: OrganizationSide
    public var country: String?
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
}

public enum ParticipantKind: String, Sendable, CaseIterable {
    case diaspora
    case inCountryProxy = "in_country_proxy"
    case official
}

public enum ParticipantStatus: String, Sendable, CaseIterable {
    case active, inactive, compromised
}

/// The public fields of a participant. For an in-country proxy `displayName` is a pseudonym
/// and `email` is always nil; anything identifying lives only in the sealed vault.
public struct Participant: Sendable, Equatable {
    public var id: UUID
    public var displayName: String
    public var kind: ParticipantKind
    public var organizationID: UUID?
    public var timezone: String
    public var languages: [String]
    public var email: String?
    public var represents: String?
    public var status: ParticipantStatus
    /// Their side (DOMAIN.md "Sides and audience"), shown to coordinators; nil to others.
    public var side: OrganizationSide? = nil
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
}

/// A token as it may be shown after creation: never its secret.
public struct TokenInfo: Sendable, Equatable {
    public var id: UUID
    public var participantID: UUID
    public var role: Role
    public var label: String
    public var expiresAt: Date
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    public var createdAt: Date
}

/// A freshly minted token: the only moment its secret exists outside the client.
public struct IssuedToken: Sendable {
    public var secret: String
    public var info: TokenInfo
}

public enum WorkingGroupStatus: String, Sendable, CaseIterable {
    case active, archived
}

public struct WorkingGroup: Sendable, Equatable {
    public var id: UUID
    public var direction: String
    public var name: String
    public var mandate: String
    public var status: WorkingGroupStatus
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// Health notes for coordinators (e.g. no chair from one side); empty for everyone else.
    public var warnings: [String] = []
}

public enum MembershipRole: String, Sendable, CaseIterable {
    case chair, member, observer
}

/// A participant's place in a group, with the participant's public name and kind.
public struct Membership: Sendable, Equatable {
    public var id: UUID
    public var workingGroupID: UUID
    public var participantID: UUID
    public var role: MembershipRole
    public var displayName: String
    public var kind: ParticipantKind
    public var organizationID: UUID?
    public var version: Int
    public var createdAt: Date
}
