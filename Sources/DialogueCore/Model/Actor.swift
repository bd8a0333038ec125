import Foundation

/// The four roles a token can carry, strongest first.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case admin
    case coordinator
    case member
    case observer

    var rank: Int {
        switch self {
        case .admin: return 3
        case .coordinator: return 2
        case .member: return 1
        case .observer: return 0
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Who is asking. Passed explicitly into every service call.
public enum Actor: Sendable, Equatable {
    /// A request authenticated by an API token: the token's participant and role.
    case participant(id: UUID, role: Role, tokenID: UUID)
    /// The operator at the command line, with direct database access (the CLI).
    case operatorCLI

    public var participantID: UUID? {
        if case .participant(let id, _, _) = self { return id }
        return nil
    }

    /// The token the request came with; the operator has none.
    public var tokenID: UUID? {
        if case .participant(_, _, let tokenID) = self { return tokenID }
        return nil
    }

    /// The operator acts with every right an admin token has.
    public var role: Role {
        switch self {
        case .participant(_, let role, _): return role
        case .operatorCLI: return .admin
        }
    }

    public func isAtLeast(_ role: Role) -> Bool { self.role >= role }

    /// How the actor is named in the audit trail.
    var auditLabel: String {
        switch self {
        case .participant(let id, let role, _): return "participant:\(id.lowercasedString) as \(role.rawValue)"
        case .operatorCLI: return "operator (cli)"
        }
    }
}

/// Per-call information that travels with the actor into the audit row.
public struct CallContext: Sendable {
    public var actor: Actor
    public var requestID: String
    /// The caller's side and memberships when its credential check brought them along (the
    /// API's bearer tokens), so that a request does not read them a second time.
    public var viewer: Viewer?
    /// Set where `viewer` is what the caller's credential named at this process's last check
    /// of it, not confirmed by this request yet: the write decided on it confirms it in its
    /// own statement (`RememberedCaller`). Only DialogueCore makes such a context.
    var unconfirmed: RememberedCaller?

    public init(actor: Actor, requestID: String) {
        self.actor = actor
        self.requestID = requestID
    }

    public init(viewer: Viewer, requestID: String) {
        self.actor = viewer.actor
        self.requestID = requestID
        self.viewer = viewer
    }

    public static func cli(requestID: String = "cli-" + UUID.random().lowercasedString) -> CallContext {
        CallContext(actor: .operatorCLI, requestID: requestID)
    }
}
