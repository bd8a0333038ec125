import AsyncAlgorithms
@testable import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import PostgresNIO
import Synchronization
import Testing

/// Races, odd text and vanished rows, as a hostile or merely unlucky client meets them.
@Suite("Hardening: races, lengths, control characters, what a membership gave")
struct HardeningTests {
    /// Statuses a racing client may get; anything else (a 500, a dropped connection) is a bug.
    static let orderlyStatuses: Set<Int> = [200, 201, 204, 404, 409, 412, 422]

    @Test("sixteen clients editing, deleting and reordering one agenda: no crash, no 5xx, positions stay dense")
    func agendaRace() async throws {
        try await API.run { api in
            let session = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: SessionTests.quarterly)["id"])
            var items: [String] = []
            for index in 1...8 {
                let added = try await api.call(
                    .post, "/v1/sessions/\(session)/agenda", as: api.admin, json: #"{"title":"item \#(index)","duration_minutes":10}"#)
                let item = try #require((added.json["item"] as? [String: Any])?["id"] as? String ?? added["id"])
                items.append(item)
            }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for round in 0..<16 {
                    let item = items[round % items.count]
                    group.addTask {
                        switch round % 4 {
                        case 0, 2:
                            return try await api.call(.patch, "/v1/agenda-items/\(item)", as: api.admin, json: #"{"title":"edit \#(round)"}"#).status
                        case 1:
                            return try await api.call(.delete, "/v1/agenda-items/\(item)", as: api.admin).status
                        default:
                            let agenda = try await api.call(.get, "/v1/sessions/\(session)/agenda", as: api.admin)
                            let ids = agenda.items.compactMap { $0["id"] as? String }.reversed()
                            let body = #"{"ids":[\#(ids.map { "\"\($0)\"" }.joined(separator: ","))]}"#
                            return try await api.call(.put, "/v1/sessions/\(session)/agenda/order", as: api.admin, json: body).status
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy(Self.orderlyStatuses.contains), "\(statuses)")
            let agenda = try await api.call(.get, "/v1/sessions/\(session)/agenda", as: api.admin)
            let positions = agenda.items.compactMap { $0["position"] as? Int }
            #expect(positions == Array(1...max(positions.count, 1)).prefix(positions.count).map { $0 })
            #expect(positions.count == 6, "the two deleted items are gone, the others remain")
        }
    }

    @Test("an item deleted while an edit waits for the session is a 404 to the edit")
    func vanishedAgendaItem() async throws {
        try await withDialogue { dialogue in
            let cli = CallContext.cli()
            let session = try await dialogue.createSession(cli, SessionInput(
                kind: "plenary", title: "Plenary", startsAt: Date(timeIntervalSince1970: 1_900_000_000),
                endsAt: Date(timeIntervalSince1970: 1_900_003_600), timezone: "UTC"))
            let (item, _) = try await dialogue.addAgendaItem(
                cli, sessionID: session.id, AgendaItemInput(title: "Doomed", durationMinutes: 5), ifMatch: nil)
            // Hold the session's row as a deleting transaction would, delete the item, and only
            // then let the edit (already past its first read) take the lock.
            let edit = try await dialogue.database.transaction { connection -> Task<(any Error)?, Never> in
                try await connection.query("SELECT 1 FROM sessions WHERE id = \(session.id) FOR UPDATE", logger: dialogue.database.logger)
                let edit = Task { () -> (any Error)? in
                    do {
                        _ = try await dialogue.updateAgendaItem(cli, id: item.id, AgendaItemInput(title: "Renamed"), ifMatch: nil)
                        return nil
                    } catch { return error }
                }
                try await Task.sleep(for: .milliseconds(300))
                try await connection.query("DELETE FROM agenda_items WHERE id = \(item.id)", logger: dialogue.database.logger)
                return edit
            }
            let error = await edit.value
            #expect(error as? DomainError == .notFound("agenda item not found"))
        }
    }

    @Test("lengths are counted in code points, as the database counts them: 422 naming the field, never a 500")
    func codePointLengths() async throws {
        try await API.run { api in
            let decomposed150 = String(repeating: "e\u{301}", count: 150)  // 150 characters, 300 code points
            #expect(decomposed150.count == 150 && decomposed150.unicodeScalars.count == 300)
            let tooLong = try await api.call(
                .post, "/v1/participants", as: api.admin, json: #"{"display_name":"\#(decomposed150)","kind":"diaspora"}"#)
            #expect(tooLong.status == 422)
            #expect(tooLong.errorFields == ["display_name"])
            let decomposed100 = String(repeating: "e\u{301}", count: 100)  // exactly 200 code points
            let fits = try await api.call(
                .post, "/v1/participants", as: api.admin, json: #"{"display_name":"\#(decomposed100)","kind":"diaspora"}"#)
            #expect(fits.status == 201)
        }
    }

    @Test("an action item's note is validated like every other text: NUL, controls and length are 422 naming it")
    func actionItemNote() async throws {
        try await API.run { api in
            let group = try #require(try await api.call(
                .post, "/v1/working-groups", as: api.admin, json: #"{"direction":"media","name":"Media"}"#)["id"])
            let owner = try await api.dialogue.makeUser(.member)
            func create(_ note: String) async throws -> Reply {
                try await api.call(.post, "/v1/action-items", as: api.admin, json: #"""
                    {"working_group_id":"\#(group)","title":"Follow up","owner_id":"\#(owner.participantID.uuidString.lowercased())",
                     "due_on":"2027-01-31","note":"\#(note)"}
                    """#)
            }
            for bad in [#"a\u0000b"#, #"bell\u0007"#, #"esc\u001b[31m"#, #"c1\u0085c1"#, String(repeating: "n", count: 5001)] {
                let reply = try await create(bad)
                #expect(reply.status == 422, "\(bad.prefix(20))")
                #expect(reply.errorFields == ["note"])
            }
            #expect(try await create(#"line one\nline two\ttabbed"#).status == 201, "line breaks and tabs are text")
        }
    }

    @Test("a database refusal names the field and logs no row contents")
    func databaseRefusals() async throws {
        try await withDialogue { dialogue in
            let secret = "Hanna Secretname " + String(repeating: "x", count: 250)
            do {
                // Straight to PostgreSQL, past the service's own checks and its translation.
                try await dialogue.database.client.withConnection { connection in
                    try await connection.query(
                        "INSERT INTO participants (display_name, kind) VALUES (\(secret), 'diaspora')", logger: dialogue.database.logger)
                }
                Issue.record("the CHECK should have refused")
            } catch {
                #expect(DatabaseErrors.translate(error) as? DomainError
                    == .validation([FieldError("display_name", "is not allowed here or is too long")]))
                let logged = DatabaseErrors.loggable(error)
                #expect(logged.contains("23514") && logged.contains("participants_display_name_check"))
                #expect(!logged.contains("Secretname"), "the failing row stays out of logs: \(logged)")
            }
        }
    }

    @Test("a proxy's endorsement counts for coordinators and for the proxy, not for fellow members, in the proposal and in the list")
    func proxyEndorsementsCountedAsSeen() async throws {
        try await API.run { api in
            let cast = try await WorkChainTests.cast(api)
            let proxy = try await api.dialogue.makeUser(.member, name: "Proxy endorser", kind: .inCountryProxy)
            _ = try await api.dialogue.putMember(.cli(), groupID: cast.group, participantID: proxy.participantID, role: "member")
            let group = cast.group.uuidString.lowercased()
            let created = try await api.call(.post, "/v1/proposals", as: cast.author, json: #"""
                {"working_group_id":"\#(group)","title":"Letters to prisoners","kind":"programme","scale":"small"}
                """#)
            let id = try #require(created["id"])
            #expect(try await api.call(.post, "/v1/proposals/\(id)/transition", as: cast.author, json: #"{"to":"submitted"}"#).status == 200)
            for endorser in [cast.endorsers[0], proxy] {
                #expect(try await api.call(.put, "/v1/proposals/\(id)/endorsements", as: endorser).status == 200)
            }
            for (viewer, count) in [(cast.coordinator, 2), (proxy, 2), (cast.endorsers[1], 1), (cast.author, 1)] {
                #expect(try await api.call(.get, "/v1/proposals/\(id)", as: viewer).json["endorsement_count"] as? Int == count)
                let listed = try await api.call(.get, "/v1/proposals?status=submitted", as: viewer).items.first { $0["id"] as? String == id }
                #expect(listed?["endorsement_count"] as? Int == count)
            }
        }
    }

    @Test("removing a member ends their endorsements; becoming an observer too")
    func membershipEndsEndorsements() async throws {
        try await API.run { api in
            let cast = try await WorkChainTests.cast(api)
            let group = cast.group.uuidString.lowercased()
            let created = try await api.call(.post, "/v1/proposals", as: cast.author, json: #"""
                {"working_group_id":"\#(group)","title":"Independent media fund","kind":"programme","scale":"small"}
                """#)
            let id = try #require(created["id"])
            #expect(try await api.call(.post, "/v1/proposals/\(id)/transition", as: cast.author, json: #"{"to":"submitted"}"#).status == 200)
            for endorser in cast.endorsers {
                #expect(try await api.call(.put, "/v1/proposals/\(id)/endorsements", as: endorser).status == 200)
            }
            #expect(try await api.call(.get, "/v1/proposals/\(id)", as: cast.coordinator)["endorsement_count"] == "2")

            let first = cast.endorsers[0].participantID.uuidString.lowercased()
            let second = cast.endorsers[1].participantID.uuidString.lowercased()
            #expect(try await api.call(.delete, "/v1/working-groups/\(group)/members/\(first)", as: cast.coordinator).status == 204)
            #expect(try await api.call(
                .put, "/v1/working-groups/\(group)/members/\(second)", as: cast.coordinator, json: #"{"role":"observer"}"#).status == 200)

            #expect(try await api.call(.get, "/v1/proposals/\(id)", as: cast.coordinator)["endorsement_count"] == "0")
            let endorsers = try await api.call(.get, "/v1/proposals/\(id)/endorsements", as: cast.coordinator)
            #expect(endorsers.status == 200)
            #expect(endorsers.items.isEmpty)
            // The removed member may not endorse again; the observer neither.
            #expect(try await api.call(.put, "/v1/proposals/\(id)/endorsements", as: cast.endorsers[0]).status == 404)
            #expect(try await api.call(.put, "/v1/proposals/\(id)/endorsements", as: cast.endorsers[1]).status == 403)
        }
    }

    @Test("a minted secret is never stored for replay; a retry of its request gets 409 naming what was created")
    func secretsAreNotReplayed() async throws {
        try await API.run { api in
            let member = try await api.dialogue.makeUser(.member)
            let path = "/v1/participants/\(member.participantID.uuidString.lowercased())/tokens"
            let body = #"{"role":"observer","label":"phone"}"#
            let first = try await api.call(.post, path, as: api.admin, json: body, headers: [.idempotencyKeyTest: "mint-1"])
            #expect(first.status == 201)
            let secret = try #require(first["token"])
            let tokenID = try #require(first["id"])
            let retry = try await api.call(.post, path, as: api.admin, json: body, headers: [.idempotencyKeyTest: "mint-1"])
            #expect(retry.status == 409)
            #expect(retry["detail"]?.contains(tokenID) == true, "the retry learns which token was created")
            #expect(retry["token"] == nil)
            let tokens = try await api.call(.get, path, as: api.admin)
            #expect(tokens.items.count == 2, "the test's own token and the one minted once")

            let feed = try await api.call(.post, "/v1/calendar/feed-url", as: member, headers: [.idempotencyKeyTest: "feed-1"])
            #expect(feed.status == 201)
            let feedURL = try #require(feed["url"])
            #expect(try await api.call(.post, "/v1/calendar/feed-url", as: member, headers: [.idempotencyKeyTest: "feed-1"]).status == 409)

            let stored = try await api.dialogue.database.read { connection in
                try await connection.query(
                    "SELECT coalesce(string_agg(encode(response_body, 'escape'), ' '), '') FROM idempotency_keys",
                    logger: api.dialogue.database.logger
                ).collect().first?.decode(String.self) ?? ""
            }
            #expect(!stored.contains(secret))
            #expect(!stored.contains(String(feedURL.split(separator: "/").last ?? "")))
        }
    }

    @Test("the key is settled in the write's transaction: a crash before the response was kept cannot create twice")
    func idempotencyCrashWindow() async throws {
        try await API.run { api in
            let body = #"{"name":"Viasna","side":"movement"}"#
            let first = try await api.call(.post, "/v1/organizations", as: api.admin, json: body, headers: [.idempotencyKeyTest: "org-1"])
            #expect(first.status == 201)
            let id = try #require(first["id"])
            let created = try await api.dialogue.database.read { connection in
                try await connection.query(
                    "SELECT created_object FROM idempotency_keys WHERE key = 'org-1'", logger: api.dialogue.database.logger
                ).collect().first?.decode(String?.self)
            }
            #expect(created == "organization/\(id)")
            // As if the server died after COMMIT and before it stored the response.
            try await sql(api.dialogue, """
                UPDATE idempotency_keys SET state = 'committed', response_status = NULL, response_body = NULL,
                    updated_at = now() - interval '10 minutes' WHERE key = 'org-1'
                """)
            let retry = try await api.call(.post, "/v1/organizations", as: api.admin, json: body, headers: [.idempotencyKeyTest: "org-1"])
            #expect(retry.status == 409)
            #expect(retry["detail"]?.contains(id) == true)
            let listed = try await api.call(.get, "/v1/organizations", as: api.admin)
            #expect(listed.items.filter { $0["name"] as? String == "Viasna" }.count == 1, "one object, however often retried")
        }
    }

    @Test("a proposal's history does not name the session it was scheduled on to members who may not see that session")
    func historyNamesNoHiddenSession() async throws {
        try await API.run { api in
            let cast = try await WorkChainTests.cast(api)
            let group = cast.group.uuidString.lowercased()
            let id = try #require(try await api.call(.post, "/v1/proposals", as: cast.author, json: #"""
                {"working_group_id":"\#(group)","title":"Prisoner list","kind":"prisoner_case","scale":"small"}
                """#)["id"])
            #expect(try await api.call(.post, "/v1/proposals/\(id)/transition", as: cast.author, json: #"{"to":"submitted"}"#).status == 200)
            for step in ["under_review", "accepted"] {
                #expect(try await api.call(.post, "/v1/proposals/\(id)/transition", as: cast.coordinator, json: #"{"to":"\#(step)"}"#).status == 200)
            }
            let plenary = #"{"kind":"plenary","title":"Closed envoy meeting","starts_at":"2027-05-01T10:00:00Z","ends_at":"2027-05-01T12:00:00Z","timezone":"UTC"}"#
            let session = try #require(try await api.call(.post, "/v1/sessions", as: cast.coordinator, json: plenary)["id"])
            #expect(try await api.call(.get, "/v1/sessions/\(session)", as: cast.author).status == 404, "the author may not see it")
            #expect(try await api.call(
                .post, "/v1/sessions/\(session)/agenda", as: cast.coordinator,
                json: #"{"title":"Prisoner list","duration_minutes":20,"proposal_id":"\#(id)"}"#).status == 201)
            let seen = try await api.call(.get, "/v1/proposals/\(id)", as: cast.author)
            #expect(seen.status == 200)
            #expect(seen["status"] == "scheduled")
            #expect(!seen.text.contains("Closed envoy meeting"))
            #expect(!seen.text.contains(session))
        }
    }

    @Test("an export whose client stopped reading gives up within its bound and releases its connection")
    func stalledExportReleasesConnection() async throws {
        try await withDialogue { dialogue in
            let export = try dialogue.quarterlyExport(.cli(), quarter: "2026-Q4", direction: nil, audience: nil)
            let nobodyReads = AsyncThrowingChannel<ByteBuffer, any Error>()
            // Measured from the first chunk offered: how long the export computes before it
            // depends on the machine's load, how long it waits for a reader must not.
            let firstOffer = Mutex<ContinuousClock.Instant?>(nil)
            await #expect(throws: DomainError.unavailable("the client stopped reading the export")) {
                _ = try await dialogue.writeQuarterlyExport(export, to: .json { chunk in
                    firstOffer.withLock { $0 = $0 ?? ContinuousClock.now }
                    try await DialogueHTTP.send(chunk, to: nobodyReads, within: .milliseconds(300))
                })
            }
            let offered = try #require(firstOffer.withLock { $0 })
            // A hang is what this guards against; the margin is for a loaded two-core machine.
            #expect(ContinuousClock.now - offered < .seconds(15), "it gave up after the stall limit, not never")
            let open = try await sqlInt(dialogue, """
                SELECT count(*)::bigint FROM pg_stat_activity
                WHERE datname = current_database() AND state LIKE 'idle in transaction%'
                """)
            #expect(open == 0, "the export's snapshot transaction has ended")
        }
    }

    @Test("deactivating a participant ends its calendar feeds with its tokens")
    func inactiveEndsFeeds() async throws {
        try await API.run { api in
            let member = try await api.dialogue.makeUser(.member)
            let feed = try await api.call(.post, "/v1/calendar/feed-url", as: member)
            let url = try #require(feed["url"])
            let path = String(url[try #require(url.range(of: "/v1/calendar/")).lowerBound...])
            #expect(try await api.call(.get, path).status == 200)
            let id = member.participantID.uuidString.lowercased()
            #expect(try await api.call(.patch, "/v1/participants/\(id)", as: api.admin, json: #"{"status":"inactive"}"#).status == 200)
            #expect(try await api.call(.get, path).status == 404)
            #expect(try await api.call(.get, "/v1/me", as: member).status == 401)
        }
    }

    @Test("every 404 reads the same, whichever part of the path was unknown")
    func uniformNotFound() async throws {
        try await API.run { api in
            let member = try await api.dialogue.makeUser(.member)
            let unknown = UUID().uuidString.lowercased()
            let own = member.participantID.uuidString.lowercased()
            let paths = [
                "/v1/sessions/\(unknown)/agenda", "/v1/agenda-items/\(unknown)", "/v1/no-such-collection",
                "/v1/participants/\(unknown)/tokens", "/v1/participants/\(own)/tokens/\(unknown)",
                "/v1/working-groups/\(unknown)/members", "/v1/proposals/\(unknown)/endorsements", "/v1/sessions/not-a-uuid",
            ]
            var bodies: Set<String> = []
            for path in paths {
                let reply = try await api.call(path.hasSuffix("tokens/\(unknown)") ? .delete : .get, path, as: member)
                #expect(reply.status == 404, "\(path)")
                bodies.insert("\(reply["type"] ?? "")|\(reply["title"] ?? "")|\(reply["detail"] ?? "")")
            }
            #expect(bodies.count == 1, "\(bodies)")
        }
    }

    @Test("a 405 lists in Allow exactly the methods the contract defines for that path")
    func allowHeader() async throws {
        try await API.run { api in
            let spec = try #require(try JSONSerialization.jsonObject(with: Data(try await api.call(.get, "/openapi.json").text.utf8)) as? [String: Any])
            let paths = try #require(spec["paths"] as? [String: [String: Any]])
            let methods = ["get", "post", "put", "patch", "delete"]
            for (template, item) in paths {
                let defined = methods.filter { item[$0] != nil }
                guard let other = methods.first(where: { !defined.contains($0) }) else { continue }
                let path = template.replacingOccurrences(of: #"\{[^}]+\}"#, with: UUID().uuidString.lowercased(), options: .regularExpression)
                let reply = try await api.call(HTTPRequest.Method(rawValue: other.uppercased()) ?? .get, path, as: api.admin)
                #expect(reply.status == 405, "\(other) \(template)")
                #expect(reply.headers[.allow] == defined.map { $0.uppercased() }.sorted().joined(separator: ", "), "\(template)")
            }
        }
    }

    @Test("every pooled connection runs in UTC, whatever the server's default zone")
    func connectionsRunInUTC() async throws {
        try await withDialogue { dialogue in
            try await sql(dialogue, "ALTER DATABASE \(unescaped: dialogue.database.configuration.database) SET TimeZone = 'Pacific/Kiritimati'")
            let zones = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await dialogue.database.read { connection in
                            try await connection.query("SELECT current_setting('TimeZone')", logger: dialogue.database.logger)
                                .collect().first?.decode(String.self) ?? ""
                        }
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(zones == ["UTC"])
        }
    }

    final class Attempts: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test("a deadlock rolls back and the transaction runs once more, inside the service: the caller sees success")
    func deadlockIsRetried() async throws {
        try await withDialogue { dialogue in
            let cli = CallContext.cli()
            let first = try await dialogue.createOrganization(cli, OrganizationInput(name: "First", side: "partner")).id
            let second = try await dialogue.createOrganization(cli, OrganizationInput(name: "Second", side: "partner")).id
            let logger = dialogue.database.logger
            let attempts = Attempts()
            // The other party holds the second row, and asks for the first only once the body
            // below is seen waiting for the second (pg_stat_activity), not after a fixed
            // pause, which a loaded machine outran: the body waited first, so PostgreSQL's
            // deadlock check fires in its session and makes it the victim.
            //
            // PostgreSQL looks for a deadlock once per wait, `deadlock_timeout` after the wait
            // began, in the session that waits. With the default (1 s for both), a loaded
            // machine let more than a second pass between the two waits: the body's one look
            // found no cycle yet, and the other party, looking later, became the victim. So the
            // body looks after 3 s and the other party only after a minute. A role that may not
            // set it (not a superuser) keeps the default.
            let mayTune = try await sqlInt(dialogue, """
                SELECT (rolsuper OR has_parameter_privilege('deadlock_timeout', 'SET'))::int::bigint
                FROM pg_roles WHERE rolname = current_user
                """) == 1
            let holding = AsyncStream<Void>.makeStream()
            let other = Task {
                try await dialogue.database.client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    if mayTune { try await connection.query("SET LOCAL deadlock_timeout = '60s'", logger: logger) }
                    try await connection.query("UPDATE organizations SET country = 'PL' WHERE id = \(second)", logger: logger)
                    holding.continuation.finish()
                    // Asked on another connection: inside this one's transaction,
                    // pg_stat_activity would answer from the snapshot it took first.
                    while try await sqlInt(dialogue, """
                        SELECT count(*)::bigint FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%country = ''LT''%'
                        """) == 0
                    {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    try await connection.query("UPDATE organizations SET country = 'PL' WHERE id = \(first)", logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                }
            }
            for await _ in holding.stream {}
            let result = try await dialogue.database.transaction { connection in
                attempts.count.add(1, ordering: .releasing)
                if mayTune { try await connection.query("SET LOCAL deadlock_timeout = '3s'", logger: logger) }
                try await connection.query("UPDATE organizations SET country = 'LT' WHERE id = \(first)", logger: logger)
                try await connection.query("UPDATE organizations SET country = 'LT' WHERE id = \(second)", logger: logger)
                return "done"
            }
            try await other.value
            #expect(result == "done")
            #expect(attempts.count.load(ordering: .acquiring) == 2, "the first attempt was the deadlock's victim, the second committed")
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM organizations WHERE country = 'LT'") == 2)
        }
    }

    @Test("every API answer carries its own strict headers; no proxy needs to add them")
    func apiHeaders() async throws {
        try await API.run { api in
            for reply in [try await api.call(.get, "/v1/directions", as: api.admin), try await api.call(.get, "/v1/nowhere")] {
                #expect(reply.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
                #expect(reply.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                #expect(reply.headers[.xContentTypeOptions] == "nosniff")
            }
        }
    }
}
