import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird

/// PRODUCT.md workflow 5: the owner reports status, progress and a note. The form carries the
/// version it was drawn from; when someone else saved meanwhile (412), the form comes back
/// with their values shown and the person's own still in the fields.
extension PortalPages {
    /// The reader's own action items: open ones (overdue first), or overdue, closed or all.
    func actionItemsPage(_ request: Request) async -> Response {
        await visit(request) { visit in
            let (session, language) = (visit.session, visit.language)
            let show = request.uri.queryParameters["show"].flatMap { ActionItemsShown(rawValue: String($0)) } ?? .open
            let t = renderer.catalog(language)
            let cursor = request.uri.queryParameters["cursor"].map(String.init)
            do {
                let found = try await dialogue.listActionItems(
                    context(session), page: try PageRequest(limit: 25, cursor: cursor), filter: show.filter(owner: session.participantID))
                // Open items list the overdue ones (all of them, up to 100) above the first page.
                var items = found.items
                if show == .open, cursor == nil {
                    items = try await dialogue.listActionItems(
                        context(session), page: try PageRequest(limit: 100, cursor: nil),
                        filter: ActionItemsShown.overdue.filter(owner: session.participantID)).items + items
                }
                return renderer.page("actions", ActionItemsPage(
                    chrome: renderer.chrome(language, title: "actions_title", session: session, path: "/action-items"),
                    shows: ActionItemsShown.allCases.map {
                        LanguageChoice(code: $0.rawValue, name: t["actions_show_" + $0.rawValue] ?? $0.rawValue, selected: $0 == show)
                    },
                    actions: items.map { ActionItemView($0, renderer, language) },
                    next: found.nextCursor.map { Self.link("/action-items", [("show", show.rawValue), ("cursor", $0)]) }))
            } catch DomainError.validation {
                // A cursor from another list, or tampered with: the list from its start.
                return redirect("/action-items?show=\(show.rawValue)")
            } catch {
                return failure(error, language, session)
            }
        }
    }

    func actionItemPage(_ request: Request, id rawID: String) async -> Response {
        await visit(request) { visit in
            await object(rawID, visit) { id in
                do {
                    let (item, mayUpdate) = try await dialogue.getActionItemForUpdate(context(visit.session), id: id)
                    let notice = request.uri.queryParameters["saved"] != nil ? renderer.catalog(visit.language)["action_saved"] : nil
                    return try await actionPage(item, mayUpdate: mayUpdate, visit, form: ActionForm(item), problems: [], conflict: false, notice: notice)
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            }
        }
    }

    func updateActionItem(_ request: Request, id rawID: String) async -> Response {
        await action(request) { visit in
            await object(rawID, visit) { id in
                let submitted = ActionForm(
                    status: visit.form["status"] ?? "", progress: visit.form["progress"] ?? "", note: visit.form["note"] ?? "")
                let context = context(visit.session)
                let progressText = submitted.progress.trimmingCharacters(in: .whitespaces)
                do {
                    let progress = Int(progressText)
                    if progress == nil, !progressText.isEmpty { throw DomainError.invalid("progress", "is not a number") }
                    _ = try await dialogue.updateActionItem(
                        context, id: id,
                        ActionItemInput(status: submitted.status.nonEmpty, progress: progress, note: submitted.note.nonEmpty),
                        ifMatch: visit.form["version"].flatMap { Int($0) })
                    return redirect("/action-items/\(id.lowercasedString)?saved=1")
                } catch let error as DomainError {
                    // The form again, over the item as it now stands: with the problems beside
                    // their fields, or with the news that someone saved meanwhile.
                    guard let problems = Self.redrawnProblems(error) else { return failure(error, visit.language, visit.session) }
                    do {
                        let (current, mayUpdate) = try await dialogue.getActionItemForUpdate(context, id: id)
                        return try await actionPage(
                            current, mayUpdate: mayUpdate, visit, form: submitted, problems: problems, conflict: problems.isEmpty,
                            notice: nil, status: problems.isEmpty ? .conflict : .unprocessableContent)
                    } catch {
                        return failure(error, visit.language, visit.session)
                    }
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            }
        }
    }

    static let actionFields = ["status", "progress", "note"]

    private func actionPage(
        _ item: ActionItem, mayUpdate: Bool, _ visit: Visit, form: ActionForm, problems: [FieldError], conflict: Bool, notice: String?,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (session, language) = (visit.session, visit.language)
        let updates = try await dialogue.actionUpdates(context(session), id: item.id)
        let zone = try await viewerZone(context(session), session)
        return renderer.page("action", ActionPage(
            chrome: renderer.chrome(
                language, title: "home_actions", titleText: item.title, session: session, path: "/action-items/\(item.id.lowercasedString)"),
            item: ActionItemView(item, renderer, language),
            notice: notice, conflict: conflict, mayUpdate: mayUpdate,
            statuses: ActionStatus.allCases.map {
                LanguageChoice(code: $0.rawValue, name: renderer.statusLabel($0.rawValue, language), selected: $0.rawValue == form.status)
            },
            progressValue: form.progress, noteValue: form.note,
            problems: FormProblems(problems, fields: Self.actionFields, renderer.catalog(language)),
            updates: updates.reversed().map {
                UpdateView(
                    at: Written.moment($0.at, zone, language), status: renderer.statusLabel($0.toStatus.rawValue, language),
                    progress: Written.number($0.toProgress, language), note: $0.note.nonEmpty)
            }), status: status)
    }
}

/// The form's values as the person typed them (or as the item stands when first drawn).
struct ActionForm: Sendable {
    var status: String
    var progress: String
    var note: String

    init(status: String, progress: String, note: String) {
        self.status = status
        self.progress = progress
        self.note = note
    }

    init(_ item: ActionItem) {
        self.init(status: item.status.rawValue, progress: String(item.progress), note: "")
    }
}

struct UpdateView: Sendable {
    var at: String
    var status: String
    var progress: String
    var note: String?
}

struct ActionPage: Sendable {
    var chrome: Chrome
    var item: ActionItemView
    var notice: String?
    var conflict: Bool
    var mayUpdate: Bool
    var statuses: [LanguageChoice]
    var progressValue: String
    var noteValue: String
    var problems: FormProblems
    var updates: [UpdateView]
}

/// Which of the reader's action items the list shows. `open` pages through those not overdue;
/// the page puts the overdue ones above its first page.
enum ActionItemsShown: String, CaseIterable, Sendable {
    case open, overdue, closed, all

    func filter(owner: UUID) -> ActionItemFilter {
        switch self {
        case .open: ActionItemFilter(ownerID: owner, overdue: false, closed: false)
        case .overdue: ActionItemFilter(ownerID: owner, overdue: true)
        case .closed: ActionItemFilter(ownerID: owner, closed: true)
        case .all: ActionItemFilter(ownerID: owner)
        }
    }
}

struct ActionItemsPage: Sendable {
    var chrome: Chrome
    var shows: [LanguageChoice]
    var actions: [ActionItemView]
    var next: String?
}
