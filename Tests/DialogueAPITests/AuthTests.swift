import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Testing

@Suite("Authentication and tokens over HTTP")
struct AuthTests {
    @Test("no token, a malformed header, a forged token: 401 problem with WWW-Authenticate: Bearer")
    func refusedCredentials() async throws {
        try await API.run { api in
            for headers: HTTPFields in [
                [:], [.authorization: "Token abc"], [.authorization: "Bearer"],
                [.authorization: "Bearer dlg_" + String(repeating: "x", count: 43)],
                [.authorization: "Bearer " + api.admin.token + "x"],
            ] {
                let reply = try await api.call(.get, "/v1/directions", headers: headers)
                #expect(reply.status == 401)
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(reply.isProblem)
            }
            // Unknown /v1 paths do not reveal whether they exist to a caller without a token.
            #expect(try await api.call(.get, "/v1/nothing-here").status == 401)
        }
    }

    @Test("a token of the right form that names nothing, or a revoked one, is 401 on every read whatever it asks: unknown paths, bad queries, the routes beside the contract")
    func unknownTokensLearnNothing() async throws {
        try await API.run { api in
            let session = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: SessionTests.quarterly)["id"])
            let revoked = try await api.dialogue.makeUser(.coordinator)
            _ = try await api.dialogue.revokeToken(.cli(), tokenID: revoked.tokenID)
            let unknown = UUID().uuidString.lowercased()
            // Routes outside openapi.yaml (the operation matrix covers those inside it), an
            // unknown path, and queries the contract would refuse with 400.
            let paths = [
                "/v1/sessions/\(session).ics", "/v1/sessions/\(unknown).ics", "/v1/exports/quarterly?quarter=2026-Q3",
                "/v1/exports/quarterly?quarter=not-a-quarter", "/v1/dossiers/export.ftm", "/v1/dossiers/custody.json",
                "/v1/evidence/\(unknown)/content", "/v1/evidence/not-an-id/content", "/v1/nothing-here",
                "/v1/sessions/\(session)/nothing-here", "/v1/action-items?limit=abc", "/v1/sessions?limit=-1",
                "/v1/sessions/\(session)/agenda?x=1",
            ]
            for headers: HTTPFields in [
                [.authorization: "Bearer dlg_" + String(repeating: "x", count: 43)], [.authorization: "Bearer \(revoked.token)"],
            ] {
                for path in paths {
                    let reply = try await api.call(.get, path, headers: headers)
                    #expect(reply.status == 401, "\(path)")
                    #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(path)")
                }
            }
            // A live token still gets the answer its path deserves.
            #expect(try await api.call(.get, "/v1/nothing-here", as: api.admin).status == 404)
            #expect(try await api.call(.get, "/v1/action-items?limit=abc", as: api.admin).status == 400)
        }
    }

    @Test("an expired token and a revoked one get 401 on the very next request")
    func expiredAndRevoked() async throws {
        try await API.run { api in
            let member = try await api.dialogue.makeUser(.member)
            #expect(try await api.call(.get, "/v1/me", as: member).status == 200)
            let revoke = try await api.call(
                .delete, "/v1/participants/\(member.participantID.uuidString.lowercased())/tokens/\(member.tokenID.uuidString.lowercased())",
                as: member)
            #expect(revoke.status == 204)
            #expect(try await api.call(.get, "/v1/me", as: member).status == 401)

            let other = try await api.dialogue.makeUser(.observer)
            #expect(try await api.call(.get, "/v1/directions", as: other).status == 200)
            try await sql(api.dialogue, "UPDATE tokens SET expires_at = now() - interval '1 second' WHERE id = \(other.tokenID)")
            #expect(try await api.call(.get, "/v1/directions", as: other).status == 401)
        }
    }

    @Test("the session, agenda, action item and group reads check their bearer in their own statement: 401 before anything about the object, 401 right after a revocation")
    func sessionReadsCheckTheirOwnBearer() async throws {
        try await API.run { api in
            let session = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: SessionTests.quarterly)["id"])
            #expect(try await api.call(.post, "/v1/sessions/\(session)/agenda", as: api.admin, json: #"{"title":"A","duration_minutes":10}"#).status == 201)
            let coordinator = try await api.dialogue.makeUser(.coordinator)
            let cli = CallContext.cli()
            let group = try await api.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let proxy = try await api.dialogue.makeUser(.member, kind: .inCountryProxy)
            let member = try await api.dialogue.makeUser(.member)
            let outsider = try await api.dialogue.makeUser(.member)
            for person in [proxy, member] {
                _ = try await api.dialogue.putMember(cli, groupID: group.id, participantID: person.participantID, role: "member")
            }
            let item = try #require(try await api.call(.post, "/v1/action-items", as: api.admin, json: #"""
                {"working_group_id":"\#(group.id.lowercasedString)","title":"Document the case","owner_id":"\#(proxy.participantID.lowercasedString)","due_on":"2027-06-30"}
                """#)["id"])
            let read = try await api.call(.get, "/v1/action-items/\(item)", as: coordinator)
            #expect(read.status == 200)
            #expect(read["title"] == "Document the case")
            #expect(read["owner_id"] == proxy.participantID.lowercasedString, "a coordinator knows the proxy owner")
            #expect(read.headers[.eTag] == "\"1\"")
            let seenByMember = try await api.call(.get, "/v1/action-items/\(item)", as: member)
            #expect(seenByMember.status == 200)
            #expect(seenByMember.json["owner_id"] == nil || seenByMember.json["owner_id"] is NSNull, "a fellow member is not told who the proxy is")
            #expect(try await api.call(.get, "/v1/action-items/\(item)", as: outsider).status == 404, "outside the group it does not exist")
            let groupPath = "/v1/working-groups/\(group.id.lowercasedString)"
            let groupRead = try await api.call(.get, groupPath, as: coordinator)
            #expect(groupRead.status == 200)
            #expect(groupRead["name"] == "Media")
            #expect(groupRead.json["warnings"] is [Any], "a coordinator is told where a group lacks a chair")
            let memberRead = try await api.call(.get, groupPath, as: member)
            #expect(memberRead["name"] == "Media")
            #expect((memberRead.json["warnings"] as? [Any] ?? []).isEmpty, "a member is not told of chairs, missing or hidden")
            #expect(try await api.call(.get, groupPath, as: outsider).status == 404, "a group one is not in does not exist")
            let agenda = try await api.call(.get, "/v1/sessions/\(session)/agenda", as: coordinator)
            #expect(agenda.status == 200)
            #expect(agenda.items.compactMap { $0["title"] as? String } == ["A"])
            #expect(agenda.headers[.eTag] == "\"2\"")
            let unknown = UUID().uuidString.lowercased()
            #expect(try await api.call(.get, "/v1/sessions/\(session)", as: coordinator)["id"] == session)
            for path in ["/v1/sessions/\(unknown)/agenda", "/v1/sessions/not-an-id/agenda", "/v1/sessions/\(unknown)", "/v1/sessions/not-an-id",
                         "/v1/action-items/\(unknown)", "/v1/action-items/not-an-id", "/v1/working-groups/\(unknown)",
                         "/v1/working-groups/not-an-id"] {
                #expect(try await api.call(.get, path, as: coordinator).status == 404, "\(path)")
            }

            // A token of the right form that names nothing: 401 whatever the path names.
            let forged: HTTPFields = [.authorization: "Bearer dlg_" + String(repeating: "x", count: 43)]
            let paths = ["/v1/sessions/\(session)/agenda", "/v1/sessions/\(unknown)/agenda", "/v1/sessions/not-an-id/agenda",
                         "/v1/sessions/\(session)", "/v1/sessions/\(unknown)", "/v1/sessions/not-an-id",
                         "/v1/action-items/\(item)", "/v1/action-items/\(unknown)", "/v1/action-items/not-an-id",
                         "/v1/working-groups/\(group.id.lowercasedString)", "/v1/working-groups/\(unknown)", "/v1/working-groups/not-an-id"]
            for path in paths {
                let reply = try await api.call(.get, path, headers: forged)
                #expect(reply.status == 401, "\(path)")
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }

            // The read wrote when the token was last used, as every other read does.
            let lastUsed = try await api.dialogue.database.read { connection in
                try await connection.query("SELECT last_used_at IS NOT NULL FROM tokens WHERE id = \(coordinator.tokenID)", logger: api.dialogue.database.logger)
                    .collect().first?.decode(Bool.self)
            }
            #expect(lastUsed == true)

            try await sql(api.dialogue, "UPDATE tokens SET revoked_at = now() WHERE id = \(coordinator.tokenID)")
            for path in paths {
                #expect(try await api.call(.get, path, as: coordinator).status == 401, "\(path) after the revocation")
            }
        }
    }

    @Test("/v1/me names the caller and the role of the token; a CLI-minted token works as a bearer")
    func me() async throws {
        try await API.run { api in
            let cliToken = try await api.dialogue.issueToken(
                .cli(), participantID: api.admin.participantID, role: "coordinator", label: "cli", expiresInDays: 1)
            let reply = try await api.call(.get, "/v1/me", headers: [.authorization: "Bearer \(cliToken.secret)"])
            #expect(reply.status == 200)
            #expect(reply["role"] == "coordinator")
            let participant = try #require(reply.json["participant"] as? [String: Any])
            #expect(participant["id"] as? String == api.admin.participantID.uuidString.lowercased())
        }
    }

    @Test("tokens over the API: admin mints any role, the secret is shown once, nobody raises their own role")
    func mintingOverHTTP() async throws {
        try await API.run { api in
            let coordinator = try await api.dialogue.makeUser(.coordinator)
            let member = try await api.dialogue.makeUser(.member)
            let memberPath = "/v1/participants/\(member.participantID.uuidString.lowercased())/tokens"
            let coordinatorPath = "/v1/participants/\(coordinator.participantID.uuidString.lowercased())/tokens"

            let minted = try await api.call(.post, memberPath, as: api.admin, json: #"{"role":"coordinator","label":"laptop","expires_in_days":30}"#)
            #expect(minted.status == 201)
            let secret = try #require(minted["token"])
            #expect(try await api.call(.get, "/v1/me", headers: [.authorization: "Bearer \(secret)"])["role"] == "coordinator")

            let listed = try await api.call(.get, memberPath, as: member)
            #expect(listed.status == 200)
            #expect(listed.items.count == 2)
            #expect(!listed.text.contains(secret), "a token list never shows secrets")

            #expect(try await api.call(.post, coordinatorPath, as: coordinator, json: #"{"role":"admin"}"#).status == 403)
            // A coordinator sees the member but may not touch its tokens: 403, not 404.
            #expect(try await api.call(.post, memberPath, as: coordinator, json: #"{"role":"member"}"#).status == 403)
            #expect(try await api.call(.get, memberPath, as: coordinator).status == 403)
            // The member sees no coordinator it shares no group with: for it, 404.
            #expect(try await api.call(.get, coordinatorPath, as: member).status == 404)
            #expect(try await api.call(.post, coordinatorPath, as: coordinator, json: #"{"role":"member"}"#).status == 201)
            #expect(try await api.call(.post, coordinatorPath, as: coordinator, json: #"{"role":"root"}"#).errorFields == ["role"])
            let bad = try await api.call(.post, coordinatorPath, as: coordinator, json: #"{"role":"member","label":"\u0007","expires_in_days":0}"#)
            #expect(bad.status == 422)
            #expect(bad.errorFields == ["label", "expires_in_days"])
        }
    }

    @Test("members and observers read organizations but cannot write; coordinators can")
    func directoryWriteNeedsCoordinator() async throws {
        try await API.run { api in
            let member = try await api.dialogue.makeUser(.member)
            let observer = try await api.dialogue.makeUser(.observer)
            let coordinator = try await api.dialogue.makeUser(.coordinator)
            let body = #"{"name":"Office of the Special Envoy","side":"government","country":"US"}"#
            #expect(try await api.call(.post, "/v1/organizations", as: member, json: body).status == 403)
            #expect(try await api.call(.post, "/v1/organizations", as: observer, json: body).status == 403)
            #expect(try await api.call(.post, "/v1/organizations", as: coordinator, json: body).status == 201)
            #expect(try await api.call(.get, "/v1/organizations", as: observer).items.count == 1)
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM organizations") == 1)
        }
    }

    @Test("an in-country proxy with an email is refused with 422 naming the field, and nothing is stored")
    func proxyWithEmail() async throws {
        try await API.run { api in
            let before = try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM participants")
            let reply = try await api.call(
                .post, "/v1/participants", as: api.admin,
                json: #"{"display_name":"Zubr","kind":"in_country_proxy","email":"someone@example.org"}"#)
            #expect(reply.status == 422)
            #expect(reply.errorFields == ["email"])
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM participants") == before)
            let ok = try await api.call(
                .post, "/v1/participants", as: api.admin,
                json: #"{"display_name":"Zubr","kind":"in_country_proxy","represents":"independent trade unions, Homel region"}"#)
            #expect(ok.status == 201)
            #expect(ok.json["email"] == nil)
        }
    }
}
