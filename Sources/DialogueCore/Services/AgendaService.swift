import Foundation
import PostgresNIO

public struct AgendaItemInput: Sendable {
    public var title: String?
    public var durationMinutes: Int?
    public var presenterID: UUID??
    public var proposalID: UUID??
    public var position: Int?
    public var outcome: String??
    public var outcomeNote: String??

    public init(
        title: String? = nil, durationMinutes: Int? = nil, presenterID: UUID?? = nil, proposalID: UUID?? = nil,
        position: Int? = nil, outcome: String?? = nil, outcomeNote: String?? = nil
    ) {
        self.title = title
        self.durationMinutes = durationMinutes
        self.presenterID = presenterID
        self.proposalID = proposalID
        self.position = position
        self.outcome = outcome
        self.outcomeNote = outcomeNote
    }
}

extension Dialogue {
    static let maximumAgendaItems = 200
    static let agendaColumns = """
        id, session_id, position, title, duration_minutes, presenter_id, proposal_id, outcome, outcome_note, version, \
        created_at, updated_at
        """

    func decodeAgendaItem(_ row: PostgresRow) throws -> AgendaItem {
        let (id, sessionID, position, title, duration, presenter, proposal, outcome, note, version, createdAt, updatedAt) =
            try row.decode((UUID, UUID, Int, String, Int, UUID?, UUID?, String?, String?, Int, Date, Date).self)
        return AgendaItem(
            id: id, sessionID: sessionID, position: position, title: title, durationMinutes: duration, presenterID: presenter,
            proposalID: proposal, outcome: outcome.flatMap(AgendaOutcome.init(rawValue:)), outcomeNote: note,
            version: version, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// The agenda in order. A presenter who is an in-country proxy is named to coordinators only.
    func loadAgenda(_ connection: PostgresConnection, session: Session, viewer: Viewer) async throws -> Agenda {
        let rows = try await connection.query("""
            SELECT \(unescaped: Dialogue.qualified(Dialogue.agendaColumns, "i")),
                   coalesce(p.kind, '')
            FROM agenda_items i LEFT JOIN participants p ON p.id = i.presenter_id
            WHERE i.session_id = \(session.id) ORDER BY i.position
            """, logger: logger).collect()
        let items = try rows.map { row -> AgendaItem in
            var item = try decodeAgendaItem(row)
            let presenterKind = try row.decode((UUID, UUID, Int, String, Int, UUID?, UUID?, String?, String?, Int, Date, Date, String).self).12
            if let presenter = item.presenterID, presenterKind == ParticipantKind.inCountryProxy.rawValue,
                !AccessPolicy.seesMembership(viewer, ofKind: .inCountryProxy, participantID: presenter)
            {
                item.presenterID = nil
            }
            return item
        }
        return Agenda(sessionID: session.id, version: session.agendaVersion, items: items)
    }

    public func getAgenda(_ context: CallContext, sessionID: UUID) async throws -> Agenda {
        try await database.read { connection in
            let (session, viewer) = try await authorizedSession(connection, context, id: sessionID, .read)
            return try await loadAgenda(connection, session: session, viewer: viewer)
        }
    }

    /// Locks the session (all agenda changes of a session are serialised on its row), checks
    /// the caller, the session state and `If-Match` against the agenda version.
    private func lockAgenda(
        _ connection: PostgresConnection, _ context: CallContext, sessionID: UUID, ifMatch: Int?
    ) async throws -> (Session, Viewer) {
        let (session, viewer) = try await authorizedSession(connection, context, id: sessionID, .update, lock: true)
        if let ifMatch, ifMatch != session.agendaVersion {
            throw DomainError.preconditionFailed(currentVersion: session.agendaVersion)
        }
        return (session, viewer)
    }

    private func bumpAgenda(_ connection: PostgresConnection, sessionID: UUID) async throws {
        try await connection.query(
            "UPDATE sessions SET agenda_version = agenda_version + 1, updated_at = now() WHERE id = \(sessionID)", logger: logger)
    }

    func requireParticipant(_ connection: PostgresConnection, _ id: UUID?, field: String) async throws {
        guard let id else { return }
        let exists = try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM participants WHERE id = \(id))", logger: logger
        ).collect().first?.decode(Bool.self) ?? false
        if !exists { throw DomainError.invalid(field, "no such participant") }
    }

