import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The tamper-evident audit trail (SECURITY.md 9). `append` is the only way a row is written;
/// every service write calls it inside its own transaction.
public enum AuditLog {
    static let genesisHash = String(repeating: "0", count: 64)
    /// Serialises appenders so the chain order is the commit order.
    static let chainLockKey: Int64 = 0x6175_6469_74

    /// What changed, as flat key/value pairs. Never put sealed data or secrets in here.
    public typealias Diff = [String: String?]

    public struct Row: Sendable, Equatable {
        public var seq: Int64
        public var occurredAtMicros: Int64
        public var actor: String
        public var actorParticipantID: String
        public var action: String
        public var objectType: String
        public var objectID: String
        public var diff: String
        public var requestID: String
        public var prevHash: String
        public var hash: String

        /// The bytes the hash covers: every field but the hash, as a JSON array of strings,
        /// so no separator inside a value can make two rows encode alike.
        var canonical: Data {
            let fields = [
                String(seq), String(occurredAtMicros), actor, actorParticipantID, action, objectType, objectID, diff,
                requestID, prevHash,
            ]
            return Data(CanonicalJSON.array(fields).utf8)
        }

        var computedHash: String { Digest256.hex(canonical) }
    }

    static func canonicalDiff(_ diff: Diff) -> String { CanonicalJSON.object(diff) }

    /// Records one row for the chain inside the caller's transaction; it is written when the
    /// transaction is about to commit (see `appendMany`).
    public static func append(
        _ connection: PostgresConnection, logger: Logger, context: CallContext,
        action: String, objectType: String, objectID: String, diff: Diff = [:]
    ) async throws {
        try await appendMany(
            connection, logger: logger, context: context,
            entries: [Entry(action: action, objectType: objectType, objectID: objectID, diff: diff)])
    }

    public struct Verification: Sendable, Equatable {
        public var rowsChecked: Int
        public var headHash: String
        /// The first row whose link does not hold, and why.
        public var firstBroken: (seq: Int64, reason: String)?

        public var isIntact: Bool { firstBroken == nil }

        public static func == (lhs: Verification, rhs: Verification) -> Bool {
            lhs.rowsChecked == rhs.rowsChecked && lhs.headHash == rhs.headHash
                && lhs.firstBroken?.seq == rhs.firstBroken?.seq && lhs.firstBroken?.reason == rhs.firstBroken?.reason
        }
    }

    /// Walks the whole chain in order; reports the first edited, deleted or reordered row.
    public static func verify(_ database: Database) async throws -> Verification {
        try await database.read { connection in
            let rows = try await connection.query("""
                SELECT seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor,
                       coalesce(actor_participant_id::text, ''), action, object_type, object_id, diff,
                       request_id, prev_hash, hash
                FROM audit_log ORDER BY seq
                """, logger: database.logger)
            var expectedSeq: Int64 = 1
            var previousHash = genesisHash
            var checked = 0
            var firstBroken: (seq: Int64, reason: String)?
            // The whole sequence is read even after a break is found, as PostgresNIO expects.
            for try await values in rows.decode(
                (Int64, Int64, String, String, String, String, String, String, String, String, String).self)
            {
                guard firstBroken == nil else { continue }
                let row = Row(
                    seq: values.0, occurredAtMicros: values.1, actor: values.2, actorParticipantID: values.3,
                    action: values.4, objectType: values.5, objectID: values.6, diff: values.7, requestID: values.8,
                    prevHash: values.9, hash: values.10)
                checked += 1
                if row.seq != expectedSeq {
                    firstBroken = (row.seq, "expected row \(expectedSeq) next but found \(row.seq): rows were deleted or reordered")
                } else if row.prevHash != previousHash {
                    firstBroken = (row.seq, "its prev_hash does not match the previous row's hash")
                } else if row.computedHash != row.hash {
                    firstBroken = (row.seq, "its content does not match its hash: the row was edited")
                } else {
                    previousHash = row.hash
                    expectedSeq += 1
                }
            }
            return Verification(rowsChecked: checked, headHash: previousHash, firstBroken: firstBroken)
        }
    }
}

