import DialogueCore
import DialogueTestSupport
@testable import DialogueWeb
import Foundation
import HTTPTypes
import Testing

/// The coordinators' console through the real router: who gets which page, the token and the
/// version on every form, and what a refused form brings back.
@Suite("Console: the coordinators' pages")
struct ConsoleTests {
    /// A small dialogue to point the pages at.
    struct Fixture: Sendable {
        var organization: UUID
        var participant: UUID
        var group: UUID
        var session: UUID
        var item: UUID
    }

    static func fixture(_ dialogue: Dialogue) async throws -> Fixture {
        let cli = CallContext.cli()
        let organization = try await dialogue.createOrganization(cli, OrganizationInput(name: "Office", side: "movement"))
        let participant = try await dialogue.createParticipant(cli, ParticipantInput(displayName: "Aliaksei", kind: "diaspora"))
        let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
        let session = try await dialogue.createSession(cli, SessionInput(
            kind: "working_group", workingGroupID: group.id, title: "Media session", localStart: "2030-05-14T10:00", durationMinutes: 90,
            timezone: "Europe/Vilnius"))
        let (item, _) = try await dialogue.addAgendaItem(cli, sessionID: session.id, AgendaItemInput(title: "Licensing", durationMinutes: 20), ifMatch: nil)
        return Fixture(organization: organization.id, participant: participant.id, group: group.id, session: session.id, item: item.id)
    }

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    /// Every form the console posts to, for the objects of a fixture.
    static func forms(_ f: Fixture) -> [String] {
        [
            "/console/organizations", "/console/organizations/\(Self.id(f.organization))", "/console/participants",
            "/console/participants/\(Self.id(f.participant))", "/console/participants/\(Self.id(f.participant))/invitation",
            "/console/participants/\(Self.id(f.participant))/compromise", "/console/participants/import", "/console/groups",
            "/console/groups/\(Self.id(f.group))", "/console/groups/\(Self.id(f.group))/members", "/console/groups/\(Self.id(f.group))/members/remove",
            "/console/sessions", "/console/sessions/quarterly", "/console/sessions/\(Self.id(f.session))",
            "/console/sessions/\(Self.id(f.session))/move", "/console/sessions/\(Self.id(f.session))/invitations",
            "/console/sessions/\(Self.id(f.session))/agenda", "/console/agenda-items/\(Self.id(f.item))",
            "/console/agenda-items/\(Self.id(f.item))/move", "/console/agenda-items/\(Self.id(f.item))/remove",
            "/console/agenda-items/\(Self.id(f.item))/action-items", "/console/review/place", "/console/report/freeze",
            "/console/webhooks", "/console/webhooks/\(Self.id(UUID()))/remove",
        ]
    }


    @Test("every console page and form: coordinators in, members and missing tokens out (403), as the API answers")
    func accessMatrix() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let f = try await Self.fixture(dialogue)
            let (coordinator, _) = try await portal.signedIn(try await dialogue.makeUser(.coordinator), name: "envoy", role: "coordinator")
            let (member, memberCSRF) = try await portal.signedIn(try await dialogue.makeUser(.member), name: "member")
            let (admin, _) = try await portal.signedIn(try await dialogue.makeUser(.admin), name: "admin", role: "admin")
            let pages = [
                "/console", "/console/organizations", "/console/organizations/\(Self.id(f.organization))", "/console/participants",
                "/console/participants/new", "/console/participants/import", "/console/participants/\(Self.id(f.participant))",
                "/console/groups", "/console/groups/\(Self.id(f.group))", "/console/sessions", "/console/sessions/new",
                "/console/sessions/quarterly", "/console/sessions/\(Self.id(f.session))", "/console/agenda-items/\(Self.id(f.item))",
                "/console/review", "/console/action-items", "/console/report?quarter=2030-Q2",
            ]
            for path in pages {
                let page = try await portal.get(path, cookie: coordinator)
                #expect(page.status == 200, "\(path) for a coordinator")
                PortalTests.checkPageRules(page, path)
                #expect(try await portal.get(path, cookie: member).status == 403, "\(path) for a member")
                #expect(try await portal.get(path).status == 303, "\(path) signed out: to the sign-in page")
            }
            let report = try await portal.get("/console/report/view?quarter=2030-Q2", cookie: coordinator)
            #expect(report.status == 200 && report.html.contains("2030-Q2") && report.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            let download = try await portal.get("/console/report/download?quarter=2030-Q2&format=json", cookie: coordinator)
            #expect(download.status == 200 && download.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            #expect(try await portal.get("/console/report/download?quarter=2030-Q2&format=json", cookie: member).status == 403)
            #expect(try await portal.get("/console/report/download?quarter=2030-Q9&format=json", cookie: coordinator).status == 422)
            #expect(try await portal.get("/console/audit", cookie: coordinator).status == 403, "the audit trail is for admins")
            #expect(try await portal.get("/console/webhooks", cookie: coordinator).status == 403, "webhooks are for admins")
            let hooks = try await portal.get("/console/webhooks", cookie: admin)
            #expect(hooks.status == 200)
            PortalTests.checkPageRules(hooks, "webhooks")
            let audit = try await portal.get("/console/audit", cookie: admin)
            #expect(audit.status == 200 && audit.html.contains("Intact"))
            #expect(try await portal.get("/console/organizations/\(UUID())", cookie: coordinator).status == 404)
            #expect(try await portal.get("/console/sessions/not-an-id", cookie: coordinator).status == 404)