    /// Inserts an item at `position` (default: the end); later items move down by one.
    public func addAgendaItem(_ context: CallContext, sessionID: UUID, _ input: AgendaItemInput, ifMatch: Int?) async throws -> (AgendaItem, Agenda) {
        var validator = Validator()
        let title = validator.text(input.title, "title", max: 300)
        let duration = input.durationMinutes ?? 0
        if !(1...480).contains(duration) { validator.fail("duration_minutes", "must be between 1 and 480") }
        if let position = input.position, position < 1 { validator.fail("position", "must be 1 or more") }
        if input.outcome != nil { validator.fail("outcome", "is recorded once the session is held, on the item") }
        try validator.check()
        return try await database.transaction { connection in
            let (session, viewer) = try await lockAgenda(connection, context, sessionID: sessionID, ifMatch: ifMatch)
            try SessionRules.checkAgendaEditable(session.status)
            try await requireParticipant(connection, input.presenterID ?? nil, field: "presenter_id")
            let count = try await connection.query(
                "SELECT count(*)::bigint FROM agenda_items WHERE session_id = \(sessionID)", logger: logger
            ).collect().first?.decode(Int.self) ?? 0
            guard count < Dialogue.maximumAgendaItems else {
                throw DomainError.invalid("title", "an agenda holds at most \(Dialogue.maximumAgendaItems) items")
            }
            guard (input.position ?? count + 1) <= count + 1 else {
                throw DomainError.invalid("position", "must be between 1 and \(count + 1)")
            }
            let position = input.position ?? count + 1
            try await connection.query(
                "UPDATE agenda_items SET position = position + 1 WHERE session_id = \(sessionID) AND position >= \(position)",
                logger: logger)
            let rows = try await connection.query("""
                INSERT INTO agenda_items (session_id, position, title, duration_minutes, presenter_id, proposal_id)
                VALUES (\(sessionID), \(position), \(title!), \(duration), \(input.presenterID ?? nil), \(input.proposalID ?? nil))
                RETURNING \(unescaped: Dialogue.agendaColumns)
                """, logger: logger).collect()
            let item = try decodeAgendaItem(rows[0])
            try await bumpAgenda(connection, sessionID: sessionID)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "agenda.add", objectType: "agenda_item",
                objectID: item.id.uuidString.lowercased(),
                diff: ["session_id": sessionID.uuidString.lowercased(), "position": String(position), "title": item.title])
            var updated = session
            updated.agendaVersion += 1
            return (item, try await loadAgenda(connection, session: updated, viewer: viewer))
        }
    }

    /// Reorders by the full list of item ids: exactly the current ids, each once.
    public func reorderAgenda(_ context: CallContext, sessionID: UUID, ids: [UUID], ifMatch: Int?) async throws -> Agenda {
        try await database.transaction { connection in
            let (session, viewer) = try await lockAgenda(connection, context, sessionID: sessionID, ifMatch: ifMatch)
            try SessionRules.checkAgendaEditable(session.status)
            let current = try await connection.query(
                "SELECT id FROM agenda_items WHERE session_id = \(sessionID)", logger: logger
            ).collect().map { try $0.decode(UUID.self) }
            guard ids.count == current.count, Set(ids) == Set(current), Set(ids).count == ids.count else {
                throw DomainError.invalid("ids", "must list exactly the \(current.count) current item ids of this agenda, each once")
            }
            let positions = Array(1...max(ids.count, 1)).prefix(ids.count).map { $0 }
            try await connection.query("""
                UPDATE agenda_items a SET position = x.position, updated_at = now()
                FROM unnest(\(ids), \(positions)) AS x(id, position)
                WHERE a.id = x.id AND a.session_id = \(sessionID)
                """, logger: logger)
            try await bumpAgenda(connection, sessionID: sessionID)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "agenda.reorder", objectType: "session",
                objectID: sessionID.uuidString.lowercased(),
                diff: ["order": ids.map { $0.uuidString.lowercased() }.joined(separator: " ")])
            var updated = session
            updated.agendaVersion += 1
            return try await loadAgenda(connection, session: updated, viewer: viewer)
        }
    }

    /// Moves one item to a new position (the CLI's `agenda move`), through the same reorder.
    public func moveAgendaItem(_ context: CallContext, itemID: UUID, to position: Int) async throws -> Agenda {
        let item = try await getAgendaItem(context, id: itemID)
        let agenda = try await getAgenda(context, sessionID: item.sessionID)
        var ids = agenda.items.map(\.id).filter { $0 != itemID }
        guard (1...(ids.count + 1)).contains(position) else {
            throw DomainError.invalid("position", "must be between 1 and \(ids.count + 1)")
        }
        ids.insert(itemID, at: position - 1)
        return try await reorderAgenda(context, sessionID: item.sessionID, ids: ids, ifMatch: agenda.version)
    }

    public func getAgendaItem(_ context: CallContext, id: UUID) async throws -> AgendaItem {
        try await database.read { connection in
            let sessionID = try await connection.query(
                "SELECT session_id FROM agenda_items WHERE id = \(id)", logger: logger
            ).collect().first?.decode(UUID.self)
            guard let sessionID else { throw DomainError.notFound("agenda item not found") }
            let (session, viewer) = try await authorizedSession(connection, context, id: sessionID, .read)
            guard let item = try await loadAgenda(connection, session: session, viewer: viewer).items.first(where: { $0.id == id }) else {
                throw DomainError.notFound("agenda item not found")
            }
            return item
        }
    }

    /// Edits an item: title, duration and presenter while the session is planned or
    /// confirmed; outcome and its note only once it is held.
    public func updateAgendaItem(_ context: CallContext, id: UUID, _ input: AgendaItemInput, ifMatch: Int?) async throws -> AgendaItem {
        var validator = Validator()
        let title = validator.text(input.title, "title", required: false, max: 300)
        if let duration = input.durationMinutes, !(1...480).contains(duration) {
            validator.fail("duration_minutes", "must be between 1 and 480")
        }
        let outcome: AgendaOutcome?? = input.outcome.map { raw in
            raw.flatMap { validator.choice($0, "outcome", as: AgendaOutcome.self) }
        }
        let note = input.outcomeNote.map { validator.text($0, "outcome_note", required: false, max: 5000, min: 0) }
        if input.position != nil { validator.fail("position", "use PUT /v1/sessions/{id}/agenda/order to reorder") }
        try validator.check()
        return try await database.transaction { connection in
            let sessionID = try await connection.query(
                "SELECT session_id FROM agenda_items WHERE id = \(id)", logger: logger
            ).collect().first?.decode(UUID.self)
            guard let sessionID else { throw DomainError.notFound("agenda item not found") }
            let (session, _) = try await lockAgenda(connection, context, sessionID: sessionID, ifMatch: nil)
            let current = try await connection.query(
                "SELECT \(unescaped: Dialogue.agendaColumns) FROM agenda_items WHERE id = \(id) FOR UPDATE", logger: logger
            ).collect().first.map(decodeAgendaItem)!
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            let editsContent = title != nil || input.durationMinutes != nil || input.presenterID != nil
            let editsOutcome = outcome != nil || note != nil
            if editsContent { try SessionRules.checkAgendaEditable(session.status) }
            if editsOutcome { try SessionRules.checkOutcomeRecordable(session.status) }
            try await requireParticipant(connection, input.presenterID ?? nil, field: "presenter_id")
            let setPresenter = input.presenterID != nil, setOutcome = outcome != nil, setNote = note != nil
            let rows = try await connection.query("""
                UPDATE agenda_items SET title = coalesce(\(title), title),
                    duration_minutes = coalesce(\(input.durationMinutes), duration_minutes),
                    presenter_id = CASE WHEN \(setPresenter) THEN \(input.presenterID ?? nil) ELSE presenter_id END,
                    outcome = CASE WHEN \(setOutcome) THEN \((outcome ?? nil)?.rawValue) ELSE outcome END,
                    outcome_note = CASE WHEN \(setNote) THEN \(note ?? nil) ELSE outcome_note END,
                    version = version + 1, updated_at = now()
                WHERE id = \(id) RETURNING \(unescaped: Dialogue.agendaColumns)
                """, logger: logger).collect()
            try await bumpAgenda(connection, sessionID: sessionID)
            let updated = try decodeAgendaItem(rows[0])
            var diff: AuditLog.Diff = ["session_id": sessionID.uuidString.lowercased()]
            if let title { diff["title"] = title }
            if setOutcome { diff["outcome"] = updated.outcome?.rawValue }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: editsOutcome ? "agenda.outcome" : "agenda.update",
                objectType: "agenda_item", objectID: id.uuidString.lowercased(), diff: diff)
            return updated
        }
    }

    /// Deletes an item and closes the gap, keeping positions dense.
    public func deleteAgendaItem(_ context: CallContext, id: UUID, ifMatch: Int?) async throws {
        try await database.transaction { connection in
            let sessionID = try await connection.query(
                "SELECT session_id FROM agenda_items WHERE id = \(id)", logger: logger
            ).collect().first?.decode(UUID.self)
            guard let sessionID else { throw DomainError.notFound("agenda item not found") }
            let (session, _) = try await lockAgenda(connection, context, sessionID: sessionID, ifMatch: nil)
            try SessionRules.checkAgendaEditable(session.status)
            let deleted = try await connection.query(
                "DELETE FROM agenda_items WHERE id = \(id) RETURNING position, version", logger: logger
            ).collect()
            guard let (position, version) = try deleted.first?.decode((Int, Int).self) else {
                throw DomainError.notFound("agenda item not found")
            }
            if let ifMatch, ifMatch != version { throw DomainError.preconditionFailed(currentVersion: version) }
            try await connection.query(
                "UPDATE agenda_items SET position = position - 1 WHERE session_id = \(sessionID) AND position > \(position)",
                logger: logger)
            try await bumpAgenda(connection, sessionID: sessionID)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "agenda.remove", objectType: "agenda_item",
                objectID: id.uuidString.lowercased(), diff: ["session_id": sessionID.uuidString.lowercased()])
        }
    }
}
