import DialogueAPI
import DialogueCore
import DialogueTestSupport
@testable import DialogueWeb
import Foundation
import HTTPTypes
import Testing

extension Portal {
    /// The same router's JSON API, as a token holder calls it: status and body.
    func api(_ path: String, bearer: String?) async throws -> (status: Int, body: String) {
        var headers: HTTPFields = [:]
        if let bearer { headers[.authorization] = bearer }
        let response = try await client.executeRequest(uri: path, method: .get, headers: headers, body: nil)
        return (Int(response.status.code), String(buffer: response.body))
    }

    /// The csrf token of a page's first form.
    static func csrf(_ page: Page) -> String? {
        page.html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression).map {
            String(page.html[$0].dropFirst(#"name="csrf" value=""#.count).dropLast())
        }
    }
}

/// The portal's pages against the API: the same person sees the same objects, in-country proxies
/// stay hidden the same way, user text is escaped everywhere, and every form keeps the rules.
@Suite("Portal: pages for groups, sessions, proposals and the profile")
struct PortalPagesTests {
    enum Caller: String, CaseIterable {
        case admin, coordinator, member, outsider, observer, signedOut, endedSession
    }

    @Test("every page × the 7 kinds of caller: the same visibility as the API, and a proxy is named only where the API names it")
    func accessMatrix() async throws {
        try await Portal.run { portal in
            let cli = CallContext.cli()
            let dialogue = portal.dialogue
            let groupA = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Group A", mandate: "Media freedom"))
            let groupB = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "political", name: "Group B"))
            let member = try await dialogue.makeUser(.member, name: "Member Mikalai", kind: .diaspora)
            let proxy = try await dialogue.makeUser(.member, name: "Proxy Piatrus", kind: .inCountryProxy)
            let outsider = try await dialogue.makeUser(.member, name: "Outsider Olga", kind: .diaspora)
            let users: [Caller: TestUser] = [
                .admin: try await dialogue.makeUser(.admin), .coordinator: try await dialogue.makeUser(.coordinator),
                .member: member, .outsider: outsider, .observer: try await dialogue.makeUser(.observer),
                .endedSession: try await dialogue.makeUser(.member, kind: .diaspora),
            ]
            for (user, group) in [(member, groupA), (proxy, groupA), (outsider, groupB), (users[.endedSession], groupA)] {
                guard let user else { continue }
                _ = try await dialogue.putMember(cli, groupID: group.id, participantID: user.participantID, role: "member")
            }
            let session = try await dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: groupA.id, title: "Session A", localStart: "2030-03-28T10:00",
                durationMinutes: 60, timezone: "Europe/Vilnius"))
            _ = try await dialogue.invite(cli, sessionID: session.id, participantID: member.participantID, onBehalfOf: nil)
            _ = try await dialogue.addAgendaItem(
                cli, sessionID: session.id, AgendaItemInput(title: "Item by the proxy", durationMinutes: 15, presenterID: .some(proxy.participantID)), ifMatch: nil)
            let proposal = try await dialogue.createProposal(
                proxy.context, ProposalInput(workingGroupID: groupA.id, title: "Proposal of the proxy", kind: "prisoner_case", scale: "small"))
            _ = try await dialogue.transitionProposal(proxy.context, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
            let draft = try await dialogue.createProposal(
                member.context, ProposalInput(workingGroupID: groupA.id, title: "Draft of the member", kind: "policy", scale: "small"))
            let action = try await dialogue.createActionItem(cli, ActionItemInput(
                workingGroupID: groupA.id, title: "Action A", ownerID: member.participantID, dueOn: "2030-01-31"))

            func id(_ value: UUID) -> String { value.uuidString.lowercased() }
            // (page, API read of the same object)
            let objects: [(page: String, api: String)] = [
                ("/groups/\(id(groupA.id))", "/v1/working-groups/\(id(groupA.id))"),
                ("/groups/\(id(groupB.id))", "/v1/working-groups/\(id(groupB.id))"),
                ("/sessions/\(id(session.id))", "/v1/sessions/\(id(session.id))"),
                ("/sessions/\(id(session.id))/session.ics", "/v1/sessions/\(id(session.id)).ics"),
                ("/proposals/\(id(proposal.id))", "/v1/proposals/\(id(proposal.id))"),
                ("/proposals/\(id(draft.id))", "/v1/proposals/\(id(draft.id))"),
                ("/proposals/\(id(draft.id))/edit", "/v1/proposals/\(id(draft.id))"),
                ("/action-items/\(id(action.id))", "/v1/action-items/\(id(action.id))"),
            ]
            var seen: [Caller: [String: Int]] = [:]
            for caller in Caller.allCases {
                var cookie: String?
                var bearer: String?
                if let user = users[caller] {
                    let role = caller == .endedSession ? "member" : caller == .outsider ? "member" : caller.rawValue
                    cookie = try await portal.signedIn(user, name: "caller_\(caller.rawValue)", role: role).cookie
                    bearer = user.bearer
                    if caller == .endedSession {
                        _ = try await dialogue.markCompromised(cli, participantID: user.participantID, reason: "device lost")
                    }
                }
                for (page, api) in objects {
                    let viewed = try await portal.get(page, cookie: cookie)
                    let called = try await portal.api(api, bearer: bearer)
                    seen[caller, default: [:]][page] = viewed.status
                    switch called.status {
                    case 401:
                        #expect(viewed.status == 303 && viewed.headers[.location] == "/signin", "\(caller) \(page): signed out")
                    case 200 where page.hasSuffix("/edit"):
                        // The edit form is the author's: others are sent back to the proposal.
                        #expect(viewed.status == 200 || viewed.status == 303, "\(caller) \(page)")
                    default:
                        #expect(viewed.status == called.status, "\(caller) \(page): the page answers \(viewed.status), the API \(called.status)")
                    }
                    if viewed.status == 200, !page.hasSuffix(".ics") { PortalTests.checkPageRules(viewed, "\(caller) \(page)") }
                    // A proxy is named on a page exactly when the API tells this caller about them.
                    if viewed.status == 200, !page.hasSuffix(".ics") {
                        let apiNamesProxy: Bool
                        if page.hasPrefix("/groups/") {
                            apiNamesProxy = try await portal.api(api + "/members", bearer: bearer).body.contains(id(proxy.participantID))
                        } else if page.hasPrefix("/sessions/") {
                            apiNamesProxy = try await portal.api(api + "/agenda", bearer: bearer).body.contains(id(proxy.participantID))
                        } else {
                            apiNamesProxy = called.body.contains(id(proxy.participantID))
                        }
                        #expect(viewed.html.contains("Proxy Piatrus") == apiNamesProxy, "\(caller) \(page): the proxy's name")
                    }
                }
                // The lists: what the API lists, by title.
                if let cookie, caller != .endedSession {
                    let groups = try await portal.get("/groups", cookie: cookie)
                    let apiGroups = try await portal.api("/v1/working-groups", bearer: bearer).body
                    for group in [groupA, groupB] {
                        #expect(groups.html.contains(group.name) == apiGroups.contains(id(group.id)), "\(caller): \(group.name) in the list")
                    }
                    let proposals = try await portal.get("/proposals", cookie: cookie)
                    let apiProposals = try await portal.api("/v1/proposals", bearer: bearer).body
                    for item in [proposal, draft] {
                        #expect(proposals.html.contains(item.title) == apiProposals.contains(id(item.id)), "\(caller): \(item.title) in the list")
                    }
                    #expect(!proposals.html.contains("Proxy Piatrus") || caller == .admin || caller == .coordinator)
                }
            }
            // The matrix is not all one answer: the expected shape, stated.
            let groupPage = "/groups/\(id(groupA.id))", otherGroup = "/groups/\(id(groupB.id))"
            #expect(seen[.member]?[groupPage] == 200 && seen[.member]?[otherGroup] == 404)
            #expect(seen[.outsider]?[groupPage] == 404 && seen[.outsider]?["/sessions/\(id(session.id))"] == 404)
            #expect(seen[.coordinator]?[otherGroup] == 200 && seen[.admin]?["/proposals/\(id(proposal.id))"] == 200)
            #expect(seen[.coordinator]?["/proposals/\(id(draft.id))"] == 404, "a draft is its author's alone")
            #expect(seen[.member]?["/proposals/\(id(draft.id))/edit"] == 200)
            #expect(seen[.observer]?[groupPage] == 404)
            #expect(seen[.signedOut]?[groupPage] == 303 && seen[.endedSession]?[groupPage] == 303)
        }
    }

    @Test("every user-written field is escaped on every page that shows it")
    func escaping() async throws {
        try await Portal.run { portal in
            let cli = CallContext.cli()
            let dialogue = portal.dialogue
            let attack = #"<script>alert("x")</script><img src=x onerror=alert(1)>"#
            func tagged(_ field: String) -> String { "\(field) \(attack)" }
            let group = try await dialogue.createWorkingGroup(
                cli, WorkingGroupInput(direction: "media", name: tagged("group"), mandate: tagged("mandate")))
            let author = try await dialogue.makeUser(.member, name: tagged("author"), kind: .diaspora)
            let reader = try await dialogue.makeUser(.member, name: tagged("reader"), kind: .diaspora)
            for user in [author, reader] {
                _ = try await dialogue.putMember(cli, groupID: group.id, participantID: user.participantID, role: "member")
            }
            let session = try await dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: group.id, title: tagged("session"), localStart: "2030-03-28T10:00",
                durationMinutes: 60, timezone: "Europe/Vilnius", location: tagged("location")))
            _ = try await dialogue.invite(cli, sessionID: session.id, participantID: reader.participantID, onBehalfOf: nil)
            let proposal = try await dialogue.createProposal(author.context, ProposalInput(
                workingGroupID: group.id, title: tagged("proposal"), summary: tagged("summary"), body: tagged("body"),
                kind: "sanctions", scale: "large"))
            _ = try await dialogue.transitionProposal(author.context, id: proposal.id, to: "submitted", note: tagged("note"), ifMatch: nil)
            _ = try await dialogue.endorse(reader.context, proposalID: proposal.id)
            _ = try await dialogue.addAgendaItem(cli, sessionID: session.id, AgendaItemInput(
                title: tagged("agenda"), durationMinutes: 15, presenterID: .some(author.participantID)), ifMatch: nil)
            let action = try await dialogue.createActionItem(cli, ActionItemInput(
                workingGroupID: group.id, title: tagged("action"), ownerID: reader.participantID, dueOn: "2030-01-31"))
            _ = try await dialogue.updateActionItem(reader.context, id: action.id, ActionItemInput(progress: 10, note: tagged("update")), ifMatch: nil)

            let (cookie, _) = try await portal.signedIn(reader, name: "reader")
            func id(_ value: UUID) -> String { value.uuidString.lowercased() }
            let pages: [(String, [String])] = [
                ("/", ["session", "action", "proposal", "summary"]),
                ("/groups", ["group", "mandate"]),
                ("/groups/\(id(group.id))", ["group", "mandate", "author", "reader", "session", "proposal"]),
                ("/sessions/\(id(session.id))", ["session", "location", "agenda", "author", "group"]),
                ("/proposals?q=proposal", ["proposal", "summary"]),
                ("/proposals/\(id(proposal.id))", ["proposal", "summary", "body", "note", "author", "reader", "group"]),
                ("/action-items/\(id(action.id))", ["action", "update"]),
                ("/profile", []),
            ]
            let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
            for (path, fields) in pages {
                let page = try await portal.get(path, cookie: cookie)
                #expect(page.status == 200, "\(path)")
                #expect(!page.html.contains("<script") && !page.html.contains("<img"), "\(path): nothing written becomes markup")
                for field in fields {
                    #expect(page.html.contains("\(field) \(escaped)"), "\(path): \(field) is shown, escaped")
                }
            }
        }
    }

    @Test("a draft is written, refused beside its field, edited, conflicted, submitted; another member endorses; forms keep the rules")
    func proposalFlow() async throws {
        try await Portal.run { portal in
            let cli = CallContext.cli()
            let dialogue = portal.dialogue
            let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "human_rights", name: "Prisoners"))
            let author = try await dialogue.makeUser(.member, kind: .diaspora)
            let fellow = try await dialogue.makeUser(.member, name: "Fellow Fiodar", kind: .diaspora)
            let watcher = try await dialogue.makeUser(.member, kind: .diaspora)
            _ = try await dialogue.putMember(cli, groupID: group.id, participantID: author.participantID, role: "member")
            _ = try await dialogue.putMember(cli, groupID: group.id, participantID: fellow.participantID, role: "member")
            _ = try await dialogue.putMember(cli, groupID: group.id, participantID: watcher.participantID, role: "observer")
            let groupID = group.id.uuidString.lowercased()
            let (cookie, csrf) = try await portal.signedIn(author, name: "author")

            let form = try await portal.get("/proposals/new?group=\(groupID)", cookie: cookie)
            #expect(form.status == 200 && form.html.contains(#"<option value="prisoner_case""#) && form.html.contains(#"<option value="sanctions""#))
            #expect(form.html.contains(#"<option value="\#(groupID)" selected>"#), "the group it was opened from is chosen")
            #expect(try await portal.post("/proposals", ["working_group_id": groupID, "title": "x", "kind": "policy", "scale": "small"],
                                          cookie: cookie).status == 403, "no CSRF token")
            let empty = try await portal.post("/proposals", ["csrf": csrf, "working_group_id": groupID, "kind": "prisoner_case", "scale": "small",
                                                             "body": "Kept text"], cookie: cookie)
            #expect(empty.status == 422)
            #expect(empty.html.contains(#"id="title-error""#) && empty.html.contains(##"<a href="#title">"##))
            #expect(empty.html.contains("Kept text"), "what was typed stays")
            let created = try await portal.post("/proposals", [
                "csrf": csrf, "working_group_id": groupID, "title": "Free Ihar", "kind": "prisoner_case", "scale": "small",
                "summary": "Held since 2021", "body": "Line one\r\nLine two",
            ], cookie: cookie)
            #expect(created.status == 303)
            let location = try #require(created.headers[.location])
            let path = String(location.split(separator: "?")[0])
            let proposalID = try #require(UUID(uuidString: String(path.split(separator: "/")[1])))
            let stored = try await dialogue.getProposal(author.context, id: proposalID)
            #expect(stored.status == .draft && stored.kind == .prisonerCase && stored.body == "Line one\nLine two")

            let page = try await portal.get(path, cookie: cookie)
            #expect(page.html.contains("Edit the draft") && page.html.contains(#"value="submitted""#) && !page.html.contains("Endorse this"))
            let edit = try await portal.get(path + "/edit", cookie: cookie)
            #expect(edit.status == 200 && edit.html.contains(#"name="version" value="1""#))
            // Someone saved meanwhile (the author in another tab): the form comes back with the text typed.
            _ = try await dialogue.updateProposal(author.context, id: proposalID, ProposalInput(summary: "Changed elsewhere"), ifMatch: 1)
            let stale = try await portal.post(path + "/edit", ["csrf": csrf, "version": "1", "title": "Free Ihar now", "kind": "prisoner_case",
                                                                "scale": "small", "summary": "Mine", "body": "Mine too"], cookie: cookie)
            #expect(stale.status == 409 && stale.html.contains("Someone else changed this proposal") && stale.html.contains("Free Ihar now"))
            #expect(stale.html.contains(#"name="version" value="2""#))
            let saved = try await portal.post(path + "/edit", ["csrf": csrf, "version": "2", "title": "Free Ihar now", "kind": "prisoner_case",
                                                                "scale": "large", "summary": "Mine", "body": "Mine too"], cookie: cookie)
            #expect(saved.status == 303)
            #expect(try await dialogue.getProposal(author.context, id: proposalID).title == "Free Ihar now")

            let (fellowCookie, fellowCSRF) = try await portal.signedIn(fellow, name: "fellow")
            #expect(try await portal.get(path, cookie: fellowCookie).status == 404, "a draft is the author's alone")
            #expect(try await portal.post(path + "/move", ["csrf": csrf, "version": "3", "to": "submitted"], cookie: cookie).status == 303)
            let submitted = try await portal.get(path, cookie: fellowCookie)
            #expect(submitted.status == 200 && submitted.html.contains("Endorse this proposal") && !submitted.html.contains("Edit the draft"))
            #expect(try await portal.get(path + "/edit", cookie: cookie).status == 303, "a submitted proposal is not edited")
            let stalemove = try await portal.post(path + "/move", ["csrf": csrf, "version": "3", "to": "withdrawn"], cookie: cookie)
            #expect(stalemove.status == 409 && stalemove.html.contains("changed meanwhile"))
            #expect(try await portal.post(path + "/endorsement", ["csrf": csrf], cookie: fellowCookie).status == 403, "another session's token")
            let endorsed = try await portal.post(path + "/endorsement", ["csrf": fellowCSRF], cookie: fellowCookie)
            #expect(endorsed.status == 303)
            let after = try await portal.get(path, cookie: cookie)
            #expect(after.html.contains("Fellow Fiodar"), "the author sees who endorsed")
            #expect(try await dialogue.listEndorsers(author.context, proposalID: proposalID).count == 1)
            #expect(try await portal.post(path + "/endorsement", ["csrf": fellowCSRF, "withdraw": "1"], cookie: fellowCookie).status == 303)
            #expect(try await dialogue.listEndorsers(author.context, proposalID: proposalID).isEmpty)

            let (watcherCookie, watcherCSRF) = try await portal.signedIn(watcher, name: "watcher", role: "member")
            let watched = try await portal.get(path, cookie: watcherCookie)
            #expect(watched.status == 200 && !watched.html.contains("Endorse this proposal"), "an observer of the group reads but does not endorse")
            #expect(try await portal.post(path + "/endorsement", ["csrf": watcherCSRF], cookie: watcherCookie).status == 403)
            let refused = try await portal.post("/proposals", ["csrf": watcherCSRF, "working_group_id": groupID, "title": "Mine",
                                                               "kind": "policy", "scale": "small"], cookie: watcherCookie)
            #expect(refused.status == 422 && refused.html.contains(#"id="working_group_id-error""#))

            let search = try await portal.get("/proposals?q=Ihar&status=submitted&kind=prisoner_case&group=\(groupID)", cookie: fellowCookie)
            #expect(search.html.contains("Free Ihar now"))
            let none = try await portal.get("/proposals?q=Ihar&kind=sanctions", cookie: fellowCookie)
            #expect(none.status == 200 && !none.html.contains("Free Ihar now"))
            let bad = try await portal.get("/proposals?status=lost", cookie: fellowCookie)
            #expect(bad.status == 422 && bad.html.contains(#"id="status-error""#))
        }
    }

    @Test("a session's page: the agenda in the reader's zone, the answer to the invitation, the calendar file and feed")
    func sessionAndProfile() async throws {
        try await Portal.run { portal in
            let cli = CallContext.cli()
            let dialogue = portal.dialogue
            let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let user = try await dialogue.makeUser(.member, kind: .diaspora)
            _ = try await dialogue.updateParticipant(cli, id: user.participantID, ParticipantInput(timezone: "America/New_York"), ifMatch: nil)
            _ = try await dialogue.putMember(cli, groupID: group.id, participantID: user.participantID, role: "member")
            let session = try await dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: group.id, title: "Media meeting", localStart: "2030-03-28T10:00",
                durationMinutes: 90, timezone: "Europe/Vilnius"))
            _ = try await dialogue.invite(cli, sessionID: session.id, participantID: user.participantID, onBehalfOf: nil)
            let path = "/sessions/\(session.id.uuidString.lowercased())"
            let (cookie, csrf) = try await portal.signedIn(user, name: "reader")

            let page = try await portal.get(path, cookie: cookie)
            #expect(page.status == 200 && page.html.contains("4:00") && page.html.contains("10:00"))
            #expect(page.html.contains("not answered yet"))
            #expect(try await portal.post(path + "/rsvp", ["csrf": csrf, "rsvp": "perhaps"], cookie: cookie).status == 422)
            #expect(try await portal.post(path + "/rsvp", ["csrf": csrf, "rsvp": "yes"], cookie: cookie).status == 303)
            #expect(try await dialogue.myAttendance(user.context, sessionID: session.id)?.rsvp == .yes)
            let ics = try await portal.get(path + "/session.ics", cookie: cookie)
            #expect(ics.status == 200 && ics.html.contains("BEGIN:VCALENDAR") && ics.headers[.contentDisposition]?.hasPrefix("attachment") == true)

            let russian = try await portal.post("/profile", ["csrf": csrf, "timezone": "Europe/Minsk", "language": "ru"], cookie: cookie)
            #expect(russian.status == 303)
            let inMinsk = try await portal.get(path, cookie: cookie)
            #expect(inMinsk.html.contains("11:00") && inMinsk.html.contains("Europe/Minsk") && inMinsk.html.contains("марта 2030"),
                    "times in the new zone, written the Russian way")
            let wrong = try await portal.post("/profile", ["csrf": csrf, "timezone": "Mars/Olympus", "language": "ru"], cookie: cookie)
            #expect(wrong.status == 422 && wrong.html.contains(#"id="timezone-error""#) && wrong.html.contains("Mars/Olympus"))

            let issued = try await portal.post("/calendar-feeds", ["csrf": csrf], cookie: cookie)
            #expect(issued.status == 201 && issued.html.contains("/v1/calendar/dlg_"))
            let feeds = try await dialogue.listCalendarFeeds(user.context)
            #expect(feeds.count == 1)
            let feedID = try #require(feeds.first?.id.uuidString.lowercased())
            #expect(try await portal.post("/calendar-feeds/\(feedID)/revoke", [:], cookie: cookie).status == 403)
            #expect(try await portal.post("/calendar-feeds/\(feedID)/revoke", ["csrf": csrf], cookie: cookie).status == 303)
            #expect(try await dialogue.listCalendarFeeds(user.context).isEmpty)

            // Two browsers: the profile lists both, and one signs the other out.
            let second = try #require(try await portal.post("/signin", ["sign_in_name": "reader", "passphrase": "a long enough passphrase"])
                .headers[.setCookie]).split(separator: ";")[0]
            let profile = try await portal.get("/profile", cookie: String(second))
            #expect(profile.html.contains(#"<select id="language" name="language"><option value="en""#), "the profile's language choices")
            #expect(profile.html.components(separatedBy: "<li>").count - 1 >= 2)
            let secondCSRF = try #require(Portal.csrf(profile))
            #expect(try await portal.post("/signout", ["csrf": secondCSRF, "others": "1"], cookie: String(second)).status == 303)
            #expect(try await portal.get("/profile", cookie: cookie).status == 303, "the first browser is signed out")
            #expect(try await portal.get("/profile", cookie: String(second)).status == 200)
        }
    }

    @Test("my action items: home shows the overdue first and never a closed one; the full list pages and filters")
    func actionItemList() async throws {
        try await Portal.run { portal in
            let cli = CallContext.cli()
            let dialogue = portal.dialogue
            let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let owner = try await dialogue.makeUser(.member, kind: .diaspora)
            _ = try await dialogue.putMember(cli, groupID: group.id, participantID: owner.participantID, role: "member")
            // Created first, so a list in creation order would start with them: twelve done items.
            for index in 1...12 {
                let item = try await dialogue.createActionItem(cli, ActionItemInput(
                    workingGroupID: group.id, title: "Finished \(index)", ownerID: owner.participantID, dueOn: "2030-01-31"))
                _ = try await dialogue.updateActionItem(cli, id: item.id, ActionItemInput(status: "done", note: "ok"), ifMatch: nil)
            }
            for index in 1...26 {
                _ = try await dialogue.createActionItem(cli, ActionItemInput(
                    workingGroupID: group.id, title: "Open \(index)", ownerID: owner.participantID, dueOn: "2031-0\(index % 9 + 1)-01"))
            }
            _ = try await dialogue.createActionItem(cli, ActionItemInput(
                workingGroupID: group.id, title: "Late one", ownerID: owner.participantID, dueOn: "2020-05-01"))
            let (cookie, _) = try await portal.signedIn(owner, name: "owner")

            let home = try await portal.get("/", cookie: cookie)
            #expect(home.html.contains("Late one") && !home.html.contains("Finished "), "open items, not the first created")
            let late = try #require(home.html.range(of: "Late one")), open = try #require(home.html.range(of: "Open "))
            #expect(late.lowerBound < open.lowerBound, "the overdue item comes first")
            // Then the soonest due of all 26, not of the first ones created: Open 9 and 18 are
            // due in January, 19 and 20 in February and March; Open 8, 17 and 26 in September.
            for soon in [9, 18, 19, 20] {
                #expect(home.html.contains(">Open \(soon)<"), "Open \(soon) is among the soonest due")
            }
            for later in [8, 17, 26] {
                #expect(!home.html.contains(">Open \(later)<"), "Open \(later) is due after ten others")
            }
            #expect(home.html.contains("1 May 2020") || home.html.contains("May 1, 2020"), "a due date written out")
            // The service behind it bounds any limit it is given: nothing below one, at most a
            // page's largest, every open item here, soonest due first.
            #expect(try await dialogue.ownOpenActionItems(owner.context, limit: 0).isEmpty)
            #expect(try await dialogue.ownOpenActionItems(owner.context, limit: -5).isEmpty)
            let all = try await dialogue.ownOpenActionItems(owner.context, limit: 10_000)
            #expect(all.count == 27, "the 26 open items and the late one, none closed")
            #expect(all.first?.title == "Late one")
            #expect(all.map(\.dueOn) == all.map(\.dueOn).sorted())

            let list = try await portal.get("/action-items", cookie: cookie)
            #expect(list.status == 200 && list.html.contains("Late one") && !list.html.contains("Finished "))
            let next = try #require(list.html.range(of: #"href="(/action-items\?show=open&amp;cursor=[^"]+)""#, options: .regularExpression))
            let nextPath = String(list.html[next].dropFirst(#"href=""#.count).dropLast()).replacingOccurrences(of: "&amp;", with: "&")
            let second = try await portal.get(nextPath, cookie: cookie)
            #expect(second.status == 200 && second.html.contains("Open "), "the second page")
            let closed = try await portal.get("/action-items?show=closed", cookie: cookie)
            #expect(closed.html.contains("Finished 12") && !closed.html.contains("Late one"))
            let overdue = try await portal.get("/action-items?show=overdue", cookie: cookie)
            #expect(overdue.html.contains("Late one") && !overdue.html.contains("Open 1"))
            #expect(try await portal.get("/action-items?show=open&cursor=forged", cookie: cookie).status == 303, "a bad cursor starts over")
        }
    }

    @Test("the directory: coordinators see everyone and invite with a role no higher than theirs; members are refused")
    func directory() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let coordinator = try await dialogue.makeUser(.coordinator, name: "Envoy office")
            let proxy = try await dialogue.makeUser(.member, name: "Proxy Piatrus", kind: .inCountryProxy)
            let member = try await dialogue.makeUser(.member, name: "Member Mikalai", kind: .diaspora)
            let (cookie, csrf) = try await portal.signedIn(coordinator, name: "envoy", role: "coordinator")
            let page = try await portal.get("/console/participants", cookie: cookie)
            #expect(page.status == 200 && page.html.contains("Proxy Piatrus") && page.html.contains("in-country participant"))
            #expect(page.html.contains(#"<option value="coordinator""#) && !page.html.contains(#"<option value="admin""#),
                    "roles up to the coordinator's own")
            PortalTests.checkPageRules(page, "directory")
            let bad = try await portal.get("/console/participants?kind=spy", cookie: cookie)
            #expect(bad.status == 422 && bad.html.contains(#"id="kind-error""#), "a filter nobody has is said beside it")
            let malformed = try await portal.post("/console/participants/not-an-id/invitation", ["csrf": csrf, "role": "member"], cookie: cookie)
            #expect(malformed.status == 404)
            let path = "/console/participants/\(member.participantID.uuidString.lowercased())/invitation"
            #expect(try await portal.post(path, ["role": "member"], cookie: cookie).status == 403, "no CSRF token")
            #expect(try await portal.post(path, ["csrf": csrf, "role": "admin"], cookie: cookie).status == 403, "higher than own")
            let issued = try await portal.post(path, ["csrf": csrf, "role": "member"], cookie: cookie)
            #expect(issued.status == 201 && issued.html.contains("Member Mikalai"))
            let link = try #require(issued.html.range(of: #"/invitation/dlg_[A-Za-z0-9_-]+"#, options: .regularExpression).map { String(issued.html[$0]) })
            #expect(try await portal.get(link).status == 200, "the link opens the invitation")
            let (memberCookie, _) = try await portal.signedIn(proxy, name: "piatrus")
            #expect(try await portal.get("/console/participants", cookie: memberCookie).status == 403)
            #expect(!(try await portal.get("/", cookie: memberCookie).html.contains("/console/participants")), "no console in a member's navigation")
        }
    }
}
