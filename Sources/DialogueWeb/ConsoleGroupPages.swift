import DialogueCore
import Foundation
import Hummingbird

/// The console's working groups (issue 17 part 3): create, edit, archive; members with their
/// roles; the two-chairs warnings where a coordinator will see them.
extension PortalPages {
    static let groupFields = ["direction", "name", "mandate", "status"]

    func consoleGroupsPage(_ request: Request) async -> Response {
        await console(request) { visit in
            try await consoleGroups(visit, state: nil, cursor: request.uri.queryParameters["cursor"].map(String.init))
        }
    }

    func createGroup(_ request: Request) async -> Response {
        await consoleAction(request) { visit in
            let created = try await dialogue.createWorkingGroup(
                context(visit.session), WorkingGroupInput(direction: visit.form["direction"], name: visit.form["name"], mandate: visit.form["mandate"]))
            return redirect("/console/groups/\(created.id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            try await consoleGroups(visit, state: state, cursor: nil)
        }
    }

    private func consoleGroups(_ visit: Visit, state: FormState?, cursor: String?) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        async let listed = dialogue.listWorkingGroups(context, page: try PageRequest(limit: 100, cursor: cursor))
        async let listedDirections = dialogue.listDirections(context)
        let (groups, directions) = try await (listed, listedDirections)
        let directionNames = Dictionary(uniqueKeysWithValues: directions.map { ($0.slug, $0.name) })
        let problems = FormProblems(state?.problems ?? [], fields: Self.groupFields, t)
        let fields = FieldBuilder(t, values: state?.values ?? [:], problems: problems)
        let columns = [t["field_name"] ?? "", t["field_direction"] ?? "", t["label_status"] ?? "", t["console_warnings"] ?? ""]
        return consolePage(ConsolePage(
            chrome(visit, "console_groups", "/console/groups"), heading: t["console_groups"] ?? "", intro: t["console_groups_intro"],
            problems: problems,
            sections: [
                ConsoleSection(
                    "list",
                    table: ConsoleTable(
                        caption: t["console_groups"] ?? "", columns: columns,
                        rows: groups.items.map { group in
                            ConsoleRow(cells: [
                                ConsoleCell(columns[0], group.name, href: "/console/groups/\(group.id.lowercasedString)"),
                                ConsoleCell(columns[1], directionNames[group.direction] ?? group.direction),
                                ConsoleCell(columns[2], t["status_group_" + group.status.rawValue] ?? group.status.rawValue),
                                ConsoleCell(
                                    columns[3], group.status == .archived ? "—" : group.warnings.map { Self.groupWarning($0, t) }.joined(separator: "; ").nonEmpty ?? "—",
                                    flag: group.status == .active && !group.warnings.isEmpty),
                            ])
                        }, none: t["console_none"] ?? ""),
                    next: groups.nextCursor.map { Self.link("/console/groups", [("cursor", $0)]) }),
                ConsoleSection(
                    "new", heading: t["console_group_new"],
                    forms: [ConsoleForm(
                        "/console/groups", submit: t["console_create"] ?? "",
                        fields: [
                            fields.select("direction", directions.map { ($0.slug, $0.name) }, required: true),
                            fields.text("name", required: true), fields.area("mandate"),
                        ])]),
            ]), status: state == nil ? .ok : .unprocessableContent)
    }

    func consoleGroupPage(_ request: Request, id rawID: String) async -> Response {
        await consoleObject(request, rawID) { visit, id in
            let query = request.uri.queryParameters
            return try await consoleGroup(
                visit, id: id, state: nil, notice: query["saved"].map { _ in "console_saved" }, search: query["q"].map(String.init) ?? "")
        }
    }

    func updateGroup(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.updateWorkingGroup(
                context(visit.session), id: id,
                WorkingGroupInput(name: visit.form["name"], mandate: visit.form["mandate"], status: visit.form["status"]),
                ifMatch: try Self.version(visit.form))
            return redirect("/console/groups/\(id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await consoleGroup(visit, id: id, state: state, notice: nil, search: "")
        }
    }

