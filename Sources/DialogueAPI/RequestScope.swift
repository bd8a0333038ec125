import DialogueCore
import Foundation

/// What the middleware learned about the current request, for the generated handlers (which
/// receive no Hummingbird context). Handlers turn it into an explicit `CallContext` and pass
/// that into every service call; nothing below the handlers reads this.
struct RequestScope: Sendable {
    var requestID: String
    /// The authenticated caller, with the facts its credential check read.
    var viewer: Viewer?

    @TaskLocal static var current: RequestScope?

    /// The authenticated caller of this request, or 401.
    static func callContext() throws -> CallContext {
        guard let scope = current, let viewer = scope.viewer else {
            throw DomainError.unauthenticated("this endpoint needs a bearer token: Authorization: Bearer <token>")
        }
        return CallContext(viewer: viewer, requestID: scope.requestID)
    }

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
        return UUID().lowercasedString
    }
}
