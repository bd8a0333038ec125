import Foundation

/// Who is asking, with what they belong to: the facts every access decision needs.
public struct Viewer: Sendable {
    public var actor: Actor
    /// The working groups the caller's participant is a member of (any membership role).
    public var groupIDs: Set<UUID>
    /// The groups where the caller is a chair or a full member (not an observer), and so may
    /// propose and endorse.
    public var contributingGroupIDs: Set<UUID>
    /// The caller's side (DOMAIN.md); nil for the operator, who belongs to no side.
    public var side: OrganizationSide?

    public init(actor: Actor, groupIDs: Set<UUID>, contributingGroupIDs: Set<UUID> = [], side: OrganizationSide? = nil) {
        self.actor = actor
        self.groupIDs = groupIDs
        self.contributingGroupIDs = contributingGroupIDs
        self.side = side
    }

    /// May this caller put forward or endorse work in the group?
    public func contributes(to groupID: UUID) -> Bool {
        actor.isAtLeast(.member) && contributingGroupIDs.contains(groupID)
    }

    /// Coordinators (and admins, and the operator) see the whole directory.
    public var seesEverything: Bool { actor.isAtLeast(.coordinator) }
}

/// What is being touched.
public enum AccessObject: Sendable {
    case organization
    /// `sharesGroup`: the participant is in at least one of the viewer's groups.
    case participant(id: UUID, kind: ParticipantKind, sharesGroup: Bool)
    case workingGroup(id: UUID)
    /// The member list of a group, or one membership in it.
    case memberships(groupID: UUID)
    /// A session, its agenda and its calendar entry. `invited`: the viewer is an attendee.
    case session(groupID: UUID?, invited: Bool)
    /// The attendee list and conflicts of a session: coordinators only (attendance of a proxy
    /// is evidence).
    case attendance(groupID: UUID?, invited: Bool)
    /// A proposal. Drafts exist for their author only, coordinators included.
    case proposal(groupID: UUID, authorID: UUID, status: ProposalStatus, audience: AudienceFacts)
    /// An agenda item of a session (whether the viewer may see that session), with its own audience.
    case agendaItem(sessionVisible: Bool, audience: AudienceFacts)
    /// A document of a working group (`groupID`) or of a session (its group, if any, and whether
    /// the viewer is invited). `frozen`: signed-off minutes, changed only by corrections.
    case document(groupID: UUID?, invited: Bool, audience: AudienceFacts, frozen: Bool)
    /// A comment: readable where its parent (proposal or document) is and its own audience
    /// admits the viewer.
    case comment(parentVisible: Bool, audience: AudienceFacts)
    /// An action item: group members and coordinators read; the owner and coordinators update.
    case actionItem(groupID: UUID, ownerID: UUID)
}

public enum AccessOperation: Sendable, Equatable {
    case read
    case create
    case update
    case delete
}

public enum AccessDecision: Sendable, Equatable {
    case allow
    /// The caller may know the object exists but may not do this: 403.
    case forbid(String)
    /// The caller may not even know the object exists: 404, worded like a missing one.
    case hide
}

/// Who may do what to which object (SECURITY.md 4 and 7). Every service asks here, inside its
/// transaction, before touching an object; routes never decide. Lists apply the same rules in
/// their SQL (see `ParticipantVisibility` and the group queries), and tests walk both.
public enum AccessPolicy {
    public static func decide(_ viewer: Viewer, _ operation: AccessOperation, _ object: AccessObject) -> AccessDecision {
        let canWrite = viewer.actor.isAtLeast(.coordinator)
        switch object {
        case .organization:
            if operation == .read || canWrite { return .allow }
            return .forbid("only a coordinator may change organizations")

        case .participant(let id, let kind, let sharesGroup):
            let isSelf = viewer.actor.participantID == id
            let visible = viewer.seesEverything || isSelf || (sharesGroup && kind != .inCountryProxy)
            guard visible else { return .hide }
            if operation == .read || canWrite { return .allow }
            return .forbid("only a coordinator may change participants")

        case .workingGroup(let id):
            let visible = viewer.seesEverything || viewer.groupIDs.contains(id)
            guard visible else { return .hide }
            if operation == .read || canWrite { return .allow }
            return .forbid("only a coordinator may change working groups")

        case .memberships(let groupID):
            let visible = viewer.seesEverything || viewer.groupIDs.contains(groupID)
            guard visible else { return .hide }
            if operation == .read || canWrite { return .allow }
            return .forbid("only a coordinator may change the members of a working group")

        case .session(let groupID, let invited):
            let visible = viewer.seesEverything || invited || groupID.map { viewer.groupIDs.contains($0) } == true
            guard visible else { return .hide }
            if operation == .read || canWrite { return .allow }
            return .forbid("only a coordinator may change sessions and agendas")

        case .attendance(let groupID, let invited):
            let visible = viewer.seesEverything || invited || groupID.map { viewer.groupIDs.contains($0) } == true
            guard visible else { return .hide }
            if canWrite { return .allow }
            return .forbid("only a coordinator may see or change who attends a session")

        case .proposal(let groupID, let authorID, let status, let audience):
            let isAuthor = viewer.actor.participantID == authorID
            if status == .draft { return isAuthor ? .allow : .hide }
            let visible = admits(viewer, audience, where: viewer.seesEverything || viewer.groupIDs.contains(groupID))
            guard isAuthor || visible else { return .hide }
            if operation == .read { return .allow }
            if operation == .update, isAuthor, status == .draft { return .allow }
            return .forbid("a proposal can be edited by its author while it is a draft")

        case .agendaItem(let sessionVisible, let audience):
            guard admits(viewer, audience, where: sessionVisible) else { return .hide }
            if operation == .read || canWrite { return .allow }
            return .forbid("only a coordinator may change sessions and agendas")

        case .document(let groupID, let invited, let audience, let frozen):
            let placeVisible = viewer.seesEverything || invited || groupID.map { viewer.groupIDs.contains($0) } == true
            guard admits(viewer, audience, where: placeVisible) else { return .hide }
            if operation == .read { return .allow }
            let isAuthor = audience.authorID != nil && viewer.actor.participantID == audience.authorID
            guard isAuthor || canWrite else { return .forbid("a document is changed by its author or a coordinator") }
            if frozen, operation != .read, !canWrite {
                return .forbid("signed-off minutes are frozen; a coordinator records corrections")
            }
            return .allow

        case .comment(let parentVisible, let audience):
            guard parentVisible, admits(viewer, audience, where: true) else { return .hide }
            let isAuthor = audience.authorID != nil && viewer.actor.participantID == audience.authorID
            switch operation {
            case .read, .create: return .allow
            case .update: return isAuthor ? .allow : .forbid("only its author may edit a comment")
            case .delete:
                return isAuthor || canWrite ? .allow : .forbid("a comment is removed by its author or a coordinator")
            }

        case .actionItem(let groupID, let ownerID):
            let isOwner = viewer.actor.participantID == ownerID
            let visible = viewer.seesEverything || isOwner || viewer.groupIDs.contains(groupID)
            guard visible else { return .hide }
            if operation == .read || canWrite { return .allow }
            if operation == .update, isOwner, viewer.actor.isAtLeast(.member) { return .allow }
            return .forbid("only the owner or a coordinator may update an action item")
        }
    }

