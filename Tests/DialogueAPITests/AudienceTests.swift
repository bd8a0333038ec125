import DialogueAPI
import DialogueCore
import DialogueTestSupport
@testable import DialogueWeb
import Foundation
import HTTPTypes
import Testing

/// Issue 18: who may read what, said once (AccessPolicy) and kept everywhere. Two sides, a
/// coordinator and members of each, an in-country proxy and an outsider; papers of one side,
/// for named people, and the whole dialogue's; every list, search, page, export and feed each
/// of them can reach is read, and a canary title of what they may not see is never in it.
@Suite("Audience: sides, named circles, documents, minutes and discussion")
struct AudienceTests {
    struct Cast: Sendable {
        var govCoord: TestUser, movCoord: TestUser, govMember: TestUser, movMember: TestUser, proxy: TestUser, outsider: TestUser
        var group: UUID, session: UUID
        var all: [(String, TestUser)] {
            [("govCoord", govCoord), ("movCoord", movCoord), ("govMember", govMember), ("movMember", movMember),
             ("proxy", proxy), ("outsider", outsider)]
        }
    }

    static func cast(_ dialogue: Dialogue) async throws -> Cast {
        let cli = CallContext.cli()
        let government = try await dialogue.createOrganization(cli, OrganizationInput(name: "Department of State", side: "government"))
        let movement = try await dialogue.createOrganization(cli, OrganizationInput(name: "Coordination Council", side: "movement"))
        func user(_ role: Role, _ name: String, _ kind: ParticipantKind, _ organization: UUID?) async throws -> TestUser {
            let user = try await dialogue.makeUser(role, name: name, kind: kind)
            if let organization {
                _ = try await dialogue.updateParticipant(
                    cli, id: user.participantID, ParticipantInput(organizationID: .some(organization)), ifMatch: nil)
            }
            return user
        }
        let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "accountability", name: "Accountability"))
        let cast = Cast(
            govCoord: try await user(.coordinator, "Grace Gov", .official, government.id),
            movCoord: try await user(.coordinator, "Maryia Mov", .diaspora, movement.id),
            govMember: try await user(.member, "Gordon Gov", .official, government.id),
            movMember: try await user(.member, "Mikola Mov", .diaspora, movement.id),
            proxy: try await user(.member, "Zubr", .inCountryProxy, nil),
            outsider: try await user(.member, "Olga Out", .diaspora, nil),
            group: group.id, session: UUID())
        for member in [cast.govMember, cast.movMember, cast.proxy] {
            _ = try await dialogue.putMember(cli, groupID: group.id, participantID: member.participantID, role: "member")
        }
        let session = try await dialogue.createSession(cli, SessionInput(
            kind: "working_group", workingGroupID: group.id, title: "Accountability meeting",
            startsAt: Date().addingTimeInterval(86_400 * 3), endsAt: Date().addingTimeInterval(86_400 * 3 + 3600), timezone: "Europe/Vilnius"))
        for member in [cast.govMember, cast.movMember, cast.proxy, cast.govCoord, cast.movCoord] {
            _ = try await dialogue.invite(cli, sessionID: session.id, participantID: member.participantID, onBehalfOf: nil)
        }
        var result = cast
        result.session = session.id
        return result
    }

    @Test("each caller reads every list, search, page, export and feed; nothing of another side or circle is in them, nor counted")
    func sideMatrix() async throws {
        let capture = LogCapture()
        try await Portal.run(logger: capture.logger(label: "router")) { portal in
            let dialogue = portal.dialogue
            let cast = try await Self.cast(dialogue)
            let tag = UUID().uuidString.prefix(6)
            let canary = (gov: "CANARYGOV\(tag)", mov: "CANARYMOV\(tag)", named: "CANARYNAMED\(tag)", comment: "CANARYCOMMENT\(tag)",
                          agenda: "CANARYAGENDA\(tag)")

            // A government-side proposal, a movement-side position paper, a roadmap for one person.
            let govProposal = try await dialogue.createProposal(cast.govMember.context, ProposalInput(
                workingGroupID: cast.group, title: "Designate \(canary.gov)", kind: "sanctions", scale: "small", audience: "side"))
            _ = try await dialogue.transitionProposal(cast.govMember.context, id: govProposal.id, to: "submitted", note: nil, ifMatch: nil)
            let position = try await dialogue.createDocument(cast.movMember.context, DocumentInput(
                workingGroupID: cast.group, kind: "position", title: "Position \(canary.mov)", body: "Our line", audience: "side"))
            let roadmap = try await dialogue.createDocument(cast.movCoord.context, DocumentInput(
                workingGroupID: cast.group, kind: "roadmap", title: "Roadmap \(canary.named)", body: "Steps",
                audience: "named", namedParticipantIDs: [cast.govMember.participantID]))
            // The whole dialogue's proposal, with a movement-side comment and a proxy's comment.
            let shared = try await dialogue.createProposal(cast.movMember.context, ProposalInput(
                workingGroupID: cast.group, title: "Shared programme", kind: "programme", scale: "small"))
            _ = try await dialogue.transitionProposal(cast.movMember.context, id: shared.id, to: "submitted", note: nil, ifMatch: nil)
            _ = try await dialogue.createComment(cast.movMember.context, on: .proposal(shared.id), body: "Among us: \(canary.comment)", audience: "side")
            let proxyComment = try await dialogue.createComment(cast.proxy.context, on: .proposal(shared.id), body: "Seen from inside")
            _ = try await dialogue.addAgendaItem(
                cast.movCoord.context, sessionID: cast.session, AgendaItemInput(title: "Caucus \(canary.agenda)", durationMinutes: 15, audience: "side"),
                ifMatch: nil)

            let sees: [String: Set<String>] = [
                canary.gov: ["govCoord", "govMember"],
                canary.mov: ["movCoord", "movMember", "proxy"],
                canary.named: ["movCoord", "govMember"],
                canary.comment: ["movCoord", "movMember", "proxy"],
                canary.agenda: ["movCoord", "movMember", "proxy"],
            ]
            let quarter = Quarter(containing: Date()).description
            func withoutRequestID(_ body: String) -> String {
                body.replacingOccurrences(of: #""request_id":"[^"]*""#, with: "", options: .regularExpression)
            }
            let missing = try await portal.api("/v1/documents/\(UUID().uuidString.lowercased())", bearer: cast.outsider.bearer)

            for (name, user) in cast.all {
                var seen = ""
                var paths = [
                    // Searches name words of the titles, never the canary itself, which a page echoes.
                    "/v1/proposals", "/v1/proposals?q=Designate", "/v1/documents", "/v1/documents?q=Position",
                    "/v1/documents?q=Roadmap", "/v1/documents?working_group_id=\(cast.group.lowercasedString)",
                    "/v1/proposals/\(shared.id.lowercasedString)/comments", "/v1/sessions/\(cast.session.lowercasedString)/agenda",
                    "/v1/notifications", "/v1/proposals/\(govProposal.id.lowercasedString)", "/v1/documents/\(position.id.lowercasedString)",
                    "/v1/documents/\(roadmap.id.lowercasedString)", "/v1/documents/\(roadmap.id.lowercasedString)/versions",
                    "/v1/documents/\(position.id.lowercasedString)/versions/1",
                ]
                if user.participantID == cast.govCoord.participantID || user.participantID == cast.movCoord.participantID {
                    for format in ["json", "html", "csv&table=proposals"] {
                        for audience in ["internal", "public"] { paths.append("/v1/exports/quarterly?quarter=\(quarter)&format=\(format)&audience=\(audience)") }
                    }
                }
                for path in paths {
                    let reply = try await portal.api(path, bearer: user.bearer)
                    #expect(reply.status < 500, "\(name): GET \(path) answered \(reply.status)")
                    seen += reply.body
                }
                // A hidden object answers exactly as a missing one.
                for (object, canaryTitle) in [("proposals/\(govProposal.id.lowercasedString)", canary.gov),
                                              ("documents/\(position.id.lowercasedString)", canary.mov),
                                              ("documents/\(roadmap.id.lowercasedString)", canary.named)]
                where sees[canaryTitle]?.contains(name) == false {
                    let reply = try await portal.api("/v1/\(object)", bearer: user.bearer)
                    #expect(reply.status == 404, "\(name): a hidden \(object) is 404")
                    if object.hasPrefix("documents") {
                        #expect(withoutRequestID(reply.body) == withoutRequestID(missing.body),
                                "\(name): the 404 of a hidden document reads as a missing one's")
                    }
                }
                let (_, feed) = try await dialogue.createCalendarFeed(user.context)
                seen += try await portal.api("/v1/calendar/\(feed).ics", bearer: nil).body

                // The portal's pages, signed in as this person.
                let (cookie, _) = try await portal.signedIn(user, name: "\(name)\(tag)".lowercased(), role: user.context.actor.role.rawValue)
                for page in ["/", "/documents", "/documents?q=Position", "/proposals", "/proposals?q=Designate",
                             "/proposals/\(shared.id.lowercasedString)", "/sessions/\(cast.session.lowercasedString)",
                             "/documents/\(position.id.lowercasedString)", "/documents/\(roadmap.id.lowercasedString)",
                             "/proposals/\(govProposal.id.lowercasedString)", "/notifications"] {
                    let reply = try await portal.get(page, cookie: cookie)
                    #expect(reply.status < 500, "\(name): \(page) answered \(reply.status)")
                    seen += reply.html
                }
                for (title, readers) in sees {
                    if readers.contains(name) {
                        #expect(seen.contains(title), "\(name) should see \(title)")
                    } else {
                        #expect(!seen.contains(title), "\(name) must not see \(title)")
                    }
                }
                // A proxy's comment names the proxy to coordinators only.
                let comments = try await portal.api("/v1/proposals/\(shared.id.lowercasedString)/comments", bearer: user.bearer)
                if name == "govMember" || name == "movMember" {
                    #expect(comments.body.contains(proxyComment.id.lowercasedString) && !comments.body.contains(cast.proxy.participantID.lowercasedString),
                            "\(name): the proxy's comment is there, unnamed")
                }
                if name == "govCoord" || name == "movCoord" { #expect(comments.body.contains("Zubr")) }
            }

            // Counts: each coordinator's report counts what that coordinator may read.
            for (coordinator, expected) in [(cast.govCoord, 2), (cast.movCoord, 1)] {
                let reply = try await portal.api("/v1/exports/quarterly?quarter=\(quarter)", bearer: coordinator.bearer)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
                let report = try #require(json["report"] as? [String: Any])
                let total = try #require(report["total"] as? [String: Any])
                #expect((total["proposals_by_state"] as? [String: Int])?["submitted"] == expected)
                #expect((report["proposals"] as? [Any])?.count == expected)
                #expect(report["view"] as? String == (coordinator.participantID == cast.govCoord.participantID ? "government" : "movement"))
                let variant = try await portal.api("/v1/exports/quarterly?quarter=\(quarter)&audience=public", bearer: coordinator.bearer)
                let publicReport = try #require((try JSONSerialization.jsonObject(with: Data(variant.body.utf8)) as? [String: Any])?["report"] as? [String: Any])
                #expect((publicReport["proposals"] as? [Any])?.isEmpty == true, "the public variant holds public objects only")
            }
            // A member's list counts only what they see: the movement member has one proposal.
            let listed = try await portal.api("/v1/proposals", bearer: cast.movMember.bearer)
            #expect(listed.body.components(separatedBy: "\"audience\"").count - 1 == 1)
            // Nor do the server's logs of all those requests carry any of it.
            #expect(capture.text.contains("router:"))
            for title in sees.keys { #expect(!capture.text.contains(title), "a log line carried \(title)") }
        }
    }

    @Test("narrowing is free for the author and their side's coordinators; widening needs a confirmation and is audited")
    func audienceChanges() async throws {
        try await API.run { api in
            let dialogue = api.dialogue
            let cast = try await Self.cast(dialogue)
            let proposal = try await dialogue.createProposal(cast.movMember.context, ProposalInput(
                workingGroupID: cast.group, title: "A programme", kind: "programme", scale: "small"))
            _ = try await dialogue.transitionProposal(cast.movMember.context, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
            let path = "/v1/proposals/\(proposal.id.lowercasedString)"
            // The other side's coordinator sees it but may not change who reads it.
            #expect(try await api.call(.patch, path, as: cast.govCoord, json: #"{"audience":"side"}"#).status == 403)
            // The author's side's coordinator narrows it: the government side loses it at once.
            #expect(try await api.call(.patch, path, as: cast.movCoord, json: #"{"audience":"side"}"#).status == 200)
            #expect(try await api.call(.get, path, as: cast.govCoord).status == 404)
            #expect(try await api.call(.get, path, as: cast.govMember).status == 404)
            // Nor can the other side's coordinator place it on an agenda by its id.
            let placed = try await api.call(
                .post, "/v1/sessions/\(cast.session.lowercasedString)/agenda", as: cast.govCoord,
                json: #"{"title":"Placed","duration_minutes":10,"proposal_id":"\#(proposal.id.lowercasedString)"}"#)
            #expect(placed.status == 422 && placed.text.contains("no such proposal"))
            // Widening needs the author to mean it.
            let refused = try await api.call(.patch, path, as: cast.movMember, json: #"{"audience":"dialogue"}"#)
            #expect(refused.status == 422 && refused.errorFields == ["audience"])
            #expect(try await api.call(.patch, path, as: cast.movMember, json: #"{"audience":"dialogue","confirm_widening":true}"#).status == 200)
            #expect(try await api.call(.get, path, as: cast.govMember).status == 200)
            // Named: the listed people only, whatever their role; adding one is widening.
            let named = #"{"audience":"named","named_participant_ids":["\#(cast.govMember.participantID.lowercasedString)"]}"#
            #expect(try await api.call(.patch, path, as: cast.movMember, json: named).status == 200)
            #expect(try await api.call(.get, path, as: cast.govMember).status == 200)
            #expect(try await api.call(.get, path, as: cast.movCoord).status == 404, "a coordinator not named does not see it")
            let more = #"{"audience":"named","named_participant_ids":["\#(cast.govMember.participantID.lowercasedString)","\#(cast.proxy.participantID.lowercasedString)"]}"#
            #expect(try await api.call(.patch, path, as: cast.movMember, json: more).status == 422)
            let audit = try await dialogue.listAudit(.cli(), page: try PageRequest(limit: 50, cursor: nil), filter: AuditFilter(objectID: proposal.id.lowercasedString))
            let changes = audit.items.filter { $0.action == "proposal.audience" }
            #expect(changes.count == 3)
            #expect(changes.contains { $0.diff.contains(#""widened":"true""#) } && changes.contains { $0.diff.contains(#""widened":"false""#) })
        }
    }

    @Test("Markdown renders with raw HTML escaped and unsafe links dropped")
    func markdownIsSafe() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let cast = try await Self.cast(dialogue)
            let body = """
                # Heading

                <script>alert(1)</script>

                Inline <img src=x onerror=alert(2)> and <b onclick="alert(3)">bold</b>.

                [click](javascript:alert(4)) [data](data:text/html,hi) [quote](https://a.example/"onmouseover="alert(5)) [fine](https://example.org/path)

                ![pixel](https://tracker.example/p.png)

                `<code>` and **strong**
                """
            let document = try await dialogue.createDocument(cast.movMember.context, DocumentInput(
                workingGroupID: cast.group, kind: "briefing", title: "Markup", body: body))
            let (cookie, _) = try await portal.signedIn(cast.movMember, name: "markup")
            let page = try await portal.get("/documents/\(document.id.lowercasedString)", cookie: cookie)
            #expect(page.status == 200)
            // The page's own rules; a link someone wrote may lead elsewhere (it fetches nothing).
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'none'") == true)
            #expect(!page.html.lowercased().contains("<script"))
            #expect(page.html.range(of: #"(src|action)="(https?:)?//"#, options: .regularExpression) == nil)
            let html = page.html
            #expect(html.contains("<h1>Heading</h1>"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!html.contains("<img") && !html.contains("<b onclick") && html.contains("&lt;img src=x onerror=alert(2)&gt;"))
            #expect(!html.contains("href=\"javascript:") && !html.contains("href=\"data:") && !html.contains("onmouseover=\"alert"))
            #expect(html.contains(#"href="https://example.org/path""#))
            #expect(html.contains("<strong>strong</strong>") && html.contains("<code>&lt;code&gt;</code>"))
        }
    }

    @Test("minutes: drafted by a coordinator, signed by a chair of each side, then frozen and corrected only with a note")
    func minutes() async throws {
        try await API.run { api in
            let dialogue = api.dialogue
            let cast = try await Self.cast(dialogue)
            let cli = CallContext.cli()
            _ = try await dialogue.putMember(cli, groupID: cast.group, participantID: cast.govMember.participantID, role: "chair")
            _ = try await dialogue.putMember(cli, groupID: cast.group, participantID: cast.movMember.participantID, role: "chair")
            let create = #"{"session_id":"\#(cast.session.lowercasedString)","kind":"minutes","title":"Minutes","body":"We met."}"#
            #expect(try await api.call(.post, "/v1/documents", as: cast.movCoord, json: create).status == 409, "not before the session is held")
            _ = try await dialogue.transitionSession(cli, id: cast.session, to: "confirmed", note: nil, ifMatch: nil)
            _ = try await dialogue.transitionSession(cli, id: cast.session, to: "held", note: nil, ifMatch: nil)
            #expect(try await api.call(.post, "/v1/documents", as: cast.movMember, json: create).status == 403, "a member does not draft minutes")
            let created = try await api.call(.post, "/v1/documents", as: cast.movCoord, json: create)
            #expect(created.status == 201)
            #expect(try await api.call(.post, "/v1/documents", as: cast.govCoord, json: create).status == 409, "one set of minutes per session")
            let id = try #require(created["id"])
            #expect(try await api.call(.patch, "/v1/documents/\(id)", as: cast.movCoord, json: #"{"status":"final"}"#).status == 409,
                    "minutes become final by sign-off only")
            #expect(try await api.call(.post, "/v1/documents/\(id)/signoff", as: cast.proxy).status == 403)
            #expect(try await api.call(.post, "/v1/documents/\(id)/signoff", as: cast.govMember).status == 200)
            #expect(try await api.call(.post, "/v1/documents/\(id)/signoff", as: cast.govMember).status == 409)
            let done = try await api.call(.post, "/v1/documents/\(id)/signoff", as: cast.movMember)
            #expect(done.status == 200 && done.json["frozen"] as? Bool == true)
            let frozen = try await api.call(.get, "/v1/documents/\(id)", as: cast.movMember)
            #expect(frozen.json["frozen"] as? Bool == true && frozen["status"] == "final")
            #expect(try await api.call(.patch, "/v1/documents/\(id)", as: cast.movMember, json: #"{"body":"Changed"}"#).status == 403)
            let noNote = try await api.call(.patch, "/v1/documents/\(id)", as: cast.movCoord, json: #"{"body":"We met at ten."}"#)
            #expect(noNote.status == 422 && noNote.errorFields == ["note"])
            #expect(try await api.call(.patch, "/v1/documents/\(id)", as: cast.movCoord,
                                       json: #"{"body":"We met at ten.","note":"the hour"}"#).status == 200)
            let versions = try await api.call(.get, "/v1/documents/\(id)/versions", as: cast.govMember)
            #expect(versions.items.count == 2 && versions.items.last?["correction"] as? Bool == true)
            let diff = try await api.call(.get, "/v1/documents/\(id)/diff?from=1&to=2", as: cast.govMember)
            let lines = (diff.json["lines"] as? [[String: Any]] ?? []).map { "\($0["change"] ?? "") \($0["text"] ?? "")" }
            #expect(lines == ["removed We met.", "added We met at ten."])
            // The quarter's report lists them, for both sides.
            let quarter = Quarter(containing: Date().addingTimeInterval(86_400 * 3)).description
            for coordinator in [cast.govCoord, cast.movCoord] {
                let report = try await api.call(.get, "/v1/exports/quarterly?quarter=\(quarter)", as: coordinator)
                #expect(report.text.contains(#""link":"/documents/\#(id)""#))
            }
        }
    }

    @Test("comments: flat, no wider than their parent, edited after 15 minutes shows, removal leaves a placeholder")
    func comments() async throws {
        try await API.run { api in
            let dialogue = api.dialogue
            let cast = try await Self.cast(dialogue)
            let document = try await dialogue.createDocument(cast.movMember.context, DocumentInput(
                workingGroupID: cast.group, kind: "briefing", title: "For our side", audience: "side"))
            let path = "/v1/documents/\(document.id.lowercasedString)/comments"
            let wide = try await api.call(.post, path, as: cast.proxy, json: #"{"body":"Hi","audience":"dialogue"}"#)
            #expect(wide.status == 422 && wide.errorFields == ["audience"], "no wider than the document")
            #expect(try await api.call(.post, path, as: cast.govMember, json: #"{"body":"Hi"}"#).status == 404, "the other side cannot find it")
            let posted = try await api.call(.post, path, as: cast.proxy, json: #"{"body":"From inside"}"#)
            #expect(posted.status == 201 && posted["audience"] == "side")
            let id = try #require(posted["id"])
            let soon = try await api.call(.patch, "/v1/comments/\(id)", as: cast.proxy, json: #"{"body":"From inside, soon"}"#)
            #expect(soon.status == 200 && soon.json["edited_at"] == nil, "within the window an edit leaves no mark")
            #expect(try await api.call(.patch, "/v1/comments/\(id)", as: cast.movMember, json: #"{"body":"Not mine"}"#).status == 403)
            // Later than the window, an edit shows.
            try await dialogue.database.transaction { connection in
                try await connection.query(
                    "UPDATE comments SET created_at = created_at - interval '20 minutes' WHERE id = \(UUID(uuidString: id)!)",
                    logger: dialogue.database.logger)
            }
            let late = try await api.call(.patch, "/v1/comments/\(id)", as: cast.proxy, json: #"{"body":"From inside, later"}"#)
            #expect(late.status == 200 && late.json["edited_at"] != nil)
            let seenByMember = try await api.call(.get, path, as: cast.movMember)
            #expect(seenByMember.items.first?["author_withheld"] as? Bool == true && seenByMember.items.first?["author_name"] == nil)
            #expect(try await api.call(.delete, "/v1/comments/\(id)", as: cast.movCoord).status == 204)
            let after = try await api.call(.get, path, as: cast.movMember)
            #expect(after.items.count == 1 && after.items.first?["removed"] as? Bool == true && after.items.first?["body"] as? String == "")
            // The author of the document hears of a comment; the notification names no text.
            let notes = try await api.call(.get, "/v1/notifications", as: cast.movMember)
            #expect(notes.text.contains("comment_posted"))
        }
    }
}
