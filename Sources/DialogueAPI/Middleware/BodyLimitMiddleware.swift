import Hummingbird

/// Request bodies are at most 1 MiB (API.md). A larger declared length is refused before
/// reading; a streamed body is read up to the limit and refused past it. The collected body
/// replaces the stream, so later readers (idempotency, the generated decoder) see it whole.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    static var limit: Int { 1 << 20 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.limit {
            throw HTTPError(.contentTooLarge)
        }
        guard [.post, .put, .patch, .delete].contains(request.method) else {
            return try await next(request, context)
        }
        var request = request
        _ = try await request.collectBody(upTo: Self.limit)
        return try await next(request, context)
    }
}
