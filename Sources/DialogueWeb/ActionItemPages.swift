import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird

/// PRODUCT.md workflow 5: the owner reports status, progress and a note. The form carries the
/// version it was drawn from; when someone else saved meanwhile (412), the form comes back
/// with their values shown and the person's own still in the fields.
extension PortalPages {
    func actionItemPage(_ request: Request, id rawID: String) async -> Response {
        guard let session = await session(request) else { return redirect("/signin") }
        let language = language(request, session)
        guard let id = UUID(uuidString: rawID) else { return failure(DomainError.notFound(""), language, session) }
        do {
            let (item, mayUpdate) = try await dialogue.getActionItemForUpdate(context(session), id: id)
            let notice = request.uri.queryParameters["saved"] != nil ? renderer.catalog(language)["action_saved"] : nil
            return try await actionPage(
                item, mayUpdate: mayUpdate, session: session, language: language, form: ActionForm(item), errors: [:],
                conflict: false, notice: notice)
        } catch {
            return failure(error, language, session)
        }
    }

    func updateActionItem(_ request: Request, id rawID: String) async -> Response {
        guard let session = await session(request) else { return redirect("/signin") }
        let language = language(request, session)
        let fields = await form(request)
        guard sameOrigin(request), session.acceptsCSRF(fields["csrf"] ?? "") else { return refused(language) }
        guard let id = UUID(uuidString: rawID) else { return failure(DomainError.notFound(""), language, session) }
        let submitted = ActionForm(
            status: fields["status"] ?? "", progress: fields["progress"] ?? "", note: fields["note"] ?? "")
        let context = context(session)
        let progress = Int(submitted.progress.trimmingCharacters(in: .whitespaces))
        do {
            if progress == nil, !submitted.progress.trimmingCharacters(in: .whitespaces).isEmpty {
                throw DomainError.invalid("progress", "is not a number")
            }
            _ = try await dialogue.updateActionItem(
                context, id: id,
                ActionItemInput(
                    status: submitted.status.isEmpty ? nil : submitted.status, progress: progress,
                    note: submitted.note.isEmpty ? nil : submitted.note),
                ifMatch: fields["version"].flatMap { Int($0) })
            return redirect("/action-items/\(id.uuidString.lowercased())?saved=1")
        } catch DomainError.preconditionFailed {
            do {
                let (current, mayUpdate) = try await dialogue.getActionItemForUpdate(context, id: id)
                return try await actionPage(
                    current, mayUpdate: mayUpdate, session: session, language: language, form: submitted, errors: [:],
                    conflict: true, notice: nil, status: .conflict)
            } catch {
                return failure(error, language, session)
            }
        } catch DomainError.validation(let problems) {
            do {
                let (current, mayUpdate) = try await dialogue.getActionItemForUpdate(context, id: id)
                let t = renderer.catalog(language)
                var errors: [String: String] = [:]
                for problem in problems {
                    let field = ["status", "progress", "note"].contains(problem.field) ? problem.field : "note"
                    errors[field] = t["error_" + field] ?? problem.message
                }
                return try await actionPage(
                    current, mayUpdate: mayUpdate, session: session, language: language, form: submitted, errors: errors,
                    conflict: false, notice: nil, status: .unprocessableContent)
            } catch {
                return failure(error, language, session)
            }
        } catch {
            return failure(error, language, session)
        }
    }

    private func actionPage(
        _ item: ActionItem, mayUpdate: Bool, session: WebSession, language: PortalLanguage, form: ActionForm, errors: [String: String],
        conflict: Bool, notice: String?, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let updates = try await dialogue.actionUpdates(context(session), id: item.id)
        let zone = TimeZone(identifier: try await dialogue.getParticipant(context(session), id: session.participantID).timezone) ?? .gmt
        return renderer.page("action", ActionPage(
            chrome: renderer.chrome(language, title: "home_actions", titleText: item.title, session: session, path: "/action-items/\(item.id.uuidString.lowercased())"),
            item: ActionItemView(item, status: renderer.statusLabel(item.status.rawValue, language)),
            notice: notice, conflict: conflict, mayUpdate: mayUpdate,
            statuses: ActionStatus.allCases.map {
                LanguageChoice(code: $0.rawValue, name: renderer.statusLabel($0.rawValue, language), selected: $0.rawValue == form.status)
            },
            progressValue: form.progress, noteValue: form.note,
            errors: errors.sorted { $0.key < $1.key }.map { FieldMessage(field: $0.key, message: $0.value) }, hasErrors: !errors.isEmpty,
            statusError: errors["status"], progressError: errors["progress"], noteError: errors["note"],
            updates: updates.reversed().map {
                UpdateView(
                    at: Self.format($0.at, zone, language), status: renderer.statusLabel($0.toStatus.rawValue, language),
                    progress: $0.toProgress, note: $0.note.isEmpty ? nil : $0.note)
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
    var progress: Int
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
    var errors: [FieldMessage]
    var hasErrors: Bool
    var statusError: String?
    var progressError: String?
    var noteError: String?
    var updates: [UpdateView]
}
