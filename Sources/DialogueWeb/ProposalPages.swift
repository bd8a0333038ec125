import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird

/// Proposals (PRODUCT.md workflow 2 from the member's side): search and filters, a proposal's
/// page with its history and endorsements, endorsing, and the author's draft — written, edited,
/// submitted, withdrawn. What a reader may do is Core's decision (`proposalChoices`).
extension PortalPages {
    static let proposalFields = ["working_group_id", "title", "kind", "audience", "scale", "summary", "body"]

    func proposalsPage(_ request: Request) async -> Response {
        await visit(request) { visit in
            let query = request.uri.queryParameters
            let search = ProposalSearch(
                q: query["q"].map(String.init) ?? "", group: query["group"].map(String.init) ?? "",
                status: query["status"].map(String.init) ?? "", kind: query["kind"].map(String.init) ?? "")
            return await proposalList(visit, search: search, cursor: query["cursor"].map(String.init))
        }
    }

    private func proposalList(_ visit: Visit, search: ProposalSearch, cursor: String?) async -> Response {
        let (session, language) = (visit.session, visit.language)
        let context = context(session)
        do {
            let groups = try await dialogue.listWorkingGroups(context, page: try PageRequest(limit: 200, cursor: nil)).items
            var problems: [FieldError] = []
            let groupID = search.group.isEmpty ? nil : UUID(uuidString: search.group)
            if !search.group.isEmpty, groupID == nil { problems.append(FieldError("group", "unknown")) }
            var found: Page<Proposal>?
            if problems.isEmpty {
                do {
                    found = try await dialogue.listProposals(
                        context, page: try PageRequest(limit: 25, cursor: cursor),
                        filter: ProposalFilter(
                            query: search.q.nonEmpty, workingGroupID: groupID, status: search.status.nonEmpty, kind: search.kind.nonEmpty))
                } catch DomainError.validation(let errors) {
                    problems = errors.map { FieldError($0.field == "cursor" ? "q" : $0.field, $0.message) }
                }
            }
            let t = renderer.catalog(language)
            return renderer.page("proposals", ProposalsPage(
                chrome: renderer.chrome(language, title: "proposals_title", session: session, path: "/proposals"),
                q: search.q,
                groups: [LanguageChoice(code: "", name: t["filter_any"] ?? "", selected: search.group.isEmpty)] + groups.map {
                    LanguageChoice(code: $0.id.lowercasedString, name: $0.name, selected: $0.id == groupID)
                },
                statuses: choices(ProposalStatus.allCases.map(\.rawValue), prefix: "status_", selected: search.status, any: true, t),
                kinds: choices(ProposalKind.allCases.map(\.rawValue), prefix: "kind_", selected: search.kind, any: true, t),
                problems: FormProblems(problems, fields: ["q", "group", "status", "kind"], t),
                proposals: (found?.items ?? []).map { ProposalCard($0, renderer, language) }, searched: found != nil,
                next: found?.nextCursor.map(search.path(cursor:))),
                status: problems.isEmpty ? .ok : .unprocessableContent)
        } catch {
            return failure(error, language, session)
        }
    }

    func newProposalPage(_ request: Request) async -> Response {
        await visit(request) { visit in
            let draft = ProposalDraft(
                group: request.uri.queryParameters["group"].map(String.init) ?? "", title: "", kind: "", scale: "small", summary: "",
                body: "", audience: Audience.dialogue.rawValue)
            return await proposalForm(visit, editing: nil, draft: draft, problems: [])
        }
    }

