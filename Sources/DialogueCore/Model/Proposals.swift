import Foundation

public enum ProposalKind: String, Sendable, CaseIterable {
    case policy, programme, sanctions
    case prisonerCase = "prisoner_case"
    case other
}

public enum ProposalScale: String, Sendable, CaseIterable {
    case small, large
}

public enum ProposalStatus: String, Sendable, CaseIterable {
    case draft, submitted, withdrawn
    case underReview = "under_review"
    case accepted, declined, scheduled, adopted, rejected, deferred
}

public struct ProposalTransition: Sendable, Equatable {
    /// Nil for automatic transitions and for the operator.
    public var actorID: UUID?
    public var automatic: Bool
    public var from: ProposalStatus
    public var to: ProposalStatus
    public var note: String
    public var at: Date
}

public struct Proposal: Sendable, Equatable {
    public var id: UUID
    public var workingGroupID: UUID
    public var title: String
    public var summary: String
    public var body: String
    public var kind: ProposalKind
    public var scale: ProposalScale
    /// Nil when the caller may not know the author (an in-country proxy, to non-coordinators).
    public var authorID: UUID?
    public var status: ProposalStatus
    public var audience: Audience
    /// For the `named` audience: who it is shared with, as far as the caller may know them.
    public var namedParticipantIDs: [UUID] = []
    /// Endorsements the caller may see.
    public var endorsementCount: Int
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var history: [ProposalTransition] = []
}

public enum ActionStatus: String, Sendable, CaseIterable {
    case open
    case inProgress = "in_progress"
    case blocked, done, dropped

    public var isClosed: Bool { self == .done || self == .dropped }
}

public struct ActionItem: Sendable, Equatable {
    public var id: UUID
    public var workingGroupID: UUID
    public var agendaItemID: UUID?
    public var title: String
    public var ownerID: UUID?
    public var dueOn: String
    public var status: ActionStatus
    public var progress: Int
    /// `due_on` is before today (UTC) and the item is neither done nor dropped.
    public var overdue: Bool
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
}

public struct ActionUpdate: Sendable, Equatable {
    public var id: UUID
    public var authorID: UUID?
    public var fromStatus: ActionStatus?
    public var toStatus: ActionStatus
    public var fromProgress: Int?
    public var toProgress: Int
    public var note: String
    public var at: Date
}

public struct SignOff: Sendable, Equatable {
    public var side: String
    public var participantID: UUID?
    public var signedAt: Date
}
