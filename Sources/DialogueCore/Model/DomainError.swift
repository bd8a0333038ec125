/// A field-level validation problem, named the way the client sent it (snake_case JSON key,
/// header name, or query parameter).
public struct FieldError: Sendable, Equatable, Codable {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// Every failure a service call can report to its caller. The HTTP layer maps each case to one
/// problem+json response and the CLI to one line on stderr; neither invents its own.
///
/// Messages are shown to clients and written to logs, so they must never carry sealed data or
/// anything else about an in-country proxy beyond what the caller could already see.
public enum DomainError: Error, Sendable, Equatable {
    /// No credentials, or credentials that do not (or no longer) work.
    case unauthenticated(String)
    /// The caller is known but may not do this.
    case forbidden(String)
    /// Unknown, or invisible to this caller: the two are indistinguishable on purpose.
    case notFound(String)
    /// The request is well-formed but its content is invalid.
    case validation([FieldError])
    /// The request conflicts with the current state (a duplicate, an illegal transition).
    case conflict(String, allowed: [String] = [])
    /// `If-Match` named a version that is no longer current.
    case preconditionFailed(currentVersion: Int)
    /// A retry arrived while the first request with the same idempotency key is still running.
    case idempotencyInProgress
    /// The database cannot be reached right now; the caller should retry later.
    case unavailable(String)
    /// What was sent is larger than the service keeps (an evidence file, or an object's evidence).
    case tooLarge(String)

    public static func invalid(_ field: String, _ message: String) -> DomainError {
        .validation([FieldError(field, message)])
    }
}

extension DomainError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unauthenticated(let message): return message
        case .forbidden(let message): return message
        case .notFound(let message): return message
        case .validation(let errors):
            return errors.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        case .conflict(let message, let allowed):
            return allowed.isEmpty ? message : "\(message) (allowed: \(allowed.joined(separator: ", ")))"
        case .preconditionFailed(let version):
            return "the object has changed (current version \(version)); fetch it again and retry"
        case .idempotencyInProgress:
            return "a request with this Idempotency-Key is still being processed; retry later"
        case .unavailable(let message): return message
        case .tooLarge(let message): return message
        }
    }
}
