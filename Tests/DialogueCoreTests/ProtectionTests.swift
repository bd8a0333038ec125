import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite("Protecting in-country proxies: vault, drill, erasure, least privilege")
struct ProtectionTests {
    static let secret = #"{"legal_name":"Ales Example","phone":"+375 29 000 00 00","city":"Homel"}"#

    @Test("seal and reveal round-trip; the reveal is audited with its reason; API callers never reach the vault")
    func sealAndReveal() async throws {
        try await withDialogue { dialogue in
            let key = try VaultKey(base64: VaultKey.generate())
            let proxy = try await dialogue.createParticipant(.cli(), ParticipantInput(displayName: "Zubr", kind: "in_country_proxy"))
            try await dialogue.sealIdentity(.cli(), participantID: proxy.id, json: Data(Self.secret.utf8), key: key)
            let stored = try await sqlInt(dialogue, "SELECT count(*)::bigint FROM sealed_identities WHERE sealed LIKE '%Homel%'")
            #expect(stored == 0, "only ciphertext is stored")
            let revealed = try await dialogue.revealIdentity(.cli(), participantID: proxy.id, reason: "court order 2027/15", key: key)
            #expect(String(decoding: revealed, as: UTF8.self) == Self.secret)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log WHERE action = 'vault.reveal' AND diff LIKE '%court order 2027/15%'") == 1)
            await #expect(throws: DomainError.invalid("reason", "must be at least 10 characters")) {
                _ = try await dialogue.revealIdentity(.cli(), participantID: proxy.id, reason: "why", key: key)
            }
            let admin = try await dialogue.makeUser(.admin)
            await #expect(throws: DomainError.forbidden("the vault is reachable from the CLI only")) {
                _ = try await dialogue.revealIdentity(admin.context, participantID: proxy.id, reason: "curious admin", key: key)
            }
            await #expect(throws: DomainError.self) {
                try await dialogue.sealIdentity(.cli(), participantID: proxy.id, json: Data("[1,2]".utf8), key: key)
            }
        }
    }

    @Test("a record moved to another participant does not decrypt; a wrong key is named; rotation moves every record")
    func bindingAndRotation() async throws {
        try await withDialogue { dialogue in
            let key = try VaultKey(base64: VaultKey.generate())
            let first = try await dialogue.createParticipant(.cli(), ParticipantInput(displayName: "A", kind: "in_country_proxy"))
            let second = try await dialogue.createParticipant(.cli(), ParticipantInput(displayName: "B", kind: "in_country_proxy"))
            try await dialogue.sealIdentity(.cli(), participantID: first.id, json: Data(Self.secret.utf8), key: key)
            try await dialogue.sealIdentity(.cli(), participantID: second.id, json: Data(#"{"legal_name":"Other"}"#.utf8), key: key)
            try await sql(dialogue, """
                UPDATE sealed_identities SET sealed = (SELECT sealed FROM sealed_identities WHERE participant_id = \(first.id))
                WHERE participant_id = \(second.id)
                """)
            await #expect(throws: VaultError.corrupt) {
                _ = try await dialogue.revealIdentity(.cli(), participantID: second.id, reason: "testing the binding", key: key)
            }
            let other = try VaultKey(base64: VaultKey.generate())
            await #expect(throws: VaultError.wrongKey) {
                _ = try await dialogue.revealIdentity(.cli(), participantID: first.id, reason: "testing a wrong key", key: other)
            }
            // The tampered record makes rotation fail as a whole: nothing moves to the new key.
            await #expect(throws: VaultError.corrupt) { _ = try await dialogue.rotateVaultKey(.cli(), from: key, to: other) }
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM sealed_identities WHERE key_fingerprint = \(other.fingerprint)") == 0)
            try await dialogue.sealIdentity(.cli(), participantID: second.id, json: Data(#"{"legal_name":"Other"}"#.utf8), key: key)
            #expect(try await dialogue.rotateVaultKey(.cli(), from: key, to: other) == 2)
            let revealed = try await dialogue.revealIdentity(.cli(), participantID: first.id, reason: "after key rotation", key: other)
            #expect(String(decoding: revealed, as: UTF8.self) == Self.secret)
            await #expect(throws: VaultError.wrongKey) {
                _ = try await dialogue.revealIdentity(.cli(), participantID: first.id, reason: "the old key is gone", key: key)
            }
        }
    }

    @Test("key files must be private; without any key only the vault refuses")
    func keySources() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vault-\(UUID().uuidString).key").path
        try VaultKey.generate().write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: VaultError.self) { try VaultKey.fromFile(path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let fromFile = try VaultKey.fromFile(path)
        #expect(try VaultKey.fromEnvironment(["DIALOGUE_VAULT_KEY_FILE": path]).fingerprint == fromFile.fingerprint)
        #expect(throws: VaultError.noKey) { try VaultKey.fromEnvironment([:]) }
        #expect(throws: VaultError.self) { try VaultKey(base64: "c2hvcnQ=") }
    }

    @Test("erasure removes identity and vault record, keeps authorship as 'withdrawn participant' and the chain verifying")
    func erasure() async throws {
        try await withDialogue { dialogue in
            let key = try VaultKey(base64: VaultKey.generate())
            let group = try await dialogue.createWorkingGroup(.cli(), WorkingGroupInput(direction: "media", name: "Media"))
            let proxy = try await dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
            _ = try await dialogue.putMember(.cli(), groupID: group.id, participantID: proxy.participantID, role: "member")
            try await dialogue.sealIdentity(.cli(), participantID: proxy.participantID, json: Data(Self.secret.utf8), key: key)
            let proposal = try await dialogue.createProposal(
                proxy.context, ProposalInput(workingGroupID: group.id, title: "Union rights", kind: "policy", scale: "small"))
            // A frozen report naming the proxy, and a response kept for the proxy's retries.
            try await sql(dialogue, """
                INSERT INTO export_snapshots (quarter, audience, content, sha256)
                VALUES ('2026-Q3', 'internal', '{"owner":"Zubr","other":"Zubrowka"}', 'x')
                """)
            let scope = proxy.participantID.uuidString.lowercased()
            try await sql(dialogue, """
                INSERT INTO idempotency_keys (scope, key, request_hash, state, response_body)
                VALUES (\(scope), 'k', 'h', 'done', convert_to('{"author":"Zubr"}', 'UTF8'))
                """)
            try await dialogue.eraseParticipant(.cli(), participantID: proxy.participantID)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM export_snapshots WHERE content LIKE '%\"Zubr\"%'") == 0)
            #expect(try await sqlInt(dialogue, """
                SELECT count(*)::bigint FROM export_snapshots
                WHERE content = '{"owner":"withdrawn participant","other":"Zubrowka"}' AND scrubbed_at IS NOT NULL
                """) == 1, "the whole name, and only it, is replaced")
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM idempotency_keys") == 0)

            let erased = try await dialogue.getParticipant(.cli(), id: proxy.participantID)
            #expect(erased.displayName == Dialogue.withdrawnName)
            #expect(erased.status == .inactive)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM sealed_identities") == 0)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM memberships WHERE participant_id = \(proxy.participantID)") == 0)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM proposals WHERE id = \(proposal.id) AND author_id = \(proxy.participantID)") == 1)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log WHERE diff LIKE '%Zubr%'") == 0, "no name in the chain")
            await #expect(throws: DomainError.self) { _ = try await dialogue.authenticate(bearer: proxy.token) }
            #expect(try await AuditLog.verify(dialogue.database).isIntact)
        }
    }

    @Test("the service's database role can append to the audit trail but not change or delete it")
    func leastPrivilege() async throws {
        try await withDialogue { dialogue in
            _ = try await dialogue.makeUser(.admin)
            func asApp(_ statement: String) async throws {
                try await dialogue.database.transaction { connection in
                    try await connection.query("SET LOCAL ROLE dialogue_app", logger: dialogue.database.logger)
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: dialogue.database.logger)
                }
            }
            try await asApp("SELECT count(*) FROM audit_log")
            try await asApp("UPDATE participants SET timezone = timezone")
            for forbidden in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                              "DELETE FROM schema_migrations", "DROP TABLE participants",
                              "UPDATE export_snapshots SET content = ''", "DELETE FROM export_snapshots",
                              "TRUNCATE export_snapshots"] {
                await #expect(throws: (any Error).self, "\(forbidden) must be refused to the service role") { try await asApp(forbidden) }
            }
            try await asApp(#"SELECT scrub_export_snapshots('"nobody"', '"withdrawn participant"')"#)
            #expect(try await AuditLog.verify(dialogue.database).rowsChecked == 2)
        }
    }
}
