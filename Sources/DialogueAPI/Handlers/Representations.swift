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
            status: .init(rawValue: participant.status.rawValue) ?? .inactive,
            side: participant.side.flatMap { .init(rawValue: $0.rawValue) }, version: participant.version,
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

extension Components.Schemas.Session {
    init(_ session: Session) {
        self.init(
            id: session.id.lowercasedString, kind: .init(rawValue: session.kind.rawValue) ?? .plenary,
            workingGroupId: session.workingGroupID?.lowercasedString, title: session.title, level: session.level,
            startsAt: session.startsAt, endsAt: session.endsAt, timezone: session.timezone, location: session.location,
            status: .init(rawValue: session.status.rawValue) ?? .planned, quarter: session.quarter,
            agendaVersion: session.agendaVersion, version: session.version, createdAt: session.createdAt,
            updatedAt: session.updatedAt)
    }
}

extension Components.Schemas.Attendance {
    init(_ attendance: Attendance) {
        self.init(
            sessionId: attendance.sessionID.lowercasedString, participantId: attendance.participantID.lowercasedString,
            displayName: attendance.displayName, kind: .init(rawValue: attendance.kind.rawValue) ?? .diaspora,
            invitedAt: attendance.invitedAt, rsvp: .init(rawValue: attendance.rsvp.rawValue) ?? .pending,
            attended: attendance.attended, onBehalfOf: attendance.onBehalfOf, version: attendance.version)
    }
}

extension Components.Schemas.Conflict {
    init(_ conflict: SessionConflict) {
        self.init(
            participantId: conflict.participantID.lowercasedString, displayName: conflict.displayName,
            sessionId: conflict.otherSessionID.lowercasedString, title: conflict.otherTitle,
            startsAt: conflict.otherStartsAt, endsAt: conflict.otherEndsAt)
    }
}

extension Components.Schemas.AgendaItem {
    init(_ item: AgendaItem) {
        self.init(
            id: item.id.lowercasedString, sessionId: item.sessionID.lowercasedString, position: item.position,
            title: item.title, durationMinutes: item.durationMinutes, presenterId: item.presenterID?.lowercasedString,
            proposalId: item.proposalID?.lowercasedString, outcome: item.outcome?.rawValue, outcomeNote: item.outcomeNote,
            audience: .init(item.audience), namedParticipantIds: item.namedParticipantIDs.map(\.lowercasedString),
            version: item.version, createdAt: item.createdAt, updatedAt: item.updatedAt)
    }
}

extension Components.Schemas.Agenda {
    init(_ agenda: Agenda) {
        self.init(
            sessionId: agenda.sessionID.lowercasedString, version: agenda.version,
            items: agenda.items.map(Components.Schemas.AgendaItem.init), nextCursor: nil)
    }
}
