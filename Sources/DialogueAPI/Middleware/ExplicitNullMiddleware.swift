import DialogueCore
import Foundation
import Hummingbird
import NIOCore

/// Refuses `null` for a request-body property the contract does not declare nullable. The
/// generated decoder reads an explicit null as an absent field, so without this a PATCH with
/// `"name": null` would be accepted as "leave the name alone": the server would accept more
/// than the contract says.
struct ExplicitNullMiddleware<Context: RequestContext>: RouterMiddleware {
    let document: OpenAPIDocument

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch].contains(request.method), !BodyLimitMiddleware<Context>.isEvidenceUpload(request) else {
            return try await next(request, context)
        }
        var request = request
        let body = try await request.collectBody(upTo: BodyLimitMiddleware<Context>.limit)
        // A JSON null is the four bytes `null`, which no other token holds: a body without them
        // (nearly every one) has no null to refuse, and is not parsed a second time for it.
        guard Self.holdsNullLiteral(body.readableBytesView) else { return try await next(request, context) }
        let fields = document.notNullableProperties(method: request.method.rawValue, path: request.uri.path)
        guard !fields.isEmpty else { return try await next(request, context) }
        if let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] {
            let nulls = object.filter { $0.value is NSNull && fields.contains($0.key) }.keys.sorted()
            if !nulls.isEmpty {
                throw DomainError.validation(nulls.map { FieldError($0, "must not be null; leave it out to keep it as it is") })
            }
        }
        return try await next(request, context)
    }

    /// Whether `bytes` hold `null` anywhere, inside a string too (then the body is parsed).
    static func holdsNullLiteral(_ bytes: ByteBufferView) -> Bool {
        let n = UInt8(ascii: "n"), u = UInt8(ascii: "u"), l = UInt8(ascii: "l")
        var index = bytes.startIndex
        while let found = bytes[index...].firstIndex(of: n) {
            let rest = bytes[bytes.index(after: found)...]
            if rest.starts(with: [u, l, l]) { return true }
            index = bytes.index(after: found)
        }
        return false
    }
}
