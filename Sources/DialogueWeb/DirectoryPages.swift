import DialogueCore
import Foundation
import Hummingbird

/// The console's directory (issue 17 part 2): organizations and participants, portal
/// invitations (the link shown once), the CSV import with its preview, and for an admin the
/// credentials of a participant and the compromise drill.
extension PortalPages {
    func consoleHome(_ request: Request) async -> Response {
        await console(request) { visit in
            let t = renderer.catalog(visit.language)
            do {
                let groups = try await dialogue.listWorkingGroups(context(visit.session), page: try PageRequest(limit: 100, cursor: nil))
                let warnings = groups.items.filter { $0.status == .active }.flatMap { group in
                    group.warnings.map { "\(group.name): \(Self.groupWarning($0, t))" }
                }
                return consolePage(ConsolePage(
                    chrome(visit, "console_title", "/console"), heading: t["console_title"] ?? "", intro: t["console_intro"],
                    warnings: warnings,
                    sections: [ConsoleSection(
                        "areas",
                        links: ConsoleArea.allCases.filter { $0.isOpen(to: visit.session.role) }.map {
                            ConsoleLink(href: $0.path, label: t[$0.label + "_about"] ?? $0.label)
                        })]))
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    /// A group health warning (Core says it in English for the API) in the reader's language.
    static func groupWarning(_ warning: String, _ t: [String: String]) -> String {
        warning.contains("chair") ? t["group_warning_chairs"] ?? warning : warning
    }

    func chrome(_ visit: Visit, _ title: String, _ path: String, titleText: String? = nil) -> Chrome {
        renderer.chrome(visit.language, title: title, titleText: titleText, session: visit.session, path: path)
    }

    // MARK: Organizations

    func organizationsPage(_ request: Request) async -> Response {
        await console(request) { visit in
            try await organizations(visit, state: nil, cursor: request.uri.queryParameters["cursor"].map(String.init))
        }
    }

    func createOrganization(_ request: Request) async -> Response {
        await consoleAction(request) { visit in
            let created = try await dialogue.createOrganization(context(visit.session), Self.organizationInput(visit.form))
            return redirect("/console/organizations/\(created.id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            try await organizations(visit, state: state, cursor: nil)
        }
    }

    private func organizations(_ visit: Visit, state: FormState?, cursor: String?) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let found = try await dialogue.listOrganizations(context(visit.session), page: try PageRequest(limit: 100, cursor: cursor))
        let problems = FormProblems(state?.problems ?? [], fields: Self.organizationFields, t)
        let fields = FieldBuilder(t, values: state?.values ?? ["side": "movement"], problems: problems)
        return consolePage(ConsolePage(
            chrome(visit, "console_organizations", "/console/organizations"), heading: t["console_organizations"] ?? "",
            intro: t["console_organizations_intro"], problems: problems,
            sections: [
                ConsoleSection(
                    "list",
                    table: ConsoleTable(
                        caption: t["console_organizations"] ?? "", columns: [t["field_name"] ?? "", t["field_side"] ?? "", t["field_country"] ?? ""],
                        rows: found.items.map { organization in
                            ConsoleRow(cells: [
                                ConsoleCell(t["field_name"] ?? "", organization.name, href: "/console/organizations/\(organization.id.lowercasedString)"),
                                ConsoleCell(t["field_side"] ?? "", t["side_" + organization.side.rawValue] ?? organization.side.rawValue),
                                ConsoleCell(t["field_country"] ?? "", organization.country ?? "—"),
                            ])
                        }, none: t["console_none"] ?? ""),
                    next: found.nextCursor.map { Self.link("/console/organizations", [("cursor", $0)]) }),
                ConsoleSection(
                    "new", heading: t["console_organization_new"],
                    forms: [ConsoleForm("/console/organizations", submit: t["console_create"] ?? "", fields: organizationFields(fields))]),
            ]), status: state == nil ? .ok : .unprocessableContent)
    }

    static let organizationFields = ["name", "side", "country"]

    private func organizationFields(_ fields: FieldBuilder) -> [FormField] {
        [
            fields.text("name", required: true),
            fields.select("side", values: OrganizationSide.allCases.map(\.rawValue), prefix: "side_", required: true),
            fields.text("country"),
        ]
    }

    static func organizationInput(_ form: [String: String]) -> OrganizationInput {
        OrganizationInput(name: form["name"], side: form["side"], country: .some(form["country"]?.nonEmpty))
    }

    func organizationPage(_ request: Request, id rawID: String) async -> Response {
        await consoleObject(request, rawID) { visit, id in
            try await organization(visit, id: id, state: nil, saved: request.uri.queryParameters["saved"] != nil)
        }
    }

    func updateOrganization(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.updateOrganization(
                context(visit.session), id: id, Self.organizationInput(visit.form), ifMatch: try Self.version(visit.form))
            return redirect("/console/organizations/\(id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await organization(visit, id: id, state: state, saved: false)
        }
    }

    private func organization(_ visit: Visit, id: UUID, state: FormState?, saved: Bool) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let organization = try await dialogue.getOrganization(context(visit.session), id: id)
        let now = [
            "name": organization.name, "side": organization.side.rawValue, "country": organization.country ?? "",
            "version": String(organization.version),
        ]
        let problems = FormProblems(state?.problems ?? [], fields: Self.organizationFields, t)
        let fields = FieldBuilder(t, values: state?.values ?? now, problems: problems, current: state?.conflict == true ? now : nil)
        let members = try await dialogue.listParticipants(
            context(visit.session), page: try PageRequest(limit: 100, cursor: nil), filter: ParticipantFilter(organizationID: id))
        return consolePage(ConsolePage(
            chrome(visit, "console_organizations", "/console/organizations/\(id.lowercasedString)", titleText: organization.name),
            heading: organization.name, notice: saved ? t["console_saved"] : nil, conflict: state?.conflict ?? false, problems: problems,
            sections: [
                ConsoleSection(
                    "edit", heading: t["console_edit"],
                    forms: [ConsoleForm(
                        "/console/organizations/\(id.lowercasedString)", submit: t["console_save"] ?? "",
                        hidden: [Hidden(key: "version", value: versionValue(state, now))], fields: organizationFields(fields))]),
                ConsoleSection("people", heading: t["console_participants"], table: participantTable(members.items, t)),
            ]))
    }

    /// The version a redrawn form carries: after a lost race, the object's current one (the
    /// person has now seen it); otherwise the one the form was drawn from.
    func versionValue(_ state: FormState?, _ now: [String: String]) -> String {
        guard let state, !state.conflict else { return now["version"] ?? "" }
        return state.values["version"] ?? now["version"] ?? ""
    }

    // MARK: Participants

    func directoryPage(_ request: Request) async -> Response {
        await console(request) { visit in
            let query = request.uri.queryParameters
            let t = renderer.catalog(visit.language)
            let search = ["kind": query["kind"].map(String.init) ?? "", "status": query["status"].map(String.init) ?? "active",
                          "q": query["q"].map(String.init) ?? ""]
            var problems: [FieldError] = []
            var found: Page<Participant>?
            do {
                found = try await dialogue.listParticipants(
                    context(visit.session), page: try PageRequest(limit: 50, cursor: query["cursor"].map(String.init)),
                    filter: ParticipantFilter(kind: search["kind"]?.nonEmpty, status: search["status"]?.nonEmpty, name: search["q"]?.nonEmpty))
            } catch DomainError.validation(let errors) {
                problems = errors.map { $0.field == "name" ? FieldError("q", $0.message) : $0 }
            } catch {
                return failure(error, visit.language, visit.session)
            }
            let formProblems = FormProblems(problems, fields: ["q", "kind", "status"], t)
            let fields = FieldBuilder(t, values: search, problems: formProblems)
            let any = t["filter_any"] ?? ""
            return consolePage(ConsolePage(
                chrome(visit, "directory_title", "/console/participants"), heading: t["directory_title"] ?? "", intro: t["directory_intro"],
                problems: formProblems,
                sections: [
                    ConsoleSection(
                        "search",
                        forms: [ConsoleForm(
                            "/console/participants", submit: t["directory_search"] ?? "", get: true,
                            fields: [
                                fields.text("q", type: "search"),
                                fields.select("kind", values: ParticipantKind.allCases.map(\.rawValue), prefix: "participant_kind_", any: any),
                                fields.select("status", values: ParticipantStatus.allCases.map(\.rawValue), prefix: "participant_status_", any: any),
                            ])],
                        links: [
                            ConsoleLink(href: "/console/participants/new", label: t["console_participant_new"] ?? ""),
                            ConsoleLink(href: "/console/participants/import", label: t["console_import"] ?? ""),
                        ]),
                    ConsoleSection(
                        "results", table: participantTable(found?.items ?? [], t, inviteAs: visit.session.role),
                        next: found?.nextCursor.map {
                            Self.link("/console/participants", [("q", search["q"] ?? ""), ("kind", search["kind"] ?? ""), ("status", search["status"] ?? ""), ("cursor", $0)])
                        }),
                ]), status: problems.isEmpty ? .ok : .unprocessableContent)
        }
    }

    /// Participants in a table, each linked to their page; with `inviteAs`, a portal invitation
    /// for each active one, with a role no higher than the coordinator's own.
    func participantTable(_ participants: [Participant], _ t: [String: String], inviteAs: Role? = nil) -> ConsoleTable {
        let roles = Role.allCases.filter { $0 <= inviteAs ?? .observer }.reversed().map { ($0.rawValue, t["account_role_" + $0.rawValue] ?? $0.rawValue) }
        let columns = [t["field_display_name"] ?? "", t["field_kind"] ?? "", t["label_status"] ?? ""] + (inviteAs == nil ? [] : [t["directory_invite"] ?? ""])
        return ConsoleTable(
            caption: t["console_participants"] ?? "", columns: columns,
            rows: participants.map { participant in
                let id = participant.id.lowercasedString
                var cells = [
                    ConsoleCell(columns[0], participant.displayName, href: "/console/participants/\(id)"),
                    ConsoleCell(columns[1], t["participant_kind_" + participant.kind.rawValue] ?? participant.kind.rawValue),
                    ConsoleCell(
                        columns[2], t["participant_status_" + participant.status.rawValue] ?? participant.status.rawValue,
                        flag: participant.status == .compromised),
                ]
                if inviteAs != nil {
                    var invite = ConsoleForm(
                        "/console/participants/\(id)/invitation", submit: t["directory_invite"] ?? "",
                        fields: [FieldBuilder(t, values: ["role": "member"], prefix: "role-\(id)").select("role", roles, label: t["directory_role"])],
                        submitName: "\(t["directory_invite"] ?? ""): \(participant.displayName)", inline: true)
                    if participant.status != .active { invite.fields = [] }
                    cells.append(ConsoleCell(columns[3], "", forms: participant.status == .active ? [invite] : []))
                }
                return ConsoleRow(cells: cells)
            }, none: t["directory_none"] ?? "")
    }

    static let participantFields = ["display_name", "kind", "organization_id", "timezone", "languages", "email", "represents", "status"]

    func newParticipantPage(_ request: Request) async -> Response {
        await console(request) { visit in
            try await participantForm(visit, state: nil)
        }
    }

    func createParticipant(_ request: Request) async -> Response {
        await consoleAction(request) { visit in
            let created = try await dialogue.createParticipant(context(visit.session), try Self.participantInput(visit.form, status: false))
            return redirect("/console/participants/\(created.id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            try await participantForm(visit, state: state)
        }
    }

    /// The form of a new participant.
    private func participantForm(_ visit: Visit, state: FormState?) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let problems = FormProblems(state?.problems ?? [], fields: Self.participantFields, t)
        let fields = FieldBuilder(t, values: state?.values ?? ["kind": "diaspora", "timezone": "Europe/Vilnius"], problems: problems)
        return consolePage(ConsolePage(
            chrome(visit, "console_participant_new", "/console/participants/new"), heading: t["console_participant_new"] ?? "",
            intro: t["console_participant_intro"], problems: problems,
            sections: [ConsoleSection(
                "new", forms: [ConsoleForm(
                    "/console/participants", submit: t["console_create"] ?? "",
                    fields: try await participantFields(fields, visit, status: false))])]))
    }

    private func participantFields(_ fields: FieldBuilder, _ visit: Visit, status: Bool) async throws -> [FormField] {
        let t = fields.t
        let organizations = try await dialogue.listOrganizations(context(visit.session), page: try PageRequest(limit: 100, cursor: nil))
        var list = [
            fields.text("display_name", required: true),
            fields.select("kind", values: ParticipantKind.allCases.map(\.rawValue), prefix: "participant_kind_", required: true),
            fields.select("organization_id", organizations.items.map { ($0.id.lowercasedString, $0.name) }, any: t["console_no_organization"] ?? ""),
            fields.text("timezone", required: true),
            fields.text("languages"),
            fields.text("email", type: "email"),
            fields.text("represents"),
        ]
        if status {
            list.append(fields.select("status", values: [ParticipantStatus.active.rawValue, ParticipantStatus.inactive.rawValue], prefix: "participant_status_"))
        }
        return list
    }

    /// The form's values as Core's input; empty optional fields clear what they hold.
    static func participantInput(_ form: [String: String], status: Bool) throws -> ParticipantInput {
        ParticipantInput(
            displayName: form["display_name"], kind: form["kind"], organizationID: .some(try uuid(form, "organization_id")),
            timezone: form["timezone"],
            languages: (form["languages"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init),
            email: .some(form["email"]?.trimmingCharacters(in: .whitespaces).nonEmpty), represents: .some(form["represents"]?.nonEmpty),
            status: status ? form["status"] : nil)
    }

    func participantPage(_ request: Request, id rawID: String) async -> Response {
        await consoleObject(request, rawID) { visit, id in
            let notice = request.uri.queryParameters["saved"].map { $0 == "compromised" ? "console_compromised" : "console_saved" }
            return try await participant(visit, id: id, state: nil, notice: notice)
        }
    }

    func updateParticipant(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.updateParticipant(
                context(visit.session), id: id, try Self.participantInput(visit.form, status: true), ifMatch: try Self.version(visit.form))
            return redirect("/console/participants/\(id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await participant(visit, id: id, state: state, notice: nil)
        }
    }

    /// A participant's page: the edit form; for an admin, their credentials and the drill.
    private func participant(_ visit: Visit, id: UUID, state: FormState?, notice: String?, drill: FormState? = nil) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let participant = try await dialogue.getParticipant(context, id: id)
        let now = [
            "display_name": participant.displayName, "kind": participant.kind.rawValue,
            "organization_id": participant.organizationID.map(\.lowercasedString) ?? "", "timezone": participant.timezone,
            "languages": participant.languages.joined(separator: ", "), "email": participant.email ?? "",
            "represents": participant.represents ?? "", "status": participant.status.rawValue, "version": String(participant.version),
        ]
        let problems = drill.map { FormProblems($0.problems, fields: ["reason", "passphrase", "code"], t, scope: "drill") }
            ?? FormProblems(state?.problems ?? [], fields: Self.participantFields, t)
        let fields = FieldBuilder(t, values: state?.values ?? now, problems: drill == nil ? problems : .none, current: state?.conflict == true ? now : nil)
        // Their side decides what they may read of side-only papers (DOMAIN.md).
        var sections = [
            ConsoleSection("side", facts: participant.side.map {
                [Fact(label: t["participant_side"] ?? "", value: t["side_" + $0.rawValue] ?? $0.rawValue)]
            } ?? [], links: []),
            ConsoleSection("edit", heading: t["console_edit"]),
        ]
        if participant.status == .compromised {
            sections[1].sectionIntro = t["console_participant_compromised"]
        } else {
            sections[1].forms = [ConsoleForm(
                "/console/participants/\(id.lowercasedString)", submit: t["console_save"] ?? "",
                hidden: [Hidden(key: "version", value: versionValue(state, now))],
                fields: try await participantFields(fields, visit, status: true))]
        }
        if visit.session.role == .admin {
            let zone = try await viewerZone(context, visit.session)
            async let tokens = dialogue.listTokens(context, participantID: id, page: try PageRequest(limit: 100, cursor: nil))
            async let webSessions = dialogue.listWebSessions(context, participantID: id)
            let (tokenPage, sessionList) = try await (tokens, webSessions)
            let when: (Date?) -> String = { $0.map { Written.moment($0, zone, visit.language) } ?? "—" }
            let tokenColumns = [t["console_token_label"] ?? "", t["directory_role"] ?? "", t["console_token_used"] ?? "", t["label_status"] ?? ""]
            sections.append(ConsoleSection(
                "credentials", heading: t["console_credentials"],
                table: ConsoleTable(
                    caption: t["console_tokens"] ?? "", columns: tokenColumns,
                    rows: tokenPage.items.map { token in
                        ConsoleRow(cells: [
                            ConsoleCell(tokenColumns[0], token.label.nonEmpty ?? "—"),
                            ConsoleCell(tokenColumns[1], t["account_role_" + token.role.rawValue] ?? token.role.rawValue),
                            ConsoleCell(tokenColumns[2], when(token.lastUsedAt)),
                            ConsoleCell(
                                tokenColumns[3],
                                token.revokedAt != nil ? t["console_token_revoked"] ?? "" : token.expiresAt < Date() ? t["console_token_expired"] ?? "" : t["console_token_live"] ?? ""),
                        ])
                    }, none: t["console_tokens_none"] ?? "")))
            let sessionColumns = [t["profile_session_started"] ?? "", t["profile_session_seen"] ?? ""]
            sections.append(ConsoleSection(
                "web-sessions",
                table: ConsoleTable(
                    caption: t["console_web_sessions"] ?? "", columns: sessionColumns,
                    rows: sessionList.map { ConsoleRow(cells: [ConsoleCell(sessionColumns[0], when($0.createdAt)), ConsoleCell(sessionColumns[1], when($0.lastSeenAt))]) },
                    none: t["console_web_sessions_none"] ?? "")))
            if participant.status != .compromised, participant.id != visit.session.participantID {
                let drillFields = FieldBuilder(t, values: drill.map { ["reason": $0.values["reason"] ?? ""] } ?? [:], problems: problems)
                sections.append(ConsoleSection(
                    "drill", heading: t["console_drill"], intro: t["console_drill_intro"],
                    forms: [ConsoleForm(
                        "/console/participants/\(id.lowercasedString)/compromise", submit: t["console_drill_run"] ?? "",
                        fields: [
                            drillFields.area("reason", required: true), drillFields.text("passphrase", type: "password"),
                            drillFields.text("code", label: t["field_code"]),
                        ])]))
            }
        }
        return consolePage(ConsolePage(
            chrome(visit, "directory_title", "/console/participants/\(id.lowercasedString)", titleText: participant.displayName),
            heading: participant.displayName, intro: t["participant_kind_" + participant.kind.rawValue],
            notice: notice.flatMap { t[$0] }, conflict: state?.conflict ?? false, problems: problems, sections: sections))
    }

    /// The compromise drill: reason and the admin's own passphrase or code, then every token,
    /// feed and web session of the participant ends in one transaction (Core).
    func compromiseParticipant(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request, admin: true) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.markCompromised(
                visit.session, participantID: id, reason: visit.form["reason"], passphrase: visit.form["passphrase"],
                code: visit.form["code"], requestID: "portal-" + UUID.random().lowercasedString)
            return redirect("/console/participants/\(id.lowercasedString)?saved=compromised")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            let problems = state.problems.map { $0.field == "confirmation" ? FieldError("passphrase", $0.message) : $0 }
            return try await participant(visit, id: id, state: nil, notice: nil, drill: FormState(values: state.values, problems: problems, conflict: false))
        }
    }