    func createProposal(_ request: Request) async -> Response {
        await action(request) { visit in
            let draft = ProposalDraft(visit.form)
            do {
                guard let groupID = UUID(uuidString: draft.group) else { throw DomainError.invalid("working_group_id", "is required") }
                let created = try await dialogue.createProposal(context(visit.session), draft.input(groupID: groupID))
                return redirect("/proposals/\(created.id.lowercasedString)?notice=created")
            } catch DomainError.validation(let problems) {
                return await proposalForm(visit, editing: nil, draft: draft, problems: problems)
            } catch DomainError.forbidden, DomainError.notFound {
                return await proposalForm(
                    visit, editing: nil, draft: draft, problems: [FieldError("working_group_id", "not a contributing member")])
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    func editProposalPage(_ request: Request, id rawID: String) async -> Response {
        await visit(request) { visit in
            await object(rawID, visit) { id in
                do {
                    let choices = try await dialogue.proposalChoices(context(visit.session), id: id)
                    guard choices.mayEdit else { return redirect("/proposals/\(id.lowercasedString)") }
                    return await proposalForm(visit, editing: choices.proposal, draft: ProposalDraft(choices.proposal), problems: [])
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            }
        }
    }

    func updateProposal(_ request: Request, id rawID: String) async -> Response {
        await action(request) { visit in
            await object(rawID, visit) { id in
                let draft = ProposalDraft(visit.form)
                let context = context(visit.session)
                do {
                    _ = try await dialogue.updateProposal(
                        context, id: id, draft.input(groupID: nil), ifMatch: visit.form["version"].flatMap { Int($0) })
                    return redirect("/proposals/\(id.lowercasedString)?notice=saved")
                } catch let error as DomainError {
                    // The form again, over the proposal as it now stands: with the problems, or
                    // with the news that someone saved meanwhile.
                    guard let problems = Self.redrawnProblems(error) else { return failure(error, visit.language, visit.session) }
                    do {
                        let current = try await dialogue.getProposal(context, id: id)
                        return await proposalForm(
                            visit, editing: current, draft: draft, problems: problems, conflict: problems.isEmpty)
                    } catch {
                        return failure(error, visit.language, visit.session)
                    }
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            }
        }
    }

    func proposalPage(_ request: Request, id rawID: String) async -> Response {
        await visit(request) { visit in
            await object(rawID, visit) { id in
                let notice = request.uri.queryParameters["notice"].flatMap { renderer.catalog(visit.language)["proposal_notice_" + $0] }
                return await proposalResponse(visit, id: id, notice: notice, problem: nil, discussion: nil)
            }
        }
    }

    /// Submit, withdraw (the author) or review (a coordinator): one form per move the reader may make.
    func moveProposal(_ request: Request, id rawID: String) async -> Response {
        await action(request) { visit in
            await object(rawID, visit) { id in
                let t = renderer.catalog(visit.language)
                do {
                    _ = try await dialogue.transitionProposal(
                        context(visit.session), id: id, to: visit.form["to"], note: visit.form["note"],
                        ifMatch: visit.form["version"].flatMap { Int($0) })
                    return redirect("/proposals/\(id.lowercasedString)?notice=moved")
                } catch DomainError.preconditionFailed, DomainError.conflict {
                    return await proposalResponse(visit, id: id, notice: nil, problem: t["proposal_changed"], discussion: nil, status: .conflict)
                } catch DomainError.validation {
                    return await proposalResponse(
                        visit, id: id, notice: nil, problem: t["error_note"], discussion: nil, status: .unprocessableContent)
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            }
        }
    }

    func endorseProposal(_ request: Request, id rawID: String) async -> Response {
        await action(request) { visit in
            await object(rawID, visit) { id in
                let withdraw = visit.form["withdraw"] == "1"
                do {
                    _ = try await dialogue.endorse(context(visit.session), proposalID: id, withdraw: withdraw)
                    return redirect("/proposals/\(id.lowercasedString)?notice=\(withdraw ? "unendorsed" : "endorsed")")
                } catch DomainError.conflict {
                    return await proposalResponse(
                        visit, id: id, notice: nil, problem: renderer.catalog(visit.language)["proposal_changed"], discussion: nil,
                        status: .conflict)
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            }
        }
    }

    // MARK: Drawing

    /// The proposal's page; `discussion` brings a refused comment back beside its field.
    func proposalResponse(
        _ visit: Visit, id: UUID, notice: String?, problem: String?, discussion: FormState?, evidence evidenceProblems: [FieldError] = [],
        status: HTTPResponse.Status = .ok
    ) async -> Response {
        let (session, language) = (visit.session, visit.language)
        let context = context(session)
        let t = renderer.catalog(language)
        do {
            let choices = try await dialogue.proposalChoices(context, id: id)
            let proposal = choices.proposal
            let zone = try await viewerZone(context, session)
            let group = try? await dialogue.getWorkingGroup(context, id: proposal.workingGroupID)
            var names: [UUID: String] = [:]
            for participantID in Set([proposal.authorID].compactMap { $0 } + proposal.history.compactMap(\.actorID)) {
                if let participant = try? await dialogue.getParticipant(context, id: participantID) {
                    names[participantID] = participant.displayName
                }
            }
            let card = ProposalCard(proposal, renderer, language)
            let comments = try await discussionSection(
                visit, parent: .proposal(id), parentAudience: proposal.audience, state: discussion)
            let (evidence, _) = try await evidenceSection(visit, parent: .proposal(id), problems: evidenceProblems)
            return renderer.page("proposal", ProposalPage(
                chrome: renderer.chrome(
                    language, title: "proposals_title", titleText: proposal.title, session: session, path: "/proposals/\(card.id)"),
                proposal: card, body: proposal.body.nonEmpty, version: proposal.version,
                scale: t["scale_" + proposal.scale.rawValue] ?? proposal.scale.rawValue,
                group: group.map { GroupLink(id: $0.id.lowercasedString, name: $0.name) },
                author: proposal.authorID.flatMap { names[$0] },
                audience: try await audienceText(visit, proposal.audience, proposal.namedParticipantIDs),
                mayChangeAudience: choices.mayChangeAudience, evidence: evidence, discussion: comments.section,
                notice: notice, problem: problem, mayEdit: choices.mayEdit,
                moves: choices.moves.map { move in
                    ProposalMove(
                        to: move.rawValue, label: t["move_" + move.rawValue] ?? move.rawValue,
                        needsNote: move == .declined || move == .withdrawn)
                },
                mayEndorse: choices.mayEndorse, endorsed: choices.endorsed,
                endorsers: choices.endorsers.map {
                    EndorserView(name: $0.displayName, at: Written.moment($0.at, zone, language))
                },
                history: proposal.history.map { step in
                    HistoryView(
                        at: Written.moment(step.at, zone, language), to: renderer.statusLabel(step.to.rawValue, language),
                        by: step.automatic ? t["history_by_agenda"] : step.actorID.flatMap { names[$0] },
                        note: step.note.isEmpty ? nil : step.note)
                }), status: discussion == nil ? status : .unprocessableContent)
        } catch {
            return failure(error, language, session)
        }
    }

    private func proposalForm(
        _ visit: Visit, editing: Proposal?, draft: ProposalDraft, problems: [FieldError], conflict: Bool = false
    ) async -> Response {
        let (session, language) = (visit.session, visit.language)
        let context = context(session)
        let t = renderer.catalog(language)
        do {
            let groups = try await dialogue.listWorkingGroups(context, page: try PageRequest(limit: 200, cursor: nil), status: "active").items
            let path = editing.map { "/proposals/\($0.id.lowercasedString)/edit" } ?? "/proposals/new"
            return renderer.page("proposal-form", ProposalFormPage(
                chrome: renderer.chrome(language, title: editing == nil ? "proposal_new" : "proposal_edit", session: session, path: path),
                action: editing.map { "/proposals/\($0.id.lowercasedString)/edit" } ?? "/proposals",
                editing: editing != nil, version: editing?.version ?? 0, conflict: conflict,
                current: editing.map { ProposalCard($0, renderer, language) },
                groups: groups.map {
                    LanguageChoice(code: $0.id.lowercasedString, name: $0.name, selected: $0.id.lowercasedString == draft.group.lowercased())
                },
                kinds: choices(ProposalKind.allCases.map(\.rawValue), prefix: "kind_", selected: draft.kind, any: false, t),
                scales: choices(ProposalScale.allCases.map(\.rawValue), prefix: "scale_", selected: draft.scale, any: false, t),
                audiences: choices(Audience.allCases.reversed().map(\.rawValue), prefix: "reach_", selected: draft.audience, any: false, t),
                draft: draft, problems: FormProblems(problems, fields: Self.proposalFields, t)),
                status: conflict ? .conflict : problems.isEmpty ? .ok : .unprocessableContent)
        } catch {
            return failure(error, language, session)
        }
    }

    /// Options of a select, named in the reader's language (`<prefix><value>` in the catalogs).
    func choices(_ values: [String], prefix: String, selected: String, any: Bool, _ t: [String: String]) -> [LanguageChoice] {
        (any ? [LanguageChoice(code: "", name: t["filter_any"] ?? "", selected: selected.isEmpty)] : [])
            + values.map { LanguageChoice(code: $0, name: t[prefix + $0] ?? $0, selected: $0 == selected) }
    }
}

/// The draft form's values, as typed (or as the proposal stands).
struct ProposalDraft: Sendable {
    var group: String
    var title: String
    var kind: String
    var scale: String
    var summary: String
    var body: String
    /// Chosen with a new draft; changed later on the proposal's audience page.
    var audience: String

    init(group: String, title: String, kind: String, scale: String, summary: String, body: String, audience: String) {
        self.group = group
        self.title = title
        self.kind = kind
        self.scale = scale
        self.summary = summary
        self.body = body
        self.audience = audience
    }

    init(_ form: [String: String]) {
        self.init(
            group: form["working_group_id"] ?? "", title: form["title"] ?? "", kind: form["kind"] ?? "", scale: form["scale"] ?? "",
            summary: form["summary"] ?? "", body: form["body"] ?? "", audience: form["audience"] ?? "")
    }

    init(_ proposal: Proposal) {
        self.init(
            group: proposal.workingGroupID.lowercasedString, title: proposal.title, kind: proposal.kind.rawValue,
            scale: proposal.scale.rawValue, summary: proposal.summary, body: proposal.body, audience: proposal.audience.rawValue)
    }

    /// Browsers send CRLF line ends; the text is stored as the person wrote it, with LF.
    func input(groupID: UUID?) -> ProposalInput {
        func text(_ value: String) -> String { value.replacingOccurrences(of: "\r\n", with: "\n") }
        // An edit leaves the audience to its own page.
        return ProposalInput(
            workingGroupID: groupID, title: title, summary: text(summary), body: text(body), kind: kind.isEmpty ? nil : kind,
            scale: scale.isEmpty ? nil : scale, audience: groupID == nil ? nil : audience.nonEmpty)
    }
}

struct ProposalSearch: Sendable {
    var q: String
    var group: String
    var status: String
    var kind: String

    /// The same search, one page on.
    func path(cursor: String) -> String {
        PortalPages.link("/proposals", [("q", q), ("group", group), ("status", status), ("kind", kind), ("cursor", cursor)])
    }
}

struct ProposalMove: Sendable {
    var to: String
    var label: String
    var needsNote: Bool
}

struct EndorserView: Sendable {
    var name: String
    var at: String
}

struct HistoryView: Sendable {
    var at: String
    var to: String
    var by: String?
    var note: String?
}

struct ProposalsPage: Sendable {
    var chrome: Chrome
    var q: String
    var groups: [LanguageChoice]
    var statuses: [LanguageChoice]
    var kinds: [LanguageChoice]
    var problems: FormProblems
    var proposals: [ProposalCard]
    var searched: Bool
    var next: String?
}

struct ProposalPage: Sendable {
    var chrome: Chrome
    var proposal: ProposalCard
    var body: String?
    var version: Int
    var scale: String
    var group: GroupLink?
    var author: String?
    /// Who may read it, said in words (with the people, for a named audience).
    var audience: String
    var mayChangeAudience: Bool
    var evidence: ConsoleSection
    var discussion: ConsoleSection
    var notice: String?
    var problem: String?
    var mayEdit: Bool
    var moves: [ProposalMove]
    var mayEndorse: Bool
    var endorsed: Bool
    var endorsers: [EndorserView]
    var history: [HistoryView]
}

struct ProposalFormPage: Sendable {
    var chrome: Chrome
    var action: String
    var editing: Bool
    var version: Int
    var conflict: Bool
    var current: ProposalCard?
    var groups: [LanguageChoice]
    var kinds: [LanguageChoice]
    var scales: [LanguageChoice]
    var audiences: [LanguageChoice]
    var draft: ProposalDraft
    var problems: FormProblems
}
