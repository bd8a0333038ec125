import Foundation
import PostgresNIO

public struct ActionItemInput: Sendable {
    public var workingGroupID: UUID?
    public var agendaItemID: UUID?
    public var title: String?
    public var ownerID: UUID?
    public var dueOn: String?
    public var status: String?
    public var progress: Int?
    public var note: String?

    public init(
        workingGroupID: UUID? = nil, agendaItemID: UUID? = nil, title: String? = nil, ownerID: UUID? = nil,
        dueOn: String? = nil, status: String? = nil, progress: Int? = nil, note: String? = nil
    ) {
        self.workingGroupID = workingGroupID
        self.agendaItemID = agendaItemID
        self.title = title
        self.ownerID = ownerID
        self.dueOn = dueOn
        self.status = status
        self.progress = progress
        self.note = note
    }
}

public struct ActionItemFilter: Sendable {
    public var status: String?
    public var ownerID: UUID?
    public var workingGroupID: UUID?
    public var direction: String?
    public var overdue: Bool?
    public var dueBefore: String?
    /// True: only done or dropped items; false: only those still open, in progress or blocked.
    public var closed: Bool?
    /// The items that follow from one adopted agenda item.
    public var agendaItemID: UUID?

    public init(
        status: String? = nil, ownerID: UUID? = nil, workingGroupID: UUID? = nil, direction: String? = nil,
        overdue: Bool? = nil, dueBefore: String? = nil, closed: Bool? = nil, agendaItemID: UUID? = nil
    ) {
        self.agendaItemID = agendaItemID
        self.status = status
        self.ownerID = ownerID
        self.workingGroupID = workingGroupID
        self.direction = direction
        self.overdue = overdue
        self.dueBefore = dueBefore
        self.closed = closed
    }
}

extension Prepared {
    /// A new action item with its first timeline entry ("open", 0 %), its owner's
    /// notification and its audit row: one statement, committed on its own
    /// (`AuditLog.SingleStatement`), with the ids of the item ($8) and of its first update
    /// ($9) chosen by the server (`UUID.timeOrdered`). The facts
    /// the service checks come back after `actionColumns`: whether group $1 exists, the
    /// status of owner $4, whether agenda item $2 (if any) and author $6 (if any) still
    /// exist. The item is written only where they do and the owner is active (the gate);
    /// where not, its columns are null and the service says which fact failed. The rows
    /// they name are locked for the foreign keys the writes check.
    struct NewActionItem: PreparedWrite {
        static let sql = AuditLog.SingleStatement.sql(
            gating: """
                facts AS (
                    SELECT EXISTS (SELECT 1 FROM working_groups WHERE id = $1::uuid FOR KEY SHARE) AS group_found,
                           (SELECT status FROM participants WHERE id = $4::uuid FOR KEY SHARE) AS owner_status,
                           $2::uuid IS NULL OR EXISTS (SELECT 1 FROM agenda_items WHERE id = $2::uuid FOR KEY SHARE)
                           AS agenda_item_found,
                           $6::uuid IS NULL OR EXISTS (SELECT 1 FROM participants WHERE id = $6::uuid FOR KEY SHARE)
                           AS author_found
                ), gate AS (
                    SELECT group_found AND owner_status = 'active' AND agenda_item_found AND author_found AS go FROM facts
                )
                """,
            writes: """
                x AS (
                    INSERT INTO action_items (id, working_group_id, agenda_item_id, title, owner_id, due_on)
                    SELECT $8::uuid, $1::uuid, $2::uuid, $3::text, $4::uuid, $5::text::date FROM proceed WHERE go
                    RETURNING *
                ), first_update AS (
                    INSERT INTO action_item_updates (id, action_item_id, author_id, to_status, to_progress, note)
                    SELECT $9::uuid, id, $6::uuid, 'open', 0, $7::text FROM x
                    RETURNING 1
                ), written AS (
                    SELECT EXISTS (SELECT 1 FROM x) AND (SELECT count(*) FROM first_update) > 0 AS done
                )
                """,
            selecting: "\(Dialogue.actionColumns), facts.group_found, facts.owner_status, facts.agenda_item_found, facts.author_found",
            from: ", facts LEFT JOIN (x JOIN participants o ON o.id = x.owner_id) ON true",
            parametersFrom: 10)
        let bindings: PostgresBindings

