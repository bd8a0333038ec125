import Foundation
import PostgresNIO

extension Dialogue {
    public static let defaultTokenLifetimeDays = 90
    static let tokenColumns = "id, participant_id, role, label, expires_at, revoked_at, last_used_at, created_at"

    private func decodeToken(_ row: PostgresRow) throws -> TokenInfo {
        let (id, participantID, role, label, expiresAt, revokedAt, lastUsedAt, createdAt) =
            try row.decode((UUID, UUID, String, String, Date, Date?, Date?, Date).self)
        return TokenInfo(
            id: id, participantID: participantID, role: Role(rawValue: role) ?? .observer, label: label,
            expiresAt: expiresAt, revokedAt: revokedAt, lastUsedAt: lastUsedAt, createdAt: createdAt)
    }

    /// The participant whose tokens are at stake, as the caller may see it: one it may not see
    /// is a 404 like an unknown one; one it sees but may not manage is then a 403.
    func visibleParticipant(_ connection: PostgresConnection, _ context: CallContext, id: UUID, lock: Bool) async throws -> Participant {
        let participant = try await lockedParticipant(connection, id: id, lock: lock)
        guard context.actor.participantID != id else { return participant }
        let viewer = try await viewer(context, connection)
        try AccessPolicy.require(
            viewer, .read, .participant(id: id, kind: participant.kind, sharesGroup: try await sharesGroup(connection, viewer, id)),
            notFound: "participant not found")
        return participant
    }

