import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import NIOCore
import Testing

@Suite("Errors, request ids, concurrency, idempotency, pagination")
struct MachineryTests {
    @Test("unknown routes 404, wrong methods 405 with Allow, all as problem documents")
    func routingErrors() async throws {
        try await API.run { api in
            let missing = try await api.call(.get, "/v1/no-such-thing", as: api.admin)
            #expect(missing.status == 404)
            #expect(missing.isProblem)
            let wrongMethod = try await api.call(.delete, "/v1/directions", as: api.admin)
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers[.allow] == "GET")
            #expect(wrongMethod.isProblem)
            let unknownObject = try await api.call(.get, "/v1/organizations/\(UUID().uuidString)", as: api.admin)
            #expect(unknownObject.status == 404)
            let notAnID = try await api.call(.get, "/v1/organizations/xyz", as: api.admin)
            #expect(notAnID.status == 404)
            #expect(unknownObject["detail"] == notAnID["detail"], "unknown and malformed ids answer alike")
        }
    }

    @Test("bad bodies: too large 413, malformed 400, unknown field / wrong type / missing field 422 naming it")
    func badBodies() async throws {
        try await API.run { api in
            let huge = "{\"name\":\"" + String(repeating: "a", count: (1 << 20) + 10) + "\",\"side\":\"movement\"}"
            let tooLarge = try await api.call(.post, "/v1/organizations", as: api.admin, json: huge)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.isProblem)

            let malformed = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name": "x", "#)
            #expect(malformed.status == 400)
            #expect(malformed.isProblem)
            #expect(malformed["detail"] == "the request body is not valid JSON")

            // JSON the decoder cannot read (every number in the contract is a whole one within
            // 64 bits) is JSON of the wrong shape: 422 naming the field, not "malformed".
            let session = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: SessionTests.quarterly)["id"])
            let agenda = "/v1/sessions/\(session)/agenda"
            for number in ["149291389163551858851988522250797056", "1.5", "-9223372036854775809"] {
                let unreadable = try await api.call(.post, agenda, as: api.admin, json: #"{"title":"x","duration_minutes":15,"position":"# + number + "}")
                #expect(unreadable.status == 422, "position \(number)")
                #expect(unreadable.errorFields == ["position"])
            }

            let unknown = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"x","side":"movement","colour":"red"}"#)
            #expect(unknown.status == 422)
            #expect(unknown.errorFields == ["colour"])

            let wrongType = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":42,"side":"movement"}"#)
            #expect(wrongType.status == 422)
            #expect(wrongType.errorFields == ["name"])

            let missing = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"x"}"#)
            #expect(missing.status == 422)
            #expect(missing.errorFields == ["side"])

            // A value outside a declared enum is refused while the body is read, naming it…
            let outside = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"  ","side":"rebels","country":"Belarus"}"#)
            #expect(outside.status == 422)
            #expect(outside.errorFields == ["side"])
            // …and the service's own checks report every other problem at once.
            let invalid = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"  ","side":"partner","country":"Belarus"}"#)
            #expect(invalid.status == 422)
            #expect(invalid.errorFields == ["name", "country"])

            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM organizations") == 0, "nothing half-written")

            // An explicit null where the contract allows none is refused naming the field, however
            // it is spaced: the decoder alone would read it as left out, "keep the name".
            let org = try #require(try await api.call(
                .post, "/v1/organizations", as: api.admin, json: #"{"name":"Null Island Watch","side":"movement"}"#)["id"])
            for body in [#"{"name":null}"#, #"{ "name" :\#n null }"#] {
                let null = try await api.call(.patch, "/v1/organizations/\(org)", as: api.admin, json: body)
                #expect(null.status == 422, "\(body)")
                #expect(null.errorFields == ["name"])
            }
            // "null" inside a text is only text.
            let renamed = try await api.call(.patch, "/v1/organizations/\(org)", as: api.admin, json: #"{"name":"null and void"}"#)
            #expect(renamed.status == 200)
            #expect(renamed["name"] == "null and void")
        }
    }

    @Test("X-Request-Id is echoed when sane, replaced when not, and present on every response")
    func requestIDs() async throws {
        try await API.run { api in
            let kept = try await api.call(.get, "/healthz", headers: [.xRequestIDTest: "trace-42.a_b"])
            #expect(kept.headers[.xRequestIDTest] == "trace-42.a_b")
            let replaced = try await api.call(.get, "/healthz", headers: [.xRequestIDTest: "bad id\u{7f}<script>"])
            #expect(replaced.headers[.xRequestIDTest].map { UUID(uuidString: $0) != nil } == true)
            let problem = try await api.call(.get, "/v1/directions", headers: [.xRequestIDTest: "r-1"])
            #expect(problem.headers[.xRequestIDTest] == "r-1")
            #expect(problem["request_id"] == "r-1")
        }
    }

    @Test("ETag carries the version; a stale If-Match gets 412 and changes nothing")
    func optimisticConcurrency() async throws {
        try await API.run { api in
            let created = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"Viasna","side":"movement","country":"BY"}"#)
            #expect(created.status == 201)
            #expect(created.headers[.eTag] == "\"1\"")
            let id = try #require(created["id"])
            #expect(created.headers[.location] == "/v1/organizations/\(id)")
            let fetched = try await api.call(.get, "/v1/organizations/\(id)", as: api.admin)
            #expect(fetched.headers[.eTag] == "\"1\"")

            let first = try await api.call(.patch, "/v1/organizations/\(id)", as: api.admin, json: #"{"name":"Viasna Human Rights Centre"}"#, headers: [.ifMatch: "\"1\""])
            #expect(first.status == 200)
            #expect(first.headers[.eTag] == "\"2\"")

            let stale = try await api.call(.patch, "/v1/organizations/\(id)", as: api.admin, json: #"{"name":"Lost update"}"#, headers: [.ifMatch: "\"1\""])
            #expect(stale.status == 412)
            #expect(stale.json["current_version"] as? Int == 2)
            let garbage = try await api.call(.patch, "/v1/organizations/\(id)", as: api.admin, json: #"{"name":"Lost update"}"#, headers: [.ifMatch: "nonsense"])
            #expect(garbage.status == 412)
            #expect(try await api.call(.get, "/v1/organizations/\(id)", as: api.admin)["name"] == "Viasna Human Rights Centre")

            let cleared = try await api.call(.patch, "/v1/organizations/\(id)", as: api.admin, json: #"{"country":""}"#, headers: [.ifMatch: "W/\"2\""])
            #expect(cleared.status == 200)
            #expect(cleared.json["country"] == nil)
        }
    }

    @Test("Idempotency-Key: a retry returns the first response; another body with the key is 422; keys are per caller")
    func idempotency() async throws {
        try await API.run { api in
            let body = #"{"name":"Belarusian Association of Journalists","side":"movement","country":"BY"}"#
            let first = try await api.call(.post, "/v1/organizations", as: api.admin, json: body, headers: [.idempotencyKeyTest: "k-1"])
            let retry = try await api.call(.post, "/v1/organizations", as: api.admin, json: body, headers: [.idempotencyKeyTest: "k-1"])
            #expect(first.status == 201)
            #expect(retry.status == 201)
            #expect(first["id"] == retry["id"])
            #expect(retry.headers[.eTag] == "\"1\"")
            #expect(retry.headers[.location] == first.headers[.location])
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM organizations") == 1)

            let reused = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"Other","side":"movement"}"#, headers: [.idempotencyKeyTest: "k-1"])
            #expect(reused.status == 422)
            #expect(reused.errorFields == ["Idempotency-Key"])

            // A request that failed leaves its key free for the corrected retry.
            let failed = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"Fixed","side":"nope"}"#, headers: [.idempotencyKeyTest: "k-2"])
            #expect(failed.status == 422)
            let fixed = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"Fixed","side":"nope"}"#.replacingOccurrences(of: "nope", with: "partner"), headers: [.idempotencyKeyTest: "k-2"])
            #expect(fixed.status == 201, "a failed request does not hold its key")
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM organizations WHERE name = 'Fixed'") == 1)

            let coordinator = try await api.dialogue.makeUser(.coordinator)
            let theirs = try await api.call(.post, "/v1/organizations", as: coordinator, json: #"{"name":"Their own","side":"partner"}"#, headers: [.idempotencyKeyTest: "k-1"])
            #expect(theirs.status == 201, "the same key from another caller is another request")
            let tooLong = try await api.call(.post, "/v1/organizations", as: api.admin, json: body, headers: [.idempotencyKeyTest: String(repeating: "k", count: 256)])
            #expect(tooLong.status == 422)
        }
    }

    @Test("a keyed create that notifies: the owner is told once, with the item, its audit row and the key in one statement; the retry adds nothing")
    func idempotentCreateNotifiesOnce() async throws {
        try await API.run { api in
            let cli = CallContext.cli()
            let group = try await api.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let owner = try await api.dialogue.makeUser(.member, kind: .diaspora)
            _ = try await api.dialogue.putMember(cli, groupID: group.id, participantID: owner.participantID, role: "member")
            let body = #"""
                {"working_group_id":"\#(group.id.lowercasedString)","title":"Brief the press","owner_id":"\#(owner.participantID.lowercasedString)","due_on":"2027-06-30"}
                """#
            let first = try await api.call(.post, "/v1/action-items", as: api.admin, json: body, headers: [.idempotencyKeyTest: "notify-1"])
            let retry = try await api.call(.post, "/v1/action-items", as: api.admin, json: body, headers: [.idempotencyKeyTest: "notify-1"])
            #expect(first.status == 201)
            #expect(retry.status == 201)
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let id = try #require(first["id"])
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM action_items") == 1)
            #expect(try await sqlInt(api.dialogue, """
                SELECT count(*)::bigint FROM notifications
                WHERE recipient_id = \(owner.participantID) AND event = 'action_assigned' AND object_id::text = \(id)
                """) == 1)
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM audit_log WHERE action = 'action_item.create'") == 1)
            #expect(try await AuditLog.verify(api.dialogue.database).isIntact)
        }
    }

    @Test("a keyed create its facts refuse writes nothing and leaves the key free; one whose key is taken writes nothing")
    func refusedKeyedCreateWritesNothing() async throws {
        try await API.run { api in
            let cli = CallContext.cli()
            let group = try await api.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let active = try await api.dialogue.makeUser(.member, kind: .diaspora)
            let gone = try await api.dialogue.makeUser(.member, kind: .diaspora)
            #expect(try await api.call(
                .patch, "/v1/participants/\(gone.participantID.lowercasedString)", as: api.admin, json: #"{"status":"inactive"}"#
            ).status == 200)
            func body(_ owner: UUID, _ title: String) -> String {
                #"{"working_group_id":"\#(group.id.lowercasedString)","title":"\#(title)","owner_id":"\#(owner.lowercasedString)","due_on":"2027-06-30"}"#
            }
            func written() async throws -> [Int] {
                [
                    try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM action_items"),
                    try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM action_item_updates"),
                    try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM notifications"),
                    try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM audit_log WHERE action = 'action_item.create'"),
                ]
            }
            let key: HTTPFields = [.idempotencyKeyTest: "refused-1"]
            let refused = try await api.call(.post, "/v1/action-items", as: api.admin, json: body(gone.participantID, "To nobody"), headers: key)
            #expect(refused.status == 422)
            #expect(refused.errorFields == ["owner_id"])
            #expect(try await written() == [0, 0, 0, 0])
            // The refusal took no key: the same key with a body that may be written is served.
            let first = try await api.call(.post, "/v1/action-items", as: api.admin, json: body(active.participantID, "Brief"), headers: key)
            #expect(first.status == 201)
            #expect(try await written() == [1, 1, 1, 1])
            // The key is now the first request's: another body under it is refused, and writes nothing.
            let reused = try await api.call(.post, "/v1/action-items", as: api.admin, json: body(active.participantID, "Other"), headers: key)
            #expect(reused.status == 422)
            #expect(try await written() == [1, 1, 1, 1])
            #expect(try await AuditLog.verify(api.dialogue.database).isIntact)
            // The kept response's commit does not wait for the disk; that stays its own: every
            // pooled connection still commits durably.
            for _ in 0..<4 {
                let setting = try await api.dialogue.database.read { connection in
                    try await connection.query("SHOW synchronous_commit", logger: api.dialogue.database.logger).collect().first?.decode(String.self)
                }
                #expect(setting == "on")
            }
        }
    }

    @Test("lists page with an opaque cursor; a forged cursor or a bad limit is refused")
    func pagination() async throws {
        try await API.run { api in
            for index in 1...5 {
                #expect(try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"Org \#(index)","side":"partner"}"#).status == 201)
            }
            var names: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
                let page = try await api.call(.get, "/v1/organizations?limit=2\(query)", as: api.admin)
                #expect(page.status == 200)
                names += page.items.compactMap { $0["name"] as? String }
                cursor = page.json["next_cursor"] as? String
                pages += 1
            } while cursor != nil
            #expect(pages == 3)
            #expect(names == (1...5).map { "Org \($0)" })

            let forged = try await api.call(.get, "/v1/organizations?limit=2&cursor=MTIzLjQ1Ng.AAAAAAAAAAAAAAAAAAAAAA", as: api.admin)
            #expect(forged.status == 422)
            #expect(forged.errorFields == ["cursor"])
            for limit in ["0", "201", "-1"] {
                let reply = try await api.call(.get, "/v1/organizations?limit=\(limit)", as: api.admin)
                #expect(reply.status == 422)
                #expect(reply.errorFields == ["limit"])
            }
            let notANumber = try await api.call(.get, "/v1/organizations?limit=abc", as: api.admin)
            #expect(notANumber.status == 400, "\(notANumber.text)")
            #expect(notANumber.isProblem)
        }
    }

    @Test("writes through the API are chained in the audit log with their request id")
    func auditFromAPI() async throws {
        try await API.run { api in
            _ = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"Audited","side":"partner"}"#, headers: [.xRequestIDTest: "req-audit-1"])
            let count = try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM audit_log WHERE request_id = 'req-audit-1' AND action = 'organization.create'")
            #expect(count == 1)
            #expect(try await AuditLog.verify(api.dialogue.database).isIntact)
        }
    }
}

extension HTTPField.Name {
    static let xRequestIDTest = Self("X-Request-Id")!
    static let idempotencyKeyTest = Self("Idempotency-Key")!
}
