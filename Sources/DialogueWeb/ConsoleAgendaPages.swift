import DialogueCore
import Foundation
import Hummingbird

/// The agenda builder (issue 17 part 4), without a line of script: add, edit, move up and down,
/// remove, link an accepted proposal; outcomes once the session is held; action items from an
/// adopted item. A move names the item and where it goes, never the whole order, so two
/// coordinators reordering at once lose nothing: the later move applies to the agenda as the
/// earlier left it, or, when the agenda changed under it, comes back with the news.
extension PortalPages {
    static let agendaFields = ["title", "duration_minutes", "presenter_id", "proposal_id", "outcome", "outcome_note"]
    static let agendaPrefix = "item"

    /// The agenda's table and, while the agenda may change, the form that adds to it.
    func agendaSections(
        _ session: Session, _ agenda: Agenda, attendees: [Attendance], accepted: [Proposal], _ visit: Visit, state: FormState?,
        problems: FormProblems
    ) -> [ConsoleSection] {
        let t = renderer.catalog(visit.language)
        let names = Dictionary(attendees.map { ($0.participantID, $0.displayName) }, uniquingKeysWith: { first, _ in first })
        let titles = Dictionary(accepted.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
        let editable = session.status == .planned || session.status == .confirmed
        let columns = [
            "#", t["field_title"] ?? "", t["minutes"] ?? "", t["agenda_presenter"] ?? "", t["agenda_outcome"] ?? "", t["console_order"] ?? "",
        ]
        var section = ConsoleSection(
            "agenda", heading: t["agenda"],
            intro: Self.filled(t["console_agenda_total"], Written.number(agenda.items.reduce(0) { $0 + $1.durationMinutes }, visit.language)),
            table: ConsoleTable(
                caption: t["agenda"] ?? "", columns: columns,
                rows: agenda.items.enumerated().map { index, item in
                    let id = item.id.lowercasedString
                    var moves: [ConsoleForm] = []
                    if editable {
                        if index > 0 {
                            moves.append(.button("/console/agenda-items/\(id)/move", t["console_up"] ?? "", [("position", String(index))],
                                                 name: "\(t["console_up"] ?? ""): \(item.title)", secondary: true))
                        }
                        if index < agenda.items.count - 1 {
                            moves.append(.button("/console/agenda-items/\(id)/move", t["console_down"] ?? "", [("position", String(index + 2))],
                                                 name: "\(t["console_down"] ?? ""): \(item.title)", secondary: true))
                        }
                        moves.append(.button("/console/agenda-items/\(id)/remove", t["console_remove"] ?? "", [("version", String(item.version))],
                                             name: "\(t["console_remove"] ?? ""): \(item.title)", secondary: true))
                    }
                    let proposal = item.proposalID.flatMap { titles[$0] }.map { " · \(t["agenda_proposal"] ?? ""): \($0)" } ?? ""
                    return ConsoleRow(cells: [
                        ConsoleCell("#", Written.number(index + 1, visit.language)),
                        ConsoleCell(columns[1], item.title + proposal, href: "/console/agenda-items/\(id)"),
                        ConsoleCell(columns[2], Written.number(item.durationMinutes, visit.language)),
                        ConsoleCell(columns[3], item.presenterID.flatMap { names[$0] } ?? "—"),
                        ConsoleCell(columns[4], item.outcome.map { t["outcome_" + $0.rawValue] ?? $0.rawValue } ?? "—"),
                        ConsoleCell(columns[5], "", forms: moves),
                    ])
                }, none: t["agenda_none"] ?? ""))
        if editable {
            let fields = FieldBuilder(t, values: state?.values ?? ["duration_minutes": "15"], problems: problems, prefix: Self.agendaPrefix)
            section.forms = [ConsoleForm(
                "/console/sessions/\(session.id.lowercasedString)/agenda", submit: t["console_agenda_add"] ?? "", legend: t["console_agenda_add"],
                fields: [
                    fields.text("title", required: true), fields.text("duration_minutes", type: "number", required: true),
                    fields.select("presenter_id", attendees.map { ($0.participantID.lowercasedString, $0.displayName) }, any: "—"),
                    fields.select("proposal_id", accepted.map { ($0.id.lowercasedString, $0.title) }, any: "—"),
                ])]
        }
        return [section]
    }

    func addAgendaItem(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            let form = visit.form
            // Adding loses nothing another coordinator did, so it asks for no version.
            _ = try await dialogue.addAgendaItem(
                context(visit.session), sessionID: id,
                AgendaItemInput(
                    title: form["title"], durationMinutes: try Self.number(form, "duration_minutes"),
                    presenterID: .some(try Self.uuid(form, "presenter_id")), proposalID: .some(try Self.uuid(form, "proposal_id"))),
                ifMatch: nil)
            return redirect("/console/sessions/\(id.lowercasedString)?saved=1#agenda")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await consoleSessionAgenda(visit, sessionID: id, state: state)
        }
    }