    /// Issues a portal invitation; the page that answers is the only place its link appears.
    func invitePortalUser(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            let (session, language) = (visit.session, visit.language)
            let invitation = try await dialogue.invitePortalUser(context(session), participantID: id, role: visit.form["role"])
            let participant = try await dialogue.getParticipant(context(session), id: id)
            let zone = try await viewerZone(context(session), session)
            return renderer.page("invitation-issued", InvitationIssuedPage(
                chrome: renderer.chrome(language, title: "invitation_issued_title", session: session, path: "/console/participants"),
                invitedName: participant.displayName, link: invitation.link(publicBaseURL: dependencies.publicBaseURL),
                expires: Written.moment(invitation.expiresAt, zone, language)), status: .created)
        }
    }

    // MARK: Import

    func importPage(_ request: Request) async -> Response {
        await console(request) { visit in importForm(visit, csv: "", report: nil, problems: []) }
    }

    /// The CSV pasted in: first a dry run (the preview table), then the same text confirmed.
    func importParticipants(_ request: Request) async -> Response {
        await consoleAction(request) { visit in
            // The confirmed text comes back base64-encoded: a hidden field would lose its line breaks.
            let confirmed = visit.form["confirmed"].flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
            let csv = confirmed ?? visit.form["csv"] ?? ""
            let confirm = confirmed != nil
            do {
                let report = try await dialogue.importParticipants(context(visit.session), csv: csv, mode: confirm ? .allOrNothing : .dryRun)
                if confirm, report.applied {
                    let t = renderer.catalog(visit.language)
                    return consolePage(ConsolePage(
                        chrome(visit, "console_import", "/console/participants/import"), heading: t["console_import"] ?? "",
                        notice: Self.filled(t["console_import_done"], Written.number(report.created, visit.language), Written.number(report.updated, visit.language)),
                        sections: [ConsoleSection("done", links: [ConsoleLink(href: "/console/participants", label: t["directory_title"] ?? "")])]))
                }
                return importForm(visit, csv: csv, report: report, problems: [])
            } catch DomainError.validation(let problems) {
                return importForm(visit, csv: csv, report: nil, problems: problems.map { FieldError("csv", $0.message) })
            }
        }
    }

    private func importForm(_ visit: Visit, csv: String, report: ParticipantImport.Report?, problems: [FieldError]) -> Response {
        let t = renderer.catalog(visit.language)
        let formProblems = FormProblems(problems, fields: ["csv"], t)
        let fields = FieldBuilder(t, values: ["csv": csv], problems: formProblems)
        var sections = [ConsoleSection(
            "file", forms: [ConsoleForm("/console/participants/import", submit: t["console_import_preview"] ?? "", fields: [fields.area("csv", required: true)])])]
        if let report {
            let columns = [t["console_import_row"] ?? "", t["field_display_name"] ?? "", t["console_import_outcome"] ?? ""]
            var preview = ConsoleSection(
                "preview", heading: t["console_import_preview_heading"],
                intro: Self.filled(t["console_import_counts"], Written.number(report.created, visit.language), Written.number(report.updated, visit.language), Written.number(report.failed, visit.language)),
                table: ConsoleTable(
                    caption: t["console_import_preview_heading"] ?? "", columns: columns,
                    rows: report.rows.map { row in
                        let outcome: (String, Bool) = switch row.verdict {
                        case .new: (t["console_import_new"] ?? "", false)
                        case .update: (t["console_import_update"] ?? "", false)
                        case .error(let field, let message): ("\(t["field_" + field] ?? field): \(t["error_" + field] ?? message)", true)
                        }
                        return ConsoleRow(cells: [
                            ConsoleCell(columns[0], Written.number(row.line, visit.language)), ConsoleCell(columns[1], row.displayName),
                            ConsoleCell(columns[2], outcome.0, flag: outcome.1),
                        ])
                    }, none: t["console_import_empty"] ?? ""))
            if report.failed == 0, !report.rows.isEmpty {
                preview.forms = [ConsoleForm(
                    "/console/participants/import", submit: t["console_import_confirm"] ?? "",
                    hidden: [Hidden(key: "confirmed", value: Data(csv.utf8).base64EncodedString())])]
            } else {
                preview.forms = []
                preview.sectionIntro = (preview.sectionIntro ?? "") + " " + (t["console_import_fix"] ?? "")
            }
            sections.append(preview)
        }
        return consolePage(ConsolePage(
            chrome(visit, "console_import", "/console/participants/import"), heading: t["console_import"] ?? "", intro: t["console_import_intro"],
            problems: formProblems, sections: sections), status: problems.isEmpty ? .ok : .unprocessableContent)
    }
}

struct InvitationIssuedPage: Sendable {
    var chrome: Chrome
    /// Not `name`: the layout's chrome has one (the signed-in person's), found first.
    var invitedName: String
    var link: String
    var expires: String
}