        /// Where the facts start, after `actionColumns`.
        static let factsOffset = 13
        /// Whether it was written (`AuditLog.SingleStatement.requireWritten`).
        static let writtenOffset = factsOffset + 4
        /// The credential of a remembered caller (`Dialogue.confirm`).
        static let callerOffset = AuditLog.SingleStatement.callerOffset(after: writtenOffset)
    }
}

extension Prepared {
    /// An action item read with its bearer checked in the same statement: the credential of
    /// hash $1 (`CredentialRow`), then item $2 as `actionColumns` reads it. No row when the
    /// token is not live; the item's columns null when the item does not exist.
    struct ActionItemForBearer: PreparedRead {
        static let sql = """
            \(Credential.common)
            SELECT \(Credential.outerColumns), \(Dialogue.actionColumns)
            FROM c LEFT JOIN (action_items x JOIN participants o ON o.id = x.owner_id) ON x.id = $2
            """
        let bindings: PostgresBindings
        init(hash: String, itemID: UUID) throws { bindings = try binding(hash, itemID) }

        /// Where the item's columns start in a row.
        static let itemOffset = CredentialRow.columnCount
    }
}

extension Dialogue {
    static let actionColumns = """
        x.id, x.working_group_id, x.agenda_item_id, x.title, x.owner_id, x.due_on::text, x.status, x.progress, \
        (x.due_on < (now() AT TIME ZONE 'UTC')::date AND x.status NOT IN ('done', 'dropped')), x.version, x.created_at, \
        x.updated_at, o.kind
        """

    /// An item's row as `actionColumns` reads it, decoded once.
    struct ActionRow {
        var id: UUID, groupID: UUID, agendaItemID: UUID?, title: String, ownerID: UUID, dueOn: String, status: String
        var progress: Int, overdue: Bool, version: Int, createdAt: Date, updatedAt: Date, ownerKind: String

        /// From the row's column `first` on.
        init(_ cells: PostgresRandomAccessRow, from first: Int = 0) throws {
            (id, groupID, agendaItemID, title) = (
                try cells[first].decode(UUID.self), try cells[first + 1].decode(UUID.self), try cells[first + 2].decode(UUID?.self),
                try cells[first + 3].decode(String.self))
            (ownerID, dueOn, status, progress) = (
                try cells[first + 4].decode(UUID.self), try cells[first + 5].decode(String.self), try cells[first + 6].decode(String.self),
                try cells[first + 7].decode(Int.self))
            (overdue, version, createdAt, updatedAt, ownerKind) = (
                try cells[first + 8].decode(Bool.self), try cells[first + 9].decode(Int.self), try cells[first + 10].decode(Date.self),
                try cells[first + 11].decode(Date.self), try cells[first + 12].decode(String.self))
        }

        init(_ row: PostgresRow) throws {
            (id, groupID, agendaItemID, title, ownerID, dueOn, status, progress, overdue, version, createdAt, updatedAt, ownerKind) =
                try row.decode((UUID, UUID, UUID?, String, UUID, String, String, Int, Bool, Int, Date, Date, String).self)
        }

        /// The item as `viewer` is shown it: a proxy owner unnamed to those who may not know them.
        func item(for viewer: Viewer) -> ActionItem {
            let hideOwner = !AccessPolicy.seesMembership(
                viewer, ofKind: ParticipantKind(rawValue: ownerKind) ?? .diaspora, participantID: ownerID)
            return ActionItem(
                id: id, workingGroupID: groupID, agendaItemID: agendaItemID, title: title, ownerID: hideOwner ? nil : ownerID,
                dueOn: dueOn, status: ActionStatus(rawValue: status) ?? .open, progress: progress, overdue: overdue,
                version: version, createdAt: createdAt, updatedAt: updatedAt)
        }
    }

    func decodeAction(_ row: PostgresRow, viewer: Viewer) throws -> ActionItem { try ActionRow(row).item(for: viewer) }

