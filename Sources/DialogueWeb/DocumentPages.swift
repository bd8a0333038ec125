import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird

/// Documents, minutes and discussion (issue 18), for everyone signed in: the papers they may
/// read, written and versioned as Markdown, shown rendered safely (`Markdown`), compared
/// version against version; minutes signed off by a chair of each side; comments under
/// documents and proposals; and who may read each of them. What a reader may do is Core's
/// decision (`documentChoices`, a comment's `mayEdit`/`mayRemove`).
extension PortalPages {
    static let documentFields = ["place", "kind", "title", "body", "note", "audience", "named_participant_ids"]

    // MARK: The list

    func documentsPage(_ request: Request) async -> Response {
        await console(request, least: .observer) { visit in
            let query = request.uri.queryParameters
            let t = renderer.catalog(visit.language)
            let values = ["q": query["q"].map(String.init) ?? "", "kind": query["kind"].map(String.init) ?? ""]
            let group = try query["group"].map { try Self.objectID(String($0)) }
            let session = try query["session"].map { try Self.objectID(String($0)) }
            var problems: [FieldError] = []
            var found: Page<Document>?
            do {
                found = try await dialogue.listDocuments(
                    context(visit.session), page: try PageRequest(limit: 25, cursor: query["cursor"].map(String.init)),
                    filter: DocumentFilter(
                        query: values["q"]?.nonEmpty, workingGroupID: group, sessionID: session, kind: values["kind"]?.nonEmpty))
            } catch DomainError.validation(let errors) {
                problems = errors.map { FieldError($0.field == "cursor" ? "q" : $0.field, $0.message) }
            }
            let formProblems = FormProblems(problems, fields: ["q", "kind"], t, scope: "documents")
            let fields = FieldBuilder(t, values: values, problems: formProblems)
            let zone = try await viewerZone(context(visit.session), visit.session)
            let columns = [t["field_title"] ?? "", t["label_kind"] ?? "", t["label_who_reads"] ?? "", t["label_status"] ?? "", t["document_updated"] ?? ""]
            let place = [("group", group), ("session", session)].compactMap { key, id in id.map { (key, $0.lowercasedString) } }
            let newLink = Self.link("/documents/new", place)
            let next = found?.nextCursor.map { Self.link("/documents", place + [("q", values["q"] ?? ""), ("kind", values["kind"] ?? ""), ("cursor", $0)]) }
            return consolePage(ConsolePage(
                chrome(visit, "documents_title", "/documents"), heading: t["documents_title"] ?? "", intro: t["documents_intro"],
                problems: formProblems,
                sections: [
                    ConsoleSection(
                        "search",
                        forms: [ConsoleForm(
                            "/documents", submit: t["documents_search"] ?? "", get: true,
                            hidden: place.map { Hidden(key: $0.0, value: $0.1) },
                            fields: [
                                fields.text("q", type: "search", label: t["documents_q"]),
                                fields.select("kind", values: DocumentKind.allCases.map(\.rawValue), prefix: "document_kind_", any: t["filter_any"]),
                            ], inline: true)],
                        links: [ConsoleLink(href: newLink, label: t["document_new"] ?? "")]),
                    ConsoleSection(
                        "list",
                        table: ConsoleTable(
                            caption: t["documents_title"] ?? "", columns: columns,
                            rows: (found?.items ?? []).map { document in
                                ConsoleRow(cells: [
                                    ConsoleCell(columns[0], document.title, href: "/documents/\(document.id.lowercasedString)"),
                                    ConsoleCell(columns[1], t["document_kind_" + document.kind.rawValue] ?? document.kind.rawValue),
                                    ConsoleCell(columns[2], t["reach_" + document.audience.rawValue] ?? document.audience.rawValue,
                                                strong: document.audience < .dialogue),
                                    ConsoleCell(columns[3], documentStatus(document, t)),
                                    ConsoleCell(columns[4], Written.moment(document.updatedAt, zone, visit.language)),
                                ])
                            }, none: t["documents_none"] ?? ""),
                        next: next),
                ]), status: problems.isEmpty ? .ok : .unprocessableContent)
        }
    }

    private func documentStatus(_ document: Document, _ t: [String: String]) -> String {
        document.frozenAt != nil ? t["document_frozen"] ?? "" : t["document_status_" + document.status.rawValue] ?? document.status.rawValue
    }

    // MARK: Writing one

