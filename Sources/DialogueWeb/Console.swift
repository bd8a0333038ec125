import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird

/// The coordinators' console (issue 17): many pages of one shape — a heading, then sections
/// of facts, a table, forms. One view model and one template draw them all, so every console
/// form labels, describes and flags its fields the same way, carries the CSRF token and the
/// object's version, and brings itself back with the problems beside their fields.
///
/// Labels follow the catalogs' convention: a field `x` is labelled `field_x`, described by
/// `field_x_hint` when there is one, and its problem is said by `error_x`.
struct ConsolePage: Sendable {
    var chrome: Chrome
    var heading: String
    var intro: String?
    var notice: String?
    /// Shown as a list a coordinator cannot miss (a group without two chairs, a double booking).
    var warnings: [String]
    /// Someone saved the object while this person was editing it (412).
    var conflict: Bool
    var problems: FormProblems
    var consoleNav: [NavLink]
    var sections: [ConsoleSection]

    init(
        _ chrome: Chrome, heading: String, intro: String? = nil, notice: String? = nil, warnings: [String] = [],
        conflict: Bool = false, problems: FormProblems = .none, sections: [ConsoleSection]
    ) {
        self.chrome = chrome
        self.heading = heading
        self.intro = intro
        self.notice = notice
        self.warnings = warnings
        self.conflict = conflict
        self.problems = problems
        self.sections = sections
        consoleNav = ConsoleArea.allCases.filter { $0.isOpen(to: chrome.viewerRole) }.map {
            NavLink(href: $0.path, label: chrome.t[$0.label] ?? $0.label, current: chrome.path == $0.path || chrome.path.hasPrefix($0.path + "/"))
        }
    }
}

/// The console's rooms, in its own navigation.
enum ConsoleArea: String, CaseIterable, Sendable {
    case participants, organizations, groups, sessions, review, actionItems = "action-items", report, audit, webhooks

    var path: String { "/console/" + rawValue }
    var label: String { "console_" + rawValue.replacingOccurrences(of: "-", with: "_") }
    func isOpen(to role: Role) -> Bool { self == .audit || self == .webhooks ? role == .admin : role >= .coordinator }
}

/// Its optional texts are not named `heading` or `intro`: a nil value is looked for further
/// down the context stack, where the page's own would be found.
struct ConsoleSection: Sendable {
    var anchor: String
    var sectionHeading: String?
    var sectionIntro: String?
    var facts: [Fact] = []
    var table: ConsoleTable?
    var forms: [ConsoleForm] = []
    var links: [ConsoleLink] = []
    var next: String?
    /// Markdown already rendered safely (`Markdown.html`): the one unescaped text of a page.
    var markdownHTML: String?
    /// A comparison of two versions, line by line.
    var diffLines: [DiffLineView] = []
    /// A discussion, oldest first.
    var commentList: [CommentView] = []

    init(
        _ anchor: String, heading: String? = nil, intro: String? = nil, facts: [Fact] = [], table: ConsoleTable? = nil,
        forms: [ConsoleForm] = [], links: [ConsoleLink] = [], next: String? = nil
    ) {
        self.anchor = anchor
        sectionHeading = heading
        sectionIntro = intro
        self.facts = facts
        self.table = table
        self.forms = forms
        self.links = links
        self.next = next
    }
}

struct Fact: Sendable {
    var label: String
    var value: String
    var href: String?
}

struct ConsoleLink: Sendable {
    var href: String
    var label: String
}

struct ConsoleTable: Sendable {
    var caption: String
    var columns: [String]
    var rows: [ConsoleRow]
    /// Said instead of an empty table.
    var none: String
}

struct ConsoleRow: Sendable {
    var cells: [ConsoleCell]
}

struct ConsoleCell: Sendable {
    /// The column's name, shown before the value where a narrow screen stacks the cells.
    var column: String
    var text: String
    var href: String?
    /// Something wrong (a warning sign, in red).
    var flag: Bool = false
    /// Something new (bold).
    var strong: Bool = false
    var forms: [ConsoleForm] = []

    init(_ column: String, _ text: String, href: String? = nil, flag: Bool = false, strong: Bool = false, forms: [ConsoleForm] = []) {
        self.column = column
        self.text = text
        self.href = href
        self.flag = flag
        self.strong = strong
        self.forms = forms
    }
}

struct Hidden: Sendable {
    var key: String
    var value: String
}

struct ConsoleForm: Sendable {
    var action: String
    /// A search form: GET, no token.
    var get: Bool = false
    var legend: String?
    var hidden: [Hidden] = []
    var fields: [FormField] = []
    var submit: String
    /// An accessible name for a button repeated down a table ("Remove: Alice").
    var submitName: String?
    var secondary: Bool = false
    /// Side by side (a row's buttons, a filter) rather than stacked.
    var inline: Bool = false
    /// Sends a file (multipart/form-data; the token and hidden fields come first).
    var multipart: Bool = false

