import Foundation
import PostgresNIO

public struct ProposalInput: Sendable {
    public var workingGroupID: UUID?
    public var title: String?
    public var summary: String?
    public var body: String?
    public var kind: String?
    public var scale: String?
    /// A new audience (with its list for `named`); on an existing proposal, a change of it.
    public var audience: String?
    public var namedParticipantIDs: [UUID]?
    public var confirmWidening: Bool

    public init(
        workingGroupID: UUID? = nil, title: String? = nil, summary: String? = nil, body: String? = nil,
        kind: String? = nil, scale: String? = nil, audience: String? = nil, namedParticipantIDs: [UUID]? = nil,
        confirmWidening: Bool = false
    ) {
        self.workingGroupID = workingGroupID
        self.title = title
        self.summary = summary
        self.body = body
        self.kind = kind
        self.scale = scale
        self.audience = audience
        self.namedParticipantIDs = namedParticipantIDs
        self.confirmWidening = confirmWidening
    }

    /// Whether anything but the audience is asked to change.
    var changesContent: Bool { title != nil || summary != nil || body != nil || kind != nil || scale != nil || workingGroupID != nil }
}

public struct ProposalFilter: Sendable {
    public var query: String?
    public var workingGroupID: UUID?
    public var direction: String?
    public var status: String?
    public var kind: String?
    public var authorID: UUID?

    public init(
        query: String? = nil, workingGroupID: UUID? = nil, direction: String? = nil, status: String? = nil,
        kind: String? = nil, authorID: UUID? = nil
    ) {
        self.query = query
        self.workingGroupID = workingGroupID
        self.direction = direction
        self.status = status
        self.kind = kind
        self.authorID = authorID
    }
}

public struct Endorser: Sendable, Equatable {
    public var participantID: UUID
    public var displayName: String
    public var at: Date
}

/// A proposal and what its reader may do with it (`Dialogue.proposalChoices`).
public struct ProposalChoices: Sendable, Equatable {
    public var proposal: Proposal
    public var endorsers: [Endorser]
    /// The author's draft: title, summary, body, kind and scale can change.
    public var mayEdit: Bool
    /// The statuses the caller may move it to now (submit, withdraw; review for coordinators).
    public var moves: [ProposalStatus]
    public var mayEndorse: Bool
    public var endorsed: Bool
    /// The author, or a coordinator of the author's side.
    public var mayChangeAudience = false
}

/// A proposal as read with `ProposalRow.select`: its fields, its author's kind and the facts
/// of its audience, decoded once. `proposal` still needs the viewer's view (`shown`).
struct ProposalRow {
    /// The columns of a proposal `p` joined with its author `a`
    /// (`FROM proposals p JOIN participants a ON a.id = p.author_id`); the query adds last
    /// whether the viewer is on its list.
    static let columns = """
        p.id, p.working_group_id, p.title, p.summary, p.body, p.kind, p.scale, p.author_id, p.status, p.version, \
        p.created_at, p.updated_at, a.kind, p.audience, \(Dialogue.sideOf("p.author_id"))
        """

    var proposal: Proposal
    var authorID: UUID
    var authorKind: ParticipantKind
    var facts: AudienceFacts
    /// The endorsements the viewer is shown, where the statement counted them (`ProposalList`).
    var endorsements: Int?

    init(_ row: PostgresRow) throws {
        let (id, groupID, title, summary, body, kind, scale, authorID, status, version, createdAt, updatedAt, authorKind,
             audience, authorSide, named) = try row.decode(
            (UUID, UUID, String, String, String, ProposalKind, ProposalScale, UUID, ProposalStatus, Int, Date, Date,
             ParticipantKind, Audience, String, Bool).self)
        self.authorID = authorID
        self.authorKind = authorKind
        facts = AudienceFacts(
            audience: audience, authorID: authorID, authorSide: OrganizationSide(rawValue: authorSide), viewerNamed: named)
        proposal = Proposal(
            id: id, workingGroupID: groupID, title: title, summary: summary, body: body, kind: kind, scale: scale,
            authorID: authorID, status: status, audience: audience, endorsementCount: 0, version: version,
            createdAt: createdAt, updatedAt: updatedAt)
    }

