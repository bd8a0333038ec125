import DialogueCore
import Foundation
import Hummingbird

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
        let fields = document.notNullableProperties(method: request.method.rawValue, path: request.uri.path)
        guard !fields.isEmpty else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: BodyLimitMiddleware<Context>.limit)
        if let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] {
            let nulls = object.filter { $0.value is NSNull && fields.contains($0.key) }.keys.sorted()
            if !nulls.isEmpty {
                throw DomainError.validation(nulls.map { FieldError($0, "must not be null; leave it out to keep it as it is") })
            }
        }
        return try await next(request, context)
    }
}
