import Foundation
import PostgresNIO

/// Protecting in-country proxies (SECURITY.md 1-5): the sealed vault, the compromise drill,
/// and erasure of a participant who must disappear.
extension Dialogue {
    /// Seals identifying fields (a JSON object) for a participant, replacing any earlier record.
    /// Operator only: identifying data never travels through the HTTP API.
    public func sealIdentity(_ context: CallContext, participantID: UUID, json: Data, key: VaultKey) async throws {
        guard context.actor == .operatorCLI else { throw DomainError.forbidden("the vault is reachable from the CLI only") }
        guard json.count <= 64 * 1024, (try? JSONSerialization.jsonObject(with: json)) is [String: Any] else {
            throw DomainError.invalid("stdin", "expected a JSON object of identifying fields (at most 64 KiB)")
        }
        let sealed = try key.seal(json, participantID: participantID)
        let fingerprint = key.fingerprint
        try await database.transaction { connection in
            _ = try await lockedParticipant(connection, id: participantID, lock: true)
            try await connection.run(try Prepared.NewSealedIdentity(participantID, sealed, fingerprint), logger: logger)
            // The audit row says a record was sealed, never what it holds.
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "vault.seal", objectType: "participant",
                objectID: participantID.lowercasedString, diff: [:])
        }
    }

    /// Reads a sealed record: the operator (admin at the CLI) only, with a reason that goes
    /// into the audit trail in the same transaction as the read.
    public func revealIdentity(_ context: CallContext, participantID: UUID, reason: String?, key: VaultKey) async throws -> Data {
        guard context.actor == .operatorCLI else { throw DomainError.forbidden("the vault is reachable from the CLI only") }
        var validator = Validator()
        let reason = validator.text(reason, "reason", max: 500, min: 10)
        try validator.check()
        return try await database.transaction { connection in
            let row = try await connection.query(
                "SELECT sealed, key_fingerprint FROM sealed_identities WHERE participant_id = \(participantID)", logger: logger
            ).collect().first
            guard let (sealed, fingerprint) = try row?.decode((String, String).self) else {
                throw DomainError.notFound("no sealed record for this participant")
            }
            guard fingerprint == key.fingerprint else { throw VaultError.wrongKey }
            let plaintext = try key.open(sealed, participantID: participantID)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "vault.reveal", objectType: "participant",
                objectID: participantID.lowercasedString, diff: ["reason": reason])
            return plaintext
        }
    }

    /// Re-encrypts every record under `newKey` in one transaction, decrypting each new
    /// ciphertext before commit: either every record moves to the new key, or none does.
    public func rotateVaultKey(_ context: CallContext, from oldKey: VaultKey, to newKey: VaultKey) async throws -> Int {
        guard context.actor == .operatorCLI else { throw DomainError.forbidden("the vault is reachable from the CLI only") }
        return try await database.transaction { connection in
            let rows = try await connection.query(
                "SELECT participant_id, sealed, key_fingerprint FROM sealed_identities ORDER BY participant_id FOR UPDATE",
                logger: logger
            ).collect()
            var count = 0
            for row in rows {
                let (participantID, sealed, fingerprint) = try row.decode((UUID, String, String).self)
                guard fingerprint == oldKey.fingerprint else { throw VaultError.wrongKey }
                let plaintext = try oldKey.open(sealed, participantID: participantID)
                let resealed = try newKey.seal(plaintext, participantID: participantID)
                guard try newKey.open(resealed, participantID: participantID) == plaintext else { throw VaultError.corrupt }
                try await connection.query("""
                    UPDATE sealed_identities SET sealed = \(resealed), key_fingerprint = \(newKey.fingerprint),
                        version = version + 1, updated_at = now()
                    WHERE participant_id = \(participantID)
                    """, logger: logger)
                count += 1
            }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "vault.rotate_key", objectType: "vault", objectID: "vault",
                diff: ["records": String(count), "new_key": newKey.fingerprint])
            return count
        }
    }

    /// The compromise drill (SECURITY.md 5): one transaction revokes every token and calendar
    /// feed of the participant, marks it compromised and writes the audit row. The very next
    /// request with any of them is refused. Reactivation needs an admin and a new token.
    public func markCompromised(_ context: CallContext, participantID: UUID, reason: String?) async throws -> Participant {
        guard context.actor.role == .admin else { throw DomainError.forbidden("only an admin may run the compromise drill") }
        // Locking oneself out by mistake would leave nobody to finish the drill.
        if context.actor.participantID == participantID {
            throw DomainError.conflict("an admin cannot mark their own account compromised; another admin, or the CLI, must")
        }
        var validator = Validator()
        let reason = validator.text(reason, "reason", required: false, max: 500, min: 0) ?? ""
        try validator.check()
        return try await database.transaction { connection in
            _ = try await lockedParticipant(connection, id: participantID, lock: true)
            let (tokens, feeds, webSessions) = try await revokeCredentials(connection, participantID: participantID)
            let rows = try await connection.query("""
                UPDATE participants SET status = 'compromised', version = version + 1, updated_at = now()
                WHERE id = \(participantID) RETURNING \(unescaped: Dialogue.participantColumns)
                """, logger: logger).collect()
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "participant.compromise", objectType: "participant",
                objectID: participantID.lowercasedString,
                diff: ["reason": reason, "tokens_revoked": String(tokens), "feeds_revoked": String(feeds),
                       "web_sessions_ended": String(webSessions)])
            return try decodeParticipant(rows.single(or: .notFound("participant not found")))
        }
    }

    public static let withdrawnName = "withdrawn participant"

    /// Erases a participant who must disappear: identifying fields and the sealed record go,
    /// tokens and feeds are revoked, memberships and invitations removed. The row stays under
    /// the name "withdrawn participant", so decisions, proposals and the audit chain (which
    /// never holds names) remain intact and verifiable.
    public func eraseParticipant(_ context: CallContext, participantID: UUID) async throws {
        guard context.actor == .operatorCLI else { throw DomainError.forbidden("erasure is an operator action at the CLI") }
        try await database.transaction { connection in
            let erased = try await lockedParticipant(connection, id: participantID, lock: true)
            try await connection.query("DELETE FROM sealed_identities WHERE participant_id = \(participantID)", logger: logger)
            // Frozen reports and kept responses are copies of the name: they go too. Snapshots
            // are evidence the service may not edit; the owner's function rewrites the name
            // wherever it stands as a whole JSON string, and records that it did.
            let snapshots = try await connection.query(
                "SELECT scrub_export_snapshots(\(try Dialogue.jsonString(erased.displayName)), \(try Dialogue.jsonString(Dialogue.withdrawnName)))",
                logger: logger
            ).collect().first?.decode(Int.self) ?? 0
            let responses = try await connection.query("""
                WITH gone AS (
                    DELETE FROM idempotency_keys
                    WHERE scope = \(participantID.lowercasedString)
                       OR position(convert_to(\(participantID.lowercasedString), 'UTF8') IN coalesce(response_body, ''::bytea)) > 0
                       OR position(convert_to(\(erased.displayName), 'UTF8') IN coalesce(response_body, ''::bytea)) > 0
                    RETURNING 1
                ) SELECT count(*)::bigint FROM gone
                """, logger: logger).collect().first?.decode(Int.self) ?? 0
            _ = try await revokeCredentials(connection, participantID: participantID)
            try await connection.query("DELETE FROM memberships WHERE participant_id = \(participantID)", logger: logger)
            try await connection.query("DELETE FROM attendances WHERE participant_id = \(participantID)", logger: logger)
            try await connection.query("DELETE FROM endorsements WHERE participant_id = \(participantID)", logger: logger)
            try await connection.query("""
                UPDATE participants SET display_name = \(Dialogue.withdrawnName), email = NULL, represents = NULL,
                    organization_id = NULL, languages = '{}', timezone = 'UTC', status = 'inactive',
                    version = version + 1, updated_at = now()
                WHERE id = \(participantID)
                """, logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "participant.erase", objectType: "participant",
                objectID: participantID.lowercasedString,
                diff: ["snapshots_scrubbed": String(snapshots), "stored_responses_removed": String(responses)])
        }
    }

    /// Ends every way the participant could still act or read: its tokens, its calendar
    /// feeds, its web sessions and its unused portal invitations, in the caller's transaction.
    /// Compromise, erasure and deactivation all come here.
    func revokeCredentials(_ connection: PostgresConnection, participantID: UUID) async throws -> (tokens: Int, feeds: Int, webSessions: Int) {
        let rows = try await connection.query("""
            WITH tokens AS (UPDATE tokens SET revoked_at = now(), updated_at = now()
                            WHERE participant_id = \(participantID) AND revoked_at IS NULL RETURNING 1),
                 feeds AS (UPDATE calendar_feeds SET revoked_at = now(), updated_at = now()
                           WHERE participant_id = \(participantID) AND revoked_at IS NULL RETURNING 1),
                 sessions AS (UPDATE web_sessions SET ended_at = now()
                              WHERE account_id IN (SELECT id FROM accounts WHERE participant_id = \(participantID))
                                AND ended_at IS NULL RETURNING 1),
                 invitations AS (UPDATE portal_invitations SET revoked_at = now()
                                 WHERE participant_id = \(participantID) AND used_at IS NULL AND revoked_at IS NULL RETURNING 1),
                 -- Pending notifications go with the credentials: nothing more is sent to them.
                 notices AS (DELETE FROM notifications WHERE recipient_id = \(participantID) RETURNING 1),
                 mails AS (DELETE FROM email_deliveries WHERE recipient_id = \(participantID) AND sent_at IS NULL RETURNING 1)
            SELECT (SELECT count(*) FROM tokens)::bigint, (SELECT count(*) FROM feeds)::bigint,
                   (SELECT count(*) FROM sessions)::bigint, (SELECT count(*) FROM invitations)::bigint
            """, logger: logger).collect()
        let (tokens, feeds, sessions, _) = try rows.first?.decode((Int, Int, Int, Int).self) ?? (0, 0, 0, 0)
        return (tokens, feeds, sessions)
    }

    /// A string as the canonical report JSON writes it (`CanonicalJSON`: slashes unescaped).
    static func jsonString(_ value: String) throws -> String {
        String(decoding: try CanonicalJSON.encode(value), as: UTF8.self)
    }
}

extension Prepared {
    /// A participant's sealed record (SECURITY.md 2), replaced whole.
    struct NewSealedIdentity: PreparedWrite {
        static let sql = """
            INSERT INTO sealed_identities (participant_id, sealed, key_fingerprint)
            VALUES ($1::uuid, $2::text, $3::text)
            ON CONFLICT (participant_id) DO UPDATE SET sealed = excluded.sealed,
                key_fingerprint = excluded.key_fingerprint, version = sealed_identities.version + 1, updated_at = now()
            """
        let bindings: PostgresBindings
    }
}
