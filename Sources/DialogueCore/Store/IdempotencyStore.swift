import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Remembers the response to each creating request sent with an `Idempotency-Key`, per caller,
/// so a retry gets the first answer instead of a second object (API.md, SECURITY.md 12).
public struct IdempotencyStore: Sendable {
    /// A key is kept at least this long (API.md: at least 24 hours).
    public static let retention: Duration = .seconds(25 * 3600)
    /// A key committed this long ago without its response belongs to a request that died
    /// after COMMIT; a "running" reservation (older instances) this old, to one that died
    /// before.
    static let abandonedAfterSeconds = 300

    public struct StoredResponse: Sendable, Equatable {
        public var status: Int
        public var headers: [[String]]
        public var body: [UInt8]

        public init(status: Int, headers: [[String]], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// What an earlier request with the same key (and caller) left, as a retry is to be answered.
    public enum Earlier: Sendable, Equatable {
        case replay(StoredResponse)
        case keyReusedWithAnotherRequest
        case stillRunning
        /// The earlier request committed its change, but its response is not kept: it carried
        /// a secret (shown once), or the server stopped between COMMIT and storing it. The
        /// change is not made twice; the caller learns what was created.
        case completedWithoutResponse(createdObject: String?, heldSecret: Bool)
    }

    let database: Database
    /// The responses waiting to be kept, and whether a statement is keeping some.
    let together = KeptTogether()

    public init(database: Database) { self.database = database }

    /// What another request left under this request's key, or nil when the key is free or is
    /// this request's own. Asked only when a keyed request did not get its own write through:
    /// it failed, or the key was found settled by another request (`Settle`). A new key costs
    /// no statement of its own: it is written by the write's transaction, with the object.
    public func earlier(_ request: IdempotentRequest) async throws -> Earlier? {
        let rows = try await database.read { connection in
            try await connection.rows(Lookup(request), logger: database.logger)
        }
        guard let row = rows.first else { return nil }
        let found = try Lookup.Found(row)
        guard found.claim != request.claim else { return nil }
        guard found.requestHash == request.requestHash else { return .keyReusedWithAnotherRequest }
        switch found.state {
        case .done where !found.withheld:
            guard let status = found.status else { return .completedWithoutResponse(createdObject: found.createdObject, heldSecret: false) }
            let headerList = found.headers.flatMap { try? JSONDecoder().decode([[String]].self, from: Data($0.utf8)) } ?? []
            return .replay(StoredResponse(status: status, headers: headerList, body: found.body.map { Array($0.readableBytesView) } ?? []))
        case .done, .committed:
            // A committed key whose response never came (the server stopped after COMMIT)
            // is answered once it is stale; until then the first request may still be
            // writing its response.
            if found.state == .committed, !found.stale, !found.withheld { return .stillRunning }
            return .completedWithoutResponse(createdObject: found.createdObject, heldSecret: found.withheld)
        case .running:
            // Reserved by an instance from before keys were settled in the write's own
            // transaction; once stale, its request died and the key is free (see `Settle`).
            return found.stale ? nil : .stillRunning
        }
    }

    /// Keeps the response for replays, unless it carried a secret: then only the mark that
    /// the request completed remains. A request that wrote no audited change has no key yet
    /// and writes it here. False when another request holds the key: ask `earlier`.
    ///
    /// Its commit waits for the disk, and the responses kept at the same moment share it
    /// (`KeptTogether`): one statement, one commit and one flush for all of them.
    public func keep(_ request: IdempotentRequest, response: StoredResponse) async throws -> Bool {
        try await together.keep(Kept(request, response: response), in: database)
    }

    /// Deletes keys past their retention; returns how many.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        let seconds = Int(IdempotencyStore.retention.components.seconds)
        return try await database.transaction { connection in
            try await connection.query("""
                WITH gone AS (
                    DELETE FROM idempotency_keys WHERE created_at < now() - \(seconds) * interval '1 second' RETURNING 1
                ) SELECT count(*)::bigint FROM gone
                """, logger: database.logger).collect().first?.decode(Int.self) ?? 0
        }
    }
}

/// The creating request being served under an `Idempotency-Key`, for the length of its
/// handling. The write's own transaction writes the key (`IdempotencyStore.Settle`, run by
/// `Database.transaction` with the audit chain's append, just before COMMIT), so the object
/// and the key commit together or not at all, and no statement is spent on the key before.
public final class IdempotentRequest: Sendable {
    @TaskLocal public static var current: IdempotentRequest?

    public let scope: String
    public let key: String
    /// The method, target and body the key was sent with: the same key with another request
    /// is refused.
    public let requestHash: String
    /// Which request wrote the key; another request's write under the same key is refused.
    public let claim = UUID.random()
    private let secret = Atomic<Bool>(false)

    public init(scope: String, key: String, requestHash: String) {
        self.scope = scope
        self.key = key
        self.requestHash = requestHash
    }

    /// Said by a service whose response carries a secret shown once (a token, a feed URL):
    /// that response is never stored (SECURITY.md 18), and a replay says so instead.
    public static func responseCarriesSecret() { current?.secret.store(true, ordering: .relaxed) }

    public var mintsSecret: Bool { secret.load(ordering: .relaxed) }
}

// The statements of a keyed create, prepared so that none is parsed and planned again.
extension IdempotencyStore {
    /// What the key's row holds, read only when a keyed request did not get its write through.
    struct Lookup: PreparedRead {
        static let sql = """
            SELECT claim, request_hash, state, response_status, response_headers, response_body, withheld, created_object,
                   updated_at < now() - \(IdempotencyStore.abandonedAfterSeconds) * interval '1 second'
            FROM idempotency_keys WHERE scope = $1::text AND key = $2::text
            """
        let bindings: PostgresBindings
        init(_ request: IdempotentRequest) throws { bindings = try Prepared.binding(request.scope, request.key) }