    /// Mints a token. Its secret is returned here once and stored only as a SHA-256 hash.
    public func issueToken(
        _ context: CallContext, participantID: UUID, role rawRole: String?, label: String?, expiresInDays: Int?
    ) async throws -> IssuedToken {
        var validator = Validator()
        let roleChoice = validator.choice(rawRole, "role", as: Role.self)
        let label = validator.text(label, "label", required: false, max: 100, min: 0) ?? ""
        let days = expiresInDays ?? Dialogue.defaultTokenLifetimeDays
        if !(1...3650).contains(days) { validator.fail("expires_in_days", "must be between 1 and 3650") }
        try validator.check()
        let role = try Validator.required(roleChoice, "role")
        let (secret, hash) = TokenSecret.generate()
        IdempotentRequest.responseCarriesSecret()
        return try await database.transaction { connection in
            let participant = try await visibleParticipant(connection, context, id: participantID, lock: true)
            try AccessPolicy.checkTokenMinting(actor: context.actor, for: participantID, role: role)
            guard participant.status == .active else {
                throw DomainError.conflict("participant is \(participant.status.rawValue); tokens can only be issued to active participants")
            }
            let rows = try await connection.rows(
                try Prepared.NewToken(participantID, hash, role.rawValue, label, days, context.actor.tokenID), logger: logger)
            let info = try decodeToken(rows.single(or: .notFound("participant not found")))
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "token.issue", objectType: "token",
                objectID: info.id.lowercasedString,
                diff: ["participant_id": participantID.lowercasedString, "role": info.role.rawValue,
                       "expires_in_days": String(days)])
            return IssuedToken(secret: secret, info: info)
        }
    }

    public func listTokens(_ context: CallContext, participantID: UUID?, page: PageRequest) async throws -> Page<TokenInfo> {
        if let participantID {
            _ = try await database.read { connection in
                try await visibleParticipant(connection, context, id: participantID, lock: false)
            }
            try AccessPolicy.checkTokenManagement(actor: context.actor, of: participantID)
        } else if context.actor.role != .admin {
            throw DomainError.forbidden("only an admin may list every token")
        }
        let scope = "tokens|\(participantID?.lowercasedString ?? "")"
        let after = try page.cursor.map { try cursors.decode($0, scope: scope) }
        return try await database.read { connection in
            let afterMicros = after?.createdAtMicros, afterID = after?.id
            let rows = try await connection.query("""
                SELECT \(unescaped: Dialogue.tokenColumns) FROM tokens
                WHERE (\(participantID)::uuid IS NULL OR participant_id = \(participantID))
                  AND (\(afterMicros)::bigint IS NULL
                       OR (created_at, id) > ('epoch'::timestamptz + \(afterMicros) * interval '1 microsecond', \(afterID)))
                ORDER BY created_at, id
                LIMIT \(page.limit + 1)
                """, logger: logger).collect()
            return pageOf(try rows.map(decodeToken), limit: page.limit, scope: scope) {
                KeysetPosition(createdAt: $0.createdAt, id: $0.id)
            }
        }
    }

    /// Revokes one token. `participantID` (when given, as in the API path) must own it.
    public func revokeToken(_ context: CallContext, tokenID: UUID, participantID: UUID? = nil) async throws -> TokenInfo {
        try await database.transaction { connection in
            if let participantID {
                // A participant the caller sees but whose tokens it may not manage is a 403.
                _ = try await visibleParticipant(connection, context, id: participantID, lock: false)
                try AccessPolicy.checkTokenManagement(actor: context.actor, of: participantID)
            }
            let owner = try await connection.query(
                "SELECT participant_id FROM tokens WHERE id = \(tokenID) FOR UPDATE", logger: logger
            ).collect().first?.decode(UUID.self)
            guard let owner, participantID == nil || participantID == owner else {
                throw DomainError.notFound("token not found")
            }
            try AccessPolicy.checkTokenManagement(actor: context.actor, of: owner)
            let rows = try await connection.query("""
                UPDATE tokens SET revoked_at = coalesce(revoked_at, now()), updated_at = now()
                WHERE id = \(tokenID) RETURNING \(unescaped: Dialogue.tokenColumns)
                """, logger: logger).collect()
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "token.revoke", objectType: "token",
                objectID: tokenID.lowercasedString, diff: ["participant_id": owner.lowercasedString])
            return try decodeToken(rows.single(or: .notFound("token not found")))
        }
    }

    /// Resolves a bearer secret to its caller (the actor, with its side and memberships read in
    /// the same statement), or says why not. The message is the same for every failure so that
    /// a probe learns nothing about which tokens exist. No check is cached: a revoked token fails
    /// on its next request on every instance.
    public func authenticate(bearer secret: String) async throws -> Viewer {
        guard let credential = BearerCredential(secret: secret) else { throw BearerCredential.refusal }
        return try await authenticate(credential)
    }

    /// The caller behind a credential, checked with a statement of its own.
    public func authenticate(_ credential: BearerCredential) async throws -> Viewer {
        try await database.read { connection in
            let row = try await connection.rows(Prepared.Credential(hash: credential.hash), logger: logger).first
            return try await viewer(credential, row: try row.map { try CredentialRow($0.makeRandomAccess(), from: 0) }, connection)
        }
    }

    /// Checks a credential without reading its caller's facts, and tells what the check saw
    /// of the database: the token's id and the state (`CommittedState`). A read made under an
    /// equal state, with the same token and arguments, answers as the one before; the API
    /// reuses that answer (`ReadMemo`). No state when the check itself wrote (the token's
    /// `last_used_at`, once a minute): the state it saw is gone. The refusal is the same as
    /// `authenticate`'s.
    public func checkWithState(_ credential: BearerCredential) async throws -> (tokenID: UUID, state: CommittedState?) {
        try await database.read { connection in
            guard let row = try await connection.rows(Prepared.LiveTokenAndState(hash: credential.hash), logger: logger).first?
                .makeRandomAccess()
            else {
                credentialMemory.forget(credential.hash)
                throw BearerCredential.refusal
            }
            let (tokenID, storedHash, stale) = (try row[0].decode(UUID.self), try row[1].decode(String.self), try row[2].decode(Bool.self))
            guard TokenSecret.constantTimeEquals(storedHash, credential.hash) else {
                credentialMemory.forget(credential.hash)
                throw BearerCredential.refusal
            }
            if stale {
                try await touch(tokenID, connection)
                return (tokenID, nil)
            }
            return (tokenID, try CommittedState(row, from: Prepared.LiveTokenAndState.stateOffset))
        }
    }

    /// A single-object read for a caller: an authenticated caller's as `authenticated` reads
    /// it; a bearer's in `statement`, which checks the credential beside the object (one round
    /// trip); a remembered caller's the same way, since a read is not decided on what a check
    /// read before: it checks the credential now.
    func read<Statement: PreparedRead, Result: Sendable>(
        as caller: Caller, authenticated: (CallContext) async throws -> Result,
        checkingIn statement: (BearerCredential) throws -> Statement,
        _ body: @escaping @Sendable (Viewer, [PostgresRandomAccessRow], PostgresConnection) async throws -> Result
    ) async throws -> Result {
        switch caller {
        case .authenticated(let context):
            return try await authenticated(context)
        case .bearer(let credential):
            return try await read(checking: credential, try statement(credential), body)
        case .remembered(let remembered):
            return try await read(checking: remembered.credential, try statement(remembered.credential), body)
        }
    }

    /// Runs a statement whose first columns check `credential` (`CredentialRow`), then `body`
    /// with the viewer they name and the rows: the read's authentication, access facts and
    /// payload in one round trip. A token that is not live gives no row: the refusal (401),
    /// before anything about what was asked is told.
    func read<Statement: PreparedRead, Result: Sendable>(
        checking credential: BearerCredential, _ statement: Statement,
        _ body: @escaping @Sendable (Viewer, [PostgresRandomAccessRow], PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await database.read { connection in
            let rows = try await connection.rows(statement, logger: logger).map { $0.makeRandomAccess() }
            let viewer = try await viewer(credential, row: try rows.first.map { try CredentialRow($0, from: 0) }, connection)
            return try await body(viewer, rows, connection)
        }
    }

    /// Notes that a token was used. Coarse on purpose (`Prepared.Credential.stale`): one write a
    /// minute per token keeps reads cheap.
    func touch(_ tokenID: UUID, _ connection: PostgresConnection) async throws {
        try await connection.query("UPDATE tokens SET last_used_at = now() WHERE id = \(tokenID)", logger: logger)
    }

    /// The viewer a credential's row names, or the refusal: no row (no live token), a stored
    /// hash that differs, an unknown role. Every check of a bearer decides here, and leaves
    /// what it read for a write to decide on (`CredentialMemory`), or forgets it.
    func checked(_ credential: BearerCredential, row: CredentialRow?) throws -> Viewer {
        guard let row, TokenSecret.constantTimeEquals(row.storedHash, credential.hash), let viewer = Self.viewer(of: row) else {
            credentialMemory.forget(credential.hash)
            throw BearerCredential.refusal
        }
        credentialMemory.remember(credential.hash, row)
        return viewer
    }

    /// The same, noting the token's use when due, for a check with a statement of its own.
    func viewer(_ credential: BearerCredential, row: CredentialRow?, _ connection: PostgresConnection) async throws -> Viewer {
        let viewer = try checked(credential, row: row)
        if let row, row.stale { try await touch(row.tokenID, connection) }
        return viewer
    }
}