    func authorizedAction(
        _ connection: PostgresConnection, _ context: CallContext, id: UUID, _ operation: AccessOperation, lock: Bool = false
    ) async throws -> (ActionItem, Viewer, ownerID: UUID) {
        let viewer = try await viewer(context, connection)
        let rows = try await connection.query("""
            SELECT \(unescaped: Dialogue.actionColumns) FROM action_items x JOIN participants o ON o.id = x.owner_id
            WHERE x.id = \(id) \(unescaped: lock ? "FOR UPDATE OF x" : "")
            """, logger: logger).collect()
        guard let row = rows.first else { throw DomainError.notFound("action item not found") }
        let (item, ownerID) = try authorizedAction(row, viewer, operation)
        return (item, viewer, ownerID)
    }

    /// AccessPolicy's decision on an item read as `actionColumns`; a refusal reads as absence.
    func authorizedAction(
        _ row: PostgresRow, _ viewer: Viewer, _ operation: AccessOperation
    ) throws -> (ActionItem, ownerID: UUID) {
        try authorized(ActionRow(row), viewer, operation)
    }

    /// The same on an item read from column `first` on, where a missing item's columns are null.
    func authorizedAction(
        _ cells: PostgresRandomAccessRow?, from first: Int, _ viewer: Viewer, _ operation: AccessOperation
    ) throws -> ActionItem {
        guard let cells, try cells[first].decode(UUID?.self) != nil else { throw DomainError.notFound("action item not found") }
        return try authorized(ActionRow(cells, from: first), viewer, operation).0
    }

    private func authorized(_ row: ActionRow, _ viewer: Viewer, _ operation: AccessOperation) throws -> (ActionItem, ownerID: UUID) {
        try AccessPolicy.require(
            viewer, operation, .actionItem(groupID: row.groupID, ownerID: row.ownerID), notFound: "action item not found")
        return (row.item(for: viewer), row.ownerID)
    }

    /// The same for the API's caller, whose credential the write's statement confirms where
    /// the caller is remembered (`RememberedCaller`): one round trip, not two.
    public func createActionItem(_ caller: Caller, _ input: ActionItemInput) async throws -> ActionItem {
        try await decidingWrite(as: caller) { context in try await createActionItem(context, input) }
    }

