import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import Synchronization

/// The templates, catalogs and stylesheet, loaded once from the target's resources.
struct PortalRenderer: Sendable {
    let library: MustacheLibrary
    let catalogs: [PortalLanguage: [String: String]]
    let stylesheet: String

    static let languageNames: [PortalLanguage: String] = [.en: "English", .be: "Беларуская", .ru: "Русский"]

    static func load() throws -> PortalRenderer {
        guard let templates = Bundle.module.url(forResource: "Templates", withExtension: nil),
            let catalogs = Bundle.module.url(forResource: "Catalogs", withExtension: nil),
            let css = Bundle.module.url(forResource: "portal", withExtension: "css", subdirectory: "Static")
        else { throw PortalError.missingResources }
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        var loaded: [PortalLanguage: [String: String]] = [:]
        for language in PortalLanguage.allCases {
            let data = try Data(contentsOf: catalogs.appendingPathComponent("\(language.rawValue).json"))
            loaded[language] = try JSONDecoder().decode([String: String].self, from: data)
        }
        return PortalRenderer(library: library, catalogs: loaded, stylesheet: try String(contentsOf: css, encoding: .utf8))
    }

    func catalog(_ language: PortalLanguage) -> [String: String] { catalogs[language] ?? catalogs[.en] ?? [:] }

    /// A state as the reader's language names it (`status_<value>` in the catalogs).
    func statusLabel(_ status: String, _ language: PortalLanguage) -> String { catalog(language)["status_" + status] ?? status }

    /// Renders a page in the layout, with the headers every portal page carries.
    func page(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(ReflectedModel.wrap(model), withTemplate: template) ?? "<!doctype html><title>error</title>"
        var response = Response(status: status, headers: PortalHeaders.page, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        return response
    }

    /// The layout's part of a page; `titleText` is for pages named by what a person wrote.
    func chrome(_ language: PortalLanguage, title key: String, titleText: String? = nil, session: WebSession?, path: String) -> Chrome {
        let t = catalog(language)
        return Chrome(
            lang: language.rawValue, title: titleText ?? t[key] ?? key, t: t, signedIn: session != nil,
            name: session?.signInName ?? "", csrf: session?.csrfToken ?? "", path: path, viewerRole: session?.role ?? .observer,
            languages: PortalLanguage.allCases.map {
                LanguageChoice(code: $0.rawValue, name: Self.languageNames[$0] ?? $0.rawValue, selected: $0 == language)
            },
            nav: session.map { session in
                Self.sections(for: session.role).map {
                    var label = t[$0.key] ?? $0.key
                    // The unread count came with the session, from the statement that found it.
                    if $0.path == "/notifications", session.unreadNotifications > 0 {
                        label += " (\(Written.number(session.unreadNotifications, language)))"
                    }
                    return NavLink(href: $0.path, label: label, current: $0.path == path || ($0.path != "/" && path.hasPrefix($0.path + "/")))
                }
            } ?? [])
    }

    /// The sections a role finds in the navigation; coordinators also find the console's.
    static func sections(for role: Role) -> [(path: String, key: String)] {
        var sections = [
            ("/", "nav_home"), ("/groups", "nav_groups"), ("/proposals", "nav_proposals"), ("/documents", "nav_documents"), ("/action-items", "nav_actions"),
        ]
        if role >= .coordinator { sections.append(("/console", "nav_console")) }
        return sections + [("/notifications", "nav_notifications"), ("/profile", "nav_profile")]
    }
}

enum PortalError: Error { case missingResources }

/// What the layout shows around every page.
struct Chrome: Sendable {
    var lang: String
    var title: String
    var t: [String: String]
    var signedIn: Bool
    var name: String
    var csrf: String
    var path: String
    /// Not `role`: pages list people with roles, and the layout's fields are found first.
    var viewerRole: Role
    var languages: [LanguageChoice]
    var nav: [NavLink]
}

struct NavLink: Sendable {
    var href: String
    var label: String
    var current: Bool
}

struct LanguageChoice: Sendable {
    var code: String
    var name: String
    var selected: Bool
}

/// SECURITY.md 22: what every portal response says about itself.
enum PortalHeaders {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static var page: HTTPFields {
        [
            .contentSecurityPolicy: contentSecurityPolicy, .referrerPolicy: "same-origin", .xContentTypeOptions: "nosniff",
            .cacheControl: "no-store",
        ]
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let secFetchSite = Self("Sec-Fetch-Site")!
}

/// A page model as the templates read it: each of the portal's structs is reflected once and its
/// fields kept by name. Left to itself, swift-mustache reflects a struct again at every `{{name}}`
/// it resolves, and for every context on the way up the stack: on the signed-in home page that
/// was 56 % of the server's CPU, most of it in `Mirror`. What a template sees is the same: stored
/// fields by name, a nil optional as absent (so the lookup goes on up the stack, as before).
final class ReflectedModel: MustacheParent {
    private let fields: [String: Any]

    private init(_ value: Any) {
        var fields: [String: Any] = [:]
        for child in Mirror(reflecting: value).children {
            guard let label = child.label, let field = Self.unwrapped(child.value) else { continue }
            fields[label] = Self.wrap(field)
        }
        self.fields = fields
    }

    func child(named name: String) -> Any? { fields[name] }

    /// The value with every portal struct inside it (in arrays and optionals too) reflected once.
    static func wrap(_ value: Any) -> Any {
        if let array = value as? [Any] { return array.map(wrap) }
        return isPortalModel(value) ? ReflectedModel(value) : value
    }

    /// The optional's value, nil for none; anything else as it is.
    private static func unwrapped(_ value: Any) -> Any? {
        guard let optional = value as? any OptionalField else { return value }
        return optional.wrapped.flatMap(unwrapped)
    }

    /// Structs declared by the portal; Foundation's (dates, ids) and the catalogs' dictionaries
    /// are rendered as they are. Decided once per type.
    private static func isPortalModel(_ value: Any) -> Bool {
        let type = type(of: value)
        let key = ObjectIdentifier(type)
        if let known = known.withLock({ $0[key] }) { return known }
        let answer = Mirror(reflecting: value).displayStyle == .struct && String(reflecting: type).hasPrefix("DialogueWeb.")
        known.withLock { $0[key] = answer }
        return answer
    }

    private static let known = Mutex<[ObjectIdentifier: Bool]>([:])
}

/// An optional field of any type, seen through `Any`.
private protocol OptionalField {
    var wrapped: Any? { get }
}

extension Optional: OptionalField {
    var wrapped: Any? { map { $0 as Any } }
}
