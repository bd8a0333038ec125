import Foundation

/// Who may read a proposal, agenda item, document or comment (DOMAIN.md "Sides and audience").
public enum Audience: String, Sendable, CaseIterable, Comparable {
    /// May also appear in the public variant of the quarterly export.
    case `public`
    /// The group's members and the coordinators of both sides: what everything was before.
    case dialogue
    /// The author's side only: its members of the group and its coordinators.
    case side
    /// The listed participants and the author, whatever their role.
    case named

    /// How wide it is: moving down is narrowing, free for those who may change it; moving up
    /// is widening, a deliberate and audited step. Growing a `named` list widens it too.
    public var width: Int {
        switch self {
        case .named: return 0
        case .side: return 1
        case .dialogue: return 2
        case .public: return 3
        }
    }

    /// Narrower first.
    public static func < (lhs: Audience, rhs: Audience) -> Bool { lhs.width < rhs.width }
}

/// What an access decision needs to know about an object's audience: kept beside the object's
/// other facts (its group, its session) and decided by `AccessPolicy`.
public struct AudienceFacts: Sendable, Equatable {
    public var audience: Audience
    /// Nil for agenda items written by the operator or before audiences existed.
    public var authorID: UUID?
    public var authorSide: OrganizationSide?
    /// The viewer is on the object's list (only read for `named`).
    public var viewerNamed: Bool

    public init(audience: Audience, authorID: UUID?, authorSide: OrganizationSide?, viewerNamed: Bool) {
        self.audience = audience
        self.authorID = authorID
        self.authorSide = authorSide
        self.viewerNamed = viewerNamed
    }

    /// Today's behaviour, for objects that have no audience of their own.
    public static let dialogue = AudienceFacts(audience: .dialogue, authorID: nil, authorSide: nil, viewerNamed: false)
}

/// A requested change of audience: the new audience, and for `named` the whole new list.
public struct AudienceChange: Sendable, Equatable {
    public var audience: Audience
    public var namedParticipantIDs: [UUID]
    /// Widening is refused unless the caller says it means it (the portal asks with a checkbox).
    public var confirmWidening: Bool

    public init(audience: Audience, namedParticipantIDs: [UUID] = [], confirmWidening: Bool = false) {
        self.audience = audience
        self.namedParticipantIDs = namedParticipantIDs
        self.confirmWidening = confirmWidening
    }
}
