import Foundation
import Logging
import PostgresNIO

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
    }

    let database: Database

    public init(database: Database) { self.database = database }

    /// A new key is reserved by one statement that commits on its own: every creating request
    /// pays for it, so it makes no BEGIN and COMMIT round trips. Only a key seen before is
    /// examined in a transaction.
    public func begin(scope: String, key: String, requestHash: String) async throws -> Begin {
        let inserted = try await database.autocommit { connection in
            try await connection.query("""
                INSERT INTO idempotency_keys (scope, key, request_hash, state)
                VALUES (\(scope), \(key), \(requestHash), 'running')
                ON CONFLICT (scope, key) DO NOTHING
                RETURNING 1
                """, logger: database.logger).collect().count
        }
        if inserted > 0 { return .proceed }
        return try await database.transaction { connection in
            let rows = try await connection.query("""
                SELECT request_hash, state, response_status, response_headers, response_body,
                       updated_at < now() - \(IdempotencyStore.abandonedAfterSeconds) * interval '1 second'
                FROM idempotency_keys WHERE scope = \(scope) AND key = \(key) FOR UPDATE
                """, logger: database.logger).collect()
            guard let row = rows.first else { return .stillRunning }
            let (hash, state, status, headers, body, abandoned) =
                try row.decode((String, String, Int?, String?, ByteBuffer?, Bool).self)
            guard hash == requestHash else { return .keyReusedWithAnotherRequest }
            if state == "done", let status {
                let headerList = headers.flatMap { try? JSONDecoder().decode([[String]].self, from: Data($0.utf8)) } ?? []
                return .replay(StoredResponse(status: status, headers: headerList, body: body.map { Array($0.readableBytesView) } ?? []))
            }
            if abandoned {
                try await connection.query(
                    "UPDATE idempotency_keys SET updated_at = now() WHERE scope = \(scope) AND key = \(key)",
                    logger: database.logger)
                return .proceed
            }
            return .stillRunning
        }
    }

    public func complete(scope: String, key: String, response: StoredResponse) async throws {
        let headers = String(decoding: try JSONEncoder().encode(response.headers), as: UTF8.self)
        let body = ByteBuffer(bytes: response.body)
        try await database.autocommit { connection in
            try await connection.query("""
                UPDATE idempotency_keys
                SET state = 'done', response_status = \(response.status), response_headers = \(headers),
                    response_body = \(body), updated_at = now()
                WHERE scope = \(scope) AND key = \(key)
                """, logger: database.logger)
        }
    }

    /// The request failed without creating anything: free the key for a retry.
    public func abandon(scope: String, key: String) async throws {
        try await database.autocommit { connection in
            try await connection.query(
                "DELETE FROM idempotency_keys WHERE scope = \(scope) AND key = \(key) AND state = 'running'",
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
