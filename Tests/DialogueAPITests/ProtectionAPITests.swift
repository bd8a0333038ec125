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

    /// SECURITY.md 3 and 18: a canary sealed for a proxy (through `dialogue-admin vault seal`,
    /// as an operator would) must appear in no response (every GET of the contract, as admin,
    /// as the proxy and as a fellow member, on a real object of every kind; error responses
    /// too), no calendar feed, no CLI output on stdout or stderr, no log line of the router or
    /// the services, and no database dump; nor may any secret minted here sit in that dump.
    @Test("a canary sealed for a proxy appears in no response, feed, CLI output, log line or pg_dump; no minted secret is in the dump")
    func canary() async throws {
        let canary = "CANARY-\(UUID().uuidString.prefix(8))-Ihar-Legalname"
        let capture = LogCapture()
        let binary = TestDatabases.sqlDirectory.deletingLastPathComponent().appendingPathComponent(".build/debug/dialogue-admin").path
        try await withTestDatabase { configuration in
            var capturedConfiguration = configuration
            capturedConfiguration.maximumConnections = 8
            // The services log through the database's logger: it is the capture's too.
            let database = Database(configuration: capturedConfiguration, logger: capture.logger(label: "services"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                await database.startClient(in: &group)
                defer { group.cancelAll() }
                let dialogue = try await Dialogue.load(database: database)
                let cli = CallContext.cli()
                let admin = try await dialogue.makeUser(.admin)
                let organization = try await dialogue.createOrganization(cli, OrganizationInput(name: "Union council", side: "movement"))
                let workingGroup = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "human_rights", name: "Prisoners"))
                let proxy = try await dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
                let member = try await dialogue.makeUser(.member, name: "Hanna")
                for user in [proxy, member] {
                    _ = try await dialogue.putMember(cli, groupID: workingGroup.id, participantID: user.participantID, role: "member")
                }
                // Notifications go out by e-mail (full text, opted into) and webhook too: both are walked.
                _ = try await dialogue.createWebhook(cli, url: "https://hooks.example.org/canary", events: nil)
                _ = try await dialogue.updateParticipant(cli, id: member.participantID, ParticipantInput(email: .some("hanna@example.org")), ifMatch: nil)
                _ = try await dialogue.updateNotificationPreferences(member.context, PreferencesInput(email: "immediate", fullText: true), ifMatch: nil)

                // Sealed by the operator's command, with the key from the environment.
                let key = VaultKey.generate()
                let fields = FileManager.default.temporaryDirectory.appendingPathComponent("canary-\(UUID().uuidString).json").path
                try Data(#"{"legal_name":"\#(canary)","region":"Homel"}"#.utf8).write(to: URL(fileURLWithPath: fields))
                defer { try? FileManager.default.removeItem(atPath: fields) }
                let (sealStatus, sealOutput) = try runMergingStderr(
                    "/bin/sh", ["-c", "exec \"$0\" vault seal --participant \"$1\" < \"$2\"", binary, proxy.participantID.uuidString, fields],
                    environment: ["DATABASE_URL": configuration.url, "DIALOGUE_VAULT_KEY": key])
                #expect(sealStatus == 0, "vault seal failed: \(sealOutput)")
                #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM sealed_identities") == 1)

                let session = try await dialogue.createSession(cli, SessionInput(
                    kind: "working_group", workingGroupID: workingGroup.id, title: "WG meeting", localStart: "2027-02-01T10:00",
                    durationMinutes: 60, timezone: "Europe/Vilnius"))
                _ = try await dialogue.invite(cli, sessionID: session.id, participantID: proxy.participantID, onBehalfOf: "unions")
                let (item, _) = try await dialogue.addAgendaItem(cli, sessionID: session.id, AgendaItemInput(
                    title: "Report from Homel", durationMinutes: 15, presenterID: .some(proxy.participantID)), ifMatch: nil)
                let proposal = try await dialogue.createProposal(
                    proxy.context, ProposalInput(workingGroupID: workingGroup.id, title: "Prisoner list", kind: "prisoner_case", scale: "small"))
                _ = try await dialogue.transitionProposal(proxy.context, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
                _ = try await dialogue.endorse(member.context, proposalID: proposal.id)
                let action = try await dialogue.createActionItem(cli, ActionItemInput(
                    workingGroupID: workingGroup.id, title: "Follow up", ownerID: proxy.participantID, dueOn: "2027-03-01"))
                let (feedID, feedSecret) = try await dialogue.createCalendarFeed(proxy.context)
                let document = try await dialogue.createDocument(proxy.context, DocumentInput(
                    workingGroupID: workingGroup.id, kind: "briefing", title: "Notes from Homel", body: "What we saw"))
                let comment = try await dialogue.createComment(proxy.context, on: .proposal(proposal.id), body: "Names follow")
                let sanctions = try await dialogue.createProposal(
                    proxy.context, ProposalInput(workingGroupID: workingGroup.id, title: "Designate the judge", kind: "sanctions", scale: "small"))
                _ = try await dialogue.transitionProposal(proxy.context, id: sanctions.id, to: "submitted", note: nil, ifMatch: nil)
                _ = try await dialogue.putDossier(proxy.context, proposalID: sanctions.id, DossierInput(targetKind: "person", names: ["Judge K."]), ifMatch: nil)
                _ = try await dialogue.putCase(proxy.context, proposalID: proposal.id, PrisonerCaseInput(judge: "Judge K.", consent: "internal"), ifMatch: nil)
                let evidence = try await dialogue.receiveEvidence(
                    proxy.context, on: .proposal(proposal.id), EvidenceIntake(declaredType: "text/plain"),
                    bytes: AsyncStream { continuation in
                        continuation.yield(ArraySlice("List of the detained, as seen".utf8))
                        continuation.finish()
                    })
                let mintedByServices = [admin.token, proxy.token, member.token, feedSecret]

                let router = try DialogueHTTP.buildRouter(APIDependencies(
                    dialogue: dialogue, migrator: try Migrator(directory: TestDatabases.sqlDirectory), logger: capture.logger(label: "router")))
                let (seen, mintedOverAPI) = try await Application(router: router).test(.router) { client -> (String, [String]) in
                    var seen = ""
                    var minted: [String] = []
                    // Secrets minted over the API, retried with their key: the replay must not keep them.
                    let tokens = "/v1/participants/\(proxy.participantID.uuidString.lowercased())/tokens"
                    for path in [tokens, "/v1/calendar/feed-url"] {
                        for _ in 0..<2 {
                            let response = try await client.executeRequest(
                                uri: path, method: .post,
                                headers: [.authorization: admin.bearer, .contentType: "application/json", HTTPField.Name("Idempotency-Key")!: "canary-\(path.count)"],
                                body: ByteBuffer(string: path == tokens ? #"{"role":"observer"}"# : "{}"))
                            let json = (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any]
                            if let token = json?["token"] as? String { minted.append(token) }
                            if let url = json?["url"] as? String, let last = url.split(separator: "/").last { minted.append(String(last.dropLast(4))) }
                        }
                    }
                    let ids: [String: String] = [
                        "organizations": organization.id.uuidString.lowercased(), "participants": proxy.participantID.uuidString.lowercased(),
                        "working-groups": workingGroup.id.uuidString.lowercased(), "sessions": session.id.uuidString.lowercased(),
                        "agenda-items": item.id.uuidString.lowercased(), "proposals": proposal.id.uuidString.lowercased(),
                        "action-items": action.id.uuidString.lowercased(), "feed-url": feedID.uuidString.lowercased(),
                        "documents": document.id.lowercasedString, "comments": comment.id.lowercasedString, "versions": "1",
                        "evidence": evidence.id.lowercasedString,
                    ]
                    let spec = try JSONSerialization.jsonObject(
                        with: Data(String(buffer: try await client.executeRequest(uri: "/openapi.json", method: .get, headers: [:], body: nil).body).utf8))
                    let paths = try #require((spec as? [String: Any])?["paths"] as? [String: [String: Any]])
                    var gets = 0
                    for template in paths.keys.sorted() where paths[template]?["get"] != nil {
                        let segments = template.split(separator: "/").map(String.init)
                        var path = "/" + segments.enumerated().map { index, segment -> String in
                            guard segment.hasPrefix("{") else { return segment }
                            let suffix = segment.hasSuffix(".ics") ? ".ics" : ""
                            if segment.hasPrefix("{participant_id}") { return proxy.participantID.uuidString.lowercased() }
                            if segment.hasPrefix("{feed_secret}") { return feedSecret + suffix }
                            return (ids[segments[index - 1]] ?? "unmapped") + suffix
                        }.joined(separator: "/")
                        if template == "/v1/exports/quarterly" { path += "?quarter=2027-Q1" }
                        if template.hasSuffix("/diff") { path += "?from=1&to=1" }
                        if template.contains("/dossier") {
                            path = path.replacingOccurrences(of: proposal.id.lowercasedString, with: sanctions.id.lowercasedString)
                        }
                        for user in [admin, proxy, member] {
                            let response = try await client.executeRequest(
                                uri: path, method: .get, headers: [.authorization: user.bearer], body: nil)
                            if user.participantID == admin.participantID {
                                #expect(response.status == .ok, "as admin, GET \(path) answered \(response.status.code)")
                            }
                            seen += String(buffer: response.body)
                            gets += 1
                        }
                    }
                    #expect(gets >= 3 * 30, "every GET of the contract is walked (\(gets))")
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
                    return (seen, minted)
                }
                _ = try await dialogue.createActionItem(cli, ActionItemInput(
                    workingGroupID: workingGroup.id, title: "For Hanna", ownerID: member.participantID, dueOn: "2027-03-01"))
                let (mails, hooks) = (try await dialogue.queueEmails(), try await dialogue.queueWebhooks())
                #expect(mails == 1 && hooks == 1)
                var outside = ""
                for delivery in try await dialogue.dueEmails() {
                    let message = try await dialogue.composeEmail(delivery, from: "portal@dialogue.example", publicBaseURL: "https://portal.example")
                    outside += message.subject + message.body
                }
                outside += try await dialogue.dueWebhooks().map(\.payload).joined()
                #expect(outside.contains("For Hanna"), "the walk did reach an e-mail with full text")
                #expect(!outside.contains(canary) && !outside.contains("Zubr"), "an e-mail or webhook carried the canary or the proxy")
                #expect(seen.contains("Zubr"), "the walk did reach the proxy's records (by pseudonym)")
                #expect(!seen.contains(canary), "a response carried the sealed canary")
                #expect(capture.text.contains("services:") || capture.text.contains("router:"))
                #expect(!capture.text.contains(canary), "a log line carried the sealed canary")

                // The CLI's list and show commands, stdout and stderr, against this database.
                var cliOutput = sealOutput
                for arguments in [
                    ["participant", "list"], ["participant", "show", proxy.participantID.uuidString], ["group", "list"],
                    ["group", "show", workingGroup.id.uuidString], ["session", "list"], ["session", "show", session.id.uuidString],
                    ["proposal", "list"], ["proposal", "show", proposal.id.uuidString], ["action", "list"], ["org", "list"],
                    ["token", "list"], ["audit", "verify"], ["participant", "list", "--json"], ["agenda", "list", "--session", session.id.uuidString],
                ] {
                    let (status, output) = try runMergingStderr(binary, arguments, environment: ["DATABASE_URL": configuration.url])
                    #expect(status == 0, "dialogue-admin \(arguments.joined(separator: " ")) failed: \(output)")
                    cliOutput += output
                }
                #expect(cliOutput.contains("Zubr"))
                #expect(!cliOutput.contains(canary), "CLI output carried the sealed canary")

                // A dump of the database, as a thief with a stolen backup would have it.
                let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
                let candidates = versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin/pg_dump" } + ["/usr/bin/pg_dump"]
                let pgDump = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "pg_dump not found")
                let (dumpStatus, dump) = try run(pgDump, ["--no-owner", configuration.url])
                #expect(dumpStatus == 0)
                #expect(dump.contains("sealed_identities"))
                #expect(!dump.contains(canary), "the database dump carried the sealed canary")
                // Each POST was sent twice with one key: the first mints, the retry is refused (409).
                #expect(mintedOverAPI.count == 2, "a token and a feed minted over the API, each once")
                for secret in mintedByServices + mintedOverAPI {
                    // bytea columns (kept responses) are dumped as hex: look for both spellings.
                    let hex = secret.utf8.map { String(format: "%02x", $0) }.joined()
                    #expect(!dump.contains(secret) && !dump.contains(hex), "the database dump carried a minted secret (\(secret.prefix(8))…)")
                }
            }
        }
    }
}
