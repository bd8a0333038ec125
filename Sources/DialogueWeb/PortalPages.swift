import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The portal's pages. Every handler answers with a page or a redirect, never with a thrown
/// error: a person gets a page that says what happened, in their language.
struct PortalPages: Sendable {
    let dependencies: PortalDependencies
    let renderer: PortalRenderer

    var dialogue: Dialogue { dependencies.dialogue }
    var sessionCookie: String { dependencies.secureCookies ? "__Host-dialogue" : "dialogue_session" }
    static let languageCookie = "dialogue_lang"

    // MARK: Pages

    func stylesheet() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: renderer.stylesheet)))
    }

    func signInPage(_ request: Request) async -> Response {
        if await session(request) != nil { return redirect("/") }
        let language = language(request, nil)
        let notice = request.uri.queryParameters["ended"] != nil ? renderer.catalog(language)["session_expired"] : nil
        return renderer.page("signin", SignInPage(
            chrome: renderer.chrome(language, title: "sign_in", session: nil, path: "/signin"), failed: false, notice: notice, nameValue: ""))
    }

    func signIn(_ request: Request) async -> Response {
        let language = language(request, nil)
        guard sameOrigin(request) else { return refused(language) }
        let form = await form(request)
        do {
            let issued = try await dialogue.signIn(
                signInName: form["sign_in_name"], passphrase: form["passphrase"], client: clientKey(request))
            return redirect(Self.secondFactorPage(issued.session) ?? "/", cookie: sessionCookieValue(issued.secret))
        } catch DomainError.unavailable {
            return failure(DomainError.unavailable(""), language, nil)
        } catch {
            return renderer.page("signin", SignInPage(
                chrome: renderer.chrome(language, title: "sign_in", session: nil, path: "/signin"), failed: true, notice: nil,
                nameValue: String((form["sign_in_name"] ?? "").prefix(64))), status: .unauthorized)
        }
    }

    func invitationPage(_ request: Request, secret: String) async -> Response {
        let language = language(request, nil)
        let open = (try? await dialogue.invitationIsOpen(secret: secret)) ?? false
        return renderer.page("invitation", InvitationPage(
            chrome: renderer.chrome(language, title: "invitation_title", session: nil, path: "/signin"), open: open, secret: secret,
            nameValue: "", problems: FormProblems([], fields: [], [:])), status: open ? .ok : .notFound)
    }

    func acceptInvitation(_ request: Request, secret: String) async -> Response {
        let language = language(request, nil)
        guard sameOrigin(request) else { return refused(language) }
        let form = await form(request)
        let chrome = renderer.chrome(language, title: "invitation_title", session: nil, path: "/signin")
        do {
            let issued = try await dialogue.acceptInvitation(
                secret: secret, signInName: form["sign_in_name"], passphrase: form["passphrase"], language: language)
            return redirect(Self.secondFactorPage(issued.session) ?? "/", cookie: sessionCookieValue(issued.secret))
        } catch DomainError.validation(let errors) {
            return invitationErrors(errors, chrome: chrome, language: language, secret: secret, form: form)
        } catch DomainError.conflict {
            // The only unique value the form sets is the name.
            return invitationErrors(
                [FieldError("sign_in_name", "taken")], chrome: chrome, language: language, secret: secret, form: form)
        } catch {
            return renderer.page("invitation", InvitationPage(
                chrome: chrome, open: false, secret: "", nameValue: "", problems: FormProblems([], fields: [], [:])), status: .notFound)
        }
    }

    /// The form again, the problems listed at the top and beside their fields, in the
    /// reader's language (Core's messages are the API's, in English).
    private func invitationErrors(
        _ problems: [FieldError], chrome: Chrome, language: PortalLanguage, secret: String, form: [String: String]
    ) -> Response {
        renderer.page("invitation", InvitationPage(
            chrome: chrome, open: true, secret: secret, nameValue: String((form["sign_in_name"] ?? "").prefix(64)),
            problems: FormProblems(problems, fields: ["sign_in_name", "passphrase"], renderer.catalog(language))),
            status: .unprocessableContent)
    }

    /// The home page. Its four reads are asked at once, and, for a session this process has
    /// checked before, at the same time as the session's own statement
    /// (`Dialogue.readingAsWebSession`): the page waits for one round trip, not two.
    func home(_ request: Request) async -> Response {
        guard let secret = sessionSecret(request),
            let (session, reads) = try? await dialogue.readingAsWebSession(
                secret: secret, requestID: Self.requestID(), { [dialogue] context in try await HomeReads(dialogue, context) })
        else { return redirect("/signin") }
        guard let reads else { return redirect(Self.secondFactorPage(session) ?? "/signin") }
        let language = language(request, session)
        do {
            let lists = try reads.get()
            let viewerZone = try await viewerZone(context(session), session)
            let notice = request.uri.queryParameters["notice"] == "others" ? renderer.catalog(language)["signed_out_others"] : nil
            return renderer.page("home", HomePage(
                chrome: renderer.chrome(language, title: "home_title", session: session, path: "/"), notice: notice,
                sessions: lists.sessions.items.filter { $0.status != .cancelled }.map { SessionCard($0, viewerZone: viewerZone, language) },
                actions: lists.actions.map { ActionItemView($0, renderer, language) },
                review: lists.review.items.map { ProposalCard($0, renderer, language) },
                drafts: lists.drafts.items.map { ProposalCard($0, renderer, language) }))
        } catch {
            return failure(error, language, session)
        }
    }

    func signOut(_ request: Request) async -> Response {
        await action(request, halfway: true) { visit in
            do {
                if visit.form["others"] == "1" {
                    try await dialogue.signOut(visit.session, others: true)
                    return redirect("/?notice=others")
                }
                try await dialogue.signOut(visit.session)
                return redirect("/signin", cookie: "\(sessionCookieValue("")); Max-Age=0")
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    func chooseLanguage(_ request: Request) async -> Response {
        let session = await session(request)
        let form = await form(request)
        guard sameOrigin(request), session.map({ $0.acceptsCSRF(form["csrf"] ?? "") }) ?? true,
            let chosen = form["language"].flatMap(PortalLanguage.init(rawValue:))
        else { return refused(language(request, session)) }
        let back = form["back"].flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/"
        if let session {
            do { try await dialogue.setPortalLanguage(session, chosen) } catch { return failure(error, chosen, session) }
            return redirect(back)
        }
        return redirect(back, cookie: "\(Self.languageCookie)=\(chosen.rawValue); Path=/; SameSite=Strict; Max-Age=31536000")
    }

    // MARK: Requests

    /// A page for a signed-in person; signed out, the way to sign in; signed in by passphrase
    /// alone, the way to the second factor (`halfway` pages are that way).
    func visit(_ request: Request, halfway: Bool = false, _ body: (Visit) async -> Response) async -> Response {
        guard let session = await liveSession(request) else { return redirect("/signin") }
        if !halfway, let next = Self.secondFactorPage(session) { return redirect(next) }
        return await body(Visit(session: session, language: language(request, session), form: [:]))
    }

    /// An unsafe request (SECURITY.md 21): from a signed-in person, from this site, with the
    /// session's CSRF token in the form; anything else is refused before a service is called.
    func action(_ request: Request, halfway: Bool = false, _ body: (Visit) async -> Response) async -> Response {
        guard let session = await liveSession(request) else { return redirect("/signin") }
        if !halfway, let next = Self.secondFactorPage(session) { return redirect(next) }
        let language = language(request, session)
        let fields = await form(request)
        guard sameOrigin(request), session.acceptsCSRF(fields["csrf"] ?? "") else { return refused(language) }
        return await body(Visit(session: session, language: language, form: fields))
    }

    /// The object named in the path; a malformed id gets the page an unknown one gets.
    func object(_ rawID: String, _ visit: Visit, _ body: (UUID) async -> Response) async -> Response {
        guard let id = UUID(uuidString: rawID) else { return failure(DomainError.notFound(""), visit.language, visit.session) }
        return await body(id)
    }

    /// What a page acts with: the session's participant and role, through the same services.
    func context(_ session: WebSession) -> CallContext {
        dialogue.callContext(for: session, requestID: Self.requestID())
    }

    /// A portal request's id in the audit trail.
    static func requestID() -> String { "portal-" + UUID.random().lowercasedString }

    /// The signed-in session behind the cookie, if any: one still waiting for its second factor
    /// is not signed in.
    func session(_ request: Request) async -> WebSession? {
        guard let session = await liveSession(request), session.factor == .none else { return nil }
        return session
    }

    /// The live web session behind the cookie, whatever it still waits for.
    func liveSession(_ request: Request) async -> WebSession? {
        guard let secret = sessionSecret(request) else { return nil }
        return try? await dialogue.authenticateWebSession(secret: secret)
    }

    /// The session cookie's secret, if the request has one.
    func sessionSecret(_ request: Request) -> String? {
        cookies(request)[sessionCookie].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Where a session waiting for its second factor goes; nil for one signed in.
    static func secondFactorPage(_ session: WebSession) -> String? {
        switch session.factor {
        case .none: nil
        case .code: "/signin/code"
        case .setup: "/second-factor"
        }
    }

    /// The account's language; signed out, the cookie, else the first of Accept-Language we speak.
    func language(_ request: Request, _ session: WebSession?) -> PortalLanguage {
        if let session { return session.language }
        if let chosen = cookies(request)[Self.languageCookie].flatMap(PortalLanguage.init(rawValue:)) { return chosen }
        let accepted = (request.headers[.acceptLanguage] ?? "").split(separator: ",").compactMap { part in
            part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased().split(separator: "-").first
        }
        return accepted.lazy.compactMap { PortalLanguage(rawValue: String($0)) }.first ?? .en
    }

    func cookies(_ request: Request) -> [String: String] {
        var result: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                result[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return result
    }

    /// An `application/x-www-form-urlencoded` body (at most 1 MiB, as every body).
    func form(_ request: Request) async -> [String: String] {
        var request = request
        guard let body = try? await request.collectBody(upTo: 1 << 20) else { return [:] }
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String { PercentDecoding.decode(text, plusIsSpace: true) ?? "" }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count == 2 ? decode(parts[1]) : ""
        }
        return fields
    }

    /// SECURITY.md 21: an unsafe request must come from this site. Browsers say where a
    /// request comes from (Sec-Fetch-Site, Origin); a request that says another site is refused.
    func sameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite], site != "same-origin", site != "none" { return false }
        guard let origin = request.headers[.origin] else { return true }
        let host = request.head.authority.map { ["http://\($0)", "https://\($0)"] } ?? []
        let own = [Self.origin(of: dependencies.publicBaseURL)] + host.map { $0.lowercased() }
        return own.contains(origin.lowercased())
    }

    /// A path on this site with its query, empty values left out (a list's next page).
    static func link(_ path: String, _ query: [(String, String)]) -> String {
        var components = URLComponents()
        components.path = path
        components.queryItems = query.filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
        return components.string ?? path
    }

    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return "" }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")".lowercased()
    }

    func clientKey(_ request: Request) -> String? {
        guard let header = dependencies.trustedProxyHeader, let name = HTTPField.Name(header), let value = request.headers[name] else {
            return nil
        }
        return value.split(separator: ",").last.map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    // MARK: Answers

    /// A refused save that brings its form back: with the problems beside their fields, or with
    /// none when someone else saved meanwhile (412). Nil for any other refusal.
    static func redrawnProblems(_ error: DomainError) -> [FieldError]? {
        switch error {
        case .validation(let problems): problems
        case .preconditionFailed: []
        default: nil
        }
    }

    func sessionCookieValue(_ secret: String) -> String {
        "\(sessionCookie)=\(secret); Path=/; HttpOnly; SameSite=Strict\(dependencies.secureCookies ? "; Secure" : "")"
    }

    func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers = PortalHeaders.page
        headers[.location] = location
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    func refused(_ language: PortalLanguage) -> Response {
        let t = renderer.catalog(language)
        return renderer.page("message", MessagePage(
            chrome: renderer.chrome(language, title: "error_title", session: nil, path: "/"),
            message: t["forbidden_request"] ?? ""), status: .forbidden)
    }

    func failure(_ error: any Error, _ language: PortalLanguage, _ session: WebSession?) -> Response {
        let t = renderer.catalog(language)
        let (status, key): (HTTPResponse.Status, String) = switch error {
        case DomainError.notFound: (.notFound, "not_found")
        case DomainError.forbidden: (.forbidden, "forbidden_request")
        case DomainError.conflict, DomainError.preconditionFailed, DomainError.idempotencyInProgress: (.conflict, "forbidden_request")
        case DomainError.validation: (.unprocessableContent, "forbidden_request")
        case DomainError.unauthenticated: (.unauthorized, "session_expired")
        case DomainError.unavailable: (.serviceUnavailable, "unavailable")
        default: (.internalServerError, "unavailable")
        }
        if status == .internalServerError {
            dependencies.logger.error("portal page failed", metadata: ["error": "\(DatabaseErrors.loggable(error))"])
        }
        return renderer.page("message", MessagePage(
            chrome: renderer.chrome(language, title: "error_title", session: session, path: "/"), message: t[key] ?? ""), status: status)
    }
}

