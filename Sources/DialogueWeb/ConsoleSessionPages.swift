import DialogueCore
import Foundation
import Hummingbird

/// The console's sessions (issue 17 part 4): a session is created from a local time in a zone,
/// previewed in the participants' zones before it is saved (a time the clocks skip is refused
/// with the reason); the quarterly wizard; invitations with double bookings shown; confirm,
/// hold, cancel. The agenda builder is in ConsoleAgendaPages.
extension PortalPages {
    static let sessionFields = ["kind", "working_group_id", "title", "level", "local_start", "duration_minutes", "timezone", "location"]
    /// Where the dialogue meets and lives; a preview always shows them.
    static let dialogueZones = ["America/New_York", "Europe/Vilnius", "Europe/Warsaw", "Europe/Minsk"]

    func consoleSessionsPage(_ request: Request) async -> Response {
        await console(request) { visit in
            let t = renderer.catalog(visit.language)
            let show = request.uri.queryParameters["show"] == "all" ? "all" : "upcoming"
            do {
                let context = context(visit.session)
                let found = try await dialogue.listSessions(
                    context, page: try PageRequest(limit: 50, cursor: request.uri.queryParameters["cursor"].map(String.init)),
                    filter: SessionFilter(from: show == "all" ? nil : Calendar.current.startOfDay(for: Date())))
                let zone = try await viewerZone(context, visit.session)
                let columns = [t["field_title"] ?? "", t["session_when"] ?? "", t["field_kind"] ?? "", t["label_status"] ?? ""]
                return consolePage(ConsolePage(
                    chrome(visit, "console_sessions", "/console/sessions"), heading: t["console_sessions"] ?? "",
                    sections: [
                        ConsoleSection(
                            "view",
                            forms: [ConsoleForm(
                                "/console/sessions", submit: t["actions_apply"] ?? "", get: true,
                                fields: [FieldBuilder(t, values: ["show": show]).select(
                                    "show", [("upcoming", t["console_sessions_upcoming"] ?? ""), ("all", t["actions_show_all"] ?? "")],
                                    label: t["actions_show"])], inline: true)],
                            links: [
                                ConsoleLink(href: "/console/sessions/new", label: t["console_session_new"] ?? ""),
                                ConsoleLink(href: "/console/sessions/quarterly", label: t["console_quarterly"] ?? ""),
                            ]),
                        ConsoleSection(
                            "list",
                            table: ConsoleTable(
                                caption: t["console_sessions"] ?? "", columns: columns,
                                rows: found.items.map { session in
                                    let meeting = TimeZone(identifier: session.timezone) ?? .gmt
                                    return ConsoleRow(cells: [
                                        ConsoleCell(columns[0], session.title, href: "/console/sessions/\(session.id.lowercasedString)"),
                                        ConsoleCell(
                                            columns[1],
                                            "\(Written.moment(session.startsAt, meeting, visit.language)) (\(session.timezone)) · "
                                                + "\(Written.moment(session.startsAt, zone, visit.language)) (\(t["your_time"] ?? ""))"),
                                        ConsoleCell(columns[2], t["session_kind_" + session.kind.rawValue] ?? session.kind.rawValue),
                                        ConsoleCell(
                                            columns[3], renderer.statusLabel("session_" + session.status.rawValue, visit.language),
                                            flag: session.status == .cancelled),
                                    ])
                                }, none: t["console_none"] ?? ""),
                            next: found.nextCursor.map { Self.link("/console/sessions", [("show", show), ("cursor", $0)]) }),
                    ]))
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    func newSessionPage(_ request: Request) async -> Response {
        await console(request) { visit in
            do {
                return try await sessionForm(visit, values: ["kind": "quarterly", "timezone": "Europe/Vilnius", "duration_minutes": "120"], problems: [], preview: nil)
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    /// The first post previews the moment in every zone; the second (`confirm`) creates it.
    func createSession(_ request: Request) async -> Response {
        await consoleAction(request) { visit in
            let form = visit.form
            let input = try Self.sessionInput(form, new: true)
            guard form["confirm"] == "1" else {
                let planned = try dialogue.previewSession(context(visit.session), input)
                return try await sessionForm(visit, values: form, problems: [], preview: planned.startsAt)
            }
            let created = try await dialogue.createSession(context(visit.session), input)
            return redirect("/console/sessions/\(created.id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            try await sessionForm(visit, values: state.values, problems: state.problems, preview: nil)
        }
    }

    static func sessionInput(_ form: [String: String], new: Bool) throws -> SessionInput {
        SessionInput(
            kind: new ? form["kind"] : nil, workingGroupID: new ? try uuid(form, "working_group_id") : nil, title: form["title"],
            level: form["level"], localStart: form["local_start"], durationMinutes: try number(form, "duration_minutes"),
            timezone: form["timezone"], location: form["location"])
    }

    private func sessionForm(_ visit: Visit, values: [String: String], problems: [FieldError], preview: Date?) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let formProblems = FormProblems(Self.sessionProblems(problems), fields: Self.sessionFields, t, scope: "session")
        let fields = FieldBuilder(t, values: values, problems: formProblems)
        let groups = try await dialogue.listWorkingGroups(context, page: try PageRequest(limit: 100, cursor: nil), status: "active")
        var sections = [ConsoleSection(
            "form",
            forms: [ConsoleForm(
                "/console/sessions", submit: t["console_session_preview"] ?? "",
                fields: [
                    fields.select("kind", values: SessionKind.allCases.map(\.rawValue), prefix: "session_kind_", required: true),
                    fields.select("working_group_id", groups.items.map { ($0.id.lowercasedString, $0.name) }, any: t["console_no_group"] ?? ""),
                    fields.text("title", required: true), fields.text("level"),
                    fields.text("local_start", type: "datetime-local", required: true), fields.text("timezone", required: true),
                    fields.text("duration_minutes", type: "number", required: true), fields.text("location"),
                ])])]
        if let preview {
            sections.append(ConsoleSection(
                "preview", heading: t["console_session_preview_heading"], intro: t["console_session_preview_intro"],
                table: try await zonesTable(preview, meetingZone: values["timezone"] ?? "", visit),
                forms: [ConsoleForm(
                    "/console/sessions", submit: t["console_session_create"] ?? "",
                    hidden: Self.sessionFields.map { Hidden(key: $0, value: values[$0] ?? "") } + [Hidden(key: "confirm", value: "1")])]))
        }
        return consolePage(ConsolePage(
            chrome(visit, "console_session_new", "/console/sessions/new"), heading: t["console_session_new"] ?? "",
            intro: t["console_session_intro"], problems: formProblems, sections: sections))
    }

    /// One moment in the meeting's zone, the dialogue's cities and every zone a participant
    /// lives in, earliest clock first.
    func zonesTable(_ instant: Date, meetingZone: String, _ visit: Visit) async throws -> ConsoleTable {
        let t = renderer.catalog(visit.language)
        let people = try await dialogue.listParticipants(
            context(visit.session), page: try PageRequest(limit: 200, cursor: nil), filter: ParticipantFilter(status: "active"))
        let zones = Set([meetingZone] + Self.dialogueZones + people.items.map(\.timezone)).compactMap { TimeZone(identifier: $0) }
            .sorted { ($0.secondsFromGMT(for: instant), $0.identifier) < ($1.secondsFromGMT(for: instant), $1.identifier) }
        let columns = [t["console_zone"] ?? "", t["session_when"] ?? ""]
        return ConsoleTable(
            caption: t["console_session_preview_heading"] ?? "", columns: columns,
            rows: zones.map { zone in
                ConsoleRow(cells: [
                    ConsoleCell(columns[0], zone.identifier + (zone.identifier == meetingZone ? " (\(t["meeting_time"] ?? ""))" : "")),
                    ConsoleCell(columns[1], Written.moment(instant, zone, visit.language)),
                ])
            }, none: "")
    }

    // MARK: The quarterly wizard

    static let quarterlyFields = ["year", "month_in_quarter", "day", "local_time", "timezone", "duration_minutes", "title", "location"]

    func quarterlyPage(_ request: Request) async -> Response {
        await console(request) { visit in
            let year = Calendar(identifier: .gregorian).component(.year, from: Date()) + 1
            return quarterlyForm(visit, values: [
                "year": String(year), "month_in_quarter": "2", "day": "15", "local_time": "10:00", "timezone": "Europe/Vilnius",
                "duration_minutes": "180",
            ], problems: [], scheduled: [])
        }
    }

    func scheduleQuarterly(_ request: Request) async -> Response {
        await consoleAction(request) { visit in
            let form = visit.form
            guard let year = try Self.number(form, "year") else { throw DomainError.invalid("year", "is required") }
            let scheduled = try await dialogue.scheduleQuarterly(
                context(visit.session), year: year, monthInQuarter: try Self.number(form, "month_in_quarter") ?? 0,
                day: try Self.number(form, "day") ?? 0, localTime: form["local_time"] ?? "", timezone: form["timezone"] ?? "",
                durationMinutes: try Self.number(form, "duration_minutes") ?? 0, title: form["title"]?.nonEmpty, location: form["location"])
            return quarterlyForm(visit, values: form, problems: [], scheduled: scheduled)
        } redraw: { visit, state in
            quarterlyForm(visit, values: state.values, problems: state.problems, scheduled: [])
        }
    }

    private func quarterlyForm(_ visit: Visit, values: [String: String], problems: [FieldError], scheduled: [(session: Session, created: Bool)]) -> Response {
        let t = renderer.catalog(visit.language)
        let formProblems = FormProblems(Self.sessionProblems(problems), fields: Self.quarterlyFields, t, scope: "session")
        let fields = FieldBuilder(t, values: values, problems: formProblems)
        var sections = [ConsoleSection(
            "form",
            forms: [ConsoleForm(
                "/console/sessions/quarterly", submit: t["console_quarterly_run"] ?? "",
                fields: [
                    fields.text("year", type: "number", required: true),
                    fields.select("month_in_quarter", ["1", "2", "3"].map { ($0, t["console_month_" + $0] ?? $0) }),
                    fields.text("day", type: "number", required: true), fields.text("local_time", type: "time", required: true),
                    fields.text("timezone", required: true), fields.text("duration_minutes", type: "number", required: true),
                    fields.text("title"), fields.text("location"),
                ])])]
        if !scheduled.isEmpty {
            let columns = [t["field_title"] ?? "", t["session_when"] ?? "", t["label_status"] ?? ""]
            sections.append(ConsoleSection(
                "scheduled", heading: t["console_quarterly_done"],
                table: ConsoleTable(
                    caption: t["console_quarterly_done"] ?? "", columns: columns,
                    rows: scheduled.map { entry in
                        ConsoleRow(cells: [
                            ConsoleCell(columns[0], entry.session.title, href: "/console/sessions/\(entry.session.id.lowercasedString)"),
                            ConsoleCell(columns[1], Written.moment(entry.session.startsAt, TimeZone(identifier: entry.session.timezone) ?? .gmt, visit.language)),
                            ConsoleCell(columns[2], entry.created ? t["console_quarterly_created"] ?? "" : t["console_quarterly_existed"] ?? ""),
                        ])
                    }, none: "")))
        }
        return consolePage(ConsolePage(
            chrome(visit, "console_quarterly", "/console/sessions/quarterly"), heading: t["console_quarterly"] ?? "",
            intro: t["console_quarterly_intro"], problems: formProblems, sections: sections),
            status: scheduled.isEmpty ? .ok : .created)
    }

    // MARK: One session

    func consoleSessionPage(_ request: Request, id rawID: String) async -> Response {
        await consoleObject(request, rawID) { visit, id in
            let query = request.uri.queryParameters
            return try await consoleSession(visit, id: id, notice: query["saved"].map { _ in "console_saved" }, search: query["q"].map(String.init) ?? "")
        }
    }

    func updateSession(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.updateSession(
                context(visit.session), id: id, try Self.sessionInput(visit.form, new: false), ifMatch: try Self.version(visit.form))
            return redirect("/console/sessions/\(id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await consoleSession(visit, id: id, notice: nil, search: "", state: state)
        }
    }

    func moveSession(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            _ = try await dialogue.transitionSession(
                context(visit.session), id: id, to: visit.form["to"], note: visit.form["note"], ifMatch: try Self.version(visit.form))
            return redirect("/console/sessions/\(id.lowercasedString)?saved=1")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await consoleSession(visit, id: id, notice: nil, search: "", state: FormState(values: [:], problems: state.problems, conflict: state.conflict))
        }
    }

    func inviteToSession(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request) { visit in
            let id = try Self.objectID(rawID)
            guard let participant = try Self.uuid(visit.form, "participant_id") else { throw DomainError.invalid("participant_id", "is required") }
            _ = try await dialogue.invite(context(visit.session), sessionID: id, participantID: participant, onBehalfOf: visit.form["on_behalf_of"]?.nonEmpty)
            return redirect("/console/sessions/\(id.lowercasedString)?saved=1#attendees")
        } redraw: { visit, state in
            let id = try Self.objectID(rawID)
            return try await consoleSession(visit, id: id, notice: nil, search: "", inviteState: state)
        }
    }

    func consoleSession(
        _ visit: Visit, id: UUID, notice: String?, search: String, state: FormState? = nil, inviteState: FormState? = nil,
        agendaState: FormState? = nil
    ) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let session = try await dialogue.getSession(context, id: id)
        async let agendaRead = dialogue.getAgenda(context, sessionID: id)
        async let attendeesRead = dialogue.listAttendees(context, sessionID: id)
        async let conflictsRead = dialogue.sessionConflicts(context, sessionID: id)
        async let signOffsRead = dialogue.signOffChoice(context, sessionID: id)
        async let peopleRead = dialogue.listParticipants(
            context, page: try PageRequest(limit: 100, cursor: nil), filter: ParticipantFilter(status: "active", name: search.nonEmpty))
        async let acceptedRead = dialogue.listProposals(
            context, page: try PageRequest(limit: 100, cursor: nil), filter: ProposalFilter(status: "accepted"))
        let (agenda, attendees, conflicts, signOffs, people, accepted) = try await (
            agendaRead, attendeesRead, conflictsRead, signOffsRead, peopleRead, acceptedRead)
        let zone = try await viewerZone(context, visit.session)
        let meetingZone = TimeZone(identifier: session.timezone) ?? .gmt
        let path = "/console/sessions/\(id.lowercasedString)"
        let now = [
            "title": session.title, "level": session.level, "local_start": Self.localStart(session.startsAt, meetingZone),
            "duration_minutes": String(Int(session.endsAt.timeIntervalSince(session.startsAt) / 60)), "timezone": session.timezone,
            "location": session.location, "version": String(session.version),
        ]
        // Each form on the page gets its own problems only; the agenda's fields are prefixed.
        let problems = agendaState.map { FormProblems($0.problems, fields: Self.agendaFields, t, prefix: Self.agendaPrefix) }
            ?? FormProblems(
                Self.sessionProblems(state?.problems ?? inviteState?.problems ?? []), fields: Self.sessionFields + ["to", "note", "participant_id", "on_behalf_of"], t,
                scope: "session")
        let fields = FieldBuilder(t, values: state.map { $0.values.isEmpty ? now : $0.values } ?? now, problems: state == nil ? .none : problems,
                                  current: state?.conflict == true ? now : nil)
        let open = session.status == .planned || session.status == .confirmed
        var sections: [ConsoleSection] = [ConsoleSection(
            "facts",
            facts: [
                Fact(label: t["session_when"] ?? "", value: "\(Written.moment(session.startsAt, meetingZone, visit.language)) (\(session.timezone))"),
                Fact(label: t["console_your_time"] ?? "", value: "\(Written.moment(session.startsAt, zone, visit.language)) (\(zone.identifier))"),
                Fact(label: t["label_status"] ?? "", value: renderer.statusLabel("session_" + session.status.rawValue, visit.language)),
                Fact(label: t["field_kind"] ?? "", value: t["session_kind_" + session.kind.rawValue] ?? session.kind.rawValue),
            ] + (session.location.isEmpty ? [] : [Fact(label: t["session_where"] ?? "", value: session.location)]),
            links: [ConsoleLink(href: "/sessions/\(id.lowercasedString)", label: t["console_as_members_see"] ?? "")])]
        // Confirm, hold, cancel: the moves the session's state allows, each a button.
        let moves = SessionRules.allowedTransitions(from: session.status)
        if !moves.isEmpty {
            sections.append(ConsoleSection(
                "status", heading: t["console_session_status"],
                forms: moves.map { target in
                    ConsoleForm.button(
                        "\(path)/move", t["session_move_" + target.rawValue] ?? target.rawValue,
                        [("to", target.rawValue), ("version", String(session.version))], secondary: target == .cancelled)
                }))
        }
        if open {
            sections.append(ConsoleSection(
                "edit", heading: t["console_edit"],
                forms: [ConsoleForm(
                    path, submit: t["console_save"] ?? "", hidden: [Hidden(key: "version", value: versionValue(state, now))],
                    fields: [
                        fields.text("title", required: true), fields.text("level"),
                        fields.text("local_start", type: "datetime-local", required: true), fields.text("timezone", required: true),
                        fields.text("duration_minutes", type: "number", required: true), fields.text("location"),
                    ])]))
        }
        sections += agendaSections(
            session, agenda, attendees: attendees, accepted: accepted.items, visit, state: agendaState, problems: agendaState == nil ? .none : problems)
        let invited = Set(attendees.map(\.participantID))
        let attendeeColumns = [t["field_display_name"] ?? "", t["field_kind"] ?? "", t["console_rsvp"] ?? ""]
        var attendeeSection = ConsoleSection(
            "attendees", heading: t["console_attendees"],
            table: ConsoleTable(
                caption: t["console_attendees"] ?? "", columns: attendeeColumns,
                rows: attendees.map { attendee in
                    ConsoleRow(cells: [
                        ConsoleCell(attendeeColumns[0], attendee.displayName, href: "/console/participants/\(attendee.participantID.lowercasedString)"),
                        ConsoleCell(attendeeColumns[1], t["participant_kind_" + attendee.kind.rawValue] ?? attendee.kind.rawValue),
                        ConsoleCell(attendeeColumns[2], t["rsvp_" + attendee.rsvp.rawValue] ?? attendee.rsvp.rawValue),
                    ])
                }, none: t["console_attendees_none"] ?? ""))
        if open {
            let inviteFields = FieldBuilder(t, values: inviteState?.values ?? [:], problems: inviteState == nil ? .none : problems)
            attendeeSection.forms = personPicker(
                page: path, search: search, action: "\(path)/invitations", submit: t["console_invite"] ?? "", t, fields: inviteFields,
                people: people.items, except: invited, showZone: true, more: [inviteFields.text("on_behalf_of")])
        }
        sections.append(attendeeSection)
        if session.status == .held {
            // A coordinator who chairs the group signs here too; the button is Core's answer.
            let (side, signed) = signOffs
            sections.append(ConsoleSection(
                "sign-off", heading: t["console_sign_off"],
                intro: signed.isEmpty ? t["console_sign_off_none"] : signed.map {
                    "\(t["side_" + $0.side] ?? $0.side): \(Written.moment($0.signedAt, zone, visit.language))"
                }.joined(separator: " · "),
                forms: side.map { [.button("/sessions/\(id.lowercasedString)/sign-off", Self.filled(t["sign_off_for"], t["side_" + $0] ?? $0))] } ?? []))
        }
        let warnings = conflicts.map { conflict in
            Self.filled(t["console_double_booked"], conflict.displayName, conflict.otherTitle,
                   Written.moment(conflict.otherStartsAt, meetingZone, visit.language))
        }
        return consolePage(ConsolePage(
            chrome(visit, "console_sessions", path, titleText: session.title), heading: session.title,
            notice: notice.flatMap { t[$0] }, warnings: warnings, conflict: state?.conflict ?? agendaState?.conflict ?? false,
            problems: problems, sections: sections))
    }

    /// Core's reason for refusing a wall time the clocks skip, as a key the catalogs say in
    /// the reader's language (`error_local_start_skipped`).
    static func sessionProblems(_ problems: [FieldError]) -> [FieldError] {
        problems.map { $0.message.contains("daylight-saving") ? FieldError($0.field, "skipped") : $0 }
    }

    /// A moment as the wall time of a zone, the way a `datetime-local` field holds it.
    static func localStart(_ date: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }
}
