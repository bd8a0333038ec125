import DialogueCore
import Foundation

/// What the middleware learned about the current request, for the generated handlers (which
/// receive no Hummingbird context). Handlers turn it into an explicit `CallContext` and pass
/// that into every service call; nothing below the handlers reads this.
struct RequestScope: Sendable {
    var requestID: String
    /// The authenticated caller, with the facts its credential check read.
    var viewer: Viewer?
    /// A read's bearer credential, not checked yet: the handler checks it, in the read's own
    /// statement where the service offers one (`caller()`), or with `callContext(_:)`.
    var bearer: BearerCredential?
    /// A write's caller as this process last checked its credential, not confirmed yet: a
    /// service whose write confirms it in its statement takes it (`caller()`); any other
    /// handler checks it first (`callContext(_:)`).
    var remembered: RememberedCaller?

    @TaskLocal static var current: RequestScope?

    /// The authenticated caller of this request (its credential checked now if it was left
    /// to the handler), or 401.
    static func callContext(_ dialogue: Dialogue) async throws -> CallContext {
        guard let scope = current else { throw missingCredential }
        if let viewer = scope.viewer { return CallContext(viewer: viewer, requestID: scope.requestID) }
        if let remembered = scope.remembered {
            return CallContext(viewer: try await dialogue.authenticate(remembered), requestID: scope.requestID)
        }
        guard let bearer = scope.bearer else { throw missingCredential }
        return CallContext(viewer: try await dialogue.authenticate(bearer), requestID: scope.requestID)
    }

    /// The caller of this request as a service takes it where the service's own statement
    /// checks the credential: authenticated, a read's bearer credential, or a write's
    /// remembered caller. 401 without any.
    static func caller() throws -> Caller {
        guard let scope = current else { throw missingCredential }
        if let viewer = scope.viewer { return .authenticated(CallContext(viewer: viewer, requestID: scope.requestID)) }
        if let remembered = scope.remembered { return .remembered(remembered) }
        guard let bearer = scope.bearer else { throw missingCredential }
        return .bearer(bearer)
    }

    /// The participant making the request, once its credential is checked or remembered.
    var participantID: UUID? { viewer?.actor.participantID ?? remembered?.participantID }

    static let missingCredential = DomainError.unauthenticated("this endpoint needs a bearer token: Authorization: Bearer <token>")

    /// A request id from the client is kept when it is short and plain, so it can be logged
    /// and echoed safely; anything else is replaced by a fresh one.
    static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
            header.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                    || byte == 0x2d || byte == 0x5f || byte == 0x2e || byte == 0x3a
            })
        {
            return header
        }
        return UUID.random().lowercasedString
    }
}