    /// Coordinators assign follow-up, typically from an adopted agenda item (then the group is
    /// the proposal's, unless given).
    public func createActionItem(_ context: CallContext, _ input: ActionItemInput) async throws -> ActionItem {
        try AccessPolicy.requireCoordinator(context.actor, "create action items")
        var validator = Validator()
        let titleText = validator.text(input.title, "title", max: 300)
        if input.ownerID == nil { validator.fail("owner_id", "is required") }
        let dueText = ActionRules.checkDate(input.dueOn, field: "due_on", validator: &validator)
        if input.dueOn == nil { validator.fail("due_on", "is required") }
        let note = validator.text(input.note, "note", required: false, max: 5000, min: 0) ?? ""
        try validator.check()
        let (title, ownerID, dueOn) = (
            try Validator.required(titleText, "title"), try Validator.required(input.ownerID, "owner_id"),
            try Validator.required(dueText, "due_on")
        )
        var groupID = input.workingGroupID
        if let agendaItemID = input.agendaItemID {
            let rows = try await database.read { connection in
                try await connection.query("""
                    SELECT i.outcome, p.working_group_id, s.working_group_id FROM agenda_items i
                    JOIN sessions s ON s.id = i.session_id LEFT JOIN proposals p ON p.id = i.proposal_id
                    WHERE i.id = \(agendaItemID)
                    """, logger: logger).collect()
            }
            guard let (outcome, proposalGroup, sessionGroup) = try rows.first?.decode((AgendaOutcome?, UUID?, UUID?).self) else {
                throw DomainError.invalid("agenda_item_id", "no such agenda item")
            }
            guard outcome == .adopted else {
                throw DomainError.invalid("agenda_item_id", "action items follow from an adopted agenda item")
            }
            groupID = groupID ?? proposalGroup ?? sessionGroup
        }
        guard let groupID else { throw DomainError.invalid("working_group_id", "is required") }
        // The creator reads what they create: decided before the write, on what it will be.
        let viewer = try await viewer(context)
        try AccessPolicy.require(viewer, .read, .actionItem(groupID: groupID, ownerID: ownerID), notFound: "action item not found")
        // Time-ordered, the item's and its first update's: a random id put each of its index
        // entries on a page of its own, which the write then logged whole after every
        // checkpoint (~8 KB of WAL for each).
        let id = UUID.timeOrdered()
        let audit = AuditLog.Entry(
            action: "action_item.create", objectType: "action_item", objectID: id.lowercasedString,
            diff: ["working_group_id": groupID.lowercasedString, "due_on": dueOn, "title": title])
        let notification = DeferredNotification(
            context, .actionAssigned, objectID: id, recipient: ownerID, occasion: ownerID.lowercasedString)
        let row = try await database.write(Prepared.NewActionItem(bindings: try Prepared.binding(inOrder: [
            groupID, input.agendaItemID, title, ownerID, dueOn, context.actor.participantID, note, id, UUID.timeOrdered(),
        ] + AuditLog.SingleStatement.values(
            [(context, audit)], notification: notification, createdObject: "action_item/\(id.lowercasedString)"))))
        let facts = row.makeRandomAccess()
        try await confirm(context, from: facts, at: Prepared.NewActionItem.callerOffset)
        guard try facts[Prepared.NewActionItem.factsOffset].decode(Bool.self) else {
            throw DomainError.notFound("working group not found")
        }
        guard let ownerStatus = try facts[Prepared.NewActionItem.factsOffset + 1].decode(ParticipantStatus?.self) else {
            throw DomainError.notFound("participant not found")
        }
        guard ownerStatus == .active else {
            throw DomainError.invalid("owner_id", "the owner must be an active participant")
        }
        guard try facts[Prepared.NewActionItem.factsOffset + 2].decode(Bool.self) else {
            throw DomainError.invalid("agenda_item_id", "no such agenda item")
        }
        guard try facts[Prepared.NewActionItem.factsOffset + 3].decode(Bool.self) else {
            throw DomainError.conflict("the action item could not be created: its author is gone")
        }
        try AuditLog.SingleStatement.requireWritten(facts, at: Prepared.NewActionItem.writtenOffset)
        return try decodeAction(row, viewer: viewer)
    }

    public func getActionItem(_ context: CallContext, id: UUID) async throws -> ActionItem {
        try await database.read { connection in try await authorizedAction(connection, context, id: id, .read).0 }
    }

    /// An action item for a caller; a bearer is checked in the item's own statement (one round
    /// trip): 401 for any failure first, then 404, then AccessPolicy.
    public func getActionItem(_ caller: Caller, id: UUID) async throws -> ActionItem {
        try await read(
            as: caller, authenticated: { try await getActionItem($0, id: id) },
            checkingIn: { try Prepared.ActionItemForBearer(hash: $0.hash, itemID: id) }
        ) { viewer, rows, _ in
            try authorizedAction(rows.first, from: Prepared.ActionItemForBearer.itemOffset, viewer, .read)
        }
    }

    /// The item, and whether the caller may update it: the portal offers its form only then,
    /// by the same policy decision `updateActionItem` enforces.
    public func getActionItemForUpdate(_ context: CallContext, id: UUID) async throws -> (item: ActionItem, mayUpdate: Bool) {
        try await database.read { connection in
            let (item, viewer, ownerID) = try await authorizedAction(connection, context, id: id, .read)
            let decision = AccessPolicy.decide(viewer, .update, .actionItem(groupID: item.workingGroupID, ownerID: ownerID))
            return (item, decision == .allow)
        }
    }