    /// A row of `ProposalList`: the columns above, then the endorsements the viewer is shown.
    static func listed(_ row: PostgresRow) throws -> ProposalRow {
        var listed = try ProposalRow(row)
        listed.endorsements = try row.makeRandomAccess()[countedColumn].decode(Int.self)
        return listed
    }
    static let countedColumn = 16

    var object: AccessObject {
        .proposal(groupID: proposal.workingGroupID, authorID: authorID, status: proposal.status, audience: facts)
    }

    /// The proposal as `viewer` sees it: a proxy author unnamed to those who may not know them.
    func shown(to viewer: Viewer, endorsements: Int, named: [UUID]) -> Proposal {
        var shown = proposal
        if !AccessPolicy.seesMembership(viewer, ofKind: authorKind, participantID: authorID) { shown.authorID = nil }
        shown.endorsementCount = endorsements
        shown.namedParticipantIDs = facts.audience == .named ? named : []
        return shown
    }
}

extension Dialogue {
    /// Endorsements counted as the viewer may see them: a proxy's endorsement is evidence of
    /// membership, so members count only the endorsers they could see listed.
    func visibleEndorsements(_ connection: PostgresConnection, viewer: Viewer, proposalIDs: [UUID]) async throws -> [UUID: Int] {
        guard !proposalIDs.isEmpty else { return [:] }
        let rows = try await connection.rows(
            Prepared.VisibleEndorsements(proposalIDs: proposalIDs, seesEverything: viewer.seesEverything, viewerID: viewer.actor.participantID),
            logger: logger)
        var counts: [UUID: Int] = [:]
        for row in rows {
            let (id, count) = try row.decode((UUID, Int).self)
            counts[id] = count
        }
        return counts
    }

    /// The proposals of `rows` as the viewer sees them, with endorsements and named lists.
    /// Endorsements are counted here only for rows whose statement did not count them; named
    /// lists are read only for proposals that have one.
    func shownProposals(_ connection: PostgresConnection, viewer: Viewer, _ rows: [ProposalRow]) async throws -> [Proposal] {
        let uncounted = rows.filter { $0.endorsements == nil }.map(\.proposal.id)
        let counts = try await visibleEndorsements(connection, viewer: viewer, proposalIDs: uncounted)
        let names = try await audienceNames(connection, viewer: viewer, objectIDs: rows.filter { $0.facts.audience == .named }.map(\.proposal.id))
        return rows.map {
            $0.shown(to: viewer, endorsements: $0.endorsements ?? counts[$0.proposal.id] ?? 0, named: names[$0.proposal.id] ?? [])
        }
    }

    /// Loads a proposal and checks `operation` on it; drafts of others and invisible ones are 404.
    func authorizedProposal(
        _ connection: PostgresConnection, _ context: CallContext, id: UUID, _ operation: AccessOperation, lock: Bool = false
    ) async throws -> (Proposal, Viewer, authorID: UUID) {
        let (row, viewer) = try await proposalRow(connection, context, id: id, operation, lock: lock)
        let shown = try await shownProposals(connection, viewer: viewer, [row])
        guard let proposal = shown.first else { throw DomainError.notFound("proposal not found") }
        return (proposal, viewer, row.authorID)
    }

