import Crypto
import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Creating POSTs sent with `Idempotency-Key`: the first successful response is stored (per
/// caller) and replayed to retries; the same key with another request is refused (422); a retry
/// while the first is still running gets 409. The key is written by the write's own transaction
/// (`IdempotentRequest`), so a new key costs no statement before the work: a retry finds the
/// key taken when it comes to write, rolls back, and only then is the earlier request's row
/// read to answer it. A response that carried a secret is not stored, and a retry of it gets
/// 409 naming what was created.
struct IdempotencyMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: IdempotencyStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // An evidence upload streams and is not replayed: its retry is a second upload, told
        // apart by its hashes.
        guard request.method == .post, !BodyLimitMiddleware<Context>.isEvidenceUpload(request), let key = request.headers[.idempotencyKey],
            let caller = RequestScope.current?.participantID
        else { return try await next(request, context) }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }) else {
            throw DomainError.invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        var request = request
        let body = try await request.collectBody(upTo: BodyLimitMiddleware<Context>.limit)
        var hasher = SHA256()
        hasher.update(data: Data("\(request.method.rawValue) \(request.uri.path)?\(request.uri.query ?? "")\n".utf8))
        hasher.update(data: Data(body.readableBytesView))
        let idempotent = IdempotentRequest(scope: caller.lowercasedString, key: key, requestHash: hasher.finalize().hexString)

        let response: Response
        do {
            response = try await IdempotentRequest.$current.withValue(idempotent) { try await next(request, context) }
        } catch {
            // Refused because another request holds the key, or failed as a retry of a request
            // that did its work (a second create of the same name, a transition already made):
            // the earlier request answers. A request that failed alone leaves the key free.
            if let earlier = try? await store.earlier(idempotent) { return try answer(earlier) }
            throw error
        }
        guard (200..<300).contains(response.status.code) else {
            if let earlier = try? await store.earlier(idempotent) { return try answer(earlier) }
            return response
        }
        let bytes = try await response.body.collected()
        let kept: [HTTPField.Name] = [.contentType, .eTag, .location]
        let headers = kept.compactMap { name in response.headers[name].map { [name.canonicalName, $0] } }
        // Kept before the answer, and durably: a keyed write committed without waiting for the
        // disk (AuditLog.SingleStatement) is on disk once this commit is. Never move it after
        // the response.
        let stored = try await store.keep(
            idempotent, response: .init(status: response.status.code, headers: headers, body: Array(bytes.readableBytesView)))
        // A request that writes no audited change (marking notifications read) has no key
        // until now; if another request took it meanwhile, that one's answer is the answer.
        if !stored, let earlier = try await store.earlier(idempotent) { return try answer(earlier) }
        var replayable = response
        replayable.body = ResponseBody(byteBuffer: bytes)
        return replayable
    }

    /// The answer to a retry, from what the earlier request with the key left.
    private func answer(_ earlier: IdempotencyStore.Earlier) throws -> Response {
        switch earlier {
        case .replay(let stored):
            var headers = HTTPFields()
            for pair in stored.headers where pair.count == 2 {
                if let name = HTTPField.Name(pair[0]) { headers[name] = pair[1] }
            }
            headers[.idempotentReplayed] = "true"
            return Response(
                status: .init(code: stored.status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: stored.body)))
        case .completedWithoutResponse(let createdObject, let heldSecret):
            let what = createdObject.map { " (\($0))" } ?? ""
            throw DomainError.conflict(heldSecret
                ? "the request with this Idempotency-Key succeeded\(what); the secret it returned is shown only once and "
                    + "is not kept. If it was lost, revoke what was created and ask for a new one."
                : "the request with this Idempotency-Key succeeded\(what), but its response was not kept; fetch the object")
        case .keyReusedWithAnotherRequest:
            throw DomainError.invalid("Idempotency-Key", "was already used with a different request")
        case .stillRunning:
            throw DomainError.idempotencyInProgress
        }
    }
}
