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
    /// A correction after sign-off names the item it corrects and carries its own outcome.
    public var correctsItemID: UUID?
    /// A new item's audience, or a change of it (with the list for `named`).
    public var audience: String?
    public var namedParticipantIDs: [UUID]?
    public var confirmWidening: Bool

    public init(
        title: String? = nil, durationMinutes: Int? = nil, presenterID: UUID?? = nil, proposalID: UUID?? = nil,
        position: Int? = nil, outcome: String?? = nil, outcomeNote: String?? = nil, correctsItemID: UUID? = nil,
        audience: String? = nil, namedParticipantIDs: [UUID]? = nil, confirmWidening: Bool = false
    ) {
        self.correctsItemID = correctsItemID
        self.audience = audience
        self.namedParticipantIDs = namedParticipantIDs
        self.confirmWidening = confirmWidening
        self.title = title
        self.durationMinutes = durationMinutes
        self.presenterID = presenterID
        self.proposalID = proposalID
        self.position = position
        self.outcome = outcome
        self.outcomeNote = outcomeNote
    }
}

/// An agenda item as read for a viewer: the item, its presenter's kind (to hide a proxy) and
/// the facts its audience is decided on.
struct AgendaRow {
    var item: AgendaItem
    var presenterKind: String
    var facts: AudienceFacts
}

extension Dialogue {
    static let maximumAgendaItems = 200
    static let agendaColumns = """
        id, session_id, position, title, duration_minutes, presenter_id, proposal_id, outcome, outcome_note, version, \
        created_at, updated_at, audience
        """

    func decodeAgendaItem(_ row: PostgresRow) throws -> AgendaItem { try decodeAgendaItem(row.makeRandomAccess()) }

    /// An item from `agendaColumns` starting at column `first`.
    func decodeAgendaItem(_ cells: PostgresRandomAccessRow, from first: Int = 0) throws -> AgendaItem {
        let outcome = try cells[first + 7].decode(String?.self)
        return AgendaItem(
            id: try cells[first].decode(UUID.self), sessionID: try cells[first + 1].decode(UUID.self),
            position: try cells[first + 2].decode(Int.self), title: try cells[first + 3].decode(String.self),
            durationMinutes: try cells[first + 4].decode(Int.self), presenterID: try cells[first + 5].decode(UUID?.self),
            proposalID: try cells[first + 6].decode(UUID?.self), outcome: outcome.flatMap(AgendaOutcome.init(rawValue:)),
            outcomeNote: try cells[first + 8].decode(String?.self), audience: try cells[first + 12].decode(Audience.self),
            version: try cells[first + 9].decode(Int.self), createdAt: try cells[first + 10].decode(Date.self),
            updatedAt: try cells[first + 11].decode(Date.self))
    }

    /// An item with its facts from the columns of `Prepared.AgendaOfSession`, starting at
    /// column `first`; nil where a session without items left them null.
    func decodeAgendaRow(_ cells: PostgresRandomAccessRow, from first: Int = 0) throws -> AgendaRow? {
        guard try cells[first].decode(UUID?.self) != nil else { return nil }
        let item = try decodeAgendaItem(cells, from: first)
        let facts = AudienceFacts(
            audience: item.audience, authorID: try cells[first + 14].decode(UUID?.self),
            authorSide: OrganizationSide(rawValue: try cells[first + 15].decode(String.self)),
            viewerNamed: try cells[first + 16].decode(Bool.self))
        return AgendaRow(item: item, presenterKind: try cells[first + 13].decode(String.self), facts: facts)
    }

    /// The agenda in order, every item with its audience facts, before the viewer's view.
    func agendaRows(_ connection: PostgresConnection, sessionID: UUID, viewer: Viewer) async throws -> [AgendaRow] {
        try await connection.rows(
            Prepared.AgendaOfSession(sessionID: sessionID, viewerID: viewer.actor.participantID), logger: logger
        ).compactMap { try decodeAgendaRow($0.makeRandomAccess()) }
    }

