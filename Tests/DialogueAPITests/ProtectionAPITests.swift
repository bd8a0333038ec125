import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Compromise drill, audit trail and the canary leak test")
struct ProtectionAPITests {
    @Test("a seized device: one call revokes every token and feed; the stolen token gets 401 at once")
    func compromiseDrill() async throws {
        try await API.run { api in
            let proxy = try await api.dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
            let second = try await api.dialogue.issueToken(.cli(), participantID: proxy.participantID, role: "observer", label: "phone", expiresInDays: 5)
            let feed = try await api.call(.post, "/v1/calendar/feed-url", as: proxy)
            let feedURL = try #require(feed["url"])
            let feedPath = String(feedURL[try #require(feedURL.range(of: "/v1/calendar/")).lowerBound...])
            #expect(try await api.call(.get, feedPath).status == 200)

            let path = "/v1/participants/\(proxy.participantID.uuidString.lowercased())"
            let coordinator = try await api.dialogue.makeUser(.coordinator)
            #expect(try await api.call(.post, "\(path)/compromise", as: coordinator, json: #"{"reason":"device seized"}"#).status == 403)
            let selfPath = "/v1/participants/\(api.admin.participantID.uuidString.lowercased())/compromise"
            #expect(try await api.call(.post, selfPath, as: api.admin, json: "{}").status == 409, "no locking oneself out")
            let drill = try await api.call(.post, "\(path)/compromise", as: api.admin, json: #"{"reason":"device seized at the border"}"#)
            #expect(drill.status == 200)
            #expect(drill["status"] == "compromised")
            #expect(try await api.call(.get, "/v1/me", as: proxy).status == 401)
            #expect(try await api.call(.get, "/v1/me", headers: [.authorization: "Bearer \(second.secret)"]).status == 401)
            #expect(try await api.call(.get, feedPath).status == 404)

            // Coming back takes an admin, and a new token: the old ones stay dead.
            #expect(try await api.call(.patch, path, as: coordinator, json: #"{"status":"active"}"#).status == 403)
            #expect(try await api.call(.patch, path, as: api.admin, json: #"{"status":"active"}"#).status == 200)
            #expect(try await api.call(.get, "/v1/me", as: proxy).status == 401)
            let audit = try await api.call(.get, "/v1/audit?object_type=participant&object_id=\(proxy.participantID.uuidString.lowercased())", as: api.admin)
            #expect(audit.items.compactMap { $0["action"] as? String }.contains("participant.compromise"))
            #expect(try await api.call(.get, "/v1/audit", as: coordinator).status == 403)
        }
    }

    @Test("the audit trail pages by sequence and filters by actor")
    func auditListing() async throws {
        try await API.run { api in
            for index in 1...3 {
                _ = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"Org \#(index)","side":"partner"}"#)
            }
            let page = try await api.call(.get, "/v1/audit?limit=2&actor_id=\(api.admin.participantID.uuidString.lowercased())", as: api.admin)
            #expect(page.items.count == 2)
            let cursor = try #require(page.json["next_cursor"] as? String)
            let next = try await api.call(.get, "/v1/audit?limit=2&actor_id=\(api.admin.participantID.uuidString.lowercased())&cursor=\(cursor)", as: api.admin)
            #expect(next.items.count == 1)
            let seqs = (page.items + next.items).compactMap { $0["seq"] as? Int }
            #expect(seqs == seqs.sorted())
        }
    }

    /// SECURITY.md 3: a canary sealed for a proxy must appear in no response (every GET in the
    /// contract, as admin, as the proxy and as a fellow member; error responses too), no
    /// calendar feed, no CLI list or show output, no server log line and no database dump.
    @Test("a canary sealed for a proxy appears in no response, feed, CLI output, log line or pg_dump")
    func canary() async throws {
        let canary = "CANARY-\(UUID().uuidString.prefix(8))-Ihar-Legalname"
        let capture = LogCapture()
        try await withDialogue { dialogue in
            let cli = CallContext.cli()
            let admin = try await dialogue.makeUser(.admin)
            let key = try VaultKey(base64: VaultKey.generate())
            let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "human_rights", name: "Prisoners"))
            let proxy = try await dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
            let member = try await dialogue.makeUser(.member, name: "Hanna")
            for user in [proxy, member] {
                _ = try await dialogue.putMember(cli, groupID: group.id, participantID: user.participantID, role: "member")
            }
            try await dialogue.sealIdentity(
                cli, participantID: proxy.participantID, json: Data(#"{"legal_name":"\#(canary)","region":"Homel"}"#.utf8), key: key)
            let session = try await dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: group.id, title: "WG meeting", localStart: "2027-02-01T10:00",
                durationMinutes: 60, timezone: "Europe/Vilnius"))
            _ = try await dialogue.invite(cli, sessionID: session.id, participantID: proxy.participantID, onBehalfOf: "unions")
            let proposal = try await dialogue.createProposal(
                proxy.context, ProposalInput(workingGroupID: group.id, title: "Prisoner list", kind: "prisoner_case", scale: "small"))
            _ = try await dialogue.transitionProposal(proxy.context, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
            let action = try await dialogue.createActionItem(cli, ActionItemInput(
                workingGroupID: group.id, title: "Follow up", ownerID: proxy.participantID, dueOn: "2027-03-01"))
            let (_, feedSecret) = try await dialogue.createCalendarFeed(proxy.context)

            let router = try DialogueHTTP.buildRouter(APIDependencies(
                dialogue: dialogue, migrator: try Migrator(directory: TestDatabases.sqlDirectory), logger: capture.logger()))
            let seen = try await Application(router: router).test(.router) { client -> String in
                var seen = ""
                let ids: [String: String] = [
                    "/v1/participants/{id}": proxy.participantID.uuidString.lowercased(),
                    "/v1/working-groups/{id}": group.id.uuidString.lowercased(),
                    "/v1/sessions/{id}": session.id.uuidString.lowercased(),
                    "/v1/proposals/{id}": proposal.id.uuidString.lowercased(),
                    "/v1/action-items/{id}": action.id.uuidString.lowercased(),
                ]
                let spec = try JSONSerialization.jsonObject(
                    with: Data(String(buffer: try await client.executeRequest(uri: "/openapi.json", method: .get, headers: [:], body: nil).body).utf8))
                let paths = try #require((spec as? [String: Any])?["paths"] as? [String: [String: Any]])
                var gets = 0
                for template in paths.keys.sorted() where paths[template]?["get"] != nil {
                    var path = template
                    for (prefix, id) in ids where template.hasPrefix(prefix) {
                        path = path.replacingOccurrences(of: "{id}", with: id)
                    }
                    path = path.replacingOccurrences(of: "{id}", with: ids["/v1/sessions/{id}"]!)
                        .replacingOccurrences(of: "{participant_id}", with: proxy.participantID.uuidString.lowercased())
                        .replacingOccurrences(of: "{feed_secret}", with: feedSecret)
                    for user in [admin, proxy, member] {
                        let response = try await client.executeRequest(
                            uri: path, method: .get, headers: [.authorization: user.bearer], body: nil)
                        seen += String(buffer: response.body)
                        gets += 1
                    }
                }
                #expect(gets >= 3 * 25, "every GET of the contract is walked")
                // Error paths: unknown ids, bad bodies, forbidden writes.
                for (method, path, body) in [
                    (HTTPRequest.Method.get, "/v1/participants/\(UUID().uuidString)", ""),
                    (.patch, "/v1/participants/\(proxy.participantID.uuidString.lowercased())", #"{"email":"x@example.org"}"#),
                    (.post, "/v1/participants/\(proxy.participantID.uuidString.lowercased())/compromise", "{"),
                ] {
                    let response = try await client.executeRequest(
                        uri: path, method: method, headers: [.authorization: member.bearer, .contentType: "application/json"],
                        body: ByteBuffer(string: body))
                    seen += String(buffer: response.body)
                }
                return seen
            }
            #expect(seen.contains("Zubr"), "the walk did reach the proxy's records (by pseudonym)")
            #expect(!seen.contains(canary), "a response carried the sealed canary")
            #expect(!capture.text.isEmpty)
            #expect(!capture.text.contains(canary), "a log line carried the sealed canary")

            // The CLI's list and show commands, against this database.
            let binary = TestDatabases.sqlDirectory.deletingLastPathComponent().appendingPathComponent(".build/debug/dialogue-admin").path
            var cliOutput = ""
            let database = dialogue.database.configuration
            for arguments in [
                ["participant", "list"], ["participant", "show", proxy.participantID.uuidString], ["group", "list"],
                ["group", "show", group.id.uuidString], ["session", "list"], ["session", "show", session.id.uuidString],
                ["proposal", "list"], ["action", "list"], ["org", "list"], ["token", "list"], ["audit", "verify"],
                ["participant", "list", "--json"],
            ] {
                let (status, output) = try run(binary, arguments, environment: ["DATABASE_URL": database.url])
                #expect(status == 0, "dialogue-admin \(arguments.joined(separator: " ")) failed: \(output)")
                cliOutput += output
            }
            #expect(cliOutput.contains("Zubr"))
            #expect(!cliOutput.contains(canary), "CLI output carried the sealed canary")

            // A dump of the database, as a thief with a stolen backup would have it.
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
            let candidates = versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin/pg_dump" } + ["/usr/bin/pg_dump"]
            let pgDump = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "pg_dump not found")
            let (dumpStatus, dump) = try run(pgDump, ["--no-owner", database.url])
            #expect(dumpStatus == 0)
            #expect(dump.contains("sealed_identities"))
            #expect(!dump.contains(canary), "the database dump carried the sealed canary")
        }
    }
}