    init(
        _ action: String, submit: String, get: Bool = false, legend: String? = nil, hidden: [Hidden] = [], fields: [FormField] = [],
        submitName: String? = nil, secondary: Bool = false, inline: Bool = false
    ) {
        self.action = action
        self.submit = submit
        self.get = get
        self.legend = legend
        self.hidden = hidden
        self.fields = fields
        self.submitName = submitName
        self.secondary = secondary
        self.inline = inline
    }

    /// A form of one button (a move, a removal), its hidden fields saying what to do.
    static func button(_ action: String, _ label: String, _ hidden: [(String, String)] = [], name: String? = nil, secondary: Bool = false) -> ConsoleForm {
        ConsoleForm(action, submit: label, hidden: hidden.map { Hidden(key: $0.0, value: $0.1) }, submitName: name, secondary: secondary, inline: true)
    }
}

/// One field, drawn by the `field` partial: label, hint, the person's value, the problem
/// beside it, and, after a lost race, what the object says now.
struct FormField: Sendable {
    var inputID: String
    var key: String
    var label: String
    var hint: String?
    var value: String
    var problem: String?
    var current: String?
    var inputType: String
    var textarea: Bool
    var select: Bool
    var checkbox: Bool
    var checked: Bool
    var options: [LanguageChoice]
    var required: Bool
    var describedBy: String?
}

/// Builds a form's fields from the values typed (or the object's), the problems found, and
/// the object's current values when someone else saved meanwhile.
struct FieldBuilder {
    let t: [String: String]
    let values: [String: String]
    let problems: FormProblems
    var current: [String: String]?
    /// Fields of a second form on the same page get their own ids; give it the same prefix as
    /// the form's `FormProblems`, so the list at the top links to them.
    var prefix = ""

    init(_ t: [String: String], values: [String: String], problems: FormProblems = .none, current: [String: String]? = nil, prefix: String = "") {
        self.t = t
        self.values = values
        self.problems = problems
        self.current = current
        self.prefix = prefix
    }

    func text(_ key: String, type: String = "text", required: Bool = false, label: String? = nil) -> FormField {
        field(key, type: type, required: required, label: label)
    }

    func area(_ key: String, required: Bool = false, label: String? = nil) -> FormField {
        var field = field(key, type: "", required: required, label: label)
        field.textarea = true
        return field
    }

    /// A choice among `options` (value, label); `any` adds an empty first choice.
    func select(_ key: String, _ options: [(String, String)], any: String? = nil, required: Bool = false, label: String? = nil) -> FormField {
        var field = field(key, type: "", required: required, label: label)
        let chosen = values[key] ?? ""
        field.select = true
        field.options = (any.map { [LanguageChoice(code: "", name: $0, selected: chosen.isEmpty)] } ?? [])
            + options.map { LanguageChoice(code: $0.0, name: $0.1, selected: $0.0 == chosen) }
        if let now = field.current { field.current = options.first { $0.0 == now }?.1 ?? now }
        return field
    }

    /// Choices named in the catalog as `<prefix><value>`.
    func select(_ key: String, values: [String], prefix: String, any: String? = nil, required: Bool = false) -> FormField {
        select(key, values.map { ($0, t[prefix + $0] ?? $0) }, any: any, required: required)
    }

    func checkbox(_ key: String, label: String? = nil) -> FormField {
        var field = field(key, type: "checkbox", required: false, label: label)
        field.checkbox = true
        field.checked = values[key] == "1"
        return field
    }

    private func field(_ key: String, type: String, required: Bool, label: String? = nil) -> FormField {
        let id = prefix.isEmpty ? key : "\(prefix)-\(key)"
        let hint = t["field_\(key)_hint"]
        let problem = problems.field[key]
        let value = values[key] ?? ""
        let now = current?[key].flatMap { $0 == value ? nil : $0 }
        let described = [hint.map { _ in "\(id)-hint" }, problem.map { _ in "\(id)-error" }, now.map { _ in "\(id)-now" }].compactMap { $0 }
        return FormField(
            inputID: id, key: key, label: label ?? t["field_" + key] ?? key, hint: hint, value: value, problem: problem,
            current: now.map { $0.isEmpty ? "—" : $0 }, inputType: type, textarea: false, select: false, checkbox: false, checked: false,
            options: [], required: required, describedBy: described.isEmpty ? nil : described.joined(separator: " "))
    }
}

extension FormProblems {
    static let none = FormProblems([], fields: [], [:])
}

/// A console form's submitted values and what became of them, to draw it again.
struct FormState: Sendable {
    var values: [String: String]
    var problems: [FieldError]
    /// Someone else saved first: show the object's current values beside the person's own.
    var conflict: Bool
}

