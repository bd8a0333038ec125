import DialogueCore
import Foundation

// Core models → the contract's JSON shapes. Only public fields exist on either side.

extension Components.Schemas.Role {
    init(_ role: Role) {
        switch role {
        case .admin: self = .admin
        case .coordinator: self = .coordinator
        case .member: self = .member
        case .observer: self = .observer
        }
    }
}

extension Components.Schemas.Direction {
    init?(_ direction: Direction) {
        guard let slug = SlugPayload(rawValue: direction.slug) else { return nil }
        self.init(slug: slug, name: direction.name, description: direction.description, position: direction.position)
    }
}

extension Components.Schemas.Organization {
    init(_ organization: Organization) {
        self.init(
            id: organization.id.lowercasedString, name: organization.name,
            side: .init(rawValue: organization.side.rawValue) ?? .partner, country: organization.country,
            version: organization.version, createdAt: organization.createdAt, updatedAt: organization.updatedAt)
    }
}

extension Components.Schemas.Participant {
    init(_ participant: Participant) {
        self.init(
            id: participant.id.lowercasedString, displayName: participant.displayName,
            kind: .init(rawValue: participant.kind.rawValue) ?? .diaspora,
            organizationId: participant.organizationID?.lowercasedString, timezone: participant.timezone,
            languages: participant.languages, email: participant.email, represents: participant.represents,
            status: .init(rawValue: participant.status.rawValue) ?? .inactive, version: participant.version,
            createdAt: participant.createdAt, updatedAt: participant.updatedAt)
    }
}

extension Components.Schemas.Token {
    init(_ token: TokenInfo) {
        self.init(
            id: token.id.lowercasedString, participantId: token.participantID.lowercasedString, role: .init(token.role),
            label: token.label, expiresAt: token.expiresAt, revokedAt: token.revokedAt, lastUsedAt: token.lastUsedAt,
            createdAt: token.createdAt)
    }
}

extension Components.Schemas.WorkingGroup {
    init(_ group: WorkingGroup) {
        self.init(
            id: group.id.lowercasedString, direction: .init(rawValue: group.direction) ?? .political, name: group.name,
            mandate: group.mandate, status: .init(rawValue: group.status.rawValue) ?? .archived, version: group.version,
            createdAt: group.createdAt, updatedAt: group.updatedAt, warnings: group.warnings)
    }
}

extension Components.Schemas.Membership {
    init(_ membership: Membership) {
        self.init(
            workingGroupId: membership.workingGroupID.lowercasedString,
            participantId: membership.participantID.lowercasedString,
            role: .init(rawValue: membership.role.rawValue) ?? .member, displayName: membership.displayName,
            kind: .init(rawValue: membership.kind.rawValue) ?? .diaspora,
            organizationId: membership.organizationID?.lowercasedString, version: membership.version,
            createdAt: membership.createdAt)
    }
}
