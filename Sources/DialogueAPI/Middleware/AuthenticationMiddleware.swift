import DialogueCore
import Hummingbird

/// Every `/v1` route needs a bearer token. The token is checked against the database on each
/// request, so a revocation on any instance takes effect on the very next request everywhere.
/// A write's token is checked here (the idempotency middleware keys on its caller), unless
/// this process checked it before: then the write's own statement confirms it where its
/// service offers that (`RememberedCaller`), and its handler checks it otherwise. A read's
/// is left to its handler, whose read may check it in its own statement (one round trip
/// instead of two). Either way no handler answers before the check, and a read that fails is
/// checked here after all: a missing, malformed or unknown token is 401 whatever the path or
/// query names. A read whose answer may be kept (`ReadMemo`) is checked here too, in the
/// statement that tells whether the answer kept for it still holds.
struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let dialogue: Dialogue
    let memo: ReadMemo

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/v1" || path.hasPrefix("/v1/") else { return try await next(request, context) }
        // Calendar clients cannot send a bearer token: the feed secret in the path is the credential.
        if request.method == .get, path.hasPrefix("/v1/calendar/"), path.hasSuffix(".ics") {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else { throw RequestScope.missingCredential }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw DomainError.unauthenticated("the Authorization header must read: Bearer <token>")
        }
        // Trailing blanks are dropped without Foundation's CharacterSet: every API request
        // passes here, and a token is ASCII, so no other space can belong to one.
        var secret = parts[1]
        while let last = secret.last, last == " " || last == "\t" { secret = secret.dropLast() }
        guard let credential = BearerCredential(secret: String(secret)) else {
            throw BearerCredential.refusal
        }
        var scope = RequestScope.current ?? RequestScope(requestID: RequestScope.requestID(from: nil))
        guard request.method == .get else {
            guard let remembered = dialogue.rememberedCaller(credential, requestID: scope.requestID) else {
                scope.viewer = try await dialogue.authenticate(credential)
                return try await RequestScope.$current.withValue(scope) { try await next(request, context) }
            }
            // A write whose caller this process has checked before: its statement confirms the
            // credential (`RememberedCaller`), or its handler checks it first. Whatever else
            // answers (a failure, an idempotent replay), the credential is checked before the
            // answer leaves, and its refusal answers instead.
            scope.remembered = remembered
            let response: Response
            do {
                response = try await RequestScope.$current.withValue(scope) { try await next(request, context) }
            } catch {
                if !remembered.isConfirmed { _ = try await dialogue.authenticate(remembered) }
                throw error
            }
            if !remembered.isConfirmed { _ = try await dialogue.authenticate(remembered) }
            return response
        }
        scope.bearer = credential
        if memo.capacity > 0, ReadMemo.admits(request, route: context.endpointPath) {
            // Checked here, in the statement that tells whether the answer kept still holds;
            // the handler's own read checks it again when there is none.
            let (tokenID, state) = try await dialogue.checkWithState(credential)
            guard let state else { return try await RequestScope.$current.withValue(scope) { try await next(request, context) } }
            let key = ReadMemo.Key(tokenID: tokenID, target: request.uri.description, accept: request.headers[.accept])
            if let kept = memo.answer(for: key, at: state) { return kept }
            let response = try await RequestScope.$current.withValue(scope) { try await next(request, context) }
            return try await memo.keep(response, for: key, at: state)
        }
        do {
            return try await RequestScope.$current.withValue(scope) { try await next(request, context) }
        } catch {
            // A read that failed before its handler checked the token (no such route, a query
            // the contract refuses) must not tell an unknown token what exists: the credential
            // is checked now, and its refusal answers instead. A live token gets the error.
            _ = try await dialogue.authenticate(credential)
            throw error
        }
    }
}