    func newDocumentPage(_ request: Request) async -> Response {
        await console(request, least: .observer) { visit in
            let query = request.uri.queryParameters
            let place = query["session"].map { "session:" + $0 } ?? query["group"].map { "group:" + $0 } ?? ""
            return try await documentForm(visit, values: ["place": place, "audience": Audience.dialogue.rawValue], problems: [])
        }
    }

    func createDocument(_ request: Request) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let form = visit.form
            let (group, session) = try Self.place(form["place"])
            let created = try await dialogue.createDocument(context(visit.session), DocumentInput(
                workingGroupID: group, sessionID: session, kind: form["kind"]?.nonEmpty, title: form["title"],
                body: Self.text(form["body"]), audience: form["audience"]?.nonEmpty, namedParticipantIDs: Self.named(form)))
            return redirect("/documents/\(created.id.lowercasedString)?notice=created")
        } redraw: { visit, state in
            try await documentForm(visit, values: state.values, problems: state.problems)
        }
    }

    /// The form's `place`: `group:<id>` or `session:<id>`.
    static func place(_ raw: String?) throws -> (UUID?, UUID?) {
        guard let raw, !raw.isEmpty else { throw DomainError.invalid("place", "is required") }
        let parts = raw.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let id = UUID(uuidString: parts[1]) else { throw DomainError.invalid("place", "is not one of the choices") }
        switch parts[0] {
        case "group": return (id, nil)
        case "session": return (nil, id)
        default: throw DomainError.invalid("place", "is not one of the choices")
        }
    }

    /// The participants ticked on a form (`named_<id>`), in a stable order; only for the named
    /// audience (boxes left ticked under another choice mean nothing).
    static func named(_ form: [String: String]) -> [UUID] {
        guard form["audience"] == Audience.named.rawValue else { return [] }
        return form.filter { $0.key.hasPrefix("named_") && $0.value == "1" }.keys.sorted()
            .compactMap { UUID(uuidString: String($0.dropFirst("named_".count))) }
    }

    /// Browsers send CRLF line ends; the text is stored as written, with LF.
    static func text(_ value: String?) -> String? { value?.replacingOccurrences(of: "\r\n", with: "\n") }

    private func documentForm(_ visit: Visit, values: [String: String], problems: [FieldError]) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let groups = try await dialogue.listWorkingGroups(context, page: try PageRequest(limit: 200, cursor: nil), status: "active").items
        var places = groups.map { ("group:" + $0.id.lowercasedString, Self.filled(t["document_place_group"], $0.name)) }
        if let chosen = values["place"], chosen.hasPrefix("session:"), let id = UUID(uuidString: String(chosen.dropFirst(8))),
            let session = try? await dialogue.getSession(context, id: id)
        {
            places.insert((chosen, Self.filled(t["document_place_session"], session.title)), at: 0)
        }
        let formProblems = FormProblems(problems, fields: Self.documentFields, t, scope: "document")
        let fields = FieldBuilder(t, values: values, problems: formProblems)
        let people = try await namedChoices(visit, fields: fields)
        return consolePage(ConsolePage(
            chrome(visit, "document_new", "/documents/new"), heading: t["document_new"] ?? "", intro: t["document_new_intro"],
            problems: formProblems,
            sections: [ConsoleSection("form", forms: [ConsoleForm(
                "/documents", submit: t["console_create"] ?? "",
                fields: [
                    fields.select("place", places, any: "", required: true, label: t["field_place"]),
                    fields.select("kind", values: DocumentKind.allCases.map(\.rawValue), prefix: "document_kind_", any: "", required: true),
                    fields.text("title", required: true),
                    fields.area("body", required: false),
                    audienceField(fields, t, widest: .public),
                ] + people)])]), status: problems.isEmpty ? .ok : .unprocessableContent)
    }

    /// Who may read it: the audiences up to `widest` (a comment's parent's); `named` only where
    /// the form also lists the people.
    func audienceField(_ fields: FieldBuilder, _ t: [String: String], widest: Audience, named: Bool = true) -> FormField {
        fields.select(
            "audience",
            Audience.allCases.reversed().filter { $0 <= widest && (named || $0 != .named) }.map {
                ($0.rawValue, t["reach_" + $0.rawValue] ?? $0.rawValue)
            },
            required: true, label: t["field_who_reads"])
    }

    /// The people a `named` audience may list: those the reader may see, as checkboxes.
    func namedChoices(_ visit: Visit, fields: FieldBuilder) async throws -> [FormField] {
        let people = try await dialogue.listParticipants(
            context(visit.session), page: try PageRequest(limit: 200, cursor: nil), filter: ParticipantFilter(status: "active"))
        let t = renderer.catalog(visit.language)
        return people.items.filter { $0.id != visit.session.participantID }.map { person in
            fields.checkbox("named_" + person.id.lowercasedString, label: Self.filled(t["document_named_person"], person.displayName))
        }
    }

    // MARK: Reading one

    func documentPage(_ request: Request, id rawID: String) async -> Response {
        await console(request, least: .observer) { visit in
            let notice = request.uri.queryParameters["notice"].flatMap { renderer.catalog(visit.language)["document_notice_" + $0] }
            return try await documentResponse(visit, id: try Self.objectID(rawID), notice: notice, state: nil)
        }
    }

    /// The page again with an upload's problem beside its file field.
    func documentPage(_ visit: Visit, id: UUID, evidenceProblems: [FieldError]) async throws -> Response {
        try await documentResponse(visit, id: id, notice: nil, state: nil, evidenceProblems: evidenceProblems)
    }

    private func documentResponse(
        _ visit: Visit, id: UUID, notice: String?, state: FormState?, evidenceProblems: [FieldError] = []
    ) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let choices = try await dialogue.documentChoices(context, id: id)
        let document = choices.document
        let zone = try await viewerZone(context, visit.session)
        let path = "/documents/\(id.lowercasedString)"
        var facts = [
            Fact(label: t["label_kind"] ?? "", value: t["document_kind_" + document.kind.rawValue] ?? document.kind.rawValue),
            Fact(label: t["label_status"] ?? "", value: documentStatus(document, t)),
        ]
        if let groupID = document.workingGroupID, let group = try? await dialogue.getWorkingGroup(context, id: groupID) {
            facts.append(Fact(label: t["label_group"] ?? "", value: group.name, href: "/groups/\(groupID.lowercasedString)"))
        }
        if let sessionID = document.sessionID, let session = try? await dialogue.getSession(context, id: sessionID) {
            facts.append(Fact(label: t["field_session_id"] ?? "", value: session.title, href: "/sessions/\(sessionID.lowercasedString)"))
        }
        facts.append(Fact(label: t["label_who_reads"] ?? "", value: try await audienceText(visit, document.audience, document.namedParticipantIDs)))
        if let author = document.authorID, let name = try? await dialogue.getParticipant(context, id: author).displayName {
            facts.append(Fact(label: t["document_author"] ?? "", value: name))
        }
        facts.append(Fact(
            label: t["document_versions"] ?? "", value: Written.number(document.versionCount, visit.language), href: path + "/versions"))
        for signOff in choices.signOffs {
            facts.append(Fact(
                label: Self.filled(t["document_signed_side"], t["side_" + signOff.side] ?? signOff.side),
                value: Written.moment(signOff.signedAt, zone, visit.language)))
        }
        var actions: [ConsoleForm] = []
        if choices.mayFinalise {
            actions.append(.button(path + "/final", t["document_finalise"] ?? "", [("version", String(document.version))]))
        }
        if let side = choices.signOffSide {
            actions.append(.button(path + "/signoff", Self.filled(t["document_sign_off"], t["side_" + side] ?? side)))
        }
        var links: [ConsoleLink] = []
        if choices.mayEdit {
            links.append(ConsoleLink(href: path + "/edit", label: document.frozenAt == nil ? t["document_edit"] ?? "" : t["document_correct"] ?? ""))
        }
        if choices.mayChangeAudience { links.append(ConsoleLink(href: path + "/audience", label: t["audience_change"] ?? "")) }
        links.append(ConsoleLink(href: path + "/versions", label: t["document_versions"] ?? ""))
        var body = ConsoleSection("text", heading: t["document_text"], forms: actions, links: links)
        body.markdownHTML = document.body.isEmpty ? nil : Markdown.html(document.body)
        let discussion = try await discussionSection(visit, parent: .document(id), parentAudience: document.audience, state: state)
        let (evidence, evidenceProblems) = try await evidenceSection(visit, parent: .document(id), problems: evidenceProblems)
        return consolePage(ConsolePage(
            chrome(visit, "documents_title", path, titleText: document.title), heading: document.title, notice: notice,
            problems: evidenceProblems.hasErrors ? evidenceProblems : discussion.problems,
            sections: [ConsoleSection("facts", facts: facts), body, evidence, discussion.section]),
            status: state == nil ? .ok : .unprocessableContent)
    }

    /// What a reader is told of an audience: its name, and for `named` the people listed (as
    /// far as they may know them).
    func audienceText(_ visit: Visit, _ audience: Audience, _ named: [UUID]) async throws -> String {
        let t = renderer.catalog(visit.language)
        let label = t["reach_" + audience.rawValue] ?? audience.rawValue
        guard audience == .named, !named.isEmpty else { return label }
        var names: [String] = []
        for id in named {
            if let person = try? await dialogue.getParticipant(context(visit.session), id: id) { names.append(person.displayName) }
        }
        return names.isEmpty ? label : "\(label): \(names.joined(separator: ", "))"
    }

    // MARK: Changing one

    func editDocumentPage(_ request: Request, id rawID: String) async -> Response {
        await console(request, least: .observer) { visit in
            let choices = try await dialogue.documentChoices(context(visit.session), id: try Self.objectID(rawID))
            guard choices.mayEdit else { return redirect("/documents/\(choices.document.id.lowercasedString)") }
            return try await editForm(visit, choices.document, state: nil)
        }
    }

    func updateDocument(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.updateDocument(
                context(visit.session), id: id,
                DocumentInput(title: visit.form["title"], body: Self.text(visit.form["body"]), note: visit.form["note"]?.nonEmpty),
                ifMatch: try Self.version(visit.form))
            return redirect("/documents/\(id.lowercasedString)?notice=saved")
        } redraw: { visit, state in
            let document = try await dialogue.getDocument(context(visit.session), id: try Self.objectID(rawID))
            return try await editForm(visit, document, state: state)
        }
    }

    private func editForm(_ visit: Visit, _ document: Document, state: FormState?) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let now = ["title": document.title, "body": document.body, "note": "", "version": String(document.version)]
        let problems = FormProblems(state?.problems ?? [], fields: Self.documentFields, t, scope: "document")
        let fields = FieldBuilder(t, values: state?.values ?? now, problems: problems, current: state?.conflict == true ? now : nil)
        let path = "/documents/\(document.id.lowercasedString)"
        var inputs = [fields.text("title", required: true), fields.area("body")]
        if document.frozenAt != nil { inputs.append(fields.text("note", required: true, label: t["field_correction_note"])) }
        return consolePage(ConsolePage(
            chrome(visit, "document_edit", path + "/edit", titleText: document.title),
            heading: document.frozenAt == nil ? t["document_edit"] ?? "" : t["document_correct"] ?? "",
            intro: document.frozenAt == nil ? t["document_edit_intro"] : t["document_correct_intro"],
            conflict: state?.conflict ?? false, problems: problems,
            sections: [ConsoleSection(
                "form", forms: [ConsoleForm(path + "/edit", submit: t["console_save"] ?? "",
                                            hidden: [Hidden(key: "version", value: versionValue(state, now))], fields: inputs)],
                links: [ConsoleLink(href: path, label: document.title)])]),
            status: state == nil ? .ok : state?.conflict == true ? .conflict : .unprocessableContent)
    }

    func finaliseDocument(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.updateDocument(
                context(visit.session), id: id, DocumentInput(status: DocumentStatus.final.rawValue), ifMatch: try Self.version(visit.form))
            return redirect("/documents/\(id.lowercasedString)?notice=final")
        } redraw: { visit, state in
            try await documentResponse(visit, id: try Self.objectID(rawID), notice: nil, state: state)
        }
    }

    func signOffMinutes(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            let document = try await dialogue.signOffMinutes(context(visit.session), id: id)
            return redirect("/documents/\(id.lowercasedString)?notice=\(document.frozenAt == nil ? "signed" : "frozen")")
        }
    }

    // MARK: Versions

    func documentVersionsPage(_ request: Request, id rawID: String) async -> Response {
        await console(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            let t = renderer.catalog(visit.language)
            let context = context(visit.session)
            let document = try await dialogue.getDocument(context, id: id)
            let versions = try await dialogue.documentVersions(context, id: id)
            let zone = try await viewerZone(context, visit.session)
            let path = "/documents/\(id.lowercasedString)"
            var names: [UUID: String] = [:]
            for author in Set(versions.compactMap(\.authorID)) {
                names[author] = (try? await dialogue.getParticipant(context, id: author))?.displayName
            }
            let columns = [t["document_version"] ?? "", t["document_saved_at"] ?? "", t["document_author"] ?? "", t["field_note"] ?? ""]
            let numbers = versions.map { (String($0.number), Self.filled(t["document_version_n"], String($0.number))) }
            let latest = versions.last?.number ?? 1
            let fields = FieldBuilder(t, values: ["from": String(max(1, latest - 1)), "to": String(latest)])
            return consolePage(ConsolePage(
                chrome(visit, "document_versions", path + "/versions", titleText: document.title),
                heading: Self.filled(t["document_versions_of"], document.title),
                sections: [
                    ConsoleSection(
                        "versions",
                        table: ConsoleTable(
                            caption: t["document_versions"] ?? "", columns: columns,
                            rows: versions.reversed().map { version in
                                ConsoleRow(cells: [
                                    ConsoleCell(columns[0], Self.filled(t["document_version_n"], String(version.number)),
                                                href: "\(path)/versions/\(version.number)"),
                                    ConsoleCell(columns[1], Written.moment(version.createdAt, zone, visit.language)),
                                    ConsoleCell(columns[2], version.authorID.flatMap { names[$0] } ?? "—"),
                                    ConsoleCell(columns[3], version.correction ? Self.filled(t["document_correction_note"], version.note) : version.note,
                                                strong: version.correction),
                                ])
                            }, none: t["console_none"] ?? ""),
                        forms: versions.count > 1 ? [ConsoleForm(
                            path + "/diff", submit: t["document_compare"] ?? "", get: true,
                            fields: [fields.select("from", numbers), fields.select("to", numbers)], inline: true)] : [],
                        links: [ConsoleLink(href: path, label: document.title)]),
                ]))
        }
    }

    func documentVersionPage(_ request: Request, id rawID: String, number rawNumber: String) async -> Response {
        await console(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            guard let number = Int(rawNumber) else { throw DomainError.notFound("") }
            let t = renderer.catalog(visit.language)
            let version = try await dialogue.documentVersion(context(visit.session), id: id, number: number)
            let path = "/documents/\(id.lowercasedString)"
            var section = ConsoleSection(
                "text", heading: Self.filled(t["document_version_n"], String(number)),
                links: [ConsoleLink(href: path + "/versions", label: t["document_versions"] ?? ""), ConsoleLink(href: path, label: t["document_latest"] ?? "")])
            section.markdownHTML = version.body.isEmpty ? nil : Markdown.html(version.body)
            return consolePage(ConsolePage(
                chrome(visit, "document_versions", "\(path)/versions/\(number)", titleText: version.title), heading: version.title,
                sections: [section]))
        }
    }

    func documentDiffPage(_ request: Request, id rawID: String) async -> Response {
        await console(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            let t = renderer.catalog(visit.language)
            let query = request.uri.queryParameters
            let from = query["from"].flatMap { Int($0) } ?? 0, to = query["to"].flatMap { Int($0) } ?? 0
            let (old, new, lines) = try await dialogue.documentDiff(context(visit.session), id: id, from: from, to: to)
            let path = "/documents/\(id.lowercasedString)"
            var section = ConsoleSection(
                "diff", intro: t["document_diff_legend"], links: [ConsoleLink(href: path + "/versions", label: t["document_versions"] ?? "")])
            section.diffLines = lines.map {
                DiffLineView(
                    change: $0.change.rawValue, sign: $0.change == .added ? "+" : $0.change == .removed ? "−" : " ",
                    label: $0.change == .same ? nil : t["diff_" + $0.change.rawValue], text: $0.text)
            }
            return consolePage(ConsolePage(
                chrome(visit, "document_versions", path + "/diff", titleText: new.title),
                heading: Self.filled(t["document_diff_heading"], String(old.number), String(new.number)), sections: [section]))
        }
    }

    // MARK: Who may read it

    func documentAudiencePage(_ request: Request, id rawID: String) async -> Response {
        await console(request, least: .observer) { visit in
            let document = try await dialogue.getDocument(context(visit.session), id: try Self.objectID(rawID))
            return try await audienceForm(visit, path: "/documents/\(document.id.lowercasedString)", title: document.title,
                                          audience: document.audience, named: document.namedParticipantIDs, version: document.version, state: nil)
        }
    }

    func changeDocumentAudience(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.updateDocument(
                context(visit.session), id: id,
                DocumentInput(audience: visit.form["audience"], namedParticipantIDs: Self.named(visit.form),
                              confirmWidening: visit.form["confirm_widening"] == "1"),
                ifMatch: try Self.version(visit.form))
            return redirect("/documents/\(id.lowercasedString)?notice=audience")
        } redraw: { visit, state in
            let document = try await dialogue.getDocument(context(visit.session), id: try Self.objectID(rawID))
            return try await audienceForm(visit, path: "/documents/\(document.id.lowercasedString)", title: document.title,
                                          audience: document.audience, named: document.namedParticipantIDs, version: document.version, state: state)
        }
    }

    func proposalAudiencePage(_ request: Request, id rawID: String) async -> Response {
        await console(request, least: .observer) { visit in
            let proposal = try await dialogue.getProposal(context(visit.session), id: try Self.objectID(rawID))
            return try await audienceForm(visit, path: "/proposals/\(proposal.id.lowercasedString)", title: proposal.title,
                                          audience: proposal.audience, named: proposal.namedParticipantIDs, version: proposal.version, state: nil)
        }
    }

    func changeProposalAudience(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.updateProposal(
                context(visit.session), id: id,
                ProposalInput(audience: visit.form["audience"], namedParticipantIDs: Self.named(visit.form),
                              confirmWidening: visit.form["confirm_widening"] == "1"),
                ifMatch: try Self.version(visit.form))
            return redirect("/proposals/\(id.lowercasedString)?notice=audience")
        } redraw: { visit, state in
            let proposal = try await dialogue.getProposal(context(visit.session), id: try Self.objectID(rawID))
            return try await audienceForm(visit, path: "/proposals/\(proposal.id.lowercasedString)", title: proposal.title,
                                          audience: proposal.audience, named: proposal.namedParticipantIDs, version: proposal.version, state: state)
        }
    }

    /// One form for every object's audience: the choice, the people for `named`, and the
    /// deliberate confirmation that widening needs.
    private func audienceForm(
        _ visit: Visit, path: String, title: String, audience: Audience, named: [UUID], version: Int, state: FormState?
    ) async throws -> Response {
        let t = renderer.catalog(visit.language)
        var now = ["audience": audience.rawValue, "version": String(version), "confirm_widening": ""]
        for id in named { now["named_" + id.lowercasedString] = "1" }
        let problems = FormProblems(state?.problems ?? [], fields: ["audience", "named_participant_ids", "confirm_widening"], t, scope: "document")
        let fields = FieldBuilder(t, values: state?.values ?? now, problems: problems)
        let people = try await namedChoices(visit, fields: fields)
        return consolePage(ConsolePage(
            chrome(visit, "audience_change", path + "/audience", titleText: title), heading: Self.filled(t["audience_change_of"], title),
            intro: t["audience_change_intro"], conflict: state?.conflict ?? false, problems: problems,
            sections: [ConsoleSection(
                "who-reads", facts: [Fact(label: t["audience_now"] ?? "", value: try await audienceText(visit, audience, named))],
                forms: [ConsoleForm(
                    path + "/audience", submit: t["audience_save"] ?? "", hidden: [Hidden(key: "version", value: versionValue(state, now))],
                    fields: [audienceField(fields, t, widest: .public)] + people + [fields.checkbox("confirm_widening")])],
                links: [ConsoleLink(href: path, label: title)])]),
            status: state == nil ? .ok : state?.conflict == true ? .conflict : .unprocessableContent)
    }

    // MARK: Discussion

    /// The comments under a proposal or a document, and the form for a new one (its audience
    /// no wider than the parent's).
    func discussionSection(
        _ visit: Visit, parent: CommentParent, parentAudience: Audience, state: FormState?
    ) async throws -> (section: ConsoleSection, problems: FormProblems) {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let zone = try await viewerZone(context, visit.session)
        let comments = try await dialogue.listComments(context, on: parent)
        let problems = FormProblems(state?.problems ?? [], fields: ["comment", "audience", "named_participant_ids"], t, prefix: "comment", scope: "comment")
        let fields = FieldBuilder(
            t, values: state?.values ?? ["audience": min(parentAudience, .dialogue).rawValue], problems: problems, prefix: "comment")
        let base = Self.parentPath(parent)
        var section = ConsoleSection(
            "discussion", heading: t["comments_heading"],
            forms: [ConsoleForm(
                base + "/comments", submit: t["comment_post"] ?? "", legend: t["comment_new"],
                fields: [fields.area("comment", required: true), audienceField(fields, t, widest: parentAudience, named: false)])])
        section.commentList = comments.map { comment in
            // Editing folds away under its own summary: the page stays a discussion.
            let editForm = comment.mayEdit ? ConsoleForm(
                "/comments/\(comment.id.lowercasedString)/edit", submit: t["comment_edit"] ?? "",
                hidden: [Hidden(key: "version", value: String(comment.version))],
                fields: [FieldBuilder(t, values: ["comment": comment.body], prefix: "edit-\(comment.id.lowercasedString)")
                    .area("comment", required: true, label: t["comment_edit_label"])],
                secondary: true) : nil
            let forms: [ConsoleForm] = comment.mayRemove
                ? [.button("/comments/\(comment.id.lowercasedString)/remove", t["comment_remove"] ?? "", name: t["comment_remove"], secondary: true)]
                : []
            return CommentView(
                id: comment.id.lowercasedString,
                author: comment.authorWithheld ? t["comment_by_proxy"] ?? "" : comment.authorName ?? t["comment_by_someone"] ?? "",
                at: Written.moment(comment.createdAt, zone, visit.language),
                edited: comment.editedAt.map { Self.filled(t["comment_edited"], Written.moment($0, zone, visit.language)) },
                audience: comment.audience == .dialogue ? nil : t["reach_" + comment.audience.rawValue],
                removed: comment.removed ? t["comment_removed"] : nil, body: comment.body, editForm: editForm, forms: forms)
        }
        if comments.isEmpty { section.sectionIntro = t["comments_none"] }
        return (section, problems)
    }

    static func parentPath(_ parent: CommentParent) -> String {
        switch parent {
        case .proposal(let id): return "/proposals/\(id.lowercasedString)"
        case .document(let id): return "/documents/\(id.lowercasedString)"
        }
    }

    func postComment(_ request: Request, on parent: @escaping @Sendable (UUID) -> CommentParent, id rawID: String) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let target = parent(try Self.objectID(rawID))
            let comment = try await dialogue.createComment(
                context(visit.session), on: target, body: Self.text(visit.form["comment"]), audience: visit.form["audience"]?.nonEmpty,
                named: Self.named(visit.form).nonEmptyArray)
            return redirect(Self.parentPath(target) + "?notice=commented#comment-\(comment.id.lowercasedString)")
        } redraw: { visit, state in
            // The body's problem is said beside the comment field.
            let problems = state.problems.map { $0.field == "body" ? FieldError("comment", $0.message) : $0 }
            let redrawn = FormState(values: state.values, problems: problems, conflict: false)
            switch parent(try Self.objectID(rawID)) {
            case .document(let id): return try await documentResponse(visit, id: id, notice: nil, state: redrawn)
            case .proposal(let id): return await proposalResponse(visit, id: id, notice: nil, problem: nil, discussion: redrawn)
            }
        }
    }

    func editComment(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            let comment = try await dialogue.updateComment(
                context(visit.session), id: id, body: Self.text(visit.form["comment"]), ifMatch: try Self.version(visit.form))
            return redirect(Self.parentPath(comment.parent) + "?notice=comment_saved#comment-\(id.lowercasedString)")
        }
    }

    func removeComment(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let id = try Self.objectID(rawID)
            let (comment, _) = try await dialogue.getComment(context(visit.session), id: id)
            try await dialogue.removeComment(context(visit.session), id: id)
            return redirect(Self.parentPath(comment.parent) + "?notice=comment_removed#comment-\(id.lowercasedString)")
        }
    }
}

struct CommentView: Sendable {
    var id: String
    var author: String
    var at: String
    var edited: String?
    /// Said when narrower than the whole dialogue.
    var audience: String?
    var removed: String?
    var body: String
    var editForm: ConsoleForm?
    var forms: [ConsoleForm]
}

struct DiffLineView: Sendable {
    var change: String
    var sign: String
    /// What the sign means, for screen readers (nil for an unchanged line).
    var label: String?
    var text: String
}

extension Array {
    /// Nil for an empty array.
    var nonEmptyArray: Self? { isEmpty ? nil : self }
}