/// What the home page reads, asked at once: the person's next sessions, their own action
/// items still to do (soonest due first, so the overdue lead; the full list is a link away),
/// proposals awaiting review, and their drafts; ten of each.
struct HomeReads: Sendable {
    let sessions: Page<Session>
    let actions: [ActionItem]
    let review: Page<Proposal>
    let drafts: Page<Proposal>

    init(_ dialogue: Dialogue, _ context: CallContext) async throws {
        let page = try PageRequest(limit: 10, cursor: nil)
        async let upcoming = dialogue.listSessions(context, page: page, filter: SessionFilter(from: Date()))
        async let owned = dialogue.ownOpenActionItems(context, limit: page.limit)
        async let submitted = dialogue.listProposals(context, page: page, filter: ProposalFilter(status: "submitted"))
        async let mine = dialogue.listProposals(
            context, page: page, filter: ProposalFilter(status: "draft", authorID: context.actor.participantID))
        (sessions, actions, review, drafts) = try await (upcoming, owned, submitted, mine)
    }
}

/// Who asks, in which language, with what form.
struct Visit: Sendable {
    var session: WebSession
    var language: PortalLanguage
    /// The posted form; empty for a page.
    var form: [String: String]
}

// MARK: View models: one per page, so a template reaches only what its page hands it.