extension AuditLog {
    public struct Entry: Sendable {
        public var action: String
        public var objectType: String
        public var objectID: String
        public var diff: Diff

        public init(action: String, objectType: String, objectID: String, diff: Diff) {
            self.action = action
            self.objectType = objectType
            self.objectID = objectID
            self.diff = diff
        }
    }

    /// Records rows in order. Inside `Database.transaction` they are held until the body has
    /// finished and written just before COMMIT, so the chain's lock is always the last lock a
    /// writer takes (SECURITY.md 17): a transaction holding it never waits for a row lock, and
    /// no service can get the order wrong by appending before it locks another row.
    public static func appendMany(
        _ connection: PostgresConnection, logger: Logger, context: CallContext, entries: [Entry]
    ) async throws {
        guard !entries.isEmpty else { return }
        if let pending = Pending.current {
            pending.record(entries.map { (context, $0) })
            return
        }
        try await write(connection, logger: logger, entries.map { (context, $0) })
    }

    /// What a transaction leaves to its last statement: the audit rows it has recorded, in
    /// order, and at most one notification for one recipient (`notify`).
    final class Pending: Sendable {
        @TaskLocal static var current: Pending?
        private let entries = Mutex<[(CallContext, Entry)]>([])
        private let notification = Mutex<DeferredNotification?>(nil)

        func record(_ more: [(CallContext, Entry)]) { entries.withLock { $0.append(contentsOf: more) } }
        func take() -> [(CallContext, Entry)] { entries.withLock { entries in defer { entries = [] }; return entries } }

        /// False when one is deferred already: the caller writes this one itself.
        func `defer`(_ deferred: DeferredNotification) -> Bool {
            notification.withLock { notification in
                guard notification == nil else { return false }
                notification = deferred
                return true
            }
        }
        func takeNotification() -> DeferredNotification? { notification.withLock { notification in defer { notification = nil }; return notification } }
    }

    /// One statement: the deferred notification (if any), then the chain's lock (held to
    /// commit, so chain order is commit order), its head, and the rows linked, hashed and
    /// inserted (sql/0022). With `settling`, the request's idempotency key is settled with the
    /// object created (`IdempotencyStore.Settle`) in the same statement, before the lock is
    /// taken; a key another request holds refuses the write, which then rolls back. Without
    /// rows there is no chain to append to, and the notification is written alone.
    static func write(
        _ connection: PostgresConnection, logger: Logger, _ entries: [(CallContext, Entry)],
        notification: DeferredNotification? = nil, settling: (request: IdempotentRequest, createdObject: String)? = nil
    ) async throws {
        guard !entries.isEmpty else {
            if let notification { try await connection.run(try Prepared.NewNotification(notification), logger: logger) }
            return
        }
        let rows = Rows(entries)
        if let settling {
            let settled = try await connection.rows(
                try SettlingChainAppend(settling.request, createdObject: settling.createdObject, notification, rows), logger: logger)
            guard try settled.first?.decode(Bool.self) == true else { throw DomainError.idempotencyInProgress }
        } else {
            _ = try await connection.rows(try ChainAppend(notification, rows), logger: logger)
        }
    }

    /// A transaction's rows as the append takes them: one array per field, in order. The
    /// database gives them their sequence numbers, time and links.
    struct Rows {
        var actors: [String] = [], participants: [String] = [], actions: [String] = [], types: [String] = []
        var ids: [String] = [], diffs: [String] = [], requests: [String] = []

        init(_ entries: [(CallContext, Entry)]) {
            for (context, entry) in entries {
                actors.append(context.actor.auditLabel)
                participants.append(context.actor.participantID?.lowercasedString ?? "")
                actions.append(entry.action)
                types.append(entry.objectType)
                ids.append(entry.objectID)
                diffs.append(canonicalDiff(entry.diff))
                requests.append(context.requestID)
            }
        }