    /// The agenda in order as the viewer (who may see the session) sees it: items their
    /// audience hides are not there, and a presenter who is an in-country proxy is named to
    /// coordinators only.
    func loadAgenda(_ connection: PostgresConnection, session: Session, viewer: Viewer) async throws -> Agenda {
        try await agenda(of: session, agendaRows(connection, sessionID: session.id, viewer: viewer), viewer: viewer, connection)
    }

    /// The viewer's view of a session's agenda rows.
    func agenda(of session: Session, _ rows: [AgendaRow], viewer: Viewer, _ connection: PostgresConnection) async throws -> Agenda {
        let rows = rows.filter {
            AccessPolicy.decide(viewer, .read, .agendaItem(sessionVisible: true, audience: $0.facts)) == .allow
        }
        let names = try await audienceNames(
            connection, viewer: viewer, objectIDs: rows.filter { $0.item.audience == .named }.map(\.item.id))
        let items = rows.map { row -> AgendaItem in
            var item = row.item
            if let presenter = item.presenterID, row.presenterKind == ParticipantKind.inCountryProxy.rawValue,
                !AccessPolicy.seesMembership(viewer, ofKind: .inCountryProxy, participantID: presenter)
            {
                item.presenterID = nil
            }
            item.namedParticipantIDs = names[item.id] ?? []
            return item
        }
        return Agenda(sessionID: session.id, version: session.agendaVersion, items: items)
    }

    /// The facts of one item of a session the viewer may see, once they may read it (404 if not).
    private func readableAgendaItem(
        _ connection: PostgresConnection, sessionID: UUID, itemID: UUID, viewer: Viewer
    ) async throws -> AudienceFacts {
        guard let row = try await agendaRows(connection, sessionID: sessionID, viewer: viewer).first(where: { $0.item.id == itemID })
        else { throw DomainError.notFound("agenda item not found") }
        try AccessPolicy.require(viewer, .read, .agendaItem(sessionVisible: true, audience: row.facts), notFound: "agenda item not found")
        return row.facts
    }

    /// The session, the invitation and the items come in one statement; AccessPolicy decides
    /// on the session, then on each item.
    public func getAgenda(_ context: CallContext, sessionID: UUID) async throws -> Agenda {
        try await database.read { connection in
            let viewer = try await viewer(context, connection)
            let rows = try await connection.rows(
                Prepared.SessionAgenda(sessionID: sessionID, viewerID: viewer.actor.participantID), logger: logger
            ).map { $0.makeRandomAccess() }
            return try await agenda(rows, from: 0, viewer: viewer, connection)
        }
    }

    /// The agenda for a caller; a bearer is checked in the agenda's own statement, so the
    /// read is one round trip: the credential first (401 for any failure, before anything
    /// about the session is told), then the session (404), then AccessPolicy as above.
    public func getAgenda(_ caller: Caller, sessionID: UUID) async throws -> Agenda {
        try await read(
            as: caller, authenticated: { try await getAgenda($0, sessionID: sessionID) },
            checkingIn: { try Prepared.SessionAgendaForBearer(hash: $0.hash, sessionID: sessionID) }
        ) { viewer, rows, connection in
            try await agenda(rows, from: Prepared.SessionAgendaForBearer.sessionOffset, viewer: viewer, connection)
        }
    }