    /// Adds a member or changes a member's role (the same call: a participant holds one role).
    func putGroupMember(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            guard let participant = try Self.uuid(visit.form, "participant_id") else { throw DomainError.invalid("participant_id", "is required") }
            _ = try await dialogue.putMember(context(visit.session), groupID: id, participantID: participant, role: visit.form["role"])
            return redirect("/console/groups/\(id.lowercasedString)?saved=1#members")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await consoleGroup(visit, id: id, state: nil, notice: nil, search: "", memberState: state)
        }
    }

    func removeGroupMember(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            guard let participant = try Self.uuid(visit.form, "participant_id") else { throw DomainError.notFound("") }
            try await dialogue.removeMember(context(visit.session), groupID: id, participantID: participant)
            return redirect("/console/groups/\(id.lowercasedString)?saved=1#members")
        }
    }

    private func consoleGroup(
        _ visit: Visit, id: UUID, state: FormState?, notice: String?, search: String, memberState: FormState? = nil
    ) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let group = try await dialogue.getWorkingGroup(context, id: id)
        async let listedMembers = dialogue.listMembers(context, groupID: id, page: try PageRequest(limit: 200, cursor: nil))
        async let candidates = dialogue.listParticipants(
            context, page: try PageRequest(limit: 100, cursor: nil), filter: ParticipantFilter(status: "active", name: search.nonEmpty))
        let (members, people) = try await (listedMembers, candidates)
        let now = ["name": group.name, "mandate": group.mandate, "status": group.status.rawValue, "version": String(group.version)]
        let problems = FormProblems(state?.problems ?? memberState?.problems ?? [], fields: Self.groupFields + ["participant_id", "role"], t)
        let fields = FieldBuilder(t, values: state?.values ?? now, problems: problems, current: state?.conflict == true ? now : nil)
        let roles = MembershipRole.allCases.map { ($0.rawValue, t["role_" + $0.rawValue] ?? $0.rawValue) }
        let memberIDs = Set(members.items.map(\.participantID))
        let columns = [t["field_display_name"] ?? "", t["field_kind"] ?? "", t["field_role"] ?? "", t["console_remove"] ?? ""]
        let path = "/console/groups/\(id.lowercasedString)"
        let memberFields = FieldBuilder(t, values: memberState?.values ?? ["role": "member"], problems: problems)
        return consolePage(ConsolePage(
            chrome(visit, "console_groups", path, titleText: group.name), heading: group.name,
            notice: notice.flatMap { t[$0] }, warnings: group.status == .active ? group.warnings.map { Self.groupWarning($0, t) } : [],
            conflict: state?.conflict ?? false, problems: problems,
            sections: [
                ConsoleSection(
                    "edit", heading: t["console_edit"],
                    forms: [ConsoleForm(
                        path, submit: t["console_save"] ?? "", hidden: [Hidden(key: "version", value: versionValue(state, now))],
                        fields: [
                            fields.text("name", required: true), fields.area("mandate"),
                            fields.select("status", values: WorkingGroupStatus.allCases.map(\.rawValue), prefix: "status_group_"),
                        ])],
                    links: [ConsoleLink(href: "/groups/\(id.lowercasedString)", label: t["console_as_members_see"] ?? "")]),
                ConsoleSection(
                    "members", heading: t["group_people"],
                    table: ConsoleTable(
                        caption: t["group_people"] ?? "", columns: columns,
                        rows: members.items.map { member in
                            let who = member.participantID.lowercasedString
                            return ConsoleRow(cells: [
                                ConsoleCell(columns[0], member.displayName, href: "/console/participants/\(who)"),
                                ConsoleCell(columns[1], t["participant_kind_" + member.kind.rawValue] ?? member.kind.rawValue),
                                ConsoleCell(columns[2], "", forms: [ConsoleForm(
                                    "\(path)/members", submit: t["console_change"] ?? "", hidden: [Hidden(key: "participant_id", value: who)],
                                    fields: [FieldBuilder(t, values: ["role": member.role.rawValue], prefix: "role-\(who)")
                                        .select("role", roles, label: t["field_role"])],
                                    submitName: "\(t["console_change"] ?? ""): \(member.displayName)", inline: true)]),
                                ConsoleCell(columns[3], "", forms: [.button(
                                    "\(path)/members/remove", t["console_remove"] ?? "", [("participant_id", who)],
                                    name: "\(t["console_remove"] ?? ""): \(member.displayName)", secondary: true)]),
                            ])
                        }, none: t["group_members_none"] ?? "")),
                ConsoleSection(
                    "add", heading: t["console_member_add"],
                    forms: personPicker(
                        page: path, search: search, action: "\(path)/members", submit: t["console_member_add"] ?? "", t, fields: memberFields,
                        people: people.items, except: memberIDs, more: [memberFields.select("role", roles)])),
            ]), status: state == nil && memberState == nil ? .ok : .unprocessableContent)
    }
}