        /// `audit_chain_append` with the rows as parameters `$first` to `$(first + 6)`.
        static func call(lockKey: String, parametersFrom first: Int) -> String {
            let arrays = (first..<first + 7).map { "$\($0)::text[]" }.joined(separator: ", ")
            return "audit_chain_append(\(lockKey), '\(genesisHash)', \(arrays))"
        }

        var values: [(any PostgresEncodable & Sendable)?] { [actors, participants, actions, types, ids, diffs, requests] }
    }

    // Prepared, so that nothing is parsed or planned while the chain's lock is held, which
    // every writer waits for in turn. The chain's lock key is computed from what the
    // statement's writes before it returned, so PostgreSQL finishes them (and their row
    // locks) before it takes the chain's lock, which stays the last lock a writer takes
    // (SECURITY.md 17).

    /// Writes the deferred notification ($1 to $4, `Prepared.NewNotification`), then appends
    /// the rows ($5 to $11).
    struct ChainAppend: PreparedRead {
        static let sql = """
            WITH notified AS (\(Prepared.NewNotification.statement(parametersFrom: 1)) RETURNING 1)
            SELECT \(Rows.call(lockKey: "CASE WHEN (SELECT count(*) FROM notified) >= 0 THEN \(chainLockKey)::bigint END", parametersFrom: 5))
            """
        let bindings: PostgresBindings
        init(_ notification: DeferredNotification?, _ rows: Rows) throws {
            bindings = try Prepared.binding(inOrder: Prepared.NewNotification.values(notification) + rows.values)
        }
    }

    /// Settles a request's idempotency key (`IdempotencyStore.Settle`, $1 to $6), writes the
    /// deferred notification ($7 to $10), then appends the rows ($11 to $17) and says whether
    /// the key was settled. A key not settled takes no lock and appends nothing.
    struct SettlingChainAppend: PreparedRead {
        static let sql = """
            WITH settled AS (\(IdempotencyStore.Settle.sql)),
                 notified AS (\(Prepared.NewNotification.statement(parametersFrom: 7)) RETURNING 1),
                 counted AS (SELECT count(*) > 0 AS settled, (SELECT count(*) FROM notified) AS notified FROM settled)
            SELECT counted.settled, \(Rows.call(
                lockKey: "CASE WHEN counted.settled AND counted.notified >= 0 THEN \(chainLockKey)::bigint END", parametersFrom: 11))
            FROM counted
            """
        let bindings: PostgresBindings
        init(_ request: IdempotentRequest, createdObject: String, _ notification: DeferredNotification?, _ rows: Rows) throws {
            var bindings = try IdempotencyStore.Settle.bindings(request, createdObject: createdObject)
            for value in Prepared.NewNotification.values(notification) + rows.values {
                if let value { try bindings.append(value) } else { bindings.appendNull() }
            }
            self.bindings = bindings
        }
    }
}

