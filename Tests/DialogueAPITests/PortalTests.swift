import DialogueAPI
import DialogueCore
import DialogueTestSupport
@testable import DialogueWeb
import Foundation
import Logging
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The portal through the real router: API and pages in one process, as `serve` runs them.
struct Portal: Sendable {
    let client: any TestClientProtocol
    let dialogue: Dialogue

    static let origin = "http://127.0.0.1:8080"

    /// `logger` is the router's and the portal's (a `LogCapture`'s, to search what they log).
    static func run(logger: Logger = TestDatabases.logger, _ body: @Sendable (Portal) async throws -> Void) async throws {
        try await withDialogue { dialogue in
            let router = try DialogueHTTP.buildRouter(APIDependencies(
                dialogue: dialogue, migrator: try Migrator(directory: TestDatabases.sqlDirectory), logger: logger))
            try DialoguePortal.addRoutes(to: router, PortalDependencies(
                dialogue: dialogue, publicBaseURL: origin, logger: logger))
            try await Application(router: router).test(.router) { client in
                try await body(Portal(client: client, dialogue: dialogue))
            }
        }
    }

    struct Page: Sendable {
        let status: Int
        let headers: HTTPFields
        let html: String
    }

    func get(_ path: String, cookie: String? = nil, headers: HTTPFields = [:]) async throws -> Page {
        var headers = headers
        if let cookie { headers[.cookie] = cookie }
        let response = try await client.executeRequest(uri: path, method: .get, headers: headers, body: nil)
        return Page(status: Int(response.status.code), headers: response.headers, html: String(buffer: response.body))
    }

    func post(_ path: String, _ form: [String: String], cookie: String? = nil, headers: HTTPFields = [:]) async throws -> Page {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        if headers[.origin] == nil { headers[.origin] = Self.origin }
        if let cookie { headers[.cookie] = cookie }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        let response = try await client.executeRequest(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
        return Page(status: Int(response.status.code), headers: response.headers, html: String(buffer: response.body))
    }

    /// Sets up the second factor a coordinator's first entry asks for, reading the key off the
    /// page as a person would type it into an app: the new session cookie.
    func secondFactorSetUp(cookie: String) async throws -> String {
        let page = try await get("/second-factor", cookie: cookie)
        let key = try #require(page.html.range(of: #"id="factor-secret"[^>]*>[A-Z2-7 ]+<"#, options: .regularExpression).map {
            String(page.html[$0]).components(separatedBy: ">")[1].dropLast()
        })
        let secret = try #require(TOTP.secret(base32: String(key)))
        let csrf = try #require(Portal.csrf(page))
        let done = try await post("/second-factor", ["csrf": csrf, "code": TOTP.code(secret: secret, step: TOTP.step(at: Date()))], cookie: cookie)
        #expect(done.status == 303 && done.headers[.location] == "/")
        return String(try #require(done.headers[.setCookie]).split(separator: ";")[0])
    }

    /// Invites a participant and opens the invitation: the session cookie to send back.
    func signedIn(_ user: TestUser, name: String, role: String = "member") async throws -> (cookie: String, csrf: String) {
        let invitation = try await dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: role)
        let opened = try await post("/invitation/\(invitation.secret)", ["sign_in_name": name, "passphrase": "a long enough passphrase"])
        #expect(opened.status == 303)
        let setCookie = try #require(opened.headers[.setCookie])
        var cookie = String(setCookie.split(separator: ";")[0])
        if opened.headers[.location] == "/second-factor" {
            cookie = try await secondFactorSetUp(cookie: cookie)
        }
        let home = try await get("/", cookie: cookie)
        let csrf = try #require(home.html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression).map {
            String(home.html[$0].dropFirst(#"name="csrf" value=""#.count).dropLast())
        })
        return (cookie, csrf)
    }
}

@Suite("Portal: accounts, pages, web security")
struct PortalTests {
    static func checkPageRules(_ page: Portal.Page, _ what: String) {
        #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true, "\(what): CSP")
        #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'none'") == true, "\(what): no script")
        #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin", "\(what): referrer")
        #expect(page.headers[.xContentTypeOptions] == "nosniff", "\(what): nosniff")
        #expect(page.headers[.cacheControl] == "no-store", "\(what): no-store")
        #expect(!page.html.lowercased().contains("<script"), "\(what): no script element")
        #expect(page.html.range(of: #"(src|href|action)="(https?:)?//"#, options: .regularExpression) == nil, "\(what): nothing from another origin")
    }