struct SignInPage: Sendable {
    var chrome: Chrome
    var failed: Bool
    var notice: String?
    var nameValue: String
}

struct FieldMessage: Sendable {
    var field: String
    var message: String
    /// The id of the field's input, which the list of problems links to.
    var anchor: String
}

struct InvitationPage: Sendable {
    var chrome: Chrome
    var open: Bool
    var secret: String
    var nameValue: String
    var problems: FormProblems
}

/// A session in a list: its time in the reader's zone, with the meeting's own beside it.
struct SessionCard: Sendable {
    var id: String
    var title: String
    var status: String
    var cancelled: Bool
    var localTime: String
    var viewerZone: String
    var meetingTime: String
    var meetingZone: String
    var location: String?

    init(_ session: Session, viewerZone: TimeZone, _ language: PortalLanguage, status: String = "") {
        let meetingZone = TimeZone(identifier: session.timezone) ?? .gmt
        id = session.id.lowercasedString
        title = session.title
        self.status = status
        cancelled = session.status == .cancelled
        localTime = Written.moment(session.startsAt, viewerZone, language)
        self.viewerZone = viewerZone.identifier
        meetingTime = Written.moment(session.startsAt, meetingZone, language)
        self.meetingZone = session.timezone
        location = session.location.nonEmpty
    }
}

