import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIRuntime

/// The one place where an error becomes an HTTP answer: an RFC 9457 problem document.
enum Problems {
    struct Document: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String?
        var requestID: String
        var errors: [FieldError]?
        var allowed: [String]?
        var currentVersion: Int?

        enum CodingKeys: String, CodingKey {
            case type, title, status, detail, errors, allowed
            case requestID = "request_id"
            case currentVersion = "current_version"
        }
    }

    static let contentType = "application/problem+json"

    static func response(
        status: HTTPResponse.Status, type: String? = nil, detail: String?, requestID: String,
        errors: [FieldError]? = nil, allowed: [String]? = nil, currentVersion: Int? = nil,
        headers extra: HTTPFields = [:]
    ) -> Response {
        let document = Document(
            type: type.map { "urn:dialogue:problem:\($0)" } ?? "about:blank", title: status.reasonPhrase,
            status: status.code, detail: detail, requestID: requestID, errors: errors, allowed: allowed,
            currentVersion: currentVersion)
        let body = (try? CanonicalJSON.encode(document)) ?? Data("{}".utf8)
        var headers = extra
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Maps any error thrown below the outermost middleware. Unknown errors are logged in full
    /// and answered with a bare 500 naming the request id, never with their text.
    static func response(for error: any Error, requestID: String, allowedMethods: [String], logger: Logger) -> Response {
        let (unwrapped, serverStatus, serverCause) = unwrap(error)
        let error = DatabaseErrors.translate(unwrapped)
        switch error {
        case is MalformedBody:
            return malformedBody(requestID: requestID)
        case let domain as DomainError:
            return response(for: domain, requestID: requestID)
        case let decoding as DecodingError:
            return response(for: decoding, requestID: requestID)
        case let http as HTTPError:
            if http.status == .notFound, !allowedMethods.isEmpty {
                return response(
                    status: .methodNotAllowed, detail: "allowed methods: \(allowedMethods.joined(separator: ", "))",
                    requestID: requestID, headers: [.allow: allowedMethods.joined(separator: ", ")])
            }
            if http.status == .contentTooLarge {
                return response(
                    status: .contentTooLarge, type: "body-too-large",
                    detail: "the request body is larger than 1 MiB", requestID: requestID)
            }
            if http.status == .notFound { return notFound(requestID: requestID) }
            return response(status: http.status, detail: http.body, requestID: requestID)
        default:
            if let serverStatus, (400..<500).contains(serverStatus.code) {
                return response(status: serverStatus, type: "bad-request", detail: serverCause, requestID: requestID)
            }
            logger.error(
                "unexpected error", metadata: ["request_id": "\(requestID)", "error": "\(DatabaseErrors.loggable(error))"])
            return response(
                status: .internalServerError, detail: "an unexpected error occurred; quote request id \(requestID)",
                requestID: requestID)
        }
    }

    /// The error the generated server wrapped (it wraps everything it throws), with the
    /// status and cause it gave.
    private static func unwrap(_ error: any Error) -> (any Error, HTTPResponse.Status?, String?) {
        var error = error
        var serverStatus: HTTPResponse.Status?
        var serverCause: String?
        while let wrapped = error as? ServerError {
            serverStatus = wrapped.httpStatus
            serverCause = wrapped.causeDescription
            error = wrapped.underlyingError
        }
        return (error, serverStatus, serverCause)
    }

    /// A request body that is not JSON at all.
    struct MalformedBody: Error {}

    /// What JSONDecoder says, at the root and with no underlying error, of every body it
    /// cannot read: text that is not JSON, and JSON holding a number no field can take.
    static let unreadableJSON = "The given data was not valid JSON."

    /// Tells apart the two bodies JSONDecoder reports alike (`unreadableJSON`): text that is
    /// not JSON is a 400; a number no field takes (every number in the contract is a whole
    /// one within 64 bits) is a 422 naming where it is. Nil for any other error.
    static func unreadableBody(_ error: any Error, body: ByteBuffer) -> (any Error)? {
        guard case .dataCorrupted(let context)? = unwrap(error).0 as? DecodingError, context.codingPath.isEmpty,
            context.debugDescription == unreadableJSON
        else { return nil }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
        else { return MalformedBody() }
        let fields = numbersNoFieldTakes(parsed, at: "")
        guard !fields.isEmpty else { return DomainError.validation([FieldError("body", "could not be read")]) }
        return DomainError.validation(fields.map { FieldError($0, "must be a whole number within 64 bits") })
    }

    /// Where a parsed body holds a number with a fraction or past 64 bits, named as
    /// `response(for: DecodingError)` names fields.
    private static func numbersNoFieldTakes(_ value: Any, at path: String) -> [String] {
        switch value {
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { key in
                numbersNoFieldTakes(object[key] as Any, at: path.isEmpty ? key : "\(path).\(key)")
            }
        case let array as [Any]:
            return array.enumerated().flatMap { index, element in numbersNoFieldTakes(element, at: "\(path)[\(index)]") }
        case is NSDecimalNumber:
            // What JSONSerialization makes of a number past 64 bits (and past a double's digits).
            return [path.isEmpty ? "body" : path]
        case let number as NSNumber:
            let floating = ["d", "f"].contains(String(cString: number.objCType))
            return floating && Int64(exactly: number.doubleValue) == nil ? [path.isEmpty ? "body" : path] : []
        default:
            return []
        }
    }

    static func malformedBody(requestID: String) -> Response {
        response(status: .badRequest, type: "malformed-json", detail: "the request body is not valid JSON", requestID: requestID)
    }

    static func notFound(requestID: String) -> Response {
        response(status: .notFound, type: "not-found", detail: "no such resource", requestID: requestID)
    }

    static func response(for error: DomainError, requestID: String) -> Response {
        switch error {
        case .unauthenticated(let message):
            return response(
                status: .unauthorized, type: "unauthenticated", detail: message, requestID: requestID,
                headers: [.wwwAuthenticate: "Bearer realm=\"dialogue\""])
        case .forbidden(let message):
            return response(status: .forbidden, type: "forbidden", detail: message, requestID: requestID)
        case .notFound:
            // One wording for every 404, whichever part of a path was unknown or hidden: a
            // detail naming the missing part would tell a caller which parts exist.
            return notFound(requestID: requestID)
        case .validation(let errors):
            return response(
                status: .unprocessableContent, type: "validation-failed",
                detail: errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "), requestID: requestID,
                errors: errors)
        case .conflict(let message, let allowed):
            return response(
                status: .conflict, type: "conflict", detail: message, requestID: requestID,
                allowed: allowed.isEmpty ? nil : allowed)
        case .preconditionFailed(let version):
            return response(
                status: .preconditionFailed, type: "stale-version", detail: error.description, requestID: requestID,
                currentVersion: version, headers: [.eTag: ETags.value(version)])
        case .idempotencyInProgress:
            return response(
                status: .conflict, type: "idempotency-in-progress", detail: error.description, requestID: requestID,
                headers: [.retryAfter: "1"])
        case .unavailable(let message):
            return response(
                status: .serviceUnavailable, type: "unavailable", detail: message, requestID: requestID,
                headers: [.retryAfter: "5"])
        case .tooLarge(let message):
            return response(status: .contentTooLarge, type: "body-too-large", detail: message, requestID: requestID)
        }
    }

    /// Malformed JSON is a 400; JSON of the wrong shape is a 422 naming the field.
    static func response(for error: DecodingError, requestID: String) -> Response {
        func field(_ path: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = path + (last.map { [$0] } ?? [])
            let name = keys.reduce(into: "") { name, key in
                if let index = key.intValue { name += "[\(index)]" } else { name += name.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return name.isEmpty ? "body" : name
        }
        let fieldError: FieldError
        switch error {
        case .keyNotFound(let key, let context):
            fieldError = FieldError(field(context.codingPath, key), "is required")
        case .typeMismatch(let type, let context) where context.codingPath.isEmpty && jsonTypeName(type) != "object":
            // Request bodies are JSON objects, so a scalar expected at the root is a path,
            // query or header parameter that could not be read.
            return response(
                status: .badRequest, type: "bad-parameter",
                detail: "a parameter has the wrong type (expected \(jsonTypeName(type)))", requestID: requestID)
        case .typeMismatch(let type, let context):
            fieldError = FieldError(field(context.codingPath), "has the wrong type (expected \(jsonTypeName(type)))")
        case .valueNotFound(let type, let context):
            fieldError = FieldError(field(context.codingPath), "must not be null (expected \(jsonTypeName(type)))")
        case .dataCorrupted(let context) where context.debugDescription.hasPrefix(RFC3339Transcoder.errorPrefix):
            // The date decoder is not told which field it reads; the message names the value.
            fieldError = FieldError(
                field(context.codingPath), "is " + context.debugDescription)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty, context.underlyingError != nil { return malformedBody(requestID: requestID) }
            if context.codingPath.isEmpty {
                // Scalars at the root are parameters (path, query, header), not bodies.
                return response(
                    status: .badRequest, type: "bad-parameter",
                    detail: "a parameter has an invalid value: \(context.debugDescription.prefix(200))", requestID: requestID)
            }
            if context.debugDescription.hasPrefix("Additional properties are disabled") {
                fieldError = FieldError(field(context.codingPath), "is not a known field")
            } else {
                fieldError = FieldError(field(context.codingPath), "is not a valid value")
            }
        @unknown default:
            fieldError = FieldError("body", "could not be read")
        }
        return response(for: DomainError.validation([fieldError]), requestID: requestID)
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "string"
        case is Int.Type, is Int64.Type, is Int32.Type: return "integer"
        case is Double.Type, is Float.Type: return "number"
        case is Bool.Type: return "boolean"
        case is [Any].Type: return "array"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "array" : "object"
        }
    }
}

/// `version` ⇄ `ETag` / `If-Match`.
enum ETags {
    static func value(_ version: Int) -> String { "\"\(version)\"" }

    /// The version an `If-Match` header asks for: nil when absent or `*` (no condition). A value
    /// that names no version we could have issued can never match, so it yields -1 (→ 412).
    static func version(ifMatch header: String?) -> Int? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty, header != "*" else {
            return nil
        }
        var tag = Substring(header)
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        guard tag.hasPrefix("\""), tag.hasSuffix("\""), tag.count >= 3, let version = Int(tag.dropFirst().dropLast()) else {
            return -1
        }
        return version
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