/// A bearer secret that has the form of a token, hashed and not yet checked. A read may check
/// it in its own statement (`Prepared.SessionAgendaForBearer`), so that authentication, access
/// facts and payload come back in one round trip; a write, in its own statement too, on what
/// the last check read (`RememberedCaller`). No request goes unchecked either way (`ReadMemo`
/// keeps answers and checks the credential before reusing one; a remembered caller's write
/// checks it in its statement): a revoked token fails on its very next request on every
/// instance.
public struct BearerCredential: Sendable {
    let hash: String

    /// Nil for a secret that cannot be a token: it is refused without a query.
    public init?(secret: String) {
        guard TokenSecret.looksValid(secret) else { return nil }
        hash = TokenSecret.hash(secret)
    }

    /// The one answer to every failed check, so that a probe learns nothing about which
    /// tokens exist.
    public static let refusal = DomainError.unauthenticated("the token is missing, malformed, expired or revoked")
}

/// Who makes a call: a caller whose credential is checked already, a bearer credential that
/// the call's own read checks first, or a write's caller as last checked, which the write's
/// own statement confirms (`RememberedCaller`).
public enum Caller: Sendable {
    case authenticated(CallContext)
    case bearer(BearerCredential)
    case remembered(RememberedCaller)
}

/// What `Prepared.Credential.columns` reads: the token, its participant, the stored hash,
/// whether `last_used_at` is due for a write, and the participant's viewer facts.
struct CredentialRow: Sendable {
    static let columnCount = 8
    var tokenID: UUID
    var participantID: UUID
    var role: String
    var storedHash: String
    var stale: Bool
    var facts: ViewerFacts
}

extension CredentialRow {
    init(_ cells: PostgresRandomAccessRow, from first: Int) throws {
        tokenID = try cells[first].decode(UUID.self)
        participantID = try cells[first + 1].decode(UUID.self)
        role = try cells[first + 2].decode(String.self)
        storedHash = try cells[first + 3].decode(String.self)
        stale = try cells[first + 4].decode(Bool.self)
        facts = ViewerFacts(
            side: try cells[first + 5].decode(String.self), groups: try cells[first + 6].decode([UUID].self),
            contributing: try cells[first + 7].decode([UUID].self))
    }
}

extension Prepared {
    /// A token, by the hash of its secret, for $5 days.
    struct NewToken: PreparedWrite {
        static let sql = """
            INSERT INTO tokens (participant_id, token_hash, role, label, expires_at)
            VALUES ($1::uuid, $2::text, $3::text, $4::text,
                    -- A token never outlives the token that minted it ($6): a stolen token cannot
                    -- extend itself by minting a longer-lived one.
                    least(now() + $5::int8 * interval '1 day',
                          coalesce((SELECT expires_at FROM tokens WHERE id = $6::uuid), 'infinity')))
            RETURNING \(Dialogue.tokenColumns)
            """
        let bindings: PostgresBindings
    }
}