    /// The agenda from the rows of `Prepared.SessionAgenda`'s columns starting at `first`: the
    /// session (404 if its columns are empty), its items.
    private func agenda(
        _ rows: [PostgresRandomAccessRow], from first: Int, viewer: Viewer, _ connection: PostgresConnection
    ) async throws -> Agenda {
        let session = try authorizedSession(rows.first, from: first, viewer, .read)
        let items = try rows.compactMap { try decodeAgendaRow($0, from: first + Prepared.SessionAgenda.itemOffset) }
        return try await agenda(of: session, items, viewer: viewer, connection)
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

    /// Inserts an item at `position` (default: the end); later items move down by one. An item
    /// carrying a proposal schedules it (accepted or deferred → scheduled) in the same
    /// transaction. After sign-off the only addition is a correction: a new item naming the
    /// one it corrects, with its outcome.
    public func addAgendaItem(_ context: CallContext, sessionID: UUID, _ input: AgendaItemInput, ifMatch: Int?) async throws -> (AgendaItem, Agenda) {
        var validator = Validator()
        let title = validator.text(input.title, "title", max: 300)
        let duration = input.durationMinutes ?? 0
        if !(1...480).contains(duration) { validator.fail("duration_minutes", "must be between 1 and 480") }
        if let position = input.position, position < 1 { validator.fail("position", "must be 1 or more") }
        let outcome = (input.outcome ?? nil).flatMap { validator.choice($0, "outcome", as: AgendaOutcome.self) }
        let note = (input.outcomeNote ?? nil).flatMap { validator.text($0, "outcome_note", required: false, max: 5000, min: 0) }
        if input.correctsItemID == nil, input.outcome != nil {
            validator.fail("outcome", "is recorded once the session is held, on the item")
        }
        if input.correctsItemID != nil, outcome == nil { validator.fail("outcome", "a correction states the corrected outcome") }
        let audience = validator.choice(input.audience, "audience", as: Audience.self, required: false)
        if let audience, audience < .dialogue, context.actor.participantID == nil {
            validator.fail("audience", "a side's or a named item needs an author; the operator has none")
        }
        try validator.check()
        let validTitle = try Validator.required(title, "title")
        return try await database.transaction { connection in
            let (session, viewer) = try await lockAgenda(connection, context, sessionID: sessionID, ifMatch: ifMatch)
            if let corrected = input.correctsItemID {
                guard try await signedSides(connection, sessionID: sessionID).count == 2 else {
                    throw DomainError.conflict("corrections are for signed-off outcomes; until then, change the item itself")
                }
                let belongs = try await connection.query(
                    "SELECT EXISTS (SELECT 1 FROM agenda_items WHERE id = \(corrected) AND session_id = \(sessionID))", logger: logger
                ).collect().first?.decode(Bool.self) ?? false
                guard belongs else { throw DomainError.invalid("corrects_item_id", "is not an item of this session") }
            } else {
                try SessionRules.checkAgendaEditable(session.status)
            }
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
            let proposalID = input.proposalID ?? nil
            if let proposalID, input.correctsItemID == nil {
                try await scheduleProposal(connection, context, proposalID: proposalID, session: session)
            }
            let position = input.position ?? count + 1
            let named = input.namedParticipantIDs ?? []
            let chosen = try await validatedNewAudience(connection, requested: audience, named: named)
            try await connection.query(
                "UPDATE agenda_items SET position = position + 1 WHERE session_id = \(sessionID) AND position >= \(position)",
                logger: logger)
            let rows = try await connection.rows(
                try Prepared.NewAgendaItem(
                    sessionID, position, validTitle, duration, input.presenterID ?? nil, proposalID, input.correctsItemID,
                    outcome?.rawValue, note, chosen, context.actor.participantID),
                logger: logger)
            var item = try decodeAgendaItem(rows.single(or: .notFound("session not found")))
            try await writeNames(connection, context, objectID: item.id, named)
            item.namedParticipantIDs = named
            if let outcome {
                try await connection.run(try Prepared.NewAgendaOutcome(item.id, outcome.rawValue), logger: logger)
            }
            try await bumpAgenda(connection, sessionID: sessionID)
            var diff: AuditLog.Diff = [
                "session_id": sessionID.lowercasedString, "position": String(position), "title": item.title,
                "proposal_id": proposalID?.lowercasedString, "audience": chosen.rawValue,
            ]
            if let corrected = input.correctsItemID {
                diff["corrects_item_id"] = corrected.lowercasedString
                diff["outcome"] = outcome?.rawValue
            }
            try await AuditLog.append(
                connection, logger: logger, context: context,
                action: input.correctsItemID == nil ? "agenda.add" : "agenda.correct", objectType: "agenda_item",
                objectID: item.id.lowercasedString, diff: diff)
            var updated = session
            updated.agendaVersion += 1
            return (item, try await loadAgenda(connection, session: updated, viewer: viewer))
        }
    }

    /// Puts a proposal on this session's agenda: it must be accepted (or deferred by an earlier
    /// session) and not already waiting on another agenda.
    private func scheduleProposal(_ connection: PostgresConnection, _ context: CallContext, proposalID: UUID, session: Session) async throws {
        // Only a proposal the caller may read can be placed (a side's or a named circle's is
        // not there for the other side's coordinators): otherwise it reads as no such proposal.
        let row: ProposalRow
        do {
            row = try await proposalRow(connection, context, id: proposalID, .read, lock: true).0
        } catch DomainError.notFound {
            throw DomainError.invalid("proposal_id", "no such proposal")
        }
        let (rawStatus, groupID) = (row.proposal.status.rawValue, row.proposal.workingGroupID)
        guard rawStatus != ProposalStatus.draft.rawValue else { throw DomainError.invalid("proposal_id", "no such proposal") }
        if session.kind == .workingGroup, session.workingGroupID != groupID {
            throw DomainError.invalid("proposal_id", "belongs to another working group than this session")
        }
        let pending = try await connection.query("""
            SELECT EXISTS (SELECT 1 FROM agenda_items i JOIN sessions s ON s.id = i.session_id
                           WHERE i.proposal_id = \(proposalID) AND i.outcome IS NULL AND s.status <> 'cancelled')
            """, logger: logger).collect().first?.decode(Bool.self) ?? false
        if pending { throw DomainError.conflict("the proposal is already on another session's agenda") }
        let status = ProposalStatus(rawValue: rawStatus) ?? .draft
        try ProposalRules.check(from: status, to: .scheduled, movers: [.automatic])
        try await recordProposalTransition(
            connection, context, proposalID: proposalID, from: status, to: .scheduled,
            note: "placed on a session's agenda", automatic: true)
    }

    /// Takes a proposal off an agenda that no longer holds it (item removed, session
    /// cancelled): back to the status it had before it was scheduled.
    func unscheduleProposal(_ connection: PostgresConnection, _ context: CallContext, proposalID: UUID, reason: String) async throws {
        let previous = try await connection.query("""
            SELECT from_status FROM proposal_transitions
            WHERE proposal_id = \(proposalID) AND to_status = 'scheduled' ORDER BY created_at DESC LIMIT 1
            """, logger: logger).collect().first?.decode(String.self)
        let status = try await connection.query(
            "SELECT status FROM proposals WHERE id = \(proposalID) FOR UPDATE", logger: logger
        ).collect().first?.decode(String.self)
        guard status == ProposalStatus.scheduled.rawValue, let previous, let back = ProposalStatus(rawValue: previous) else { return }
        try await recordProposalTransition(connection, context, proposalID: proposalID, from: .scheduled, to: back, note: reason, automatic: true)
    }

    func signedSides(_ connection: PostgresConnection, sessionID: UUID) async throws -> [SignOff] {
        try await connection.query(
            "SELECT side, participant_id, signed_at FROM session_signoffs WHERE session_id = \(sessionID) ORDER BY side",
            logger: logger
        ).collect().map { row in
            let (side, participant, at) = try row.decode((String, UUID, Date).self)
            return SignOff(side: side, participantID: participant, signedAt: at)
        }
    }

    /// Reorders by the full list of item ids: exactly the current ids, each once.
    public func reorderAgenda(_ context: CallContext, sessionID: UUID, ids: [UUID], ifMatch: Int?) async throws -> Agenda {
        try await database.transaction { connection in
            let (session, viewer) = try await lockAgenda(connection, context, sessionID: sessionID, ifMatch: ifMatch)
            try SessionRules.checkAgendaEditable(session.status)
            // The caller orders the items they can see; items their audience hides keep their
            // places, and nothing in the answer tells that they exist.
            let all = try await agendaRows(connection, sessionID: sessionID, viewer: viewer)
            let visible = all.filter {
                AccessPolicy.decide(viewer, .read, .agendaItem(sessionVisible: true, audience: $0.facts)) == .allow
            }.map(\.item.id)
            guard ids.count == visible.count, Set(ids) == Set(visible), Set(ids).count == ids.count else {
                throw DomainError.invalid("ids", "must list exactly the \(visible.count) current item ids of this agenda, each once")
            }
            var given = ids.makeIterator()
            let order = all.map { Set(visible).contains($0.item.id) ? (given.next() ?? $0.item.id) : $0.item.id }
            let positions = Array(order.indices.map { $0 + 1 })
            try await connection.query("""
                UPDATE agenda_items a SET position = x.position, updated_at = now()
                FROM unnest(\(order), \(positions)) AS x(id, position)
                WHERE a.id = x.id AND a.session_id = \(sessionID)
                """, logger: logger)
            try await bumpAgenda(connection, sessionID: sessionID)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "agenda.reorder", objectType: "session",
                objectID: sessionID.lowercasedString,
                diff: ["order": ids.map { $0.lowercasedString }.joined(separator: " ")])
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
            let (session, viewer) = try await lockAgenda(connection, context, sessionID: sessionID, ifMatch: nil)
            let facts = try await readableAgendaItem(connection, sessionID: sessionID, itemID: id, viewer: viewer)
            // Another transaction may have deleted the item while this one waited for the session.
            let current = try decodeAgendaItem(await connection.query(
                "SELECT \(unescaped: Dialogue.agendaColumns) FROM agenda_items WHERE id = \(id) FOR UPDATE", logger: logger
            ).collect().single(or: .notFound("agenda item not found")))
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            if let audience = input.audience {
                var validator = Validator()
                let chosen = validator.choice(audience, "audience", as: Audience.self)
                try validator.check()
                try await changeAudience(
                    connection, context, viewer: viewer, table: .agendaItems, objectID: id, current: facts,
                    to: AudienceChange(
                        audience: try Validator.required(chosen, "audience"), namedParticipantIDs: input.namedParticipantIDs ?? [],
                        confirmWidening: input.confirmWidening))
            }
            let editsContent = title != nil || input.durationMinutes != nil || input.presenterID != nil
            let editsOutcome = outcome != nil || note != nil
            if editsContent { try SessionRules.checkAgendaEditable(session.status) }
            if editsOutcome {
                try SessionRules.checkOutcomeRecordable(session.status)
                if try await signedSides(connection, sessionID: sessionID).count == 2 {
                    throw DomainError.conflict(
                        "the outcomes were signed off by both sides and are frozen; add a correcting item instead")
                }
            }
            if let proposalID = current.proposalID, let newOutcome = outcome {
                try await applyOutcome(connection, context, proposalID: proposalID, outcome: newOutcome, previous: current.outcome)
            }
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
            let updated = try decodeAgendaItem(rows.single(or: .notFound("agenda item not found")))
            if setOutcome {
                try await connection.run(try Prepared.NewAgendaOutcome(id, updated.outcome?.rawValue), logger: logger)
            }
            var diff: AuditLog.Diff = ["session_id": sessionID.lowercasedString]
            if let title { diff["title"] = title }
            if setOutcome { diff["outcome"] = updated.outcome?.rawValue }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: editsOutcome ? "agenda.outcome" : "agenda.update",
                objectType: "agenda_item", objectID: id.lowercasedString, diff: diff)
            return updated
        }
    }

    /// An outcome on an item carrying a proposal decides the proposal in the same transaction:
    /// adopted, rejected or deferred. A corrected outcome (before sign-off) moves it again.
    private func applyOutcome(
        _ connection: PostgresConnection, _ context: CallContext, proposalID: UUID, outcome: AgendaOutcome?,
        previous: AgendaOutcome?
    ) async throws {
        let target = outcome.flatMap(ProposalRules.status(for:))
        if outcome != nil, target == nil {
            throw DomainError.invalid("outcome", "an item carrying a proposal is adopted, rejected or deferred, not noted")
        }
        let status = try await connection.query(
            "SELECT status FROM proposals WHERE id = \(proposalID) FOR UPDATE", logger: logger
        ).collect().first.map { ProposalStatus(rawValue: try $0.decode(String.self)) ?? .draft }
        guard let status, status != target else { return }
        if let target {
            if status != .scheduled, previous == nil { try ProposalRules.check(from: status, to: target, movers: [.automatic]) }
            try await recordProposalTransition(
                connection, context, proposalID: proposalID, from: status, to: target,
                note: previous == nil ? "agenda outcome" : "agenda outcome corrected", automatic: true)
        } else if status != .scheduled {
            try await recordProposalTransition(
                connection, context, proposalID: proposalID, from: status, to: .scheduled, note: "agenda outcome cleared",
                automatic: true)
        }
    }

    /// Deletes an item and closes the gap, keeping positions dense.
    public func deleteAgendaItem(_ context: CallContext, id: UUID, ifMatch: Int?) async throws {
        try await database.transaction { connection in
            let sessionID = try await connection.query(
                "SELECT session_id FROM agenda_items WHERE id = \(id)", logger: logger
            ).collect().first?.decode(UUID.self)
            guard let sessionID else { throw DomainError.notFound("agenda item not found") }
            let (session, viewer) = try await lockAgenda(connection, context, sessionID: sessionID, ifMatch: nil)
            _ = try await readableAgendaItem(connection, sessionID: sessionID, itemID: id, viewer: viewer)
            try SessionRules.checkAgendaEditable(session.status)
            let deleted = try await connection.query(
                "DELETE FROM agenda_items WHERE id = \(id) RETURNING position, version, proposal_id", logger: logger
            ).collect()
            guard let (position, version, proposalID) = try deleted.first?.decode((Int, Int, UUID?).self) else {
                throw DomainError.notFound("agenda item not found")
            }
            if let ifMatch, ifMatch != version { throw DomainError.preconditionFailed(currentVersion: version) }
            if let proposalID {
                try await unscheduleProposal(connection, context, proposalID: proposalID, reason: "removed from the agenda")
            }
            try await connection.query(
                "UPDATE agenda_items SET position = position - 1 WHERE session_id = \(sessionID) AND position > \(position)",
                logger: logger)
            try await bumpAgenda(connection, sessionID: sessionID)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "agenda.remove", objectType: "agenda_item",
                objectID: id.lowercasedString, diff: ["session_id": sessionID.lowercasedString])
        }
    }
}

extension Prepared {
    /// An agenda item at its position (the items after it were moved down first).
    struct NewAgendaItem: PreparedWrite {
        static let sql = """
            INSERT INTO agenda_items (session_id, position, title, duration_minutes, presenter_id, proposal_id,
                                      corrects_item_id, outcome, outcome_note, audience, author_id)
            VALUES ($1::uuid, $2::int8, $3::text, $4::int8, $5::uuid, $6::uuid, $7::uuid, $8::text, $9::text, $10::text, $11::uuid)
            RETURNING \(Dialogue.agendaColumns)
            """
        let bindings: PostgresBindings
    }

    /// One entry of an item's outcome history.
    struct NewAgendaOutcome: PreparedWrite {
        static let sql = "INSERT INTO agenda_outcome_history (agenda_item_id, outcome) VALUES ($1::uuid, $2::text)"
        let bindings: PostgresBindings
    }
}