            let forms = Self.forms(f)
            let filled = [
                "name": "Changed", "side": "government", "display_name": "Changed", "kind": "official", "timezone": "UTC", "title": "Changed",
                "version": "1", "participant_id": Self.id(f.participant), "role": "chair", "to": "cancelled", "position": "1",
                "csv": "display_name,kind\nSomeone,diaspora\n", "quarter": "2030-Q2", "reason": "test", "passphrase": "a long enough passphrase",
            ]
            for path in forms {
                #expect(try await portal.post(path, filled, cookie: coordinator).status == 403, "\(path) without the session's token")
                #expect(try await portal.post(path, filled.merging(["csrf": memberCSRF]) { $1 }, cookie: member).status == 403, "\(path) by a member")
            }
            // Nothing any of those posts asked for happened.
            #expect(try await dialogue.getOrganization(.cli(), id: f.organization).name == "Office")
            #expect(try await dialogue.getSession(.cli(), id: f.session).status == .planned)
            #expect(try await dialogue.getAgenda(.cli(), sessionID: f.session).items.count == 1)
            #expect(try await dialogue.listMembers(.cli(), groupID: f.group, page: PageRequest(limit: 10, cursor: nil)).items.isEmpty)
        }
    }

    @Test("an edit that lost a race comes back (409) with the person's values and the saved ones beside them; every form carries its version")
    func versions() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let f = try await Self.fixture(dialogue)
            let (cookie, csrf) = try await portal.signedIn(try await dialogue.makeUser(.coordinator), name: "envoy", role: "coordinator")
            let cli = CallContext.cli()
            // Someone else saves first.
            _ = try await dialogue.updateOrganization(cli, id: f.organization, OrganizationInput(name: "Office of the Forces"), ifMatch: nil)
            _ = try await dialogue.updateWorkingGroup(cli, id: f.group, WorkingGroupInput(mandate: "Saved by the other"), ifMatch: nil)
            _ = try await dialogue.updateParticipant(cli, id: f.participant, ParticipantInput(timezone: "Europe/Warsaw"), ifMatch: nil)
            _ = try await dialogue.updateSession(cli, id: f.session, SessionInput(location: "Vilnius"), ifMatch: nil)
            _ = try await dialogue.updateAgendaItem(cli, id: f.item, AgendaItemInput(durationMinutes: 45), ifMatch: nil)
            let stale: [(String, [String: String], String)] = [
                ("/console/organizations/\(Self.id(f.organization))", ["name": "Mine", "side": "movement"], "Office of the Forces"),
                ("/console/groups/\(Self.id(f.group))", ["name": "Mine", "mandate": "", "status": "active"], "Saved by the other"),
                ("/console/participants/\(Self.id(f.participant))", ["display_name": "Mine", "kind": "diaspora", "timezone": "UTC", "status": "active"], "Europe/Warsaw"),
                ("/console/sessions/\(Self.id(f.session))", ["title": "Mine", "local_start": "2030-05-14T10:00", "duration_minutes": "90", "timezone": "Europe/Vilnius"], "Vilnius"),
                ("/console/agenda-items/\(Self.id(f.item))", ["title": "Mine", "duration_minutes": "20"], "45"),
            ]
            for (path, values, theirs) in stale {
                let page = try await portal.post(path, values.merging(["csrf": csrf, "version": "1"]) { $1 }, cookie: cookie)
                #expect(page.status == 409, "\(path): a stale version")
                #expect(page.html.contains("Someone else saved this while you were editing"), "\(path): said so")
                #expect(page.html.contains(#"value="Mine""#), "\(path): the person's own value kept")
                #expect(page.html.contains("Now saved: \(theirs)"), "\(path): the saved value beside it")
                #expect(page.html.contains(#"name="version" value="2""#), "\(path): the form now carries the current version")
                let blind = try await portal.post(path, values.merging(["csrf": csrf]) { $1 }, cookie: cookie)
                #expect(blind.status == 409, "\(path): without a version, nothing is overwritten")
                let current = try await portal.post(path, values.merging(["csrf": csrf, "version": "2"]) { $1 }, cookie: cookie)
                #expect(current.status == 303, "\(path): with the current version it saves")
            }
            #expect(try await dialogue.getOrganization(cli, id: f.organization).name == "Mine")
            let refused = try await portal.post(
                "/console/organizations/\(Self.id(f.organization))", ["csrf": csrf, "version": "3", "name": "", "side": "nowhere"], cookie: cookie)
            #expect(refused.status == 422 && refused.html.contains(#"id="side-error""#) && refused.html.contains(#"aria-invalid="true""#))
        }
    }

    @Test("a participant CSV is previewed row by row, imported only when confirmed; a proxy's e-mail is refused beside the field")
    func directory() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let (cookie, csrf) = try await portal.signedIn(try await dialogue.makeUser(.coordinator), name: "envoy", role: "coordinator")
            let csv = "display_name,kind,timezone\r\nAnalyst One,diaspora,Europe/Warsaw\r\nAnalyst Two,spy,UTC\r\n"
            let bad = try await portal.post("/console/participants/import", ["csrf": csrf, "csv": csv], cookie: cookie)
            #expect(bad.status == 200 && bad.html.contains("new participant") && bad.html.contains("Kind: Choose one of the listed kinds."))
            #expect(!bad.html.contains("Import these participants"), "no confirmation while a row is wrong")
            let good = csv.replacingOccurrences(of: "spy", with: "official")
            let preview = try await portal.post("/console/participants/import", ["csrf": csrf, "csv": good], cookie: cookie)
            #expect(preview.html.contains("2 new, 0 updated, 0 with errors."))
            #expect(try await dialogue.listParticipants(.cli(), page: PageRequest(limit: 50, cursor: nil), filter: ParticipantFilter(name: "Analyst")).items.isEmpty,
                    "a preview saves nothing")
            let confirmed = try await portal.post(
                "/console/participants/import", ["csrf": csrf, "confirmed": Data(good.utf8).base64EncodedString()], cookie: cookie)
            #expect(confirmed.status == 200 && confirmed.html.contains("Imported: 2 new, 0 updated."))
            #expect(try await dialogue.listParticipants(.cli(), page: PageRequest(limit: 50, cursor: nil), filter: ParticipantFilter(name: "analyst")).items.count == 2)
            let unreadable = try await portal.post("/console/participants/import", ["csrf": csrf, "csv": "name\nx\n"], cookie: cookie)
            #expect(unreadable.status == 422 && unreadable.html.contains(#"id="csv-error""#))

            let proxy = try await portal.post("/console/participants", [
                "csrf": csrf, "display_name": "Zubr", "kind": "in_country_proxy", "timezone": "Europe/Minsk", "email": "zubr@example.org",
            ], cookie: cookie)
            #expect(proxy.status == 422 && proxy.html.contains(#"id="email-error""#) && proxy.html.contains(#"value="Zubr""#))
            let created = try await portal.post("/console/participants", [
                "csrf": csrf, "display_name": "Zubr", "kind": "in_country_proxy", "timezone": "Europe/Minsk",
            ], cookie: cookie)
            #expect(created.status == 303 && created.headers[.location]?.hasPrefix("/console/participants/") == true)
        }
    }

    @Test("a session from a local time: a skipped hour refused with the reason, the preview in every zone, saved only when confirmed")
    func sessionPreview() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let (cookie, csrf) = try await portal.signedIn(try await dialogue.makeUser(.coordinator), name: "envoy", role: "coordinator")
            var form = ["csrf": csrf, "kind": "quarterly", "title": "Quarterly dialogue", "local_start": "2030-03-31T03:30",
                        "timezone": "Europe/Vilnius", "duration_minutes": "180"]
            let skipped = try await portal.post("/console/sessions", form, cookie: cookie)
            #expect(skipped.status == 422 && skipped.html.contains("the clocks skip that hour"))
            form["local_start"] = "2030-03-28T15:00"
            let preview = try await portal.post("/console/sessions", form, cookie: cookie)
            #expect(preview.status == 200 && preview.html.contains("America/New_York") && preview.html.contains("9:00"))
            #expect(try await dialogue.listSessions(.cli(), page: PageRequest(limit: 10, cursor: nil), filter: SessionFilter()).items.isEmpty)
            form["confirm"] = "1"
            let created = try await portal.post("/console/sessions", form, cookie: cookie)
            #expect(created.status == 303)
            let sessions = try await dialogue.listSessions(.cli(), page: PageRequest(limit: 10, cursor: nil), filter: SessionFilter())
            #expect(sessions.items.map(\.title) == ["Quarterly dialogue"])
        }
    }

    @Test("two coordinators moving items of one agenda at once never lose one")
    func agendaRace() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let f = try await Self.fixture(dialogue)
            for title in ["Second", "Third", "Fourth"] {
                _ = try await dialogue.addAgendaItem(.cli(), sessionID: f.session, AgendaItemInput(title: title, durationMinutes: 10), ifMatch: nil)
            }
            let (one, oneCSRF) = try await portal.signedIn(try await dialogue.makeUser(.coordinator), name: "envoy", role: "coordinator")
            let (two, twoCSRF) = try await portal.signedIn(try await dialogue.makeUser(.coordinator), name: "secretariat", role: "coordinator")
            for round in 0..<6 {
                let items = try await dialogue.getAgenda(.cli(), sessionID: f.session).items
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    group.addTask {
                        try await portal.post("/console/agenda-items/\(Self.id(items[0].id))/move", ["csrf": oneCSRF, "position": "4"], cookie: one).status
                    }
                    group.addTask {
                        try await portal.post("/console/agenda-items/\(Self.id(items[3].id))/move", ["csrf": twoCSRF, "position": "\(1 + round % 2)"], cookie: two).status
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == 303 || $0 == 409 }, "each move applies or is sent back with the news (\(statuses))")
                let after = try await dialogue.getAgenda(.cli(), sessionID: f.session).items
                #expect(Set(after.map(\.id)) == Set(items.map(\.id)) && after.count == 4, "no item lost or doubled")
            }
        }
    }

    @Test("the compromise drill asks for a reason and the admin's own passphrase, then ends every session of the participant")
    func compromiseDrill() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let proxy = try await dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
            let (proxyCookie, _) = try await portal.signedIn(proxy, name: "zubr")
            let (coordinator, coordinatorCSRF) = try await portal.signedIn(try await dialogue.makeUser(.coordinator), name: "envoy", role: "coordinator")
            let (admin, csrf) = try await portal.signedIn(try await dialogue.makeUser(.admin), name: "admin", role: "admin")
            let path = "/console/participants/\(Self.id(proxy.participantID))"
            let page = try await portal.get(path, cookie: admin)
            #expect(page.html.contains("Compromise drill") && page.html.contains(#"id="web-sessions""#))
            #expect(!(try await portal.get(path, cookie: coordinator)).html.contains("Compromise drill"), "a coordinator is not offered the drill")
            #expect(try await portal.post(path + "/compromise", ["csrf": coordinatorCSRF, "reason": "x", "passphrase": "a long enough passphrase"],
                                          cookie: coordinator).status == 403)
            let noReason = try await portal.post(path + "/compromise", ["csrf": csrf, "passphrase": "a long enough passphrase"], cookie: admin)
            #expect(noReason.status == 422 && noReason.html.contains(#"id="reason-error""#))
            let wrong = try await portal.post(path + "/compromise", ["csrf": csrf, "reason": "Seized", "passphrase": "not the passphrase"], cookie: admin)
            #expect(wrong.status == 422 && wrong.html.contains(#"id="passphrase-error""#) && wrong.html.contains(#"Seized"#))
            #expect(try await dialogue.getParticipant(.cli(), id: proxy.participantID).status == .active, "nothing happened yet")
            #expect(try await portal.get("/", cookie: proxyCookie).status == 200)
            let done = try await portal.post(path + "/compromise", ["csrf": csrf, "reason": "Seized", "passphrase": "a long enough passphrase"], cookie: admin)
            #expect(done.status == 303)
            #expect(try await dialogue.getParticipant(.cli(), id: proxy.participantID).status == .compromised)
            #expect(try await portal.get("/", cookie: proxyCookie).status == 303, "the participant's portal session ended at once")
            let trail = try await portal.get("/console/audit", cookie: admin)
            #expect(trail.html.contains("participant.compromise") && trail.html.contains("Intact"))
        }
    }

    @Test("a held session's outcomes are signed by a chair of each side from the session's page; nobody else is offered it")
    func twoSidedSignOff() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let f = try await Self.fixture(dialogue)
            let government = try await dialogue.makeUser(.member, name: "Chair Official", kind: .official)
            let movement = try await dialogue.makeUser(.member, name: "Chair Diaspora", kind: .diaspora)
            let member = try await dialogue.makeUser(.member, name: "Plain Member", kind: .diaspora)
            for (user, role) in [(government, "chair"), (movement, "chair"), (member, "member")] {
                _ = try await dialogue.putMember(.cli(), groupID: f.group, participantID: user.participantID, role: role)
            }
            for status in ["confirmed", "held"] {
                _ = try await dialogue.transitionSession(.cli(), id: f.session, to: status, note: nil, ifMatch: nil)
            }
            let path = "/sessions/\(Self.id(f.session))"
            let (plain, plainCSRF) = try await portal.signedIn(member, name: "plain")
            #expect(!(try await portal.get(path, cookie: plain)).html.contains("Sign off the outcomes"), "a member who is no chair is not offered it")
            #expect(try await portal.post(path + "/sign-off", ["csrf": plainCSRF], cookie: plain).status == 403)
            let (chair, chairCSRF) = try await portal.signedIn(government, name: "official")
            #expect(try await portal.get(path, cookie: chair).html.contains("Sign off the outcomes for the government side"))
            #expect(try await portal.post(path + "/sign-off", ["csrf": chairCSRF], cookie: chair).status == 303)
            let signed = try await portal.get(path + "?saved=signed", cookie: chair)
            #expect(signed.html.contains("government: ") && !signed.html.contains("Sign off the outcomes for"), "signed once, not offered again")
            let (other, otherCSRF) = try await portal.signedIn(movement, name: "diaspora")
            #expect(try await portal.post(path + "/sign-off", ["csrf": otherCSRF], cookie: other).status == 303)
            #expect(try await dialogue.signOffs(.cli(), sessionID: f.session).map(\.side).sorted() == ["government", "movement"])
        }
    }

    @Test("hostile input to every console form and list gets a page that says what happened, never a 5xx")
    func hostileInput() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let f = try await Self.fixture(dialogue)
            let (cookie, csrf) = try await portal.signedIn(try await dialogue.makeUser(.admin), name: "admin", role: "admin")
            let long = String(repeating: "ж", count: 2_000)  // 46 fields of it stay under the 1 MiB a form may be
            let keys = [
                "name", "side", "country", "display_name", "kind", "organization_id", "timezone", "languages", "email", "represents", "status",
                "direction", "mandate", "participant_id", "role", "title", "level", "local_start", "duration_minutes", "location", "to", "note",
                "on_behalf_of", "presenter_id", "proposal_id", "outcome", "outcome_note", "owner_id", "due_on", "working_group_id", "position",
                "version", "reason", "passphrase", "code", "csv", "confirmed", "confirm", "held", "session_id", "quarter", "audience", "year",
                "month_in_quarter", "day", "local_time",
            ]
            let hostile: [[String: String]] = [
                [:],
                Dictionary(uniqueKeysWithValues: keys.map { ($0, long) }),
                Dictionary(uniqueKeysWithValues: keys.map { ($0, "\u{0}\u{1b}[31m<script>alert(1)</script>'; DROP TABLE participants; --") }),
                Dictionary(uniqueKeysWithValues: keys.map { ($0, "-99999999999999999999") }),
                [
                    "version": "1", "position": "0", "duration_minutes": "-5", "local_start": "2030-02-30T25:61", "timezone": "Mars/Olympus",
                    "participant_id": UUID().uuidString, "presenter_id": UUID().uuidString, "proposal_id": UUID().uuidString,
                    "owner_id": UUID().uuidString, "session_id": UUID().uuidString, "working_group_id": UUID().uuidString,
                    "organization_id": UUID().uuidString, "confirmed": "%%%not base64", "confirm": "1", "held": "1", "to": "held",
                    "status": "compromised", "kind": "🙂", "quarter": "2030-Q5", "csv": "\"unterminated,quote\n", "year": "1999",
                ],
            ]
            var answers: Set<Int> = []
            for path in Self.forms(f) {
                for form in hostile {
                    let page = try await portal.post(path, form.merging(["csrf": csrf]) { $1 }, cookie: cookie)
                    answers.insert(page.status)
                    #expect(page.status < 500, "\(path) answered \(page.status)")
                    #expect(!page.html.contains("<script>alert"), "\(path): what was typed is escaped")
                }
            }
            #expect(answers.contains(422) && answers.contains(404), "the forms were read and refused on their merits (\(answers))")
            for query in [
                "/console/participants?kind=x&status=y&q=\(long)&cursor=forged", "/console/sessions?show=x&cursor=forged",
                "/console/action-items?group=x&owner=y&show=z&cursor=forged", "/console/audit?cursor=forged",
                "/console/report?quarter=x&direction=y&audience=z&detail=w", "/console/report/view?quarter=2030-Q1&lang=xx",
                "/console/report/download?quarter=2030-Q1&format=exe", "/console/report/download?quarter=2030-Q1&frozen=1",
                "/console/groups/\(Self.id(f.group))?q=%25%5F%5C", "/console/sessions/\(Self.id(f.session))?q=\(long)",
            ] {
                let page = try await portal.get(query, cookie: cookie)
                #expect(page.status < 500, "\(query.prefix(80)) answered \(page.status)")
            }
        }
    }

    @Test("a coordinator who chairs the group signs the outcomes from the console's session page")
    func coordinatorChairSignsOff() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let f = try await Self.fixture(dialogue)
            let chair = try await dialogue.makeUser(.coordinator, name: "Envoy", kind: .official)
            _ = try await dialogue.putMember(.cli(), groupID: f.group, participantID: chair.participantID, role: "chair")
            let (cookie, csrf) = try await portal.signedIn(chair, name: "envoy", role: "coordinator")
            let path = "/console/sessions/\(Self.id(f.session))"
            #expect(!(try await portal.get(path, cookie: cookie)).html.contains("Sign off the outcomes"), "not before the session is held")
            for status in ["confirmed", "held"] {
                _ = try await dialogue.transitionSession(.cli(), id: f.session, to: status, note: nil, ifMatch: nil)
            }
            #expect(try await portal.get(path, cookie: cookie).html.contains("Sign off the outcomes for the government side"))
            #expect(try await portal.post("/sessions/\(Self.id(f.session))/sign-off", ["csrf": csrf], cookie: cookie).status == 303)
            let after = try await portal.get(path, cookie: cookie)
            #expect(after.html.contains("government: ") && !after.html.contains("Sign off the outcomes for"))
        }
    }

    @Test("moving to a new authenticator asks for the passphrase or a current code, beside the field")
    func replacingTheSecondFactor() async throws {
        try await Portal.run { portal in
            let (cookie, csrf) = try await portal.signedIn(try await portal.dialogue.makeUser(.coordinator), name: "envoy", role: "coordinator")
            let profile = try await portal.get("/profile", cookie: cookie)
            #expect(profile.html.contains(#"id="factor-passphrase""#) && !profile.html.contains("/second-factor/remove"))
            let refused = try await portal.post("/second-factor/start", ["csrf": csrf], cookie: cookie)
            #expect(refused.status == 422 && refused.html.contains(#"id="factor-error""#))
            let wrong = try await portal.post("/second-factor/start", ["csrf": csrf, "passphrase": "somebody else's"], cookie: cookie)
            #expect(wrong.status == 422)
            let moved = try await portal.post("/second-factor/start", ["csrf": csrf, "passphrase": "a long enough passphrase"], cookie: cookie)
            #expect(moved.status == 303 && moved.headers[.location] == "/second-factor")
        }
    }
}
