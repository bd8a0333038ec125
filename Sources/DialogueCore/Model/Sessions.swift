import Foundation

public enum SessionKind: String, Sendable, CaseIterable {
    case plenary, quarterly
    case workingGroup = "working_group"
}

public enum SessionStatus: String, Sendable, CaseIterable {
    case planned, confirmed, held, cancelled
}

public struct Session: Sendable, Equatable {
    public var id: UUID
    public var kind: SessionKind
    public var workingGroupID: UUID?
    public var title: String
    public var level: String
    public var startsAt: Date
    public var endsAt: Date
    public var timezone: String
    public var location: String
    public var status: SessionStatus
    public var agendaVersion: Int
    public var sequence: Int
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID, kind: SessionKind, workingGroupID: UUID?, title: String, level: String, startsAt: Date, endsAt: Date,
        timezone: String, location: String, status: SessionStatus, agendaVersion: Int, sequence: Int, version: Int,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.workingGroupID = workingGroupID
        self.title = title
        self.level = level
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.timezone = timezone
        self.location = location
        self.status = status
        self.agendaVersion = agendaVersion
        self.sequence = sequence
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The calendar quarter of `startsAt` in UTC, e.g. `2026-Q4`.
    public var quarter: String { Quarter(containing: startsAt).description }
}

public enum RSVP: String, Sendable, CaseIterable {
    case pending, yes, no, maybe
}

public struct Attendance: Sendable, Equatable {
    public var sessionID: UUID
    public var participantID: UUID
    public var displayName: String
    public var kind: ParticipantKind
    public var invitedAt: Date
    public var rsvp: RSVP
    public var attended: Bool?
    public var onBehalfOf: String?
    public var version: Int
}

/// A participant invited to two non-cancelled sessions whose times overlap.
public struct SessionConflict: Sendable, Equatable {
    public var participantID: UUID
    public var displayName: String
    public var otherSessionID: UUID
    public var otherTitle: String
    public var otherStartsAt: Date
    public var otherEndsAt: Date
}

public enum AgendaOutcome: String, Sendable, CaseIterable {
    case adopted, rejected, deferred, noted
}

public struct AgendaItem: Sendable, Equatable {
    public var id: UUID
    public var sessionID: UUID
    public var position: Int
    public var title: String
    public var durationMinutes: Int
    public var presenterID: UUID?
    public var proposalID: UUID?
    public var outcome: AgendaOutcome?
    public var outcomeNote: String?
    public var audience: Audience = .dialogue
    /// For the `named` audience: who it is shared with, as far as the caller may know them.
    public var namedParticipantIDs: [UUID] = []
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
}

public struct Agenda: Sendable, Equatable {
    public var sessionID: UUID
    /// The agenda's version: its ETag, bumped by every insert, delete, reorder and edit.
    public var version: Int
    public var items: [AgendaItem]
}