/// An action item as the home page and its own page show it.
struct ActionItemView: Sendable {
    var id: String
    var title: String
    /// Written out in the reader's language.
    var dueOn: String
    var overdue: Bool
    /// In the reader's language.
    var status: String
    var progress: String
    var version: Int

    init(_ item: ActionItem, _ renderer: PortalRenderer, _ language: PortalLanguage) {
        id = item.id.lowercasedString
        title = item.title
        dueOn = Written.day(item.dueOn, language)
        overdue = item.overdue
        status = renderer.statusLabel(item.status.rawValue, language)
        progress = Written.number(item.progress, language)
        version = item.version
    }
}

/// A proposal in a list.
struct ProposalCard: Sendable {
    var id: String
    var title: String
    var summary: String?
    var status: String
    var kind: String
    var endorsements: String

    init(_ proposal: Proposal, _ renderer: PortalRenderer, _ language: PortalLanguage) {
        id = proposal.id.lowercasedString
        title = proposal.title
        summary = proposal.summary.nonEmpty
        status = renderer.statusLabel(proposal.status.rawValue, language)
        kind = renderer.catalog(language)["kind_" + proposal.kind.rawValue] ?? proposal.kind.rawValue
        endorsements = Written.number(proposal.endorsementCount, language)
    }
}

struct HomePage: Sendable {
    var chrome: Chrome
    var notice: String?
    var sessions: [SessionCard]
    var actions: [ActionItemView]
    var review: [ProposalCard]
    var drafts: [ProposalCard]
}

struct MessagePage: Sendable {
    var chrome: Chrome
    var message: String
}

/// A form's problems in the reader's language: listed at the top (each linked to its field)
/// and beside each field. Core names the field; the catalog's `error_<field>` says what to do.
struct FormProblems: Sendable {
    var hasErrors: Bool
    var errors: [FieldMessage]
    /// By field name, for the message beside the field.
    var field: [String: String]

    /// `fields` is the form's order; a problem with a field the form does not have is shown at
    /// the last one, so nothing goes unsaid.
    /// `prefix` is the ids' prefix of a second form's fields on a page; `scope` names the form
    /// where one field name means something of its own (`error_<scope>_<field>` comes first).
    init(_ problems: [FieldError], fields: [String], _ t: [String: String], prefix: String = "", scope: String? = nil) {
        var byField: [String: String] = [:]
        for problem in problems {
            let name = fields.contains(problem.field) ? problem.field : fields.last ?? problem.field
            // `error_<field>_<message>` says a particular problem (a taken name) its own way.
            byField[name] = byField[name] ?? t["error_\(name)_\(problem.message)"] ?? scope.flatMap { t["error_\($0)_\(name)"] }
                ?? t["error_" + name] ?? problem.message
        }
        field = byField
        errors = fields.compactMap { name in
            byField[name].map { FieldMessage(field: name, message: $0, anchor: prefix.isEmpty ? name : "\(prefix)-\(name)") }
        }
        hasErrors = !errors.isEmpty
    }
}

extension String {
    /// Nil for an empty text: a Mustache section shows on any string, even an empty one.
    var nonEmpty: String? { isEmpty ? nil : self }
}