extension AuditLog {
    /// A write that is one statement, which PostgreSQL commits on its own (`Database.write`):
    /// no BEGIN, no COMMIT, and the chain's lock is held from the append to the commit inside
    /// PostgreSQL, never across a round trip to the server. The service gives its change in
    /// two parts, and the statement puts the key, the notification and the chain between and
    /// after them:
    ///
    /// - `gating`: CTEs that only read, ending in `gate(go)`, true when the change may be
    ///   written. They lock (`FOR KEY SHARE`) every row the writes' foreign keys will check,
    ///   since PostgreSQL checks those at the statement's end, after the chain's lock: taken
    ///   here, before it, the chain's lock stays the last lock a writer waits for (SECURITY.md 17).
    /// - the request's idempotency key, settled where `go` (`IdempotencyStore.Settle`), then
    ///   `proceed(go)`: the gate's answer, and for a keyed request whether the key was settled.
    /// - `writes`: CTEs that write only from `proceed WHERE go`, ending in `written(done)`,
    ///   which must read every one of them, so all are written before the chain's lock.
    /// - the deferred notification, where `done`; the audit rows, appended where `done`.
    ///
    /// A write decided on a remembered caller (`RememberedCaller`) confirms its credential
    /// here: `proceed` holds only where the token is live and names the viewer the decision was
    /// taken on, and the row ends with the credential's columns, for the service to confirm
    /// (`Dialogue.confirm`) before it explains anything else.
    ///
    /// A keyed write (`IdempotentRequest.current`) commits without waiting for the disk
    /// (`synchronous_commit` off for its own transaction), so the chain's lock is not held
    /// through the flush either: it is answered only after the middleware has kept its
    /// response, a durable commit after it, and PostgreSQL flushes its WAL in order. Writes
    /// without a key commit durably, as every transaction does.
    ///
    /// The row selected: `selecting`, then `proceed.go`, then the chain's head, then the
    /// credential's columns (`Prepared.Credential.outerColumns`; null for a caller checked
    /// already). The service's parameters come first; the statement's own (the key's six, the
    /// notification's four, the rows' seven, the remembered caller's six) follow from `first`.
    enum SingleStatement {
        static func sql(gating: String, writes: String, selecting: String, from: String, parametersFrom first: Int) -> String {
            """
            WITH \(gating),
                 \(Prepared.Credential.table(hash: "$\(first + 17)")),
                 holds AS (SELECT \(RememberedCaller.holds(parametersFrom: first + 17)) AS go),
                 settled AS (\(IdempotencyStore.Settle.statement(
                     parametersFrom: first,
                     onlyWhere: "$\(first)::text IS NOT NULL AND (SELECT go FROM gate) AND (SELECT go FROM holds)"))),
                 proceed AS (SELECT (SELECT go FROM gate) AND (SELECT go FROM holds)
                                    AND ($\(first)::text IS NULL OR EXISTS (SELECT 1 FROM settled)) AS go,
                                    set_config('synchronous_commit', CASE WHEN $\(first)::text IS NOT NULL THEN 'off'
                                               ELSE current_setting('synchronous_commit') END, true) AS durability),
                 \(writes),
                 notified AS (\(Prepared.NewNotification.statement(
                     parametersFrom: first + 6, onlyWhere: "(SELECT done FROM written)")) RETURNING 1)
            SELECT \(selecting), proceed.go, \(Rows.call(
                lockKey: "CASE WHEN written.done AND (SELECT count(*) FROM notified) >= 0 THEN \(chainLockKey)::bigint END",
                parametersFrom: first + 10)), \(Prepared.Credential.outerColumns)
            FROM proceed, written\(from) LEFT JOIN c ON true
            """
        }

        /// Where the credential's columns start, after `proceed.go` at `writtenOffset`.
        static func callerOffset(after writtenOffset: Int) -> Int { writtenOffset + 2 }

        /// The values of the statement's own parameters: the key of the request being served
        /// (all NULL without one), the notification, the rows, the remembered caller (all NULL
        /// for a caller checked already).
        static func values(
            _ entries: [(CallContext, Entry)], notification: DeferredNotification?, createdObject: String
        ) -> [(any PostgresEncodable & Sendable)?] {
            IdempotencyStore.Settle.values(IdempotentRequest.current, createdObject: createdObject)
                + Prepared.NewNotification.values(notification) + Rows(entries).values
                + RememberedCaller.values(entries.first?.0)
        }

        /// Whether the change was written, from the row's column at `offset` (`proceed.go`).
        /// The gate's refusal is the service's to explain first; a gate passed but a key not
        /// settled means another request holds the key.
        static func requireWritten(_ row: PostgresRandomAccessRow, at offset: Int) throws {
            guard try row[offset].decode(Bool.self) else { throw DomainError.idempotencyInProgress }
        }
    }
}