extension PortalPages {
    /// A console page: coordinators (and admins) only; anyone else gets what the API gives
    /// them — 403 — before anything is read. A refusal from a service becomes the page that
    /// says so.
    /// `least` opens a page of the same shape to lower roles (a member's own preferences).
    func console(_ request: Request, admin: Bool = false, least: Role? = nil, _ body: (Visit) async throws -> Response) async -> Response {
        await visit(request) { visit in
            guard visit.session.role >= least ?? (admin ? Role.admin : .coordinator) else {
                return failure(DomainError.forbidden(""), visit.language, visit.session)
            }
            do { return try await body(visit) } catch { return failure(error, visit.language, visit.session) }
        }
    }

    /// A console page about the object the path names (an unreadable id: as an unknown one).
    func consoleObject(_ request: Request, _ rawID: String, _ body: (Visit, UUID) async throws -> Response) async -> Response {
        await console(request) { visit in try await body(visit, Self.objectID(rawID)) }
    }

    /// The object a console path names; a malformed id answers as an unknown one does (404).
    static func objectID(_ rawID: String) throws -> UUID {
        guard let id = UUID(uuidString: rawID) else { throw DomainError.notFound("") }
        return id
    }

    /// A console form posted: same site, the session's token, the role; then `save`. A refusal
    /// that the form can answer (problems, a lost race) draws it again through `redraw`.
    func consoleAction(
        _ request: Request, admin: Bool = false, least: Role? = nil, _ save: (Visit) async throws -> Response,
        redraw: ((Visit, FormState) async throws -> Response)? = nil
    ) async -> Response {
        await action(request) { visit in
            guard visit.session.role >= least ?? (admin ? Role.admin : .coordinator) else {
                return failure(DomainError.forbidden(""), visit.language, visit.session)
            }
            do {
                return try await save(visit)
            } catch let error as DomainError {
                guard let redraw, let problems = Self.redrawnProblems(error) else { return failure(error, visit.language, visit.session) }
                do {
                    let response = try await redraw(visit, FormState(values: visit.form, problems: problems, conflict: problems.isEmpty))
                    return response.withStatus(problems.isEmpty ? .conflict : .unprocessableContent)
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    /// Finding a person in a long list: a search by name (a GET form back to `page`), then the
    /// matching people, less those already there, to choose from (adding a member, inviting).
    func personPicker(
        page: String, search: String, action: String, submit: String, _ t: [String: String], fields: FieldBuilder, people: [Participant],
        except: Set<UUID>, showZone: Bool = false, more: [FormField] = []
    ) -> [ConsoleForm] {
        [
            ConsoleForm(
                page, submit: t["directory_search"] ?? "", get: true,
                fields: [FieldBuilder(t, values: ["q": search], prefix: "find").text("q", type: "search")], inline: true),
            ConsoleForm(
                action, submit: submit,
                fields: [
                    fields.select(
                        "participant_id",
                        people.filter { !except.contains($0.id) }.map { person in
                            let kind = t["participant_kind_" + person.kind.rawValue] ?? ""
                            return (person.id.lowercasedString, "\(person.displayName) (\(kind)\(showZone ? ", " + person.timezone : ""))")
                        }, required: true),
                ] + more),
        ]
    }

    func consolePage(_ page: ConsolePage, status: HTTPResponse.Status = .ok) -> Response {
        renderer.page("console", page, status: status)
    }

    /// The version a form was drawn from; a form without one cannot overwrite blindly.
    static func version(_ form: [String: String]) throws -> Int {
        guard let version = form["version"].flatMap({ Int($0) }) else { throw DomainError.preconditionFailed(currentVersion: 0) }
        return version
    }

    /// A UUID a form field names; empty is nil, anything else unreadable is the field's problem.
    static func uuid(_ form: [String: String], _ key: String) throws -> UUID? {
        guard let text = form[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let id = UUID(uuidString: text) else { throw DomainError.invalid(key, "is not one of the choices") }
        return id
    }

    /// A whole number a form field holds; empty is nil.
    static func number(_ form: [String: String], _ key: String) throws -> Int? {
        guard let text = form[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw DomainError.invalid(key, "is not a whole number") }
        return value
    }

    /// A catalog's sentence with its `{1}`, `{2}`… filled in order.
    static func filled(_ sentence: String?, _ values: String...) -> String {
        values.enumerated().reduce(sentence ?? values.joined(separator: " ")) { text, value in
            text.replacingOccurrences(of: "{\(value.offset + 1)}", with: value.element)
        }
    }
}

extension Response {
    func withStatus(_ status: HTTPResponse.Status) -> Response {
        var response = self
        response.status = status
        return response
    }
}