    /// The proposal's row once `operation` is allowed on it (404 when hidden or missing).
    func proposalRow(
        _ connection: PostgresConnection, _ context: CallContext, id: UUID, _ operation: AccessOperation, lock: Bool = false
    ) async throws -> (ProposalRow, Viewer) {
        let viewer = try await viewer(context, connection)
        guard let raw = try await connection.query("""
            SELECT \(unescaped: ProposalRow.columns),
                   EXISTS (SELECT 1 FROM audience_names n WHERE n.object_id = p.id AND n.participant_id = \(viewer.actor.participantID))
            FROM proposals p JOIN participants a ON a.id = p.author_id WHERE p.id = \(id)
            \(unescaped: lock ? "FOR UPDATE OF p" : "")
            """, logger: logger).collect().first else {
            throw DomainError.notFound("proposal not found")
        }
        let row = try ProposalRow(raw)
        try AccessPolicy.require(viewer, operation, row.object, notFound: "proposal not found")
        return (row, viewer)
    }

    static func validatedProposal(_ input: ProposalInput, over current: Proposal?) throws -> ProposalInput {
        var validator = Validator()
        var result = ProposalInput()
        result.title = validator.text(input.title, "title", required: current == nil, max: 200)
        result.summary = validator.text(input.summary, "summary", required: false, max: 500, min: 0)
        result.body = validator.text(input.body, "body", required: false, max: 20000, min: 0)
        result.kind = validator.choice(input.kind, "kind", as: ProposalKind.self, required: current == nil)?.rawValue
        result.scale = validator.choice(input.scale, "scale", as: ProposalScale.self, required: current == nil)?.rawValue
        if current == nil, input.workingGroupID == nil { validator.fail("working_group_id", "is required") }
        if current != nil, input.workingGroupID != nil { validator.fail("working_group_id", "cannot be changed") }
        result.workingGroupID = input.workingGroupID
        result.audience = validator.choice(input.audience, "audience", as: Audience.self, required: false)?.rawValue
        result.namedParticipantIDs = input.namedParticipantIDs
        result.confirmWidening = input.confirmWidening
        try validator.check()
        return result
    }

    /// A member of the group (chair or member, with a member token) or a coordinator drafts a
    /// proposal; it stays visible to its author alone until submitted.
    public func createProposal(_ context: CallContext, _ input: ProposalInput) async throws -> Proposal {
        let fields = try Dialogue.validatedProposal(input, over: nil)
        return try await database.transaction { connection in
            let id = try await insertProposal(connection, context, fields)
            return try await authorizedProposal(connection, context, id: id, .read).0
        }
    }

    /// Writes a new draft (validated fields) and its audit row in the caller's transaction.
    func insertProposal(_ connection: PostgresConnection, _ context: CallContext, _ fields: ProposalInput) async throws -> UUID {
        guard let authorID = context.actor.participantID else {
            throw DomainError.invalid("author", "a proposal needs an author; the operator has none")
        }
        let viewer = try await viewer(context, connection)
        let groupID = try Validator.required(fields.workingGroupID, "working_group_id")
        try AccessPolicy.require(viewer, .read, .workingGroup(id: groupID), notFound: "working group not found")
        guard viewer.seesEverything || viewer.contributes(to: groupID) else {
            throw DomainError.forbidden("only members of the working group (not observers) may put forward proposals")
        }
        let group = try await loadGroup(connection, id: groupID, lock: false)
        guard group.status == .active else { throw DomainError.conflict("the working group is archived") }
        let named = fields.namedParticipantIDs ?? []
        let audience = try await validatedNewAudience(
            connection, requested: fields.audience.flatMap(Audience.init(rawValue:)), named: named)
        let id = try await connection.rows(
            try Prepared.NewProposal(
                groupID, try Validator.required(fields.title, "title"), fields.summary ?? "", fields.body ?? "",
                try Validator.required(fields.kind, "kind"), try Validator.required(fields.scale, "scale"), authorID, audience),
            logger: logger
        ).single(or: .conflict("the proposal could not be created")).decode(UUID.self)
        try await writeNames(connection, context, objectID: id, named)
        try await AuditLog.append(
            connection, logger: logger, context: context, action: "proposal.create", objectType: "proposal",
            objectID: id.lowercasedString,
            diff: ["working_group_id": groupID.lowercasedString, "status": "draft", "audience": audience.rawValue])
        return id
    }

