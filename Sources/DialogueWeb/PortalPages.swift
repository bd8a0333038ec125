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
            return redirect("/", cookie: sessionCookieValue(issued.secret))
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
            nameValue: "", errors: [], hasErrors: false, nameError: nil, passphraseError: nil), status: open ? .ok : .notFound)
    }

    func acceptInvitation(_ request: Request, secret: String) async -> Response {
        let language = language(request, nil)
        guard sameOrigin(request) else { return refused(language) }
        let form = await form(request)
        let chrome = renderer.chrome(language, title: "invitation_title", session: nil, path: "/signin")
        do {
            let issued = try await dialogue.acceptInvitation(
                secret: secret, signInName: form["sign_in_name"], passphrase: form["passphrase"])
            return redirect("/", cookie: sessionCookieValue(issued.secret))
        } catch DomainError.validation(let errors) {
            return invitationErrors(errors.map(\.field), chrome: chrome, language: language, secret: secret, form: form)
        } catch DomainError.conflict {
            // The only unique value the form sets is the name.
            return invitationErrors(["sign_in_name_taken"], chrome: chrome, language: language, secret: secret, form: form)
        } catch {
            return renderer.page("invitation", InvitationPage(
                chrome: chrome, open: false, secret: "", nameValue: "", errors: [], hasErrors: false, nameError: nil,
                passphraseError: nil), status: .notFound)
        }
    }

    /// The form again, the problems listed at the top and beside their fields, in the
    /// reader's language (Core's messages are the API's, in English).
    private func invitationErrors(
        _ fields: [String], chrome: Chrome, language: PortalLanguage, secret: String, form: [String: String]
    ) -> Response {
        let t = renderer.catalog(language)
        let messages = fields.map { field -> FieldMessage in
            switch field {
            case "sign_in_name_taken": FieldMessage(field: "sign_in_name", message: t["error_sign_in_name_taken"] ?? field)
            case "passphrase": FieldMessage(field: "passphrase", message: t["error_passphrase"] ?? field)
            default: FieldMessage(field: "sign_in_name", message: t["error_sign_in_name"] ?? field)
            }
        }
        return renderer.page("invitation", InvitationPage(
            chrome: chrome, open: true, secret: secret, nameValue: String((form["sign_in_name"] ?? "").prefix(64)),
            errors: messages, hasErrors: true, nameError: messages.first { $0.field == "sign_in_name" }?.message,
            passphraseError: messages.first { $0.field == "passphrase" }?.message), status: .unprocessableContent)
    }

    func home(_ request: Request) async -> Response {
        guard let session = await session(request) else { return redirect("/signin") }
        let language = language(request, session)
        let context = context(session)
        do {
            let page = try PageRequest(limit: 10, cursor: nil)
            let me = try await dialogue.getParticipant(context, id: session.participantID)
            let sessions = try await dialogue.listSessions(context, page: page, filter: SessionFilter(from: Date()))
            let actions = try await dialogue.listActionItems(context, page: page, filter: ActionItemFilter(ownerID: session.participantID))
            let review = try await dialogue.listProposals(context, page: page, filter: ProposalFilter(status: "submitted"))
            let drafts = try await dialogue.listProposals(
                context, page: page, filter: ProposalFilter(status: "draft", authorID: session.participantID))
            let viewerZone = TimeZone(identifier: me.timezone) ?? .gmt
            let notice = request.uri.queryParameters["notice"] == "others" ? renderer.catalog(language)["signed_out_others"] : nil
            let sessionCards: [SessionCard] = sessions.items.filter { $0.status != .cancelled }.map { item in
                let meetingZone = TimeZone(identifier: item.timezone) ?? .gmt
                return SessionCard(
                    title: item.title, localTime: Self.format(item.startsAt, viewerZone, language), viewerZone: me.timezone,
                    meetingTime: Self.format(item.startsAt, meetingZone, language), meetingZone: item.timezone,
                    location: item.location)
            }
            let open = actions.items.filter { $0.status != .done && $0.status != .dropped }
            // Overdue first, then by due date.
            let ordered = open.filter(\.overdue) + open.filter { !$0.overdue }
            let actionCards = ordered.map { ActionItemView($0, status: renderer.statusLabel($0.status.rawValue, language)) }
            return renderer.page("home", HomePage(
                chrome: renderer.chrome(language, title: "home_title", session: session, path: "/"), notice: notice,
                sessions: sessionCards, actions: actionCards,
                review: review.items.map { ProposalCard(title: $0.title, status: renderer.statusLabel($0.status.rawValue, language)) },
                drafts: drafts.items.map { ProposalCard(title: $0.title, status: renderer.statusLabel($0.status.rawValue, language)) }))
        } catch {
            return failure(error, language, session)
        }
    }

    func signOut(_ request: Request) async -> Response {
        guard let session = await session(request) else { return redirect("/signin") }
        let form = await form(request)
        guard sameOrigin(request), session.acceptsCSRF(form["csrf"] ?? "") else { return refused(language(request, session)) }
        do {
            if form["others"] == "1" {
                try await dialogue.signOut(session, others: true)
                return redirect("/?notice=others")
            }
            try await dialogue.signOut(session)
            return redirect("/signin", cookie: "\(sessionCookieValue("")); Max-Age=0")
        } catch {
            return failure(error, language(request, session), session)
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

    /// What a page acts with: the session's participant and role, through the same services.
    func context(_ session: WebSession) -> CallContext {
        dialogue.callContext(for: session, requestID: "portal-" + UUID().uuidString.lowercased())
    }

    /// The live web session behind the cookie, if any.
    func session(_ request: Request) async -> WebSession? {
        guard let secret = cookies(request)[sessionCookie], !secret.isEmpty else { return nil }
        return try? await dialogue.authenticateWebSession(secret: secret)
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
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
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

    static func format(_ date: Date, _ zone: TimeZone, _ language: PortalLanguage) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: language.rawValue)
        formatter.timeZone = zone
        formatter.dateStyle = .full
        formatter.timeStyle = .short
        return formatter.string(from: date)
    }
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
}

struct InvitationPage: Sendable {
    var chrome: Chrome
    var open: Bool
    var secret: String
    var nameValue: String
    var errors: [FieldMessage]
    var hasErrors: Bool
    var nameError: String?
    var passphraseError: String?
}

struct SessionCard: Sendable {
    var title: String
    var localTime: String
    var viewerZone: String
    var meetingTime: String
    var meetingZone: String
    var location: String
}

/// An action item as the home page and its own page show it.
struct ActionItemView: Sendable {
    var id: String
    var title: String
    var dueOn: String
    var overdue: Bool
    /// In the reader's language.
    var status: String
    var progress: Int
    var version: Int

    init(_ item: ActionItem, status: String) {
        id = item.id.uuidString.lowercased()
        title = item.title
        dueOn = item.dueOn
        overdue = item.overdue
        self.status = status
        progress = item.progress
        version = item.version
    }
}

struct ProposalCard: Sendable {
    var title: String
    var status: String
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
