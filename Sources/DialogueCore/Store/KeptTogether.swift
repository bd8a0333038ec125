import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

extension IdempotencyStore {
    /// One response to keep: the request's key and claim, and, unless it carried a secret,
    /// its status, headers (canonical JSON) and body.
    struct Kept: Sendable {
        struct Slot: Hashable, Sendable {
            var scope: String
            var key: String
        }

        let slot: Slot
        let requestHash: String
        let claim: UUID
        let status: Int?
        let headers: String?
        let body: ByteBuffer?
        /// A response that carried a secret (SECURITY.md 18): only that it completed is kept.
        let withheld: Bool

        init(_ request: IdempotentRequest, response: StoredResponse) {
            slot = Slot(scope: request.scope, key: request.key)
            requestHash = request.requestHash
            claim = request.claim
            withheld = request.mintsSecret
            status = withheld ? nil : response.status
            headers = withheld ? nil : CanonicalJSON.arrays(response.headers)
            body = withheld ? nil : ByteBuffer(bytes: response.body)
        }
    }

    /// Group commit for kept responses. Each keyed create is answered only once its response
    /// is kept by a commit that waited for the disk; one statement per response made that a
    /// round trip, a commit and (mostly) a flush for every create. Here the responses that
    /// come while a statement is keeping others wait for it to finish, and then go together,
    /// in one statement, one commit and one flush.
    ///
    /// A request waits for the statement running when it came, then its own (one more when
    /// 64 came before it, or its key is in that group already): the first of a group writes
    /// it (its task leads), the others are resumed with their own answer, and the first of
    /// those still waiting leads the next group.
    final class KeptTogether: Sendable {
        /// At most this many responses in one statement.
        static let largest = 64

        private struct Waiting: Sendable {
            let kept: Kept
            let continuation: CheckedContinuation<Turn, Never>
        }

        private enum Turn: Sendable {
            /// This request's answer, kept by another's statement.
            case answered(Result<Bool, any Error>)
            /// This request writes the group's statement; it is the group's first.
            case lead([Waiting])
        }

        private struct State {
            var waiting: [Waiting] = []
            var writing = false

            /// The next group, in the order they came: a key already in it waits for the
            /// next one, since a statement may change a row once.
            mutating func nextGroup() -> [Waiting] {
                var group: [Waiting] = [], slots: Set<Kept.Slot> = [], left: [Waiting] = []
                for one in waiting {
                    if group.count < KeptTogether.largest, slots.insert(one.kept.slot).inserted { group.append(one) } else { left.append(one) }
                }
                waiting = left
                if group.isEmpty { writing = false }
                return group
            }
        }

        private let state = Mutex(State())

        /// How many responses wait for a statement (for tests).
        var waitingCount: Int { state.withLock { $0.waiting.count } }

        func keep(_ kept: Kept, in database: Database) async throws -> Bool {
            let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
                let me = Waiting(kept: kept, continuation: continuation)
                let leads = state.withLock { state in
                    guard state.writing else {
                        state.writing = true
                        return true
                    }
                    state.waiting.append(me)
                    return false
                }
                if leads { continuation.resume(returning: .lead([me])) }
            }
            switch turn {
            case .answered(let answer):
                return try answer.get()
            case .lead(let group):
                // The statement runs in a task of its own: the leading request's cancellation
                // (its client gone) must not fail the others' answers.
                let answers = await Task { await Self.write(group.map(\.kept), in: database) }.value
                for (one, answer) in zip(group, answers).dropFirst() { one.continuation.resume(returning: .answered(answer)) }
                let next = state.withLock { $0.nextGroup() }
                next.first?.continuation.resume(returning: .lead(next))
                return try answers[0].get()
            }
        }

        /// One statement for the group. If PostgreSQL refuses it, each response is tried
        /// alone, so that no request is refused for another's sake; if the database is not
        /// available, every request is told so at once, as each would have been alone.
        private static func write(_ group: [Kept], in database: Database) async -> [Result<Bool, any Error>] {
            do {
                let kept = try await statement(group, in: database)
                return group.map { .success(kept.contains($0.slot)) }
            } catch {
                if group.count == 1 { return [.failure(error)] }
                if case DomainError.unavailable = error { return group.map { _ in .failure(error) } }
                var answers: [Result<Bool, any Error>] = []
                for one in group {
                    answers.append(await outcome { try await statement([one], in: database).contains(one.slot) })
                }
                return answers
            }
        }

        private static func statement(_ group: [Kept], in database: Database) async throws -> Set<Kept.Slot> {
            let statement = try Keep(group)
            return try await database.autocommit { connection in
                try Keep.kept(try await connection.rows(statement, logger: database.logger))
            }
        }
    }
}
