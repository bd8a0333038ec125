import Hummingbird

/// Request bodies are at most 1 MiB (API.md). A larger declared length is refused before
/// reading; a streamed body is read up to the limit and refused past it. The collected body
/// replaces the stream, so later readers (idempotency, the generated decoder) see it whole,
/// and a body the decoder could not read is looked at again (`Problems.unreadableBody`).
/// Evidence uploads are the exception: they stream through, and the service counts them
/// against its own limits as they arrive.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    static var limit: Int { 1 << 20 }

    /// `POST /v1/{proposals|documents}/{id}/evidence`, and the portal's `POST /{proposals|documents}/{id}/evidence`.
    static func isEvidenceUpload(_ request: Request) -> Bool {
        guard request.method == .post else { return false }
        var segments = request.uri.path.split(separator: "/")
        if segments.first == "v1" { segments.removeFirst() }
        return segments.count == 3 && ["proposals", "documents"].contains(segments[0]) && segments[2] == "evidence"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.isEvidenceUpload(request) { return try await next(request, context) }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.limit {
            throw HTTPError(.contentTooLarge)
        }
        guard [.post, .put, .patch, .delete].contains(request.method) else {
            return try await next(request, context)
        }
        var request = request
        let body = try await request.collectBody(upTo: Self.limit)
        do {
            return try await next(request, context)
        } catch {
            // Only here is the body at hand to tell malformed JSON from an unreadable number.
            throw Problems.unreadableBody(error, body: body) ?? error
        }
    }
}