    func moveAgendaItem(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            guard let position = try Self.number(visit.form, "position") else { throw DomainError.invalid("position", "is required") }
            let agenda = try await dialogue.moveAgendaItem(context(visit.session), itemID: id, to: position)
            return redirect("/console/sessions/\(agenda.sessionID.lowercasedString)?saved=1#agenda")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            let item = try await dialogue.getAgendaItem(context(visit.session), id: id)
            return try await consoleSessionAgenda(visit, sessionID: item.sessionID, state: FormState(values: [:], problems: state.problems, conflict: state.conflict))
        }
    }

    func removeAgendaItem(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            let item = try await dialogue.getAgendaItem(context(visit.session), id: id)
            try await dialogue.deleteAgendaItem(context(visit.session), id: id, ifMatch: try Self.version(visit.form))
            return redirect("/console/sessions/\(item.sessionID.lowercasedString)?saved=1#agenda")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            let item = try await dialogue.getAgendaItem(context(visit.session), id: id)
            return try await consoleSessionAgenda(visit, sessionID: item.sessionID, state: FormState(values: [:], problems: state.problems, conflict: state.conflict))
        }
    }

    private func consoleSessionAgenda(_ visit: Visit, sessionID: UUID, state: FormState) async throws -> Response {
        try await consoleSession(visit, id: sessionID, notice: nil, search: "", agendaState: state)
    }

    // MARK: One agenda item: edit, outcome, action items

    func agendaItemPage(_ request: Request, id rawID: String) async -> Response {
        await consoleObject(request, rawID) { visit, id in
            try await agendaItem(visit, id: id, state: nil, actionState: nil, saved: request.uri.queryParameters["saved"] != nil)
        }
    }

    func updateAgendaItem(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            let form = visit.form
            let held = form["held"] == "1"
            _ = try await dialogue.updateAgendaItem(
                context(visit.session), id: id,
                held
                    ? AgendaItemInput(outcome: .some(form["outcome"]?.nonEmpty), outcomeNote: .some(form["outcome_note"]?.nonEmpty))
                    : AgendaItemInput(
                        title: form["title"], durationMinutes: try Self.number(form, "duration_minutes"),
                        presenterID: .some(try Self.uuid(form, "presenter_id")), proposalID: .some(try Self.uuid(form, "proposal_id"))),
                ifMatch: try Self.version(form))
            return redirect("/console/agenda-items/\(id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await agendaItem(visit, id: id, state: state, actionState: nil, saved: false)
        }
    }

    func createActionFromAgenda(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            let form = visit.form
            let created = try await dialogue.createActionItem(
                context(visit.session),
                ActionItemInput(
                    workingGroupID: try Self.uuid(form, "working_group_id"), agendaItemID: id, title: form["title"],
                    ownerID: try Self.uuid(form, "owner_id"), dueOn: form["due_on"]?.nonEmpty))
            return redirect("/console/agenda-items/\(id.lowercasedString)?saved=\(created.id.lowercasedString)#actions")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await agendaItem(visit, id: id, state: nil, actionState: state, saved: false)
        }
    }

    static let actionFromAgendaFields = ["title", "owner_id", "due_on", "working_group_id"]

    private func agendaItem(_ visit: Visit, id: UUID, state: FormState?, actionState: FormState?, saved: Bool) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let item = try await dialogue.getAgendaItem(context, id: id)
        let session = try await dialogue.getSession(context, id: item.sessionID)
        async let attendeesRead = dialogue.listAttendees(context, sessionID: session.id)
        async let acceptedRead = dialogue.listProposals(context, page: try PageRequest(limit: 100, cursor: nil), filter: ProposalFilter(status: "accepted"))
        async let actionsRead = dialogue.listActionItems(
            context, page: try PageRequest(limit: 100, cursor: nil), filter: ActionItemFilter(agendaItemID: id))
        async let groupsRead = dialogue.listWorkingGroups(context, page: try PageRequest(limit: 100, cursor: nil), status: "active")
        let (attendees, accepted, actions, groups) = try await (attendeesRead, acceptedRead, actionsRead, groupsRead)
        let held = session.status == .held
        let now = [
            "title": item.title, "duration_minutes": String(item.durationMinutes), "presenter_id": item.presenterID.map(\.lowercasedString) ?? "",
            "proposal_id": item.proposalID.map(\.lowercasedString) ?? "", "outcome": item.outcome?.rawValue ?? "", "outcome_note": item.outcomeNote ?? "",
            "version": String(item.version),
        ]
        let problems = FormProblems(state?.problems ?? [], fields: Self.agendaFields, t)
        let fields = FieldBuilder(t, values: state?.values ?? now, problems: problems, current: state?.conflict == true ? now : nil)
        let sessionPath = "/console/sessions/\(session.id.lowercasedString)"
        var sections = [ConsoleSection("back", links: [ConsoleLink(href: sessionPath + "#agenda", label: session.title)])]
        // An accepted proposal may be placed on the agenda; the one already linked stays a choice.
        var proposals = accepted.items.map { ($0.id.lowercasedString, $0.title) }
        if let linked = item.proposalID, !accepted.items.contains(where: { $0.id == linked }),
            let proposal = try? await dialogue.getProposal(context, id: linked)
        {
            proposals.insert((linked.lowercasedString, proposal.title), at: 0)
        }
        if held {
            sections.append(ConsoleSection(
                "decision", heading: t["console_outcome"],
                forms: [ConsoleForm(
                    "/console/agenda-items/\(id.lowercasedString)", submit: t["console_save"] ?? "",
                    hidden: [Hidden(key: "version", value: versionValue(state, now)), Hidden(key: "held", value: "1")],
                    fields: [
                        fields.select("outcome", values: AgendaOutcome.allCases.map(\.rawValue), prefix: "outcome_", any: "—"),
                        fields.area("outcome_note"),
                    ])]))
        } else if session.status != .cancelled {
            sections.append(ConsoleSection(
                "edit", heading: t["console_edit"],
                forms: [ConsoleForm(
                    "/console/agenda-items/\(id.lowercasedString)", submit: t["console_save"] ?? "",
                    hidden: [Hidden(key: "version", value: versionValue(state, now))],
                    fields: [
                        fields.text("title", required: true), fields.text("duration_minutes", type: "number", required: true),
                        fields.select("presenter_id", attendees.map { ($0.participantID.lowercasedString, $0.displayName) }, any: "—"),
                        fields.select("proposal_id", proposals, any: "—"),
                    ])]))
        }
        if item.outcome == .adopted {
            let actionProblems = FormProblems(actionState?.problems ?? [], fields: Self.actionFromAgendaFields, t, prefix: "action")
            let actionFields = FieldBuilder(t, values: actionState?.values ?? [:], problems: actionProblems, prefix: "action")
            let columns = [t["field_title"] ?? "", t["field_owner_id"] ?? "", t["due"] ?? "", t["label_status"] ?? ""]
            let owners = Dictionary(attendees.map { ($0.participantID, $0.displayName) }, uniquingKeysWith: { first, _ in first })
            sections.append(ConsoleSection(
                "actions", heading: t["console_actions_from_item"],
                table: ConsoleTable(
                    caption: t["console_actions_from_item"] ?? "", columns: columns,
                    rows: actions.items.map { action in
                        ConsoleRow(cells: [
                            ConsoleCell(columns[0], action.title, href: "/action-items/\(action.id.lowercasedString)"),
                            ConsoleCell(columns[1], action.ownerID.flatMap { owners[$0] } ?? "—"),
                            ConsoleCell(columns[2], Written.day(action.dueOn, visit.language), flag: action.overdue),
                            ConsoleCell(columns[3], renderer.statusLabel(action.status.rawValue, visit.language)),
                        ])
                    }, none: t["console_none"] ?? ""),
                forms: [ConsoleForm(
                    "/console/agenda-items/\(id.lowercasedString)/action-items", submit: t["console_action_create"] ?? "", legend: t["console_action_create"],
                    fields: [
                        actionFields.text("title", required: true),
                        actionFields.select("owner_id", attendees.map { ($0.participantID.lowercasedString, $0.displayName) }, required: true),
                        actionFields.text("due_on", type: "date", required: true),
                    ]
                        // A plenary or quarterly session belongs to no group: the item's group is asked for.
                        + (session.workingGroupID == nil && item.proposalID == nil
                            ? [actionFields.select("working_group_id", groups.items.map { ($0.id.lowercasedString, $0.name) }, required: true)] : []))]))
            if let actionState {
                return consolePage(ConsolePage(
                    chrome(visit, "console_sessions", "/console/agenda-items/\(id.lowercasedString)", titleText: item.title), heading: item.title,
                    problems: actionProblems, sections: sections), status: actionState.problems.isEmpty ? .conflict : .unprocessableContent)
            }
        }
        return consolePage(ConsolePage(
            chrome(visit, "console_sessions", "/console/agenda-items/\(id.lowercasedString)", titleText: item.title), heading: item.title,
            intro: session.title, notice: saved ? t["console_saved"] : nil, conflict: state?.conflict ?? false, problems: problems,
            sections: sections))
    }
}
