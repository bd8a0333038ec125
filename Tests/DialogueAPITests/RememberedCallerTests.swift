@testable import DialogueAPI
@testable import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Testing

/// A write whose caller this process has checked before is decided on what that check read,
/// and its statement writes only where the credential is still live and names the same
/// caller (`RememberedCaller`). These tests revoke and change callers behind the server's
/// back, as another instance would, and look at what was answered and what was written.
@Suite("Remembered callers: a write confirms its credential in its own statement")
struct RememberedCallerTests {
    struct Setup {
        var group: UUID
        var owner: TestUser
        var coordinator: TestUser

        func body(_ title: String, agendaItem: UUID? = nil) -> String {
            let agenda = agendaItem.map { #","agenda_item_id":"\#($0.lowercasedString)""# } ?? ""
            return #"""
                {"working_group_id":"\#(group.lowercasedString)","title":"\#(title)","owner_id":"\#(owner.participantID.lowercasedString)","due_on":"2027-06-30"\#(agenda)}
                """#
        }
    }

    static func setup(_ api: API) async throws -> Setup {
        let cli = CallContext.cli()
        let group = try await api.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
        let owner = try await api.dialogue.makeUser(.member, kind: .diaspora)
        _ = try await api.dialogue.putMember(cli, groupID: group.id, participantID: owner.participantID, role: "member")
        return Setup(group: group.id, owner: owner, coordinator: try await api.dialogue.makeUser(.coordinator))
    }

    /// The setup, with the coordinator's first create made: its credential is remembered.
    static func rememberedCoordinator(_ api: API) async throws -> Setup {
        let setup = try await setup(api)
        #expect(try await api.call(.post, "/v1/action-items", as: setup.coordinator, json: setup.body("First"), headers: [.idempotencyKeyTest: "k1"]).status == 201)
        #expect(try remembered(api, setup.coordinator) != nil)
        return setup
    }

    /// Action items, their first updates, notifications, create audit rows.
    static func written(_ api: API) async throws -> [Int] {
        [
            try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM action_items"),
            try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM action_item_updates"),
            try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM notifications"),
            try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM audit_log WHERE action = 'action_item.create'"),
        ]
    }

    static func remembered(_ api: API, _ user: TestUser) throws -> RememberedCaller? {
        api.dialogue.rememberedCaller(try #require(BearerCredential(secret: user.token)), requestID: "test")
    }

    @Test("after a revocation behind the server's back, the very next write of a remembered caller is 401 and writes nothing: not its create, not a replay of its key, not a failure's detail")
    func revokedWhileRemembered() async throws {
        try await API.run { api in
            let setup = try await Self.setup(api)
            let coordinator = setup.coordinator
            #expect(try Self.remembered(api, coordinator) == nil)
            let first = try await api.call(.post, "/v1/action-items", as: coordinator, json: setup.body("First"), headers: [.idempotencyKeyTest: "k1"])
            #expect(first.status == 201)
            // The first write checked the credential with a statement of its own; the second is
            // decided on what that check read, and its statement confirms it.
            let remembered = try #require(try Self.remembered(api, coordinator))
            #expect(remembered.participantID == coordinator.participantID)
            let second = try await api.call(.post, "/v1/action-items", as: coordinator, json: setup.body("Second"), headers: [.idempotencyKeyTest: "k2"])
            #expect(second.status == 201)
            #expect(second["title"] == "Second")
            #expect(try await Self.written(api) == [2, 2, 2, 2])
            #expect(try await sqlInt(api.dialogue, """
                SELECT count(*)::bigint FROM audit_log
                WHERE action = 'action_item.create' AND actor_participant_id = \(coordinator.participantID)
                """) == 2)

            try await sql(api.dialogue, "UPDATE tokens SET revoked_at = now() WHERE id = \(coordinator.tokenID)")
            let refused = try await api.call(.post, "/v1/action-items", as: coordinator, json: setup.body("Third"), headers: [.idempotencyKeyTest: "k3"])
            #expect(refused.status == 401)
            #expect(refused.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(try await Self.written(api) == [2, 2, 2, 2])
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM idempotency_keys WHERE key = 'k3'") == 0)
            #expect(try Self.remembered(api, coordinator) == nil)
            #expect(try await AuditLog.verify(api.dialogue.database).isIntact)
        }
    }

    @Test("a remembered caller revoked elsewhere gets 401, not the answer kept for its key nor the reason its write would fail")
    func revokedCallerLearnsNothing() async throws {
        try await API.run { api in
            let setup = try await Self.rememberedCoordinator(api)
            let coordinator = setup.coordinator
            try await sql(api.dialogue, "UPDATE tokens SET revoked_at = now() WHERE id = \(coordinator.tokenID)")
            let unknown = UUID()
            let attempts: [(String, String, HTTPFields)] = [
                // The retry of a request whose answer is kept.
                ("/v1/action-items", setup.body("First"), [.idempotencyKeyTest: "k1"]),
                // A write that fails before its statement: an agenda item that does not exist,
                // a field missing, a body that is no JSON.
                ("/v1/action-items", setup.body("Agenda", agendaItem: unknown), [:]),
                ("/v1/action-items", #"{"working_group_id":"\#(setup.group.lowercasedString)"}"#, [:]),
                ("/v1/action-items", "{", [:]),
                // A write whose service checks the caller first.
                ("/v1/organizations", #"{"name":"Org","side":"partner"}"#, [:]),
            ]
            for (path, body, headers) in attempts {
                // Each attempt meets a remembered caller: a live check puts it back.
                try await sql(api.dialogue, "UPDATE tokens SET revoked_at = NULL WHERE id = \(coordinator.tokenID)")
                #expect(try await api.call(.get, "/v1/me", as: coordinator).status == 200)
                #expect(try Self.remembered(api, coordinator) != nil)
                try await sql(api.dialogue, "UPDATE tokens SET revoked_at = now() WHERE id = \(coordinator.tokenID)")
                let reply = try await api.call(.post, path, as: coordinator, json: body, headers: headers)
                #expect(reply.status == 401, "\(path) \(body)")
                #expect(reply.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            }
            #expect(try await Self.written(api) == [1, 1, 1, 1])
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM organizations WHERE name = 'Org'") == 0)
        }
    }

    @Test("a remembered caller whose memberships changed: nothing is written on the old facts; the write is decided again, made once, and the new facts remembered")
    func changedCallerIsDecidedAgain() async throws {
        try await API.run { api in
            let setup = try await Self.rememberedCoordinator(api)
            let coordinator = setup.coordinator
            #expect(try Self.remembered(api, coordinator)?.row.facts.groups == [])
            _ = try await api.dialogue.putMember(.cli(), groupID: setup.group, participantID: coordinator.participantID, role: "chair")
            let second = try await api.call(.post, "/v1/action-items", as: coordinator, json: setup.body("Second"), headers: [.idempotencyKeyTest: "k2"])
            #expect(second.status == 201)
            #expect(try await Self.written(api) == [2, 2, 2, 2])
            #expect(try Self.remembered(api, coordinator)?.row.facts.groups == [setup.group])
            // The key is the write's: its retry is a replay.
            let retry = try await api.call(.post, "/v1/action-items", as: coordinator, json: setup.body("Second"), headers: [.idempotencyKeyTest: "k2"])
            #expect(retry.status == 201)
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try await Self.written(api) == [2, 2, 2, 2])
        }
    }

    @Test("a remembered caller's write notes the token's use when due, as a check would")
    func rememberedWriteNotesUse() async throws {
        try await API.run { api in
            let setup = try await Self.rememberedCoordinator(api)
            let coordinator = setup.coordinator
            try await sql(api.dialogue, "UPDATE tokens SET last_used_at = now() - interval '1 hour' WHERE id = \(coordinator.tokenID)")
            #expect(try await api.call(.post, "/v1/action-items", as: coordinator, json: setup.body("Second")).status == 201)
            #expect(try await sqlInt(api.dialogue, """
                SELECT count(*)::bigint FROM tokens WHERE id = \(coordinator.tokenID) AND last_used_at > now() - interval '1 minute'
                """) == 1)
        }
    }
}