    /// The proposal with its full history (who, when, from, to, note).
    public func getProposal(_ context: CallContext, id: UUID) async throws -> Proposal {
        try await database.read { connection in
            var (proposal, viewer, _) = try await authorizedProposal(connection, context, id: id, .read)
            proposal.history = try await history(connection, viewer: viewer, proposalID: id)
            return proposal
        }
    }

    /// Who moved it, when, from, to, with what note; a proxy's moves unnamed to those who may not know them.
    private func history(_ connection: PostgresConnection, viewer: Viewer, proposalID id: UUID) async throws -> [ProposalTransition] {
        let rows = try await connection.query("""
            SELECT t.actor_id, coalesce(a.kind, ''), t.automatic, t.from_status, t.to_status, t.note, t.created_at
            FROM proposal_transitions t LEFT JOIN participants a ON a.id = t.actor_id
            WHERE t.proposal_id = \(id) ORDER BY t.created_at, t.id
            """, logger: logger).collect()
        return try rows.map { row in
            let (actor, actorKind, automatic, from, to, note, at) = try row.decode((UUID?, String, Bool, String, String, String, Date).self)
            let hidden = actor.map {
                !AccessPolicy.seesMembership(viewer, ofKind: ParticipantKind(rawValue: actorKind) ?? .diaspora, participantID: $0)
            } ?? false
            return ProposalTransition(
                actorID: hidden ? nil : actor, automatic: automatic, from: ProposalStatus(rawValue: from) ?? .draft,
                to: ProposalStatus(rawValue: to) ?? .draft, note: note, at: at)
        }
    }

