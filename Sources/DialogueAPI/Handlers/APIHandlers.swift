import DialogueCore
import Foundation
import OpenAPIRuntime

/// The generated API protocol, implemented as thin translations: HTTP types in, one service
/// call, HTTP types out. No rule lives here.
struct APIHandlers: APIProtocol {
    let dialogue: Dialogue
    /// Where clients reach this service, for absolute URLs such as calendar feeds.
    let publicBaseURL: String

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .participant(let id, let role, let tokenID) = context.actor else {
            throw DomainError.unauthenticated("this endpoint needs a bearer token")
        }
        let participant = try await dialogue.getParticipant(context, id: id)
        return .ok(.init(body: .json(.init(
            participant: .init(participant), role: .init(role), tokenId: tokenID.lowercasedString))))
    }

    func listDirections(_ input: Operations.ListDirections.Input) async throws -> Operations.ListDirections.Output {
        let context = try await RequestScope.callContext(dialogue)
        let directions = try await dialogue.listDirections(context)
        return .ok(.init(body: .json(.init(items: directions.compactMap(Components.Schemas.Direction.init), nextCursor: nil))))
    }
}

extension APIHandlers {
    /// The caller and a path id, for a read that checks its bearer in its own statement. An id
    /// that is no UUID names nothing (404); an unknown token is told 401 instead, by the
    /// authentication middleware, as for every read that fails before its check.
    func callerAndPathID(_ raw: String, _ what: String) throws -> (Caller, UUID) {
        (try RequestScope.caller(), try pathID(raw, what))
    }
}

/// Path ids that are not UUIDs name nothing that exists: 404, like any unknown object.
func pathID(_ raw: String, _ what: String) throws -> UUID {
    guard let id = UUID(uuidString: raw) else { throw DomainError.notFound("\(what) not found") }
    return id
}

/// Ids in bodies are validated as fields (422), not as paths.
func bodyID(_ raw: String?, _ field: String) throws -> UUID? {
    try raw.map { try parsedBodyID($0, field) }
}

func bodyIDs(_ raw: [String], _ field: String) throws -> [UUID] {
    try raw.map { try parsedBodyID($0, field) }
}

func parsedBodyID(_ raw: String, _ field: String) throws -> UUID {
    guard let id = UUID(uuidString: raw) else { throw DomainError.invalid(field, "is not a UUID") }
    return id
}

/// A date-time in a request body, RFC 3339 with an offset; a bad one names its field.
func bodyDate(_ raw: String?, _ field: String) throws -> Date? {
    guard let raw else { return nil }
    guard let date = RFC3339.date(from: raw) else {
        throw DomainError.invalid(field, "is not an RFC 3339 date-time with an offset (e.g. 2026-12-03T09:00:00Z)")
    }
    return date
}

/// PATCH bodies: absent leaves a field alone, an empty string clears it.
func clearable(_ value: String?) -> String?? {
    guard let value else { return nil }
    return .some(value.isEmpty ? nil : value)
}
