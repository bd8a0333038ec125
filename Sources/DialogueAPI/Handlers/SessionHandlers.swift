import DialogueCore
import Foundation
import OpenAPIRuntime

extension APIHandlers {
    func listSessions(_ input: Operations.ListSessions.Input) async throws -> Operations.ListSessions.Output {
        let context = try await RequestScope.callContext(dialogue)
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let query = input.query
        let filter = SessionFilter(
            from: query.from, to: query.to, kind: query.kind?.rawValue,
            workingGroupID: try bodyID(query.workingGroupId, "working_group_id"), quarter: query.quarter,
            status: query.status?.rawValue)
        let result = try await dialogue.listSessions(context, page: page, filter: filter)
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.Session.init), nextCursor: result.nextCursor))))
    }

    func createSession(_ input: Operations.CreateSession.Input) async throws -> Operations.CreateSession.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let session = try await dialogue.createSession(context, SessionInput(
            kind: body.kind.rawValue, workingGroupID: try bodyID(body.workingGroupId, "working_group_id"), title: body.title,
            level: body.level, startsAt: try bodyDate(body.startsAt, "starts_at"), endsAt: try bodyDate(body.endsAt, "ends_at"), localStart: body.localStart,
            durationMinutes: body.durationMinutes, timezone: body.timezone, location: body.location))
        return .created(.init(
            headers: .init(eTag: ETags.value(session.version), location: "/v1/sessions/\(session.id.lowercasedString)"),
            body: .json(.init(session))))
    }

    func scheduleQuarterlySessions(_ input: Operations.ScheduleQuarterlySessions.Input) async throws -> Operations.ScheduleQuarterlySessions.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let scheduled = try await dialogue.scheduleQuarterly(
            context, year: body.year, monthInQuarter: body.monthInQuarter ?? 2, day: body.day ?? 15,
            localTime: body.localTime, timezone: body.timezone, durationMinutes: body.durationMinutes ?? 180,
            title: body.title, location: body.location)
        return .ok(.init(body: .json(.init(items: scheduled.map { .init(session: .init($0.session), created: $0.created) }))))
    }

    func getSession(_ input: Operations.GetSession.Input) async throws -> Operations.GetSession.Output {
        let (caller, id) = try callerAndPathID(input.path.id, "session")
        let session = try await dialogue.getSession(caller, id: id)
        return .ok(.init(headers: .init(eTag: ETags.value(session.version)), body: .json(.init(session))))
    }

    func updateSession(_ input: Operations.UpdateSession.Input) async throws -> Operations.UpdateSession.Output {
        let context = try await RequestScope.callContext(dialogue)
        let id = try pathID(input.path.id, "session")
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let session = try await dialogue.updateSession(
            context, id: id,
            SessionInput(
                title: body.title, level: body.level, startsAt: try bodyDate(body.startsAt, "starts_at"), endsAt: try bodyDate(body.endsAt, "ends_at"),
                localStart: body.localStart, durationMinutes: body.durationMinutes, timezone: body.timezone,
                location: body.location),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(session.version)), body: .json(.init(session))))
    }

    func transitionSession(_ input: Operations.TransitionSession.Input) async throws -> Operations.TransitionSession.Output {
        let context = try await RequestScope.callContext(dialogue)
        let id = try pathID(input.path.id, "session")
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let session = try await dialogue.transitionSession(
            context, id: id, to: body.to.rawValue, note: body.note, ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(session.version)), body: .json(.init(session))))
    }

    func listSessionAttendees(_ input: Operations.ListSessionAttendees.Input) async throws -> Operations.ListSessionAttendees.Output {
        let context = try await RequestScope.callContext(dialogue)
        let attendees = try await dialogue.listAttendees(context, sessionID: try pathID(input.path.id, "session"))
        return .ok(.init(body: .json(.init(items: attendees.map(Components.Schemas.Attendance.init), nextCursor: nil))))
    }

    func inviteSessionAttendee(_ input: Operations.InviteSessionAttendee.Input) async throws -> Operations.InviteSessionAttendee.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let (attendance, created, conflicts) = try await dialogue.invite(
            context, sessionID: try pathID(input.path.id, "session"),
            participantID: try pathID(input.path.participantId, "participant"), onBehalfOf: body.onBehalfOf)
        let json = Components.Schemas.Invitation(
            attendance: .init(attendance), conflicts: conflicts.map(Components.Schemas.Conflict.init))
        return created ? .created(.init(body: .json(json))) : .ok(.init(body: .json(json)))
    }

    func updateSessionAttendee(_ input: Operations.UpdateSessionAttendee.Input) async throws -> Operations.UpdateSessionAttendee.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let attendance = try await dialogue.updateAttendance(
            context, sessionID: try pathID(input.path.id, "session"),
            participantID: try pathID(input.path.participantId, "participant"),
            AttendanceInput(rsvp: body.rsvp?.rawValue, attended: body.attended, onBehalfOf: clearable(body.onBehalfOf)))
        return .ok(.init(body: .json(.init(attendance))))
    }

    func listSessionConflicts(_ input: Operations.ListSessionConflicts.Input) async throws -> Operations.ListSessionConflicts.Output {
        let context = try await RequestScope.callContext(dialogue)
        let conflicts = try await dialogue.sessionConflicts(context, sessionID: try pathID(input.path.id, "session"))
        return .ok(.init(body: .json(.init(items: conflicts.map(Components.Schemas.Conflict.init), nextCursor: nil))))
    }

    func getSessionAgenda(_ input: Operations.GetSessionAgenda.Input) async throws -> Operations.GetSessionAgenda.Output {
        let (caller, sessionID) = try callerAndPathID(input.path.id, "session")
        let agenda = try await dialogue.getAgenda(caller, sessionID: sessionID)
        return .ok(.init(headers: .init(eTag: ETags.value(agenda.version)), body: .json(.init(agenda))))
    }

    func addAgendaItem(_ input: Operations.AddAgendaItem.Input) async throws -> Operations.AddAgendaItem.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let (item, agenda) = try await dialogue.addAgendaItem(
            context, sessionID: try pathID(input.path.id, "session"),
            AgendaItemInput(
                title: body.title, durationMinutes: body.durationMinutes,
                presenterID: try bodyID(body.presenterId, "presenter_id").map { .some($0) },
                proposalID: try bodyID(body.proposalId, "proposal_id").map { .some($0) }, position: body.position,
                outcome: body.outcome.map { .some($0.rawValue) }, outcomeNote: body.outcomeNote.map { .some($0) },
                correctsItemID: try bodyID(body.correctsItemId, "corrects_item_id"), audience: body.audience?.rawValue,
                namedParticipantIDs: try body.namedParticipantIds.map { try bodyIDs($0, "named_participant_ids") }),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .created(.init(
            headers: .init(eTag: ETags.value(agenda.version), location: "/v1/agenda-items/\(item.id.lowercasedString)"),
            body: .json(.init(item))))
    }

    func reorderAgenda(_ input: Operations.ReorderAgenda.Input) async throws -> Operations.ReorderAgenda.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let ids = try body.ids.map { raw -> UUID in
            guard let id = UUID(uuidString: raw) else { throw DomainError.invalid("ids", "'\(raw.prefix(40))' is not a UUID") }
            return id
        }
        let agenda = try await dialogue.reorderAgenda(
            context, sessionID: try pathID(input.path.id, "session"), ids: ids,
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(agenda.version)), body: .json(.init(agenda))))
    }

    func getAgendaItem(_ input: Operations.GetAgendaItem.Input) async throws -> Operations.GetAgendaItem.Output {
        let context = try await RequestScope.callContext(dialogue)
        let item = try await dialogue.getAgendaItem(context, id: try pathID(input.path.id, "agenda item"))
        return .ok(.init(headers: .init(eTag: ETags.value(item.version)), body: .json(.init(item))))
    }

    func updateAgendaItem(_ input: Operations.UpdateAgendaItem.Input) async throws -> Operations.UpdateAgendaItem.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let presenter = try clearable(body.presenterId).map { raw in try raw.map { try parsedBodyID($0, "presenter_id") } }
        let item = try await dialogue.updateAgendaItem(
            context, id: try pathID(input.path.id, "agenda item"),
            AgendaItemInput(
                title: body.title, durationMinutes: body.durationMinutes, presenterID: presenter,
                outcome: clearable(body.outcome?.rawValue), outcomeNote: clearable(body.outcomeNote),
                audience: body.audience?.rawValue,
                namedParticipantIDs: try body.namedParticipantIds.map { try bodyIDs($0, "named_participant_ids") },
                confirmWidening: body.confirmWidening ?? false),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(item.version)), body: .json(.init(item))))
    }

    func deleteAgendaItem(_ input: Operations.DeleteAgendaItem.Input) async throws -> Operations.DeleteAgendaItem.Output {
        let context = try await RequestScope.callContext(dialogue)
        try await dialogue.deleteAgendaItem(
            context, id: try pathID(input.path.id, "agenda item"), ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .noContent(.init())
    }

    func createCalendarFeed(_ input: Operations.CreateCalendarFeed.Input) async throws -> Operations.CreateCalendarFeed.Output {
        let context = try await RequestScope.callContext(dialogue)
        let (id, secret) = try await dialogue.createCalendarFeed(context)
        return .created(.init(body: .json(.init(id: id.lowercasedString, url: CalendarFeed.url(publicBaseURL: publicBaseURL, secret: secret)))))
    }

    func revokeCalendarFeed(_ input: Operations.RevokeCalendarFeed.Input) async throws -> Operations.RevokeCalendarFeed.Output {
        let context = try await RequestScope.callContext(dialogue)
        try await dialogue.revokeCalendarFeed(context, id: try pathID(input.path.id, "calendar feed"))
        return .noContent(.init())
    }
}