    /// The author edits a draft. The audience changes apart (`changeAudience`): by the author
    /// or a coordinator of the author's side, at any status.
    public func updateProposal(_ context: CallContext, id: UUID, _ input: ProposalInput, ifMatch: Int?) async throws -> Proposal {
        try await database.transaction { connection in
            let (row, viewer) = try await proposalRow(connection, context, id: id, input.changesContent ? .update : .read, lock: true)
            let current = row.proposal
            // What was sent is judged before whether it is stale: a bad field is 422 either way.
            let fields = try Dialogue.validatedProposal(input, over: current)
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            if let audience = fields.audience.flatMap(Audience.init(rawValue:)) {
                try await changeAudience(
                    connection, context, viewer: viewer, table: .proposals, objectID: id, current: row.facts,
                    to: AudienceChange(
                        audience: audience, namedParticipantIDs: fields.namedParticipantIDs ?? [],
                        confirmWidening: fields.confirmWidening))
            } else if fields.namedParticipantIDs != nil {
                throw DomainError.invalid("audience", "is required with named_participant_ids")
            }
            guard input.changesContent else { return try await authorizedProposal(connection, context, id: id, .read).0 }
            try await connection.query("""
                UPDATE proposals SET title = coalesce(\(fields.title), title), summary = coalesce(\(fields.summary), summary),
                    body = coalesce(\(fields.body), body), kind = coalesce(\(fields.kind), kind),
                    scale = coalesce(\(fields.scale), scale), version = version + 1, updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "proposal.update", objectType: "proposal",
                objectID: id.lowercasedString, diff: ["title": fields.title])
            return try await authorizedProposal(connection, context, id: id, .read).0
        }
    }

    /// A requested move through the life cycle (submit, withdraw, review, accept, decline).
    public func transitionProposal(
        _ context: CallContext, id: UUID, to rawStatus: String?, note: String?, ifMatch: Int?
    ) async throws -> Proposal {
        var validator = Validator()
        let targetChoice = validator.choice(rawStatus, "to", as: ProposalStatus.self)
        let note = validator.text(note, "note", required: false, max: 2000, min: 0) ?? ""
        try validator.check()
        let target = try Validator.required(targetChoice, "to")
        return try await database.transaction { connection in
            let (current, viewer, authorID) = try await authorizedProposal(connection, context, id: id, .read, lock: true)
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            try ProposalRules.check(from: current.status, to: target, movers: movers(context, viewer, authorID: authorID))
            try await recordProposalTransition(
                connection, context, proposalID: id, from: current.status, to: target, note: note, automatic: false)
            return try await authorizedProposal(connection, context, id: id, .read).0
        }
    }

    /// The parts the caller plays for a proposal's life cycle.
    private func movers(_ context: CallContext, _ viewer: Viewer, authorID: UUID) -> Set<ProposalRules.Mover> {
        var movers: Set<ProposalRules.Mover> = []
        if context.actor.participantID == authorID, context.actor.isAtLeast(.member) { movers.insert(.author) }
        if viewer.seesEverything { movers.insert(.coordinator) }
        return movers
    }

    /// A proposal as a page shows it to the caller: with its history and endorsers, and what
    /// the caller may do with it, decided by the same rules that accept or refuse each step.
    public func proposalChoices(_ context: CallContext, id: UUID) async throws -> ProposalChoices {
        try await database.read { connection in
            var (proposal, viewer, authorID) = try await authorizedProposal(connection, context, id: id, .read)
            proposal.history = try await history(connection, viewer: viewer, proposalID: id)
            let endorsers = try await endorsers(connection, viewer: viewer, proposalID: id)
            let mayEdit = AccessPolicy.decide(
                viewer, .update,
                .proposal(groupID: proposal.workingGroupID, authorID: authorID, status: proposal.status, audience: .dialogue)) == .allow
            let movers = movers(context, viewer, authorID: authorID)
            let moves = ProposalRules.allowed(from: proposal.status).filter {
                (try? ProposalRules.check(from: proposal.status, to: $0, movers: movers)) != nil
            }
            var mayEndorse = false, endorsed = false
            if let me = context.actor.participantID, me != authorID {
                let role = try await endorsingRole(connection, groupID: proposal.workingGroupID, participantID: me, lock: false)
                mayEndorse = role != nil && ProposalRules.endorsable.contains(proposal.status)
                endorsed = endorsers.contains { $0.participantID == me }
            }
            let (row, _) = try await proposalRow(connection, context, id: id, .read)
            return ProposalChoices(
                proposal: proposal, endorsers: endorsers, mayEdit: mayEdit, moves: moves, mayEndorse: mayEndorse, endorsed: endorsed,
                mayChangeAudience: AccessPolicy.mayChangeAudience(viewer, row.facts))
        }
    }

    /// The caller's membership role in the group if it may endorse there (not an observer).
    /// Locked, the membership row holds its removal back until the endorsement commits.
    private func endorsingRole(
        _ connection: PostgresConnection, groupID: UUID, participantID: UUID, lock: Bool
    ) async throws -> MembershipRole? {
        let role = try await connection.query("""
            SELECT role FROM memberships WHERE working_group_id = \(groupID) AND participant_id = \(participantID)
            \(unescaped: lock ? "FOR SHARE" : "")
            """, logger: logger).collect().first?.decode(String.self)
        return role.flatMap(MembershipRole.init(rawValue:)).flatMap { $0 == .observer ? nil : $0 }
    }

    /// Writes a transition: the status, its history row and the audit row, in the caller's
    /// transaction. Automatic moves (from agendas) come through here too.
    func recordProposalTransition(
        _ connection: PostgresConnection, _ context: CallContext, proposalID: UUID, from: ProposalStatus,
        to: ProposalStatus, note: String, automatic: Bool
    ) async throws {
        let author = try await connection.query(
            "UPDATE proposals SET status = \(to.rawValue), version = version + 1, updated_at = now() WHERE id = \(proposalID) RETURNING author_id",
            logger: logger
        ).collect().first?.decode(UUID.self)
        try await notify(connection, context, .proposalMoved, objectID: proposalID, recipients: author.map { [$0] } ?? [], occasion: to.rawValue)
        try await connection.run(
            try Prepared.NewProposalTransition(proposalID, context.actor.participantID, automatic, from, to, note), logger: logger)
        try await AuditLog.append(
            connection, logger: logger, context: context, action: "proposal.transition", objectType: "proposal",
            objectID: proposalID.lowercasedString,
            diff: ["from": from.rawValue, "to": to.rawValue, "automatic": String(automatic)])
    }

    /// Proposals the caller may see, newest first; `q` searches title, summary and body.
    public func listProposals(_ context: CallContext, page: PageRequest, filter: ProposalFilter) async throws -> Page<Proposal> {
        var validator = Validator()
        let status = validator.choice(filter.status, "status", as: ProposalStatus.self, required: false)
        let kind = validator.choice(filter.kind, "kind", as: ProposalKind.self, required: false)
        _ = validator.direction(filter.direction)
        let query = validator.text(filter.query, "q", required: false, max: 200)
        try validator.check()
        let scope = "proposals|\(query ?? "")|\(filter.workingGroupID?.uuidString ?? "")|\(filter.direction ?? "")|"
            + "\(status?.rawValue ?? "")|\(kind?.rawValue ?? "")|\(filter.authorID?.uuidString ?? "")"
        let after = try page.cursor.map { try cursors.decode($0, scope: scope) }
        return try await database.read { connection in
            let viewer = try await viewer(context, connection)
            let groups = Array(viewer.groupIDs)
            let selfID = context.actor.participantID
            // SQL narrows to the rows that might be visible (the viewer's groups, own, listed);
            // AccessPolicy decides on each, so a batch may keep fewer than it read.
            let rows = try await visibleRows(limit: page.limit, after: after) { after, batch in
                var read = try FilteredRead<ProposalList>(selfID ?? Prepared.nobody, viewer.seesEverything, groups)
                try read.filter(query)
                try read.filter(filter.workingGroupID)
                try read.filter(filter.direction)
                try read.filter(status)
                try read.filter(kind)
                try read.filter(filter.authorID)
                try read.filter(after: after)
                try read.finish(limit: batch)
                return try await connection.rows(read, logger: logger).map(ProposalRow.listed)
            } position: {
                KeysetPosition(createdAt: $0.proposal.createdAt, id: $0.proposal.id)
            } visible: {
                AccessPolicy.decide(viewer, .read, $0.object) == .allow
            }
            let items = try await shownProposals(connection, viewer: viewer, rows)
            return pageOf(items, limit: page.limit, scope: scope) { KeysetPosition(createdAt: $0.createdAt, id: $0.id) }
        }
    }

    /// Endorses as the caller: a member of the group, not the author, while the proposal is alive.
    public func endorse(_ context: CallContext, proposalID: UUID, withdraw: Bool = false) async throws -> Proposal {
        guard let participantID = context.actor.participantID else {
            throw DomainError.invalid("participant", "endorsements are personal; the operator has none")
        }
        return try await database.transaction { connection in
            let (proposal, _, authorID) = try await authorizedProposal(connection, context, id: proposalID, .read, lock: true)
            if authorID == participantID { throw DomainError.forbidden("authors cannot endorse their own proposal") }
            // The membership row is held until commit, so removing the member waits for this
            // endorsement and then ends it (MembershipService.endEndorsements); a membership
            // removed first is not found here.
            guard try await endorsingRole(connection, groupID: proposal.workingGroupID, participantID: participantID, lock: true) != nil
            else {
                throw DomainError.forbidden("only members of the working group (not observers) may endorse its proposals")
            }
            if withdraw {
                try await connection.query(
                    "DELETE FROM endorsements WHERE proposal_id = \(proposalID) AND participant_id = \(participantID)", logger: logger)
            } else {
                guard ProposalRules.endorsable.contains(proposal.status) else {
                    throw DomainError.conflict("a \(proposal.status.rawValue) proposal cannot be endorsed")
                }
                try await connection.run(try Prepared.NewEndorsement(proposalID, participantID), logger: logger)
                try await notify(
                    connection, context, .proposalEndorsed, objectID: proposalID, recipients: [authorID],
                    occasion: participantID.lowercasedString)
            }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: withdraw ? "proposal.unendorse" : "proposal.endorse",
                objectType: "proposal", objectID: proposalID.lowercasedString, diff: [:])
            return try await authorizedProposal(connection, context, id: proposalID, .read).0
        }
    }

    /// Who endorsed, as the caller may see it.
    public func listEndorsers(_ context: CallContext, proposalID: UUID) async throws -> [Endorser] {
        try await database.read { connection in
            let (_, viewer, _) = try await authorizedProposal(connection, context, id: proposalID, .read)
            return try await endorsers(connection, viewer: viewer, proposalID: proposalID)
        }
    }

    /// A proxy's endorsement is evidence of membership: members see only their own.
    private func endorsers(_ connection: PostgresConnection, viewer: Viewer, proposalID: UUID) async throws -> [Endorser] {
        try await connection.query("""
            SELECT p.id, p.display_name, e.created_at FROM endorsements e JOIN participants p ON p.id = e.participant_id
            WHERE e.proposal_id = \(proposalID)
              AND (\(viewer.seesEverything) OR p.kind <> 'in_country_proxy' OR p.id = \(viewer.actor.participantID))
            ORDER BY e.created_at
            """, logger: logger).collect().map { row in
            let (id, name, at) = try row.decode((UUID, String, Date).self)
            return Endorser(participantID: id, displayName: name, at: at)
        }
    }
}

/// The proposals that might be visible to a viewer ($1 themselves, $2 sees everything, $3
/// their groups): not others' drafts; in the viewer's groups, their own, or naming them.
/// AccessPolicy decides on each row. Filtered, newest first.
enum ProposalList: FilteredList {
    static let name = "proposals.list"
    static let head = """
        SELECT \(ProposalRow.columns), named.listed, \(Prepared.VisibleEndorsements.counted(everything: "$2", viewer: "$1"))
        FROM proposals p JOIN participants a ON a.id = p.author_id JOIN working_groups g ON g.id = p.working_group_id
        CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM audience_names n
                                           WHERE n.object_id = p.id AND n.participant_id = $1) AS listed) named
        WHERE (p.status <> 'draft' OR p.author_id = $1)
          AND ($2 OR p.author_id = $1 OR p.working_group_id = ANY($3) OR named.listed)
        """
    static let filters = [
        "p.search @@ websearch_to_tsquery('simple', ?)",
        "p.working_group_id = ?",
        "g.direction = ?",
        "p.status = ?",
        "p.kind = ?",
        "p.author_id = ? AND ($2 OR a.kind <> 'in_country_proxy' OR a.id = $1)",
        keyset("p.created_at, p.id", "<"),
    ]
    static let order = "p.created_at DESC, p.id DESC"
}

extension Prepared {
    /// A proposal, a draft of its author's.
    struct NewProposal: PreparedWrite {
        static let sql = """
            INSERT INTO proposals (working_group_id, title, summary, body, kind, scale, author_id, audience)
            VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::uuid, $8::text)
            RETURNING id
            """
        let bindings: PostgresBindings
    }

    /// A row of a proposal's history: a move by a participant or by an agenda's outcome.
    struct NewProposalTransition: PreparedWrite {
        static let sql = """
            INSERT INTO proposal_transitions (proposal_id, actor_id, automatic, from_status, to_status, note)
            VALUES ($1::uuid, $2::uuid, $3::bool, $4::text, $5::text, $6::text)
            """
        let bindings: PostgresBindings
    }

    /// An endorsement; endorsing twice changes nothing.
    struct NewEndorsement: PreparedWrite {
        static let sql = "INSERT INTO endorsements (proposal_id, participant_id) VALUES ($1::uuid, $2::uuid) ON CONFLICT DO NOTHING"
        let bindings: PostgresBindings
    }
}