        enum State: String, Sendable, PostgresDecodable {
            /// Reserved before the write (instances from before the key moved into the write's
            /// transaction).
            case running
            /// The write committed; its response is not kept yet.
            case committed
            case done
        }

        /// The key's row, decoded once.
        struct Found {
            var claim: UUID?
            var requestHash: String
            var state: State
            var status: Int?
            var headers: String?
            var body: ByteBuffer?
            var withheld: Bool
            var createdObject: String?
            /// Not touched for `abandonedAfterSeconds`.
            var stale: Bool

            init(_ row: PostgresRow) throws {
                (claim, requestHash, state, status, headers, body, withheld, createdObject, stale) = try row.decode(
                    (UUID?, String, State, Int?, String?, ByteBuffer?, Bool, String?, Bool).self)
            }
        }
    }

    /// Writes the key as committed with what the transaction created, in the write's own
    /// transaction, folded into the audit chain's append (`AuditLog.SettlingChainAppend`);
    /// a row back means this request holds the key. Another request's key refuses the write,
    /// which then rolls back: a retry while the first request is still writing waits here for
    /// its COMMIT (the key's unique index), then finds the key taken. A reservation left by an
    /// older instance is taken over once stale, as those instances did.
    enum Settle {
        static let sql = statement(parametersFrom: 1)

        /// The statement with its parameters numbered from `first`; with `onlyWhere`, the key
        /// is written only where that condition holds (`AuditLog.SingleStatement`).
        static func statement(parametersFrom first: Int, onlyWhere condition: String? = nil) -> String {
            let values = """
                $\(first)::text, $\(first + 1)::text, $\(first + 2)::text, 'committed', $\(first + 3)::uuid, \
                $\(first + 4)::text, $\(first + 5)::boolean
                """
            return """
            INSERT INTO idempotency_keys AS k (scope, key, request_hash, state, claim, created_object, withheld)
            \(condition.map { "SELECT \(values) WHERE \($0)" } ?? "VALUES (\(values))")
            ON CONFLICT (scope, key) DO UPDATE
            SET state = 'committed', claim = excluded.claim, request_hash = excluded.request_hash,
                created_object = coalesce(k.created_object, excluded.created_object), withheld = excluded.withheld,
                updated_at = now()
            WHERE k.claim = excluded.claim
               OR (k.state = 'running'
                   AND k.updated_at < now() - \(IdempotencyStore.abandonedAfterSeconds) * interval '1 second')
            RETURNING 1
            """
        }

        static func bindings(_ request: IdempotentRequest, createdObject: String) throws -> PostgresBindings {
            try Prepared.binding(inOrder: values(request, createdObject: createdObject))
        }

        /// Its values, in the order of its parameters; all NULL for a request sent without a key.
        static func values(_ request: IdempotentRequest?, createdObject: String) -> [(any PostgresEncodable & Sendable)?] {
            guard let request else { return Array(repeating: nil, count: 6) }
            return [request.scope, request.key, request.requestHash, request.claim, createdObject, request.mintsSecret]
        }
    }

    /// Keeps responses (or, for one that carried a secret, only that it completed), one row
    /// each, and writes a key the request's writes did not. A key's row comes back when its
    /// response was kept: the key is the request's own (its claim).
    ///
    /// Its commit waits for the disk, as every write's does, and it follows each request's
    /// write on the way to its response: a keyed write that committed without waiting
    /// (`AuditLog.SingleStatement`) is on disk once this is, before the response is sent.
    struct Keep: PreparedRead {
        static let sql = """
            INSERT INTO idempotency_keys AS k (scope, key, request_hash, state, claim, response_status, response_headers,
                                               response_body, withheld)
            SELECT r.scope, r.key, r.request_hash, 'done', r.claim, CASE WHEN r.withheld THEN NULL ELSE r.status END,
                   CASE WHEN r.withheld THEN NULL ELSE r.headers END, CASE WHEN r.withheld THEN NULL ELSE r.body END, r.withheld
            FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::integer[], $6::text[], $7::bytea[], $8::boolean[])
                 AS r(scope, key, request_hash, claim, status, headers, body, withheld)
            ORDER BY r.scope, r.key
            ON CONFLICT (scope, key) DO UPDATE
            SET state = 'done', response_status = excluded.response_status, response_headers = excluded.response_headers,
                response_body = excluded.response_body, withheld = excluded.withheld, updated_at = now()
            WHERE k.claim = excluded.claim
            RETURNING k.scope, k.key
            """
        let bindings: PostgresBindings
        /// `kept` holds at most one response per key: a statement may change a row once.
        init(_ kept: [Kept]) throws {
            bindings = try Prepared.binding(
                kept.map(\.slot.scope), kept.map(\.slot.key), kept.map(\.requestHash), kept.map(\.claim),
                kept.map { $0.status ?? 0 }, kept.map { $0.headers ?? "" }, kept.map { $0.body ?? ByteBuffer() },
                kept.map(\.withheld))
        }

        /// The keys whose responses were kept.
        static func kept(_ rows: [PostgresRow]) throws -> Set<Kept.Slot> {
            Set(try rows.map { row in
                let (scope, key) = try row.decode((String, String).self)
                return Kept.Slot(scope: scope, key: key)
            })
        }
    }
}
