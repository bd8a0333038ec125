import DialogueAPI
import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird

/// The console's work (issue 17 parts 5–8): the review queue and placing an accepted proposal
/// on an agenda; action items by group, owner and lateness; the quarterly report with its
/// downloads and freezing; for an admin, the audit trail and whether its chain holds.
extension PortalPages {
    // MARK: Review

    func reviewPage(_ request: Request) async -> Response {
        await console(request) { visit in
            try await review(visit, placeState: nil)
        }
    }

    private func review(_ visit: Visit, placeState: FormState?) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let page = try PageRequest(limit: 100, cursor: nil)
        async let submittedRead = dialogue.listProposals(context, page: page, filter: ProposalFilter(status: "submitted"))
        async let reviewingRead = dialogue.listProposals(context, page: page, filter: ProposalFilter(status: "under_review"))
        async let acceptedRead = dialogue.listProposals(context, page: page, filter: ProposalFilter(status: "accepted"))
        async let sessionsRead = dialogue.listSessions(context, page: page, filter: SessionFilter(from: Date()))
        let (submitted, reviewing, accepted, sessions) = try await (submittedRead, reviewingRead, acceptedRead, sessionsRead)
        let columns = [t["field_title"] ?? "", t["label_kind"] ?? "", t["endorsements"] ?? ""]
        func table(_ proposals: [Proposal], caption: String) -> ConsoleTable {
            ConsoleTable(
                caption: caption, columns: columns,
                rows: proposals.map { proposal in
                    ConsoleRow(cells: [
                        ConsoleCell(columns[0], proposal.title, href: "/proposals/\(proposal.id.lowercasedString)"),
                        ConsoleCell(columns[1], t["kind_" + proposal.kind.rawValue] ?? proposal.kind.rawValue),
                        ConsoleCell(columns[2], Written.number(proposal.endorsementCount, visit.language)),
                    ])
                }, none: t["console_none"] ?? "")
        }
        let open = sessions.items.filter { $0.status == .planned || $0.status == .confirmed }
        let choices = open.map { ($0.id.lowercasedString, "\($0.title) · \(Written.moment($0.startsAt, TimeZone(identifier: $0.timezone) ?? .gmt, visit.language))") }
        let problems = FormProblems(placeState?.problems ?? [], fields: ["session_id"], t, prefix: placeState?.values["proposal_id"].map { "place-\($0)" } ?? "")
        let placeColumns = [t["field_title"] ?? "", t["console_place"] ?? ""]
        return consolePage(ConsolePage(
            chrome(visit, "console_review", "/console/review"), heading: t["console_review"] ?? "", intro: t["console_review_intro"],
            problems: problems,
            sections: [
                ConsoleSection("submitted", heading: t["status_submitted"], table: table(submitted.items, caption: t["status_submitted"] ?? "")),
                ConsoleSection("reviewing", heading: t["status_under_review"], table: table(reviewing.items, caption: t["status_under_review"] ?? "")),
                ConsoleSection(
                    "accepted", heading: t["console_review_accepted"], intro: open.isEmpty ? t["console_review_no_session"] : nil,
                    table: ConsoleTable(
                        caption: t["console_review_accepted"] ?? "", columns: placeColumns,
                        rows: accepted.items.map { proposal in
                            let id = proposal.id.lowercasedString
                            let chosen = placeState?.values["proposal_id"] == id
                            let fields = FieldBuilder(t, values: chosen ? placeState?.values ?? [:] : [:], problems: chosen ? problems : .none, prefix: "place-\(id)")
                            return ConsoleRow(cells: [
                                ConsoleCell(placeColumns[0], proposal.title, href: "/proposals/\(id)"),
                                ConsoleCell(placeColumns[1], "", forms: open.isEmpty ? [] : [ConsoleForm(
                                    "/console/review/place", submit: t["console_place"] ?? "", hidden: [Hidden(key: "proposal_id", value: id)],
                                    fields: [fields.select("session_id", choices, label: t["console_place_session"])],
                                    submitName: "\(t["console_place"] ?? ""): \(proposal.title)", inline: true)]),
                            ])
                        }, none: t["console_none"] ?? "")),
            ]))
    }

    /// Places an accepted proposal on a session's agenda: an item with its title, linked to it.
    func placeProposal(_ request: Request) async -> Response {
        await consoleAction(request) { visit in
            let context = context(visit.session)
            guard let proposalID = try Self.uuid(visit.form, "proposal_id") else { throw DomainError.notFound("") }
            guard let sessionID = try Self.uuid(visit.form, "session_id") else { throw DomainError.invalid("session_id", "is required") }
            let proposal = try await dialogue.getProposal(context, id: proposalID)
            _ = try await dialogue.addAgendaItem(
                context, sessionID: sessionID, AgendaItemInput(title: proposal.title, durationMinutes: 20, proposalID: .some(proposalID)), ifMatch: nil)
            return redirect("/console/sessions/\(sessionID.lowercasedString)?saved=1#agenda")
        } redraw: { visit, state in
            try await review(visit, placeState: state)
        }
    }

    // MARK: Action items

    func consoleActionItemsPage(_ request: Request) async -> Response {
        await console(request) { visit in
            let t = renderer.catalog(visit.language)
            let query = request.uri.queryParameters
            let values = [
                "group": query["group"].map(String.init) ?? "", "owner": query["owner"].map(String.init) ?? "",
                "show": query["show"].flatMap { ActionItemsShown(rawValue: String($0)) }?.rawValue ?? "open",
            ]
            do {
                let context = context(visit.session)
                let group = try Self.uuid(values, "group"), owner = try Self.uuid(values, "owner")
                let show = ActionItemsShown(rawValue: values["show"] ?? "") ?? .open
                var filter = ActionItemFilter(ownerID: owner, workingGroupID: group)
                switch show {
                case .open: filter.closed = false
                case .overdue: filter.overdue = true
                case .closed: filter.closed = true
                case .all: break
                }
                let page = try PageRequest(limit: 100, cursor: nil)
                async let groupsRead = dialogue.listWorkingGroups(context, page: page)
                async let peopleRead = dialogue.listParticipants(context, page: try PageRequest(limit: 200, cursor: nil), filter: ParticipantFilter())
                async let itemsRead = dialogue.listActionItems(
                    context, page: try PageRequest(limit: 50, cursor: query["cursor"].map(String.init)), filter: filter)
                let (groups, people, items) = try await (groupsRead, peopleRead, itemsRead)
                let groupNames = Dictionary(groups.items.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
                let names = Dictionary(people.items.map { ($0.id, $0.displayName) }, uniquingKeysWith: { first, _ in first })
                let fields = FieldBuilder(t, values: values)
                let any = t["filter_any"] ?? ""
                let columns = [t["field_title"] ?? "", t["label_group"] ?? "", t["field_owner_id"] ?? "", t["due"] ?? "", t["label_status"] ?? "", t["label_progress"] ?? ""]
                // Overdue first, then by due date: what needs a coordinator's call comes first.
                let ordered = items.items.sorted { ($0.overdue ? 0 : 1, $0.dueOn) < ($1.overdue ? 0 : 1, $1.dueOn) }
                return consolePage(ConsolePage(
                    chrome(visit, "console_action_items", "/console/action-items"), heading: t["console_action_items"] ?? "",
                    intro: t["console_action_items_intro"],
                    sections: [
                        ConsoleSection(
                            "filter",
                            forms: [ConsoleForm(
                                "/console/action-items", submit: t["actions_apply"] ?? "", get: true,
                                fields: [
                                    fields.select("group", groups.items.map { ($0.id.lowercasedString, $0.name) }, any: any, label: t["label_group"]),
                                    fields.select("owner", people.items.map { ($0.id.lowercasedString, $0.displayName) }, any: any, label: t["field_owner_id"]),
                                    fields.select("show", values: ActionItemsShown.allCases.map(\.rawValue), prefix: "actions_show_"),
                                ])]),
                        ConsoleSection(
                            "items",
                            table: ConsoleTable(
                                caption: t["console_action_items"] ?? "", columns: columns,
                                rows: ordered.map { item in
                                    ConsoleRow(cells: [
                                        ConsoleCell(columns[0], item.title, href: "/action-items/\(item.id.lowercasedString)"),
                                        ConsoleCell(columns[1], groupNames[item.workingGroupID] ?? "—"),
                                        ConsoleCell(columns[2], item.ownerID.flatMap { names[$0] } ?? "—"),
                                        ConsoleCell(
                                            columns[3], Written.day(item.dueOn, visit.language) + (item.overdue ? " · \(t["overdue"] ?? "")" : ""),
                                            flag: item.overdue),
                                        ConsoleCell(columns[4], renderer.statusLabel(item.status.rawValue, visit.language)),
                                        ConsoleCell(columns[5], Written.number(item.progress, visit.language) + " %"),
                                    ])
                                }, none: t["actions_none"] ?? ""),
                            next: items.nextCursor.map {
                                Self.link("/console/action-items", [("group", values["group"] ?? ""), ("owner", values["owner"] ?? ""), ("show", show.rawValue), ("cursor", $0)])
                            }),
                    ]))
            } catch DomainError.validation {
                return redirect("/console/action-items")
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    // MARK: The quarterly report

    static let reportFields = ["quarter", "direction", "audience", "detail"]

    func consoleReportPage(_ request: Request) async -> Response {
        await console(request) { visit in
            let query = request.uri.queryParameters
            var values = Dictionary(uniqueKeysWithValues: Self.reportFields.map { ($0, query[Substring($0)].map(String.init) ?? "") })
            values["quarter"] = values["quarter"]?.nonEmpty ?? Quarter(containing: Date()).description
            values["audience"] = values["audience"]?.nonEmpty ?? "internal"
            values["detail"] = values["detail"]?.nonEmpty ?? "summary"
            return await report(visit, values: values, notice: query["frozen"] != nil ? "console_report_frozen_now" : nil)
        }
    }

    private func report(_ visit: Visit, values: [String: String], notice: String?) async -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        do {
            let directions = try await dialogue.listDirections(context)
            var problems: [FieldError] = []
            var frozen: ExportedReport?
            do {
                let export = try dialogue.quarterlyExport(
                    context, quarter: values["quarter"] ?? "", direction: values["direction"]?.nonEmpty, audience: values["audience"])
                _ = try ReportPageOptions(detail: values["detail"], language: visit.language.rawValue)
                frozen = try await dialogue.frozenReport(
                    context, quarter: export.quarter.description, direction: export.direction, audience: export.audience.rawValue)
            } catch DomainError.validation(let errors) {
                problems = errors
            }
            let formProblems = FormProblems(problems, fields: Self.reportFields, t)
            let fields = FieldBuilder(t, values: values, problems: formProblems)
            var sections = [ConsoleSection(
                "choose",
                forms: [ConsoleForm(
                    "/console/report", submit: t["console_report_show"] ?? "", get: true,
                    fields: [
                        fields.text("quarter", required: true),
                        fields.select("direction", directions.map { ($0.slug, $0.name) }, any: t["console_all_directions"] ?? ""),
                        fields.select("audience", values: ["internal", "public"], prefix: "audience_"),
                        fields.select("detail", values: ["summary", "full"], prefix: "detail_"),
                    ])])]
            if problems.isEmpty {
                let base = [("quarter", values["quarter"] ?? ""), ("direction", values["direction"] ?? ""), ("audience", values["audience"] ?? "")]
                let page = base + [("detail", values["detail"] ?? ""), ("lang", visit.language.rawValue)]
                func download(_ format: String, _ extra: [(String, String)] = [], frozen: Bool = false) -> String {
                    Self.link("/console/report/download", page + [("format", format)] + extra + (frozen ? [("frozen", "1")] : []))
                }
                sections.append(ConsoleSection(
                    "read", heading: t["console_report_read"],
                    links: [ConsoleLink(href: Self.link("/console/report/view", page), label: t["console_report_open"] ?? "")]
                        + [ConsoleLink(href: download("html"), label: t["console_report_html"] ?? ""),
                           ConsoleLink(href: download("json"), label: t["console_report_json"] ?? "")]
                        + ReportCSV.tables.map { ConsoleLink(href: download("csv", [("table", $0)]), label: Self.filled(t["console_report_csv"], $0)) }))
                if let frozen {
                    sections.append(ConsoleSection(
                        "frozen", heading: t["console_report_frozen"], intro: t["console_report_frozen_intro"],
                        facts: [Fact(label: "SHA-256", value: frozen.sha256)],
                        links: [
                            ConsoleLink(href: download("html", frozen: true), label: t["console_report_html"] ?? ""),
                            ConsoleLink(href: download("json", frozen: true), label: t["console_report_json"] ?? ""),
                        ]))
                } else {
                    sections.append(ConsoleSection(
                        "freeze", heading: t["console_report_freeze"], intro: t["console_report_freeze_intro"],
                        forms: [ConsoleForm(
                            "/console/report/freeze", submit: t["console_report_freeze"] ?? "",
                            hidden: base.map { Hidden(key: $0.0, value: $0.1) })]))
                }
            }
            return consolePage(ConsolePage(
                chrome(visit, "console_report", "/console/report"), heading: t["console_report"] ?? "", intro: t["console_report_intro"],
                notice: notice.flatMap { t[$0] }, problems: formProblems, sections: sections),
                status: problems.isEmpty ? .ok : .unprocessableContent)
        } catch {
            return failure(error, visit.language, visit.session)
        }
    }

    /// The report as a page of its own (`view`) or a file (`download`), through the API's own
    /// export: the same parameters, checks and bytes.
    func reportDocument(_ request: Request, attachment: Bool) async -> Response {
        await console(request) { visit in
            let query = request.uri.queryParameters
            let parameter: (String) -> String? = { name in
                let value = query[Substring(name)].map(String.init)
                return name == "direction" ? value?.nonEmpty : value
            }
            do {
                let context = context(visit.session)
                var frozen: ExportedReport?
                if query["frozen"] == "1" {
                    guard let quarter = parameter("quarter"),
                        let stored = try await dialogue.frozenReport(context, quarter: quarter, direction: parameter("direction"), audience: parameter("audience"))
                    else { throw DomainError.notFound("") }
                    frozen = stored
                }
                var response = try await DialogueHTTP.quarterlyExportResponse(
                    { name in name == "format" && !attachment ? "html" : parameter(name) }, context: context, dialogue: dialogue,
                    stallLimit: .seconds(30), attachment: attachment, frozen: frozen)
                // The report page carries its own style; it may use nothing else.
                response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
                response.headers[.referrerPolicy] = "same-origin"
                response.headers[.xContentTypeOptions] = "nosniff"
                return response
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    func freezeReport(_ request: Request) async -> Response {
        await consoleAction(request) { visit in
            let form = visit.form
            let exported = try await dialogue.quarterlyReport(
                context(visit.session), quarter: form["quarter"] ?? "", direction: form["direction"]?.nonEmpty, audience: form["audience"]?.nonEmpty)
            _ = try await dialogue.freezeReport(context(visit.session), exported)
            return redirect(Self.link("/console/report", Self.reportFields.dropLast().map { ($0, form[$0] ?? "") } + [("frozen", "1")]))
        }
    }

    // MARK: Audit (admin)

    func auditPage(_ request: Request) async -> Response {
        await console(request, admin: true) { visit in
            let t = renderer.catalog(visit.language)
            let query = request.uri.queryParameters
            do {
                let context = context(visit.session)
                async let verification = dialogue.verifyAuditTrail(context)
                async let entries = dialogue.listAudit(
                    context, page: try PageRequest(limit: 50, cursor: query["cursor"].map(String.init)), filter: AuditFilter(newestFirst: true))
                let (chain, trail) = try await (verification, entries)
                let zone = try await viewerZone(context, visit.session)
                let columns = ["#", t["console_audit_when"] ?? "", t["console_audit_action"] ?? "", t["console_audit_object"] ?? "", t["console_audit_actor"] ?? ""]
                let status = chain.isIntact
                    ? Self.filled(t["console_audit_intact"], Written.number(chain.rowsChecked, visit.language))
                    : Self.filled(t["console_audit_broken"], String(chain.firstBroken?.seq ?? 0), chain.firstBroken?.reason ?? "")
                return consolePage(ConsolePage(
                    chrome(visit, "console_audit", "/console/audit"), heading: t["console_audit"] ?? "", intro: t["console_audit_intro"],
                    warnings: chain.isIntact ? [] : [status],
                    sections: [
                        ConsoleSection(
                            "chain", heading: t["console_audit_chain"],
                            facts: [
                                Fact(label: t["label_status"] ?? "", value: status),
                                Fact(label: t["console_audit_head"] ?? "", value: chain.headHash),
                            ]),
                        ConsoleSection(
                            "trail",
                            table: ConsoleTable(
                                caption: t["console_audit"] ?? "", columns: columns,
                                rows: trail.items.map { entry in
                                    ConsoleRow(cells: [
                                        ConsoleCell("#", String(entry.seq)),
                                        ConsoleCell(columns[1], Written.moment(entry.occurredAt, zone, visit.language)),
                                        ConsoleCell(columns[2], entry.action),
                                        ConsoleCell(columns[3], "\(entry.objectType) \(entry.objectID)"),
                                        ConsoleCell(columns[4], entry.actor),
                                    ])
                                }, none: t["console_none"] ?? ""),
                            next: trail.nextCursor.map { Self.link("/console/audit", [("cursor", $0)]) }),
                    ]))
            } catch DomainError.validation {
                return redirect("/console/audit")
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }
}
