import Foundation

/// Who may do what. Every service asks here before touching an object; routes never decide.
public enum AccessPolicy {
    /// Organizations: anyone with a token reads, coordinators write.
    public static func canWriteDirectory(_ actor: Actor) -> Bool { actor.isAtLeast(.coordinator) }

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
                throw DomainError.notFound("participant not found")
            }
            guard role <= ownRole else {
                throw DomainError.forbidden("a \(ownRole.rawValue) token cannot mint a \(role.rawValue) token")
            }
        }
    }

    /// Listing or revoking tokens: an admin, or the participant for its own.
    public static func checkTokenManagement(actor: Actor, of participantID: UUID) throws {
        if actor.role == .admin { return }
        guard actor.participantID == participantID else { throw DomainError.notFound("participant not found") }
    }
}