    /// The owner reports status and progress with a note; a coordinator may also change title,
    /// owner and due date. Every change is a row in the item's timeline.
    public func updateActionItem(_ context: CallContext, id: UUID, _ input: ActionItemInput, ifMatch: Int?) async throws -> ActionItem {
        var validator = Validator()
        let status = validator.choice(input.status, "status", as: ActionStatus.self, required: false)
        let title = validator.text(input.title, "title", required: false, max: 300)
        let dueOn = ActionRules.checkDate(input.dueOn, field: "due_on", validator: &validator)
        let note = validator.text(input.note, "note", required: false, max: 5000, min: 0)
        if input.workingGroupID != nil || input.agendaItemID != nil {
            validator.fail("working_group_id", "an action item stays in its group; create another one instead")
        }
        try validator.check()
        return try await database.transaction { connection in
            let (current, viewer, _) = try await authorizedAction(connection, context, id: id, .update, lock: true)
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            if (title != nil || dueOn != nil || input.ownerID != nil) && !viewer.seesEverything {
                throw DomainError.forbidden("only a coordinator may change the title, owner or due date")
            }
            if let ownerID = input.ownerID {
                let owner = try await lockedParticipant(connection, id: ownerID, lock: false)
                guard owner.status == .active else { throw DomainError.invalid("owner_id", "the owner must be an active participant") }
                try await notify(connection, context, .actionAssigned, objectID: id, recipients: [ownerID], occasion: ownerID.lowercasedString)
            }
            let next = try ActionRules.apply(
                status: status, progress: input.progress, note: note, to: (current.status, current.progress))
            try await connection.query("""
                UPDATE action_items SET title = coalesce(\(title), title), owner_id = coalesce(\(input.ownerID), owner_id),
                    due_on = coalesce(\(dueOn)::date, due_on), status = \(next.status.rawValue), progress = \(next.progress),
                    closed_at = CASE WHEN \(next.status.isClosed) THEN coalesce(closed_at, now()) ELSE NULL END,
                    version = version + 1, updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            try await connection.run(
                try Prepared.NewActionUpdate(
                    UUID.timeOrdered(), id, context.actor.participantID, current.status, next.status, current.progress, next.progress, note ?? ""),
                logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "action_item.update", objectType: "action_item",
                objectID: id.lowercasedString,
                diff: ["status": next.status.rawValue, "progress": String(next.progress), "due_on": dueOn, "title": title])
            return try await authorizedAction(connection, context, id: id, .read).0
        }
    }

    public func actionUpdates(_ context: CallContext, id: UUID) async throws -> [ActionUpdate] {
        try await database.read { connection in
            let (_, viewer, _) = try await authorizedAction(connection, context, id: id, .read)
            let rows = try await connection.query("""
                SELECT u.id, u.author_id, coalesce(a.kind, ''), u.from_status, u.to_status, u.from_progress, u.to_progress,
                       u.note, u.created_at
                FROM action_item_updates u LEFT JOIN participants a ON a.id = u.author_id
                WHERE u.action_item_id = \(id) ORDER BY u.created_at, u.id
                """, logger: logger).collect()
            return try rows.map { row in
                let (updateID, author, authorKind, from, to, fromProgress, toProgress, note, at) =
                    try row.decode((UUID, UUID?, String, String?, String, Int?, Int, String, Date).self)
                let hidden = author.map {
                    !AccessPolicy.seesMembership(viewer, ofKind: ParticipantKind(rawValue: authorKind) ?? .diaspora, participantID: $0)
                } ?? false
                return ActionUpdate(
                    id: updateID, authorID: hidden ? nil : author, fromStatus: from.flatMap(ActionStatus.init(rawValue:)),
                    toStatus: ActionStatus(rawValue: to) ?? .open, fromProgress: fromProgress, toProgress: toProgress,
                    note: note, at: at)
            }
        }
    }

    /// The caller's own items still to do, soonest due first (the overdue ones therefore
    /// lead), at most `limit` (up to a page's largest): the portal's home page, in one read.
    public func ownOpenActionItems(_ context: CallContext, limit: Int) async throws -> [ActionItem] {
        guard let selfID = context.actor.participantID, limit > 0 else { return [] }
        let limit = min(limit, PageRequest.maximumLimit)
        return try await database.read { connection in
            let viewer = try await viewer(context, connection)
            var read = try FilteredRead<OwnOpenActionItemList>(
                everyone: viewer.seesEverything, viewer.seesEverything, Array(viewer.groupIDs), selfID)
            try read.finish(limit: limit)
            return try await connection.rows(read, logger: logger).map { try decodeAction($0, viewer: viewer) }
        }
    }

    public func listActionItems(_ context: CallContext, page: PageRequest, filter: ActionItemFilter) async throws -> Page<ActionItem> {
        var validator = Validator()
        let status = validator.choice(filter.status, "status", as: ActionStatus.self, required: false)
        let dueBefore = ActionRules.checkDate(filter.dueBefore, field: "due_before", validator: &validator)
        _ = validator.direction(filter.direction)
        try validator.check()
        let scope = "actions|\(status?.rawValue ?? "")|\(filter.ownerID?.uuidString ?? "")|\(filter.workingGroupID?.uuidString ?? "")|"
            + "\(filter.direction ?? "")|\(filter.overdue.map { String($0) } ?? "")|\(dueBefore ?? "")|\(filter.closed.map { String($0) } ?? "")|\(filter.agendaItemID?.uuidString ?? "")"
        let after = try page.cursor.map { try cursors.decode($0, scope: scope) }
        return try await database.read { connection in
            let viewer = try await viewer(context, connection)
            let groups = Array(viewer.groupIDs)
            let selfID = context.actor.participantID
            var read = try FilteredRead<ActionItemList>(everyone: viewer.seesEverything, viewer.seesEverything, groups, selfID ?? Prepared.nobody)
            try read.filter(status)
            try read.filter(filter.ownerID)
            try read.filter(filter.workingGroupID)
            try read.filter(filter.direction)
            try read.filter(filter.overdue)
            try read.filter(dueBefore)
            try read.filter(filter.closed)
            try read.filter(filter.agendaItemID)
            try read.filter(after: after)
            try read.finish(limit: page.limit + 1)
            let rows = try await connection.rows(read, logger: logger)
            return pageOf(try rows.map { try decodeAction($0, viewer: viewer) }, limit: page.limit, scope: scope) {
                KeysetPosition(createdAt: $0.createdAt, id: $0.id)
            }
        }
    }
}

/// The caller's ($3) own action items still to do, soonest due first, so that the overdue
/// ones lead: `ActionItemList`'s head, the same rule of who sees what, with the owner and the
/// open statuses fixed. The `(owner_id, due_on)` index gives them in order.
enum OwnOpenActionItemList: FilteredList {
    static let name = "action_items.own_open"
    static let mine = "\n  AND x.owner_id = $3 AND x.status NOT IN ('done', 'dropped')"
    static let head = ActionItemList.head + mine
    static let headForEveryone = ActionItemList.headForEveryone.map { $0 + mine }
    static let filters: [String] = []
    static let order = "x.due_on, x.id"
}

/// The action items a viewer ($1 sees everything, $2 their groups, $3 themselves) may see,
/// filtered, oldest first. An owner filter never reveals a proxy's items to those who may
/// not see proxies.
enum ActionItemList: FilteredList {
    static let name = "action_items.list"
    static let select = """
        SELECT \(Dialogue.actionColumns)
        FROM action_items x JOIN participants o ON o.id = x.owner_id JOIN working_groups g ON g.id = x.working_group_id
        """
    static let head = "\(select)\nWHERE ($1 OR x.working_group_id = ANY($2) OR x.owner_id = $3)"
    static let headForEveryone: String? = "\(select)\nWHERE \(ViewerParameters.seesEverything)"
    static let filters = [
        "x.status = ?",
        "x.owner_id = ? AND ($1 OR o.kind <> 'in_country_proxy' OR o.id = $3)",
        "x.working_group_id = ?",
        "g.direction = ?",
        "? = (x.due_on < (now() AT TIME ZONE 'UTC')::date AND x.status NOT IN ('done', 'dropped'))",
        "x.due_on < ?::date",
        "? = (x.status IN ('done', 'dropped'))",
        "x.agenda_item_id = ?",
        keyset("x.created_at, x.id"),
    ]
    static let order = "x.created_at, x.id"
}

extension Prepared {
    /// A row of an action item's timeline: who moved it from which status and progress to
    /// which. Its id ($1) is time-ordered, as the first row's (`NewActionItem`).
    struct NewActionUpdate: PreparedWrite {
        static let sql = """
            INSERT INTO action_item_updates (id, action_item_id, author_id, from_status, to_status, from_progress, to_progress, note)
            VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::text, $6::int8, $7::int8, $8::text)
            """
        let bindings: PostgresBindings
    }
}
