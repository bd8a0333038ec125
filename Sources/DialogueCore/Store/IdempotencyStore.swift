import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Remembers the response to each creating request sent with an `Idempotency-Key`, per caller,
/// so a retry gets the first answer instead of a second object (API.md, SECURITY.md 12).
public struct IdempotencyStore: Sendable {
    /// A key is kept at least this long (API.md: at least 24 hours).
    public static let retention: Duration = .seconds(25 * 3600)
    /// A "running" reservation older than this belongs to a request that died; it may be retaken.
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

    public enum Begin: Sendable, Equatable {
        case proceed
        case replay(StoredResponse)
        case keyReusedWithAnotherRequest
        case stillRunning
        /// The first request committed its change, but its response is not kept: it carried
        /// a secret (shown once), or the server stopped between COMMIT and storing it. The
        /// change is not made twice; the caller learns what was created.
        case completedWithoutResponse(createdObject: String?, heldSecret: Bool)
    }

    let database: Database

    public init(database: Database) { self.database = database }

    /// A new key is reserved by one statement that commits on its own: every creating request
    /// pays for it, so it makes no BEGIN and COMMIT round trips. Only a key seen before is
    /// examined in a transaction. `request.claim` marks the reservation as this request's.
    public func begin(_ request: IdempotentRequest, requestHash: String) async throws -> Begin {
        let (scope, key, claim) = (request.scope, request.key, request.claim)
        let inserted = try await database.autocommit { connection in
            try await connection.rows(Reserve(request, requestHash: requestHash), logger: database.logger).count
        }
        if inserted > 0 { return .proceed }
        return try await database.transaction { connection in
            let rows = try await connection.query("""
                SELECT request_hash, state, response_status, response_headers, response_body, withheld, created_object,
                       updated_at < now() - \(IdempotencyStore.abandonedAfterSeconds) * interval '1 second'
                FROM idempotency_keys WHERE scope = \(scope) AND key = \(key) FOR UPDATE
                """, logger: database.logger).collect()
            guard let row = rows.first else { return .stillRunning }
            let (hash, state, status, headers, body, withheld, createdObject, stale) =
                try row.decode((String, String, Int?, String?, ByteBuffer?, Bool, String?, Bool).self)
            guard hash == requestHash else { return .keyReusedWithAnotherRequest }
            switch state {
            case "done" where !withheld:
                guard let status else { return .completedWithoutResponse(createdObject: createdObject, heldSecret: false) }
                let headerList = headers.flatMap { try? JSONDecoder().decode([[String]].self, from: Data($0.utf8)) } ?? []
                return .replay(StoredResponse(status: status, headers: headerList, body: body.map { Array($0.readableBytesView) } ?? []))
            case "done", "committed":
                // A committed key whose response never came (the server stopped after COMMIT)
                // is answered once it is stale; until then the first request may still be
                // writing its response.
                if state == "committed", !stale, !withheld { return .stillRunning }
                return .completedWithoutResponse(createdObject: createdObject, heldSecret: withheld)
            default:
                guard stale else { return .stillRunning }
                try await connection.query(
                    "UPDATE idempotency_keys SET claim = \(claim), updated_at = now() WHERE scope = \(scope) AND key = \(key)",
                    logger: database.logger)
                return .proceed
            }
        }
    }

    /// Keeps the response for replays, unless it carried a secret: then only the mark that
    /// the request completed remains.
    public func complete(_ request: IdempotentRequest, response: StoredResponse) async throws {
        let withheld = request.mintsSecret
        let headers = withheld ? nil : String(decoding: try CanonicalJSON.encode(response.headers), as: UTF8.self)
        let body = withheld ? nil : ByteBuffer(bytes: response.body)
        let status = withheld ? nil : response.status
        try await database.autocommit { connection in
            _ = try await connection.rows(
                Keep(request, status: status, headers: headers, body: body, withheld: withheld), logger: database.logger)
        }
    }

    /// The request failed without committing anything: free the key for a retry.
    public func abandon(_ request: IdempotentRequest) async throws {
        let (scope, key, claim) = (request.scope, request.key, request.claim)
        try await database.autocommit { connection in
            try await connection.query(
                "DELETE FROM idempotency_keys WHERE scope = \(scope) AND key = \(key) AND claim = \(claim) AND state = 'running'",
                logger: database.logger)
        }
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
/// handling. The write's own transaction settles the key (`IdempotencyStore.Settle`, run by
/// `Database.transaction` with the audit chain's head read, just before COMMIT), so the
/// object and the key's "committed" mark commit together or not at all.
public final class IdempotentRequest: Sendable {
    @TaskLocal public static var current: IdempotentRequest?

    public let scope: String
    public let key: String
    /// Which request holds the reservation; a takeover of an abandoned key changes it.
    public let claim = UUID.random()
    private let secret = Atomic<Bool>(false)

    public init(scope: String, key: String) {
        self.scope = scope
        self.key = key
    }

    /// Said by a service whose response carries a secret shown once (a token, a feed URL):
    /// that response is never stored (SECURITY.md 18), and a replay says so instead.
    public static func responseCarriesSecret() { current?.secret.store(true, ordering: .relaxed) }

    public var mintsSecret: Bool { secret.load(ordering: .relaxed) }
}

// The statements every keyed create runs, prepared so that none is parsed and planned again.
extension IdempotencyStore {
    /// Reserves a new key for `claim`; a row back means the key was free.
    struct Reserve: PreparedRead {
        static let sql = """
            INSERT INTO idempotency_keys (scope, key, request_hash, state, claim)
            VALUES ($1::text, $2::text, $3::text, 'running', $4::uuid)
            ON CONFLICT (scope, key) DO NOTHING
            RETURNING 1
            """
        let bindings: PostgresBindings
        init(_ request: IdempotentRequest, requestHash: String) throws {
            bindings = try Prepared.binding(request.scope, request.key, requestHash, request.claim)
        }
    }

    /// Marks the key committed with what the transaction created, if this request still holds
    /// it (a key taken over as abandoned is not), returning a row if so. It runs in the write's
    /// own transaction, folded into the audit chain's head read (`AuditLog.SettlingChainHead`),
    /// so that the object and the key's "committed" mark commit together or not at all.
    enum Settle {
        static let sql = """
            UPDATE idempotency_keys
            SET state = 'committed', created_object = coalesce(created_object, $4::text), withheld = $5::boolean,
                updated_at = now()
            WHERE scope = $1::text AND key = $2::text AND claim = $3::uuid AND state IN ('running', 'committed')
            RETURNING 1
            """

        static func bindings(_ request: IdempotentRequest, createdObject: String) throws -> PostgresBindings {
            try Prepared.binding(request.scope, request.key, request.claim, createdObject, request.mintsSecret)
        }
    }

    /// Keeps the response (or, for one that carried a secret, only that it completed).
    struct Keep: PreparedRead {
        static let sql = """
            UPDATE idempotency_keys
            SET state = 'done', response_status = $4::bigint, response_headers = $5::text, response_body = $6::bytea,
                withheld = $7::boolean, updated_at = now()
            WHERE scope = $1::text AND key = $2::text AND claim = $3::uuid
            """
        let bindings: PostgresBindings
        init(_ request: IdempotentRequest, status: Int?, headers: String?, body: ByteBuffer?, withheld: Bool) throws {
            bindings = try Prepared.binding(request.scope, request.key, request.claim, status, headers, body, withheld)
        }
    }
}
