@testable import DialogueCore
import DialogueTestSupport
import Foundation
import Testing

@Suite("Tokens and roles")
struct TokenTests {
    @Test("a minted token authenticates as its participant and role; the database keeps only its hash")
    func mintAndAuthenticate() async throws {
        try await withDialogue { dialogue in
            let member = try await dialogue.makeUser(.member)
            let actor = try await dialogue.authenticate(bearer: member.token).actor
            #expect(actor == .participant(id: member.participantID, role: .member, tokenID: member.tokenID))
            let stored = try await sqlInt(dialogue, "SELECT count(*)::bigint FROM tokens WHERE token_hash = \(member.token)")
            #expect(stored == 0, "the secret itself is never stored")
            let lastUsed = try await sqlInt(dialogue, "SELECT count(*)::bigint FROM tokens WHERE last_used_at IS NOT NULL")
            #expect(lastUsed == 1)
        }
    }

    @Test("base64url (RFC 4648 section 5, unpadded) agrees with Foundation's base64 both ways, and refuses other text")
    func base64URL() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0...70 {
            let data = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let expected = data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(data.base64URLEncoded == expected)
            #expect(Data(base64URLEncoded: expected) == data)
        }
        for refused in ["a", "abcde", "ab+c", "ab/c", "ab=c", "ab c", "абвг"] {
            #expect(Data(base64URLEncoded: refused) == nil, "\(refused)")
        }
        let (secret, _) = TokenSecret.generate()
        #expect(TokenSecret.looksValid(secret))
        #expect(!TokenSecret.looksValid(String(secret.dropLast()) + "+"))
    }

    @Test("percent-decoding agrees with Foundation's, and refuses what it refuses")
    func percentDecoding() {
        let texts = [
            "", "plain", "%221%22", "%2Fv1%2Fsessions%2Fa%20b", "caf%C3%A9", "%e2%80%a8", "%", "%2", "%zz", "%FF", "%C3",
            "a+b%2Bc", "Лукашэнка%20", "100%", "%%41",
        ]
        for text in texts {
            #expect(PercentDecoding.decode(text) == text.removingPercentEncoding, "\(text)")
            #expect(
                PercentDecoding.decode(text, plusIsSpace: true) == text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                "\(text)")
        }
    }

    @Test("forged, expired and revoked tokens, and those of inactive participants, are refused")
    func refusals() async throws {
        try await withDialogue { dialogue in
            let refusal = DomainError.unauthenticated("the token is missing, malformed, expired or revoked")
            await #expect(throws: refusal) { try await dialogue.authenticate(bearer: "not-a-token") }
            let forged = "dlg_" + String(repeating: "A", count: 43)
            await #expect(throws: refusal) { try await dialogue.authenticate(bearer: forged) }

            let expiring = try await dialogue.makeUser(.member)
            try await sql(dialogue, "UPDATE tokens SET expires_at = now() - interval '1 second' WHERE id = \(expiring.tokenID)")
            await #expect(throws: refusal) { try await dialogue.authenticate(bearer: expiring.token) }

            let revoked = try await dialogue.makeUser(.member)
            _ = try await dialogue.revokeToken(revoked.context, tokenID: revoked.tokenID)
            await #expect(throws: refusal) { try await dialogue.authenticate(bearer: revoked.token) }

            let inactive = try await dialogue.makeUser(.member)
            try await sql(dialogue, "UPDATE participants SET status = 'inactive' WHERE id = \(inactive.participantID)")
            await #expect(throws: refusal) { try await dialogue.authenticate(bearer: inactive.token) }
        }
    }

    @Test("nobody raises their own role; coordinators cannot mint admins; admins and the CLI mint anything")
    func mintingRules() async throws {
        try await withDialogue { dialogue in
            let admin = try await dialogue.makeUser(.admin)
            let coordinator = try await dialogue.makeUser(.coordinator)
            let member = try await dialogue.makeUser(.member)

            await #expect(throws: DomainError.forbidden("a coordinator token cannot mint a admin token")) {
                _ = try await dialogue.issueToken(
                    coordinator.context, participantID: coordinator.participantID, role: "admin", label: nil, expiresInDays: nil)
            }
            await #expect(throws: DomainError.forbidden("a member token cannot mint a coordinator token")) {
                _ = try await dialogue.issueToken(
                    member.context, participantID: member.participantID, role: "coordinator", label: nil, expiresInDays: nil)
            }
            // The coordinator sees the member (the whole directory), so this is a refusal, not a 404.
            await #expect(throws: DomainError.forbidden("a token mints tokens only for its own participant; ask an admin")) {
                _ = try await dialogue.issueToken(
                    coordinator.context, participantID: member.participantID, role: "observer", label: nil, expiresInDays: nil)
            }
            // A member sees no one it shares no group with: for it, the coordinator does not exist.
            await #expect(throws: DomainError.notFound("participant not found")) {
                _ = try await dialogue.issueToken(
                    member.context, participantID: coordinator.participantID, role: "observer", label: nil, expiresInDays: nil)
            }
            let own = try await dialogue.issueToken(
                member.context, participantID: member.participantID, role: "observer", label: "phone", expiresInDays: 7)
            #expect(own.info.role == .observer)
            let byAdmin = try await dialogue.issueToken(
                admin.context, participantID: member.participantID, role: "admin", label: nil, expiresInDays: nil)
            #expect(byAdmin.info.role == .admin)
            let expiresIn = byAdmin.info.expiresAt.timeIntervalSinceNow / 86400
            #expect((29.9...30.1).contains(expiresIn), "a token never outlives the admin's own 30-day token that minted it")
            let byOperator = try await dialogue.issueToken(
                .cli(), participantID: member.participantID, role: "member", label: nil, expiresInDays: nil)
            #expect((89.9...90.1).contains(byOperator.info.expiresAt.timeIntervalSinceNow / 86400), "default lifetime is 90 days")

            await #expect(throws: DomainError.validation([FieldError("role", "must be one of: admin, coordinator, member, observer")])) {
                _ = try await dialogue.issueToken(.cli(), participantID: member.participantID, role: "root", label: nil, expiresInDays: nil)
            }
        }
    }

    @Test("token lists page by keyset and refuse forged cursors")
    func tokenPagination() async throws {
        try await withDialogue { dialogue in
            let member = try await dialogue.makeUser(.member)
            for _ in 0..<4 {
                _ = try await dialogue.issueToken(.cli(), participantID: member.participantID, role: "member", label: nil, expiresInDays: nil)
            }
            var seen: [UUID] = []
            var cursor: String?
            repeat {
                let page = try await dialogue.listTokens(member.context, participantID: member.participantID, page: try PageRequest(limit: 2, cursor: cursor))
                #expect(page.items.count <= 2)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.count == 5)
            #expect(Set(seen).count == 5)

            let first = try await dialogue.listTokens(member.context, participantID: member.participantID, page: try PageRequest(limit: 2, cursor: nil))
            let valid = try #require(first.nextCursor)
            let tampered = String(valid.dropLast()) + (valid.hasSuffix("A") ? "B" : "A")
            await #expect(throws: DomainError.self) {
                _ = try await dialogue.listTokens(member.context, participantID: member.participantID, page: try PageRequest(limit: 2, cursor: tampered))
            }
            // A cursor from one list is no good for another.
            await #expect(throws: DomainError.self) {
                _ = try await dialogue.listOrganizations(member.context, page: try PageRequest(limit: 2, cursor: valid))
            }
            #expect(throws: DomainError.invalid("limit", "must be between 1 and 200")) { try PageRequest(limit: 0, cursor: nil) }
            #expect(throws: DomainError.invalid("limit", "must be between 1 and 200")) { try PageRequest(limit: 201, cursor: nil) }
        }
    }

    @Test("a write writes its key in its own transaction; a key another request holds refuses the write, which leaves nothing behind")
    func idempotencySettlesInTheWrite() async throws {
        try await withDialogue { dialogue in
            let store = IdempotencyStore(database: dialogue.database)
            let first = IdempotentRequest(scope: "admin", key: "org", requestHash: "h")
            #expect(try await store.earlier(first) == nil, "a new key costs nothing before the write")
            let audit = try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log")
            let made = try await IdempotentRequest.$current.withValue(first) {
                try await dialogue.createOrganization(.cli(), OrganizationInput(name: "Viasna", side: "movement"))
            }
            #expect(try await sqlInt(dialogue, """
                SELECT count(*)::bigint FROM idempotency_keys
                WHERE state = 'committed' AND created_object = \("organization/" + made.id.lowercasedString)
                """) == 1, "the key commits with the object it created")
            #expect(try await store.earlier(first) == nil, "the key is the request's own")

            // A retry of it (another claim) writes, finds the key taken, and rolls back.
            let retry = IdempotentRequest(scope: "admin", key: "org", requestHash: "h")
            await #expect(throws: DomainError.idempotencyInProgress) {
                try await IdempotentRequest.$current.withValue(retry) {
                    _ = try await dialogue.createOrganization(.cli(), OrganizationInput(name: "Viasna twice", side: "movement"))
                }
            }
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM organizations WHERE name = 'Viasna twice'") == 0)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log") == audit + 1)
            #expect(try await store.earlier(retry) == .stillRunning, "the first has not kept its response yet")
            let response = IdempotencyStore.StoredResponse(status: 201, headers: [["Location", "/x"]], body: Array("{}".utf8))
            #expect(try await store.keep(first, response: response))
            #expect(try await store.earlier(retry) == .replay(response))
            #expect(try await store.keep(retry, response: response) == false, "a retry cannot overwrite the first response")
            let other = IdempotentRequest(scope: "admin", key: "org", requestHash: "another body")
            #expect(try await store.earlier(other) == .keyReusedWithAnotherRequest)

            // A reservation left by an instance of the older design is waited for, then taken over.
            try await sql(dialogue, """
                INSERT INTO idempotency_keys (scope, key, request_hash, state, claim)
                VALUES ('admin', 'legacy', 'h', 'running', gen_random_uuid())
                """)
            let next = IdempotentRequest(scope: "admin", key: "legacy", requestHash: "h")
            #expect(try await store.earlier(next) == .stillRunning)
            await #expect(throws: DomainError.idempotencyInProgress) {
                try await IdempotentRequest.$current.withValue(next) {
                    _ = try await dialogue.createOrganization(.cli(), OrganizationInput(name: "Legacy", side: "movement"))
                }
            }
            try await sql(dialogue, "UPDATE idempotency_keys SET updated_at = now() - interval '10 minutes' WHERE key = 'legacy'")
            #expect(try await store.earlier(next) == nil)
            _ = try await IdempotentRequest.$current.withValue(next) {
                try await dialogue.createOrganization(.cli(), OrganizationInput(name: "Legacy", side: "movement"))
            }
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM idempotency_keys WHERE key = 'legacy' AND state = 'committed'") == 1)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log") == audit + 2)
            #expect(try await AuditLog.verify(dialogue.database).isIntact)
        }
    }

    @Test("two writes under one key at once: one object; the other waits for its COMMIT and is refused")
    func idempotencyRace() async throws {
        try await withDialogue { dialogue in
            let store = IdempotencyStore(database: dialogue.database)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let request = IdempotentRequest(scope: "admin", key: "race", requestHash: "h")
                        do {
                            _ = try await IdempotentRequest.$current.withValue(request) {
                                try await dialogue.createOrganization(.cli(), OrganizationInput(name: "Race \(index)", side: "partner"))
                            }
                            return true
                        } catch DomainError.idempotencyInProgress {
                            #expect(try await store.earlier(request) == .stillRunning)
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM organizations WHERE name LIKE 'Race %'") == 1)
        }
    }

    @Test("responses kept at the same moment go in one statement, each kept as its own; one refused is refused alone")
    func responsesKeptTogether() async throws {
        try await withDialogue { dialogue in
            let store = IdempotencyStore(database: dialogue.database)
            func response(_ text: String) -> IdempotencyStore.StoredResponse {
                .init(status: 201, headers: [["Location", "/v1/x/\(text)"]], body: Array("{\"title\":\"\(text)\"}".utf8))
            }
            func until(_ what: Testing.Comment, _ condition: () async throws -> Bool) async throws {
                for _ in 0..<200 where try await !condition() { try await Task.sleep(for: .milliseconds(25)) }
                #expect(try await condition(), what)
            }
            // A transaction holds a key's row, so that the first response's statement waits for
            // it, and the responses that come meanwhile wait for that statement.
            let (released, release) = AsyncStream<Void>.makeStream()
            let (inserted, insert) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await dialogue.database.transaction { connection in
                    try await connection.query("""
                        INSERT INTO idempotency_keys (scope, key, request_hash, state, claim) VALUES ('a', 'held', 'h', 'committed', gen_random_uuid())
                        """, logger: TestDatabases.logger)
                    insert.yield()
                    for await _ in released { break }
                }
            }
            for await _ in inserted { break }
            let first = Task { try await store.keep(IdempotentRequest(scope: "a", key: "held", requestHash: "h"), response: response("held")) }
            try await until("the first response's statement waits for the row") {
                try await sqlInt(dialogue, "SELECT count(*)::bigint FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%unnest%'") == 1
            }
            let requests = (0..<20).map { IdempotentRequest(scope: "a", key: "k\($0)", requestHash: "h\($0)") }
            let kept = requests.map { request in Task { try await store.keep(request, response: response(request.key)) } }
            try await until("twenty responses wait together") { store.together.waitingCount == 20 }
            // One whose response carried a secret: only that it completed is kept, in a group too.
            let secretive = IdempotentRequest(scope: "a", key: "minted", requestHash: "h")
            IdempotentRequest.$current.withValue(secretive) { IdempotentRequest.responseCarriesSecret() }
            let minted = Task { try await store.keep(secretive, response: response("dlg_secret")) }
            try await until("twenty-one responses wait") { store.together.waitingCount == 21 }
            // The same key from another request (another claim), and a key PostgreSQL refuses.
            let again = Task { try await store.keep(IdempotentRequest(scope: "a", key: "k0", requestHash: "h0"), response: response("again")) }
            let refused = Task {
                try await store.keep(IdempotentRequest(scope: "a", key: String(repeating: "x", count: 300), requestHash: "h"), response: response("x"))
            }
            try await until("twenty-three responses wait") { store.together.waitingCount == 23 }
            release.yield()
            try await holder.value

            #expect(try await first.value == false, "the key was another request's")
            for (request, task) in zip(requests, kept) {
                #expect(try await task.value, "each response is kept, whatever else its statement held")
                let retry = IdempotentRequest(scope: "a", key: request.key, requestHash: request.requestHash)
                #expect(try await store.earlier(retry) == .replay(response(request.key)), "its own response, not another's")
            }
            #expect(try await minted.value)
            #expect(try await store.earlier(IdempotentRequest(scope: "a", key: "minted", requestHash: "h"))
                == .completedWithoutResponse(createdObject: nil, heldSecret: true))
            #expect(try await sqlInt(dialogue, """
                SELECT count(*)::bigint FROM idempotency_keys
                WHERE key = 'minted' AND withheld AND response_body IS NULL AND response_headers IS NULL AND response_status IS NULL
                """) == 1, "the secret is not stored")
            #expect(try await again.value == false, "a second request under a kept key keeps nothing")
            await #expect(throws: (any Error).self, "a refused response is refused alone") { try await refused.value }
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM idempotency_keys WHERE state = 'done'") == 21)
            #expect(store.together.waitingCount == 0)
        }
    }

    @Test("idempotency keys are kept at least 24 hours and purged after")
    func idempotencyRetention() async throws {
        try await withDialogue { dialogue in
            let store = IdempotencyStore(database: dialogue.database)
            let response = IdempotencyStore.StoredResponse(status: 200, headers: [], body: [])
            let fresh = IdempotentRequest(scope: "a", key: "fresh", requestHash: "h")
            #expect(try await store.keep(fresh, response: response))
            #expect(try await store.keep(IdempotentRequest(scope: "a", key: "old", requestHash: "h"), response: response))
            try await sql(dialogue, "UPDATE idempotency_keys SET created_at = now() - interval '23 hours' WHERE key = 'fresh'")
            try await sql(dialogue, "UPDATE idempotency_keys SET created_at = now() - interval '26 hours' WHERE key = 'old'")
            #expect(try await store.purgeExpired() == 1)
            #expect(try await store.earlier(IdempotentRequest(scope: "a", key: "fresh", requestHash: "h")) == .replay(response))
            #expect(try await store.earlier(IdempotentRequest(scope: "a", key: "fresh", requestHash: "other")) == .keyReusedWithAnotherRequest)
            #expect(try await store.earlier(IdempotentRequest(scope: "a", key: "old", requestHash: "h")) == nil)
            #expect(try await store.earlier(IdempotentRequest(scope: "b", key: "fresh", requestHash: "h")) == nil, "keys are scoped to the caller")
        }
    }
}