/// One audit row as an admin reads it.
public struct AuditEntryView: Sendable, Equatable {
    public var seq: Int64
    public var occurredAt: Date
    public var actor: String
    public var actorParticipantID: UUID?
    public var action: String
    public var objectType: String
    public var objectID: String
    public var diff: String
    public var requestID: String
    public var hash: String
}

public struct AuditFilter: Sendable {
    public var actorID: UUID?
    public var objectType: String?
    public var objectID: String?
    public var from: Date?
    public var to: Date?
    /// The console reads the latest first; the API and the CLI walk the trail in order.
    public var newestFirst: Bool

    public init(
        actorID: UUID? = nil, objectType: String? = nil, objectID: String? = nil, from: Date? = nil, to: Date? = nil, newestFirst: Bool = false
    ) {
        self.newestFirst = newestFirst
        self.actorID = actorID
        self.objectType = objectType
        self.objectID = objectID
        self.from = from
        self.to = to
    }
}

extension Dialogue {
    /// Whether the chain holds, row by row, for an admin (the console's audit page).
    public func verifyAuditTrail(_ context: CallContext) async throws -> AuditLog.Verification {
        guard context.actor.role == .admin else { throw DomainError.forbidden("only an admin may verify the audit trail") }
        return try await AuditLog.verify(database)
    }

    /// The trail, oldest first unless asked otherwise, for admins.
    public func listAudit(_ context: CallContext, page: PageRequest, filter: AuditFilter) async throws -> Page<AuditEntryView> {
        guard context.actor.role == .admin else { throw DomainError.forbidden("only an admin may read the audit trail") }
        var validator = Validator()
        let objectType = validator.text(filter.objectType, "object_type", required: false, max: 64)
        let objectID = validator.text(filter.objectID, "object_id", required: false, max: 64)
        try validator.check()
        let scope = "audit|\(filter.actorID?.uuidString ?? "")|\(objectType ?? "")|\(objectID ?? "")|"
            + "\(filter.from.map { Rows.micros($0) } ?? 0)|\(filter.to.map { Rows.micros($0) } ?? 0)|\(filter.newestFirst)"
        // The keyset of the trail is its sequence number.
        let afterSeq = try page.cursor.map { try cursors.decode($0, scope: scope).createdAtMicros }
        return try await database.read { connection in
            let rows = try await connection.query("""
                SELECT seq, occurred_at, actor, actor_participant_id, action, object_type, object_id, diff, request_id, hash
                FROM audit_log
                WHERE (\(filter.actorID)::uuid IS NULL OR actor_participant_id = \(filter.actorID))
                  AND (\(objectType)::text IS NULL OR object_type = \(objectType))
                  AND (\(objectID)::text IS NULL OR object_id = \(objectID))
                  AND (\(filter.from)::timestamptz IS NULL OR occurred_at >= \(filter.from))
                  AND (\(filter.to)::timestamptz IS NULL OR occurred_at < \(filter.to))
                  AND (\(afterSeq)::bigint IS NULL OR (\(filter.newestFirst) AND seq < \(afterSeq)) OR (NOT \(filter.newestFirst) AND seq > \(afterSeq)))
                ORDER BY seq \(unescaped: filter.newestFirst ? "DESC" : "ASC") LIMIT \(page.limit + 1)
                """, logger: logger).collect()
            let items = try rows.map { row in
                let (seq, at, actor, actorID, action, type, id, diff, requestID, hash) =
                    try row.decode((Int64, Date, String, UUID?, String, String, String, String, String, String).self)
                return AuditEntryView(
                    seq: seq, occurredAt: at, actor: actor, actorParticipantID: actorID, action: action, objectType: type,
                    objectID: id, diff: diff, requestID: requestID, hash: hash)
            }
            return pageOf(items, limit: page.limit, scope: scope) {
                KeysetPosition(createdAtMicros: $0.seq, id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
            }
        }
    }
}