    @Test("a participant opens an invitation, chooses a name and passphrase, and lands on a home page; every page keeps the web rules")
    func invitationToHome() async throws {
        try await Portal.run { portal in
            let user = try await portal.dialogue.makeUser(.member, kind: .inCountryProxy)
            let invitation = try await portal.dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: "member")
            let form = try await portal.get("/invitation/\(invitation.secret)")
            #expect(form.status == 200)
            #expect(form.html.contains("Do not use your legal name"))
            Self.checkPageRules(form, "invitation")

            let short = try await portal.post("/invitation/\(invitation.secret)", ["sign_in_name": "zubr", "passphrase": "short"])
            #expect(short.status == 422)
            #expect(short.html.contains(##"<a href="#passphrase">"##), "the problem is listed at the top, linked to its field")
            #expect(short.html.contains(#"aria-invalid="true""#))

            let opened = try await portal.post("/invitation/\(invitation.secret)", ["sign_in_name": "zubr", "passphrase": "a long enough passphrase"])
            #expect(opened.status == 303)
            #expect(opened.headers[.location] == "/")
            let setCookie = try #require(opened.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
            let cookie = String(setCookie.split(separator: ";")[0])
            let home = try await portal.get("/", cookie: cookie)
            #expect(home.status == 200)
            #expect(home.html.contains("Your dialogue") && home.html.contains("zubr"))
            Self.checkPageRules(home, "home")

            #expect(try await portal.get("/invitation/\(invitation.secret)").status == 404, "the link works once")
            #expect(try await portal.get("/").status == 303, "signed out, home sends to sign-in")
            let signIn = try await portal.get("/signin")
            Self.checkPageRules(signIn, "sign-in")
            #expect(signIn.html.contains(#"<label for="passphrase">"#))
        }
    }

    @Test("sign-in: a wrong passphrase and an unknown name read alike; the right one opens a new session")
    func signIn() async throws {
        try await Portal.run { portal in
            let user = try await portal.dialogue.makeUser(.member)
            _ = try await portal.signedIn(user, name: "hanna")
            let wrong = try await portal.post("/signin", ["sign_in_name": "hanna", "passphrase": "not the passphrase"])
            let unknown = try await portal.post("/signin", ["sign_in_name": "nobody", "passphrase": "a long enough passphrase"])
            #expect(wrong.status == 401 && unknown.status == 401)
            let message = "The name or the passphrase is not right"
            #expect(wrong.html.contains(message) && unknown.html.contains(message))
            let right = try await portal.post("/signin", ["sign_in_name": "HANNA", "passphrase": "a long enough passphrase"])
            #expect(right.status == 303)
            #expect(right.headers[.setCookie]?.hasPrefix("dialogue_session=dlg_") == true)
        }
    }

    @Test("unsafe requests need this site and the session's CSRF token; the compromise drill ends the web session")
    func csrfAndCompromise() async throws {
        try await Portal.run { portal in
            let user = try await portal.dialogue.makeUser(.member)
            let (cookie, csrf) = try await portal.signedIn(user, name: "alesia")
            #expect(try await portal.post("/signout", [:], cookie: cookie).status == 403, "no token")
            #expect(try await portal.post("/signout", ["csrf": "forged"], cookie: cookie).status == 403, "a wrong token")
            #expect(try await portal.post("/signout", ["csrf": csrf], cookie: cookie, headers: [.origin: "https://evil.example"]).status == 403,
                    "another origin")
            #expect(try await portal.post("/signout", ["csrf": csrf], cookie: cookie,
                                          headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]).status == 403, "another site")
            #expect(try await portal.get("/", cookie: cookie).status == 200, "none of those signed anyone out")

            _ = try await portal.dialogue.markCompromised(.cli(), participantID: user.participantID, reason: "phone seized")
            #expect(try await portal.get("/", cookie: cookie).status == 303, "the seized browser's session is gone")

            let other = try await portal.dialogue.makeUser(.member)
            let (otherCookie, otherCSRF) = try await portal.signedIn(other, name: "barys")
            let out = try await portal.post("/signout", ["csrf": otherCSRF], cookie: otherCookie)
            #expect(out.status == 303 && out.headers[.location] == "/signin")
            #expect(try await portal.get("/", cookie: otherCookie).status == 303)
        }
    }

    @Test("home shows what the API shows this person, with user text escaped")
    func homeVisibilityAndEscaping() async throws {
        try await Portal.run { portal in
            let cli = CallContext.cli()
            let dialogue = portal.dialogue
            let mine = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let theirs = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "political", name: "Political"))
            let user = try await dialogue.makeUser(.member, kind: .diaspora)
            _ = try await dialogue.putMember(cli, groupID: mine.id, participantID: user.participantID, role: "member")
            _ = try await dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: mine.id, title: "<script>alert('x')</script> Media meeting",
                localStart: "2030-03-28T10:00", durationMinutes: 60, timezone: "Europe/Vilnius"))
            _ = try await dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: theirs.id, title: "Closed political meeting",
                localStart: "2030-03-29T10:00", durationMinutes: 60, timezone: "Europe/Vilnius"))
            _ = try await dialogue.createActionItem(cli, ActionItemInput(
                workingGroupID: mine.id, title: "Overdue & <b>bold</b>", ownerID: user.participantID, dueOn: "2020-01-01"))
            _ = try await dialogue.createProposal(
                user.context, ProposalInput(workingGroupID: mine.id, title: "My draft", kind: "sanctions", scale: "small"))
            let (cookie, _) = try await portal.signedIn(user, name: "mikola")
            let home = try await portal.get("/", cookie: cookie)
            #expect(home.status == 200)
            #expect(home.html.contains("Media meeting"))
            #expect(!home.html.contains("Closed political meeting"), "a session of a group the person is not in")
            #expect(!home.html.contains("<script>alert"), "user text is escaped")
            #expect(home.html.contains("&lt;script&gt;"))
            #expect(home.html.contains("Overdue &amp; &lt;b&gt;bold&lt;/b&gt;"))
            #expect(home.html.contains("overdue"))
            #expect(home.html.contains("My draft"))
            #expect(home.html.contains("Europe/Vilnius"))
        }
    }

    @Test("three languages: Accept-Language, the switch on every page, and the account's choice; no key missing in any catalog")
    func languages() async throws {
        let renderer = try PortalRenderer.load()
        let english = Set(renderer.catalog(.en).keys)
        for language in PortalLanguage.allCases {
            #expect(Set(renderer.catalog(language).keys) == english, "\(language): keys differ from English")
            #expect(renderer.catalog(language).values.allSatisfy { !$0.isEmpty })
        }
        try await Portal.run { portal in
            let belarusian = try await portal.get("/signin", headers: [.acceptLanguage: "be-BY,be;q=0.9,en;q=0.5"])
            #expect(belarusian.html.contains(#"<html lang="be">"#))
            #expect(belarusian.html.contains("Уваход у партал дыялогу"))
            let switched = try await portal.post("/language", ["language": "ru", "back": "/signin"])
            #expect(switched.status == 303 && switched.headers[.location] == "/signin")
            let cookie = try #require(switched.headers[.setCookie]).split(separator: ";")[0]
            #expect(try await portal.get("/signin", cookie: String(cookie)).html.contains("Вход в портал диалога"))
            #expect(try await portal.post("/language", ["language": "ru", "back": "//evil.example"]).headers[.location] == "/",
                    "the way back stays on this site")

            let user = try await portal.dialogue.makeUser(.member)
            let (session, csrf) = try await portal.signedIn(user, name: "ales")
            #expect(try await portal.post("/language", ["language": "be", "back": "/"], cookie: session).status == 403, "needs the token")
            #expect(try await portal.post("/language", ["language": "be", "back": "/", "csrf": csrf], cookie: session).status == 303)
            #expect(try await portal.get("/", cookie: session).html.contains("Ваш дыялог"))
        }
    }

    @Test("an owner updates an action item; a change made meanwhile brings the form back with both values; a bad number is said beside its field")
    func actionItemUpdate() async throws {
        try await Portal.run { portal in
            let cli = CallContext.cli()
            let dialogue = portal.dialogue
            let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let owner = try await dialogue.makeUser(.member, kind: .diaspora)
            let fellow = try await dialogue.makeUser(.member, kind: .diaspora)
            for user in [owner, fellow] {
                _ = try await dialogue.putMember(cli, groupID: group.id, participantID: user.participantID, role: "member")
            }
            let item = try await dialogue.createActionItem(cli, ActionItemInput(
                workingGroupID: group.id, title: "Draft the letter", ownerID: owner.participantID, dueOn: "2030-01-31"))
            let path = "/action-items/\(item.id.uuidString.lowercased())"
            let (cookie, csrf) = try await portal.signedIn(owner, name: "owner")

            let page = try await portal.get(path, cookie: cookie)
            #expect(page.status == 200)
            #expect(page.html.contains(#"<label for="progress">"#) && page.html.contains(#"name="version" value="1""#))
            Self.checkPageRules(page, "action item")

            let saved = try await portal.post(path, [
                "csrf": csrf, "version": "1", "status": "in_progress", "progress": "40", "note": "Letter <drafted>",
            ], cookie: cookie)
            #expect(saved.status == 303 && saved.headers[.location] == "\(path)?saved=1")
            let after = try await portal.get("\(path)?saved=1", cookie: cookie)
            #expect(after.html.contains("Your update is saved.") && after.html.contains("Letter &lt;drafted&gt;"))

            // Someone else saves while the owner is still writing on version 2.
            _ = try await dialogue.updateActionItem(cli, id: item.id, ActionItemInput(progress: 70), ifMatch: 2)
            let stale = try await portal.post(path, [
                "csrf": csrf, "version": "2", "status": "blocked", "progress": "45", "note": "Waiting for the envoy",
            ], cookie: cookie)
            #expect(stale.status == 409)
            #expect(stale.html.contains("Someone else changed this item"))
            #expect(stale.html.contains("70%"), "their value is shown")
            #expect(stale.html.contains(#"value="45""#) && stale.html.contains("Waiting for the envoy"), "the owner's values stay in the form")
            #expect(stale.html.contains(#"name="version" value="3""#), "saving again applies over their change")

            let bad = try await portal.post(path, ["csrf": csrf, "version": "3", "status": "in_progress", "progress": "lots"], cookie: cookie)
            #expect(bad.status == 422)
            #expect(bad.html.contains(#"id="progress-error""#) && bad.html.contains(##"<a href="#progress">"##))

            // A fellow member reads the item but gets no form, and a forged post is refused.
            let (fellowCookie, fellowCSRF) = try await portal.signedIn(fellow, name: "fellow")
            let read = try await portal.get(path, cookie: fellowCookie)
            #expect(read.status == 200 && !read.html.contains(#"name="version""#))
            #expect(try await portal.post(path, ["csrf": fellowCSRF, "version": "3", "progress": "99"], cookie: fellowCookie).status == 403)
            let outsider = try await dialogue.makeUser(.member)
            let (outsiderCookie, _) = try await portal.signedIn(outsider, name: "outsider")
            #expect(try await portal.get(path, cookie: outsiderCookie).status == 404, "hidden like a missing one")
        }
    }

    @Test("a coordinator enters through a second factor: set up from the key on the page, then a code at every sign-in")
    func coordinatorSecondFactor() async throws {
        try await Portal.run { portal in
            let user = try await portal.dialogue.makeUser(.coordinator)
            let invitation = try await portal.dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: "coordinator")
            let opened = try await portal.post("/invitation/\(invitation.secret)", ["sign_in_name": "envoy", "passphrase": "a long enough passphrase"])
            #expect(opened.status == 303 && opened.headers[.location] == "/second-factor")
            let halfway = String(try #require(opened.headers[.setCookie]).split(separator: ";")[0])
            for path in ["/", "/groups", "/profile"] {
                let page = try await portal.get(path, cookie: halfway)
                #expect(page.status == 303 && page.headers[.location] == "/second-factor", "\(path) waits for the second factor")
            }
            let setup = try await portal.get("/second-factor", cookie: halfway)
            #expect(setup.status == 200 && setup.html.contains(#"autocomplete="one-time-code""#) && setup.html.contains("otpauth://totp/"))
            PortalTests.checkPageRules(setup, "second factor")
            let csrf = try #require(Portal.csrf(setup))
            #expect(try await portal.post("/second-factor", ["code": "000000"], cookie: halfway).status == 403, "no CSRF token")
            let wrong = try await portal.post("/second-factor", ["csrf": csrf, "code": "000000"], cookie: halfway)
            #expect(wrong.status == 422 && wrong.html.contains(#"id="code-error""#) && wrong.html.contains(##"<a href="#code">"##))
            let cookie = try await portal.secondFactorSetUp(cookie: halfway)
            #expect(try await portal.get("/", cookie: cookie).status == 200)
            #expect(try await portal.get("/", cookie: halfway).status == 303, "the cookie from before the code is dead")
            let profile = try await portal.get("/profile", cookie: cookie)
            #expect(profile.html.contains("Your role requires it.") && !profile.html.contains("/second-factor/remove"))

            let again = try await portal.post("/signin", ["sign_in_name": "envoy", "passphrase": "a long enough passphrase"])
            #expect(again.status == 303 && again.headers[.location] == "/signin/code")
            let codePage = try await portal.get("/signin/code", cookie: String(try #require(again.headers[.setCookie]).split(separator: ";")[0]))
            #expect(codePage.status == 200 && codePage.html.contains("Enter your one-time code"))
        }
    }
}
