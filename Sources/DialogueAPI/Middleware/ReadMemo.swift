import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus
import Synchronization

/// Responses to the busiest reads, kept per token and reused while the database is unchanged.
///
/// A read admitted here first checks its credential in a statement that also returns what it
/// saw of the database (`CommittedState`). When this token asked for the same thing under an
/// equal state, the answer is the one given then: nothing was written anywhere in between
/// (see `CommittedState`), so the service would decide and read exactly as it did. Otherwise
/// the service answers as usual and the answer is kept under that state. So:
/// - a revoked or expired token, or a deactivated participant, is refused on its very next
///   request on every instance: the check runs on every request, hit or miss;
/// - nothing is shared between tokens: an answer is kept under the token that asked for it;
/// - any write at all, by any client or instance, makes every kept answer stale; they are
///   dropped when a request first sees the new state.
///
/// Only routes whose answer depends on nothing but the caller, the request, the rows and the
/// date are admitted, and only successful answers small enough to keep are kept.
final class ReadMemo: Sendable {
    /// The routes whose answers may be kept (route templates, as the router names them).
    static let routes: Set<String> = ["/v1/sessions/{id}/agenda", "/v1/action-items"]
    /// An answer larger than this is served but not kept.
    static let largestKept = 256 * 1024

    struct Key: Hashable {
        var tokenID: UUID
        /// Path and query exactly as sent, and the media types the client accepts.
        var target: String
        var accept: String?

        /// The bytes a key takes beside its answer: the client chose them, so they count.
        var size: Int { target.utf8.count + (accept?.utf8.count ?? 0) }
    }

    private struct Kept {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
    }

    private struct Store {
        /// The state every kept answer was made under; another state makes them all stale.
        var state: CommittedState?
        var answers: [Key: Kept] = [:]
        var bytes = 0
    }

    private let store = Mutex(Store())
    /// How many bytes of answers are kept at most; 0 keeps none.
    let capacity: Int
    private let hits: Counter
    private let misses: Counter

    init(capacity: Int, registry: PrometheusCollectorRegistry) {
        self.capacity = capacity
        hits = registry.makeCounter(name: "dialogue_read_memo_answers_total", labels: [("outcome", "reused")])
        misses = registry.makeCounter(name: "dialogue_read_memo_answers_total", labels: [("outcome", "made")])
    }

    /// The bytes the kept answers take, with their keys.
    var keptBytes: Int { store.withLock { $0.bytes } }

    /// Whether a request is one whose answer may be kept: a plain GET of an admitted route,
    /// with no condition or range that its handler would have to weigh.
    static func admits(_ request: Request, route: String?) -> Bool {
        guard request.method == .get, let route, routes.contains(route) else { return false }
        return request.headers[.ifNoneMatch] == nil && request.headers[.ifMatch] == nil
            && request.headers[.ifModifiedSince] == nil && request.headers[.range] == nil
    }

    /// The answer kept for `key` under `state`, if there is one. A new state drops every
    /// answer kept under the old one (no later request can see the old state again).
    func answer(for key: Key, at state: CommittedState) -> Response? {
        let kept = store.withLock { store in
            if store.state != state { store = Store(state: state) }
            return store.answers[key]
        }
        guard let kept else {
            misses.increment()
            return nil
        }
        hits.increment()
        return Response(status: kept.status, headers: kept.headers, body: ResponseBody(byteBuffer: kept.body))
    }

    /// Keeps a fresh answer made after a check that saw `state`, and returns it to be sent.
    /// The service's read ran after that check, so it saw `state` or a later one; were it a
    /// later one, `state` can never be seen again and the answer is never reused.
    func keep(_ response: Response, for key: Key, at state: CommittedState) async throws -> Response {
        guard capacity > 0, response.status == .ok, (response.body.contentLength ?? 0) <= Self.largestKept else { return response }
        let body = try await response.body.collected()
        var sent = response
        sent.body = ResponseBody(byteBuffer: body)
        let size = body.readableBytes + key.size
        guard size <= min(capacity, Self.largestKept) else { return sent }
        store.withLock { store in
            guard store.state == state else { return }
            if let replaced = store.answers.removeValue(forKey: key) {
                store.bytes -= replaced.body.readableBytes + key.size
            }
            while store.bytes + size > capacity, let evicted = store.answers.first {
                store.answers.removeValue(forKey: evicted.key)
                store.bytes -= evicted.value.body.readableBytes + evicted.key.size
            }
            store.answers[key] = Kept(status: response.status, headers: response.headers, body: body)
            store.bytes += size
        }
        return sent
    }
}

extension ResponseBody {
    /// The whole body in memory, for answers known to be small (creates, kept reads).
    func collected() async throws -> ByteBuffer {
        let collector = BodyCollector()
        try await write(collector)
        return collector.buffer
    }
}

private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ buffer: ByteBuffer) async throws {
        var incoming = buffer
        self.buffer.writeBuffer(&incoming)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