    /// The audience rule, the one place it is written. `placeVisible`: the viewer may see where
    /// the object lives (its group, its session, its parent), which `dialogue` and `public`
    /// objects need and `side` objects need as well. The author always sees their own.
    static func admits(_ viewer: Viewer, _ facts: AudienceFacts, where placeVisible: Bool) -> Bool {
        if let author = facts.authorID, viewer.actor.participantID == author { return true }
        switch facts.audience {
        case .public, .dialogue: return placeVisible
        case .side: return placeVisible && viewer.side != nil && viewer.side == facts.authorSide
        case .named: return facts.viewerNamed
        }
    }

    /// May the viewer change this object's audience? Its author, or a coordinator of the
    /// author's side (who sees it); the other side's coordinators may not.
    public static func mayChangeAudience(_ viewer: Viewer, _ facts: AudienceFacts) -> Bool {
        if let author = facts.authorID, viewer.actor.participantID == author { return true }
        return viewer.seesEverything && viewer.side != nil && viewer.side == facts.authorSide
    }

    /// Throws the decision: `.forbid` as 403, `.hide` as the same 404 an unknown id gets.
    public static func require(_ viewer: Viewer, _ operation: AccessOperation, _ object: AccessObject, notFound: String) throws {
        switch decide(viewer, operation, object) {
        case .allow: return
        case .forbid(let message): throw DomainError.forbidden(message)
        case .hide: throw DomainError.notFound(notFound)
        }
    }

    /// May the viewer see this participant's memberships? An in-country proxy's memberships
    /// are evidence; only coordinators (and the proxy itself) see them.
    public static func seesMembership(_ viewer: Viewer, ofKind kind: ParticipantKind, participantID: UUID) -> Bool {
        viewer.seesEverything || kind != .inCountryProxy || viewer.actor.participantID == participantID
    }

    /// Contact fields are for coordinators and the participant itself.
    public static func seesContactFields(_ viewer: Viewer, of participantID: UUID) -> Bool {
        viewer.seesEverything || viewer.actor.participantID == participantID
    }

    public static func requireCoordinator(_ actor: Actor, _ what: String) throws {
        guard actor.isAtLeast(.coordinator) else { throw DomainError.forbidden("only a coordinator may \(what)") }
    }

    /// A token can mint tokens only for its own participant and at most its own role; an admin
    /// token (and the operator at the CLI) may mint any role for anyone (DOMAIN.md).
    public static func checkTokenMinting(actor: Actor, for participantID: UUID, role: Role) throws {
        switch actor {
        case .operatorCLI: return
        case .participant(let id, let ownRole, _):
            if ownRole == .admin { return }
            guard id == participantID else {
                throw DomainError.forbidden("a token mints tokens only for its own participant; ask an admin")
            }
            guard role <= ownRole else {
                throw DomainError.forbidden("a \(ownRole.rawValue) token cannot mint a \(role.rawValue) token")
            }
        }
    }

    /// Listing or revoking tokens: an admin, or the participant for its own.
    public static func checkTokenManagement(actor: Actor, of participantID: UUID) throws {
        if actor.role == .admin { return }
        guard actor.participantID == participantID else {
            throw DomainError.forbidden("only an admin manages another participant's tokens")
        }
    }
}
