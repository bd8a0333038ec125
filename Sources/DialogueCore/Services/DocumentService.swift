import Foundation
import PostgresNIO

extension DocumentKind: PostgresCodable {}
extension DocumentStatus: PostgresCodable {}

/// A document as read with `DocumentRow.columns`, decoded once, with what deciding access to
/// it needs: where it lives (its group, or its session's group and whether the viewer is
/// invited) and its audience.
struct DocumentRow {
    /// `FROM documents d JOIN participants a ON a.id = d.author_id LEFT JOIN sessions s ON
    /// s.id = d.session_id`; the query adds whether the viewer is invited and whether listed.
    static let columns = """
        d.id, d.working_group_id, d.session_id, d.kind, d.title, d.body, d.author_id, a.kind, d.audience, \
        \(Dialogue.sideOf("d.author_id")), d.status, d.frozen_at, d.version, d.created_at, d.updated_at, \
        coalesce(d.working_group_id, s.working_group_id), \
        (SELECT max(v.number) FROM document_versions v WHERE v.document_id = d.id)
        """

    var document: Document
    var authorID: UUID
    var authorKind: ParticipantKind
    var facts: AudienceFacts
    var placeGroupID: UUID?
    var invited: Bool

    init(_ row: PostgresRow) throws {
        let (id, groupID, sessionID, kind, title, body, authorID, authorKind, audience, authorSide, status, frozenAt, version,
             createdAt, updatedAt, placeGroupID, versions, invited, named) = try row.decode(
            (UUID, UUID?, UUID?, DocumentKind, String, String, UUID, ParticipantKind, Audience, String, DocumentStatus, Date?,
             Int, Date, Date, UUID?, Int?, Bool, Bool).self)
        self.authorID = authorID
        self.authorKind = authorKind
        self.placeGroupID = placeGroupID
        self.invited = invited
        facts = AudienceFacts(
            audience: audience, authorID: authorID, authorSide: OrganizationSide(rawValue: authorSide), viewerNamed: named)
        document = Document(
            id: id, workingGroupID: groupID, sessionID: sessionID, kind: kind, title: title, body: body, authorID: authorID,
            audience: audience, namedParticipantIDs: [], status: status, frozenAt: frozenAt, versionCount: versions ?? 1,
            version: version, createdAt: createdAt, updatedAt: updatedAt)
    }

    var object: AccessObject {
        .document(groupID: placeGroupID, invited: invited, audience: facts, frozen: document.frozenAt != nil)
    }

    func shown(to viewer: Viewer, named: [UUID]) -> Document {
        var shown = document
        if !AccessPolicy.seesMembership(viewer, ofKind: authorKind, participantID: authorID) { shown.authorID = nil }
        shown.namedParticipantIDs = facts.audience == .named ? named : []
        return shown
    }
}

extension Dialogue {
    /// Documents by id or by filter, newest first, narrowed in SQL to those the viewer might
    /// see; `AccessPolicy` decides on each (`visibleRows`, `authorizedDocument`).
    func documentRows(
        _ connection: PostgresConnection, viewer: Viewer, id: UUID? = nil, filter: DocumentFilter = DocumentFilter(),
        kind: DocumentKind? = nil, after: KeysetPosition? = nil, limit: Int = 1, lock: Bool = false
    ) async throws -> [DocumentRow] {
        let selfID = viewer.actor.participantID
        let afterMicros = after?.createdAtMicros, afterID = after?.id
        return try await connection.query("""
            SELECT \(unescaped: DocumentRow.columns), facts.invited, facts.listed
            FROM documents d JOIN participants a ON a.id = d.author_id LEFT JOIN sessions s ON s.id = d.session_id
            CROSS JOIN LATERAL (SELECT
                EXISTS (SELECT 1 FROM attendances t WHERE t.session_id = d.session_id AND t.participant_id = \(selfID)) AS invited,
                EXISTS (SELECT 1 FROM audience_names n WHERE n.object_id = d.id AND n.participant_id = \(selfID)) AS listed) facts
            WHERE (\(id)::uuid IS NULL OR d.id = \(id))
              AND (\(viewer.seesEverything) OR d.author_id = \(selfID) OR facts.invited OR facts.listed
                   OR coalesce(d.working_group_id, s.working_group_id) = ANY(\(Array(viewer.groupIDs))))
              AND (\(filter.query)::text IS NULL OR d.search @@ websearch_to_tsquery('simple', \(filter.query)))
              AND (\(filter.workingGroupID)::uuid IS NULL OR d.working_group_id = \(filter.workingGroupID))
              AND (\(filter.sessionID)::uuid IS NULL OR d.session_id = \(filter.sessionID))
              AND (\(kind)::text IS NULL OR d.kind = \(kind))
              AND (\(afterMicros)::bigint IS NULL
                   OR (d.created_at, d.id) < ('epoch'::timestamptz + \(afterMicros) * interval '1 microsecond', \(afterID)))
            ORDER BY d.created_at DESC, d.id DESC LIMIT \(limit)
            \(unescaped: lock ? "FOR UPDATE OF d" : "")
            """, logger: logger).collect().map(DocumentRow.init)
    }

    /// The document's row once `operation` is allowed on it (404 when hidden or missing).
    func documentRow(
        _ connection: PostgresConnection, _ context: CallContext, id: UUID, _ operation: AccessOperation, lock: Bool = false
    ) async throws -> (DocumentRow, Viewer) {
        let viewer = try await viewer(context, connection)
        guard let row = try await documentRows(connection, viewer: viewer, id: id, lock: lock).first else {
            throw DomainError.notFound("document not found")
        }
        try AccessPolicy.require(viewer, operation, row.object, notFound: "document not found")
        return (row, viewer)
    }

    func shownDocuments(_ connection: PostgresConnection, viewer: Viewer, _ rows: [DocumentRow]) async throws -> [Document] {
        let names = try await audienceNames(
            connection, viewer: viewer, objectIDs: rows.filter { $0.facts.audience == .named }.map(\.document.id))
        return rows.map { $0.shown(to: viewer, named: names[$0.document.id] ?? []) }
    }

    func shownDocument(_ connection: PostgresConnection, viewer: Viewer, _ row: DocumentRow) async throws -> Document {
        guard let document = try await shownDocuments(connection, viewer: viewer, [row]).first else {
            throw DomainError.notFound("document not found")
        }
        return document
    }

    public func getDocument(_ context: CallContext, id: UUID) async throws -> Document {
        try await database.read { connection in
            let (row, viewer) = try await documentRow(connection, context, id: id, .read)
            return try await shownDocument(connection, viewer: viewer, row)
        }
    }

    /// Documents the caller may see, newest first; `q` searches title and body.
    public func listDocuments(_ context: CallContext, page: PageRequest, filter: DocumentFilter) async throws -> Page<Document> {
        var validator = Validator()
        let kind = validator.choice(filter.kind, "kind", as: DocumentKind.self, required: false)
        let query = validator.text(filter.query, "q", required: false, max: 200)
        try validator.check()
        let filter = DocumentFilter(query: query, workingGroupID: filter.workingGroupID, sessionID: filter.sessionID)
        let scope = "documents|\(filter.query ?? "")|\(filter.workingGroupID?.lowercasedString ?? "")|"
            + "\(filter.sessionID?.lowercasedString ?? "")|\(kind?.rawValue ?? "")"
        let after = try page.cursor.map { try cursors.decode($0, scope: scope) }
        return try await database.read { connection in
            let viewer = try await viewer(context, connection)
            let rows = try await visibleRows(limit: page.limit, after: after) { after, batch in
                try await documentRows(connection, viewer: viewer, filter: filter, kind: kind, after: after, limit: batch)
            } position: {
                KeysetPosition(createdAt: $0.document.createdAt, id: $0.document.id)
            } visible: {
                AccessPolicy.decide(viewer, .read, $0.object) == .allow
            }
            let documents = try await shownDocuments(connection, viewer: viewer, rows)
            return pageOf(documents, limit: page.limit, scope: scope) { KeysetPosition(createdAt: $0.createdAt, id: $0.id) }
        }
    }

    /// A member who contributes to the group (or, for a session's papers, is invited to it) or
    /// a coordinator writes a document; minutes are a coordinator's, of a held session, once.
    public func createDocument(_ context: CallContext, _ input: DocumentInput) async throws -> Document {
        guard let authorID = context.actor.participantID else {
            throw DomainError.invalid("author", "a document needs an author; the operator has none")
        }
        var validator = Validator()
        let title = validator.text(input.title, "title", max: 200)
        let body = validator.text(input.body, "body", required: false, max: 100_000, min: 0) ?? ""
        let kind = validator.choice(input.kind, "kind", as: DocumentKind.self)
        let audience = validator.choice(input.audience, "audience", as: Audience.self, required: false)
        if (input.workingGroupID == nil) == (input.sessionID == nil) {
            validator.fail("working_group_id", "give either a working group or a session")
        }
        if kind == .minutes, input.sessionID == nil { validator.fail("session_id", "minutes belong to a session") }
        if input.status != nil { validator.fail("status", "a document starts as a draft") }
        try validator.check()
        return try await database.transaction { connection in
            let viewer = try await viewer(context, connection)
            if let groupID = input.workingGroupID {
                try AccessPolicy.require(viewer, .read, .workingGroup(id: groupID), notFound: "working group not found")
                guard viewer.seesEverything || viewer.contributes(to: groupID) else {
                    throw DomainError.forbidden("only members of the working group (not observers) may add its documents")
                }
            }
            if let sessionID = input.sessionID {
                let (session, _) = try await authorizedSession(connection, context, id: sessionID, .read)
                if kind == .minutes {
                    guard viewer.seesEverything else { throw DomainError.forbidden("minutes are drafted by a coordinator") }
                    guard session.status == .held else {
                        throw DomainError.conflict("minutes are drafted once the session is held; it is \(session.status.rawValue)")
                    }
                } else if !viewer.seesEverything, !session.workingGroupID.map(viewer.contributes(to:)).isTrue {
                    let invited = try await connection.rows(
                        Prepared.Invited(sessionID: sessionID, participantID: authorID), logger: logger).first?.decode(Bool.self)
                    guard invited == true else {
                        throw DomainError.forbidden("only the session's participants may add its documents")
                    }
                }
            }
            let named = input.namedParticipantIDs ?? []
            let chosen = try await validatedNewAudience(connection, requested: audience, named: named)
            let created = try await connection.rows(
                try Prepared.NewDocument(
                    input.workingGroupID, input.sessionID, try Validator.required(kind, "kind"), try Validator.required(title, "title"),
                    body, authorID, chosen),
                logger: logger)
            guard let id = try created.first?.decode(UUID.self) else {
                throw DomainError.conflict("this session already has minutes")
            }
            try await connection.run(try Prepared.NewDocumentVersion(id, 1, title, body, authorID, false, ""), logger: logger)
            try await writeNames(connection, context, objectID: id, named)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "document.create", objectType: "document",
                objectID: id.lowercasedString,
                diff: ["kind": kind?.rawValue, "audience": chosen.rawValue,
                       "working_group_id": input.workingGroupID?.lowercasedString, "session_id": input.sessionID?.lowercasedString])
            try await notify(connection, context, .documentShared, objectID: id, recipients: named)
            let (row, _) = try await documentRow(connection, context, id: id, .read)
            return try await shownDocument(connection, viewer: viewer, row)
        }
    }

    /// Edits a document: a new text is a new version (a correction, with its note, once
    /// minutes are signed off); `final` ends the draft; the audience changes apart.
    public func updateDocument(_ context: CallContext, id: UUID, _ input: DocumentInput, ifMatch: Int?) async throws -> Document {
        var validator = Validator()
        let title = validator.text(input.title, "title", required: false, max: 200)
        let body = validator.text(input.body, "body", required: false, max: 100_000, min: 0)
        let status = validator.choice(input.status, "status", as: DocumentStatus.self, required: false)
        let audience = validator.choice(input.audience, "audience", as: Audience.self, required: false)
        let note = validator.text(input.note, "note", required: false, max: 2000, min: 0) ?? ""
        if input.workingGroupID != nil || input.sessionID != nil { validator.fail("working_group_id", "cannot be changed") }
        if input.kind != nil { validator.fail("kind", "cannot be changed") }
        if audience == nil, input.namedParticipantIDs != nil { validator.fail("audience", "is required with named_participant_ids") }
        try validator.check()
        let changesText = title != nil || body != nil
        return try await database.transaction { connection in
            let (row, viewer) = try await documentRow(connection, context, id: id, changesText || status != nil ? .update : .read, lock: true)
            let current = row.document
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            if let audience {
                try await changeAudience(
                    connection, context, viewer: viewer, table: .documents, objectID: id, current: row.facts,
                    to: AudienceChange(
                        audience: audience, namedParticipantIDs: input.namedParticipantIDs ?? [],
                        confirmWidening: input.confirmWidening))
                try await notify(
                    connection, context, .documentShared, objectID: id, recipients: input.namedParticipantIDs ?? [],
                    occasion: String(current.version + 1))
            }
            if let status, status != current.status {
                guard current.kind != .minutes else {
                    throw DomainError.conflict("minutes become final when a chair of each side has signed them off")
                }
                guard status == .final else { throw DomainError.conflict("a final document stays final; edit it for a new version") }
            }
            let correction = current.frozenAt != nil
            if changesText, correction, note.isEmpty {
                throw DomainError.invalid("note", "say what the correction changes: signed-off minutes are corrected, not rewritten")
            }
            if changesText {
                try await connection.run(
                    try Prepared.NewDocumentVersion(
                        id, current.versionCount + 1, title ?? current.title, body ?? current.body, context.actor.participantID,
                        correction, note),
                    logger: logger)
            }
            if changesText || status != nil {
                try await connection.query("""
                    UPDATE documents SET title = \(title ?? current.title), body = \(body ?? current.body),
                        status = \(status ?? current.status), version = version + 1, updated_at = now()
                    WHERE id = \(id)
                    """, logger: logger)
                try await AuditLog.append(
                    connection, logger: logger, context: context, action: correction ? "document.correct" : "document.update",
                    objectType: "document", objectID: id.lowercasedString,
                    diff: ["version": changesText ? String(current.versionCount + 1) : nil, "status": status?.rawValue])
            }
            let (updated, _) = try await documentRow(connection, context, id: id, .read)
            return try await shownDocument(connection, viewer: viewer, updated)
        }
    }

    /// Every version, oldest first, authors named as the caller may know them.
    public func documentVersions(_ context: CallContext, id: UUID) async throws -> [DocumentVersion] {
        try await database.read { connection in
            let (_, viewer) = try await documentRow(connection, context, id: id, .read)
            return try await versions(connection, viewer: viewer, documentID: id, number: nil)
        }
    }

    public func documentVersion(_ context: CallContext, id: UUID, number: Int) async throws -> DocumentVersion {
        try await database.read { connection in
            let (_, viewer) = try await documentRow(connection, context, id: id, .read)
            guard let version = try await versions(connection, viewer: viewer, documentID: id, number: number).first else {
                throw DomainError.notFound("version not found")
            }
            return version
        }
    }

    /// The lines that changed from version `from` to version `to`.
    public func documentDiff(_ context: CallContext, id: UUID, from: Int, to: Int) async throws -> (DocumentVersion, DocumentVersion, [DiffLine]) {
        try await database.read { connection in
            let (_, viewer) = try await documentRow(connection, context, id: id, .read)
            let all = try await versions(connection, viewer: viewer, documentID: id, number: nil)
            guard let old = all.first(where: { $0.number == from }) else { throw DomainError.invalid("from", "is not a version of this document") }
            guard let new = all.first(where: { $0.number == to }) else { throw DomainError.invalid("to", "is not a version of this document") }
            let titleLines = old.title == new.title ? [] : TextDiff.lines(from: "# " + old.title, to: "# " + new.title)
            return (old, new, titleLines + TextDiff.lines(from: old.body, to: new.body))
        }
    }

    private func versions(_ connection: PostgresConnection, viewer: Viewer, documentID: UUID, number: Int?) async throws -> [DocumentVersion] {
        try await connection.query("""
            SELECT v.number, v.title, v.body, v.author_id, coalesce(p.kind, 'diaspora'), v.correction, v.note, v.created_at
            FROM document_versions v LEFT JOIN participants p ON p.id = v.author_id
            WHERE v.document_id = \(documentID) AND (\(number)::int IS NULL OR v.number = \(number))
            ORDER BY v.number
            """, logger: logger).collect().map { row in
            let (number, title, body, author, kind, correction, note, at) =
                try row.decode((Int, String, String, UUID?, ParticipantKind, Bool, String, Date).self)
            let shownAuthor = author.flatMap { AccessPolicy.seesMembership(viewer, ofKind: kind, participantID: $0) ? $0 : nil }
            return DocumentVersion(
                number: number, title: title, body: body, authorID: shownAuthor, correction: correction, note: note, createdAt: at)
        }
    }

    /// A document as its page shows it, with what the reader may do, decided by the same
    /// rules that accept or refuse each step.
    public func documentChoices(_ context: CallContext, id: UUID) async throws -> DocumentChoices {
        let (side, signed) = try await minutesSignOffChoice(context, id: id)
        return try await database.read { connection in
            let (row, viewer) = try await documentRow(connection, context, id: id, .read)
            let document = try await shownDocument(connection, viewer: viewer, row)
            let mayEdit = AccessPolicy.decide(viewer, .update, row.object) == .allow
            return DocumentChoices(
                document: document, mayEdit: mayEdit,
                mayFinalise: mayEdit && document.kind != .minutes && document.status == .draft,
                mayChangeAudience: AccessPolicy.mayChangeAudience(viewer, row.facts),
                signOffSide: side, signOffs: signed)
        }
    }

    // MARK: Minutes

    /// The minutes' sign-offs, and the side the caller may sign for now (nil if none): what
    /// the portal offers is what `signOffMinutes` accepts.
    public func minutesSignOffChoice(_ context: CallContext, id: UUID) async throws -> (side: String?, signed: [SignOff]) {
        try await database.read { connection in
            let (row, viewer) = try await documentRow(connection, context, id: id, .read)
            let signed = try await minutesSignOffs(connection, viewer: viewer, context, documentID: id)
            guard row.document.kind == .minutes, row.document.frozenAt == nil, let sessionID = row.document.sessionID,
                let participantID = context.actor.participantID, context.actor.isAtLeast(.member)
            else { return (nil, signed) }
            let session = try await loadSession(connection, id: sessionID, lock: false)
            guard let side = try await chairSide(connection, participantID: participantID, session: session),
                side == "government" || side == "movement", !signed.contains(where: { $0.side == side })
            else { return (nil, signed) }
            return (side, signed)
        }
    }

    /// A chair of the session's group signs the minutes for their side; the second side's
    /// signature makes them final and freezes them.
    public func signOffMinutes(_ context: CallContext, id: UUID) async throws -> Document {
        try await database.transaction { connection in
            let (row, viewer) = try await documentRow(connection, context, id: id, .read, lock: true)
            guard let participantID = context.actor.participantID, context.actor.isAtLeast(.member) else {
                throw DomainError.forbidden("sign-off is by a chair, with their own member token")
            }
            guard row.document.kind == .minutes, let sessionID = row.document.sessionID else {
                throw DomainError.conflict("only minutes are signed off")
            }
            guard row.document.frozenAt == nil else { throw DomainError.conflict("these minutes are already signed off by both sides") }
            let session = try await loadSession(connection, id: sessionID, lock: false)
            guard let side = try await chairSide(connection, participantID: participantID, session: session),
                side == "government" || side == "movement"
            else {
                throw DomainError.forbidden("minutes are signed off by one chair of the government side and one of the movement side")
            }
            let inserted = try await connection.rows(try Prepared.NewDocumentSignOff(id, side, participantID), logger: logger)
            guard !inserted.isEmpty else { throw DomainError.conflict("the \(side) side has already signed off these minutes") }
            let sides = try await connection.query(
                "SELECT count(*)::int8 FROM document_signoffs WHERE document_id = \(id)", logger: logger
            ).collect().first?.decode(Int.self) ?? 0
            if sides == 2 {
                try await connection.query(
                    "UPDATE documents SET status = 'final', frozen_at = now(), version = version + 1, updated_at = now() WHERE id = \(id)",
                    logger: logger)
                let attendees = try await connection.query(
                    "SELECT participant_id FROM attendances WHERE session_id = \(sessionID)", logger: logger
                ).collect().map { try $0.decode(UUID.self) }
                try await notify(connection, context, .documentShared, objectID: id, recipients: attendees, occasion: "final")
            }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "document.signoff", objectType: "document",
                objectID: id.lowercasedString, diff: ["side": side, "final": String(sides == 2)])
            let (updated, _) = try await documentRow(connection, context, id: id, .read)
            return try await shownDocument(connection, viewer: viewer, updated)
        }
    }

    public func minutesSignOffs(_ context: CallContext, id: UUID) async throws -> [SignOff] {
        try await database.read { connection in
            let (_, viewer) = try await documentRow(connection, context, id: id, .read)
            return try await minutesSignOffs(connection, viewer: viewer, context, documentID: id)
        }
    }

    /// Who signed is named to coordinators; others learn which sides did and when.
    private func minutesSignOffs(
        _ connection: PostgresConnection, viewer: Viewer, _ context: CallContext, documentID: UUID
    ) async throws -> [SignOff] {
        try await connection.query(
            "SELECT side, participant_id, signed_at FROM document_signoffs WHERE document_id = \(documentID) ORDER BY side",
            logger: logger
        ).collect().map { row in
            let (side, participant, at) = try row.decode((String, UUID, Date).self)
            let named = viewer.seesEverything || participant == context.actor.participantID
            return SignOff(side: side, participantID: named ? participant : nil, signedAt: at)
        }
    }
}

extension Optional where Wrapped == Bool {
    var isTrue: Bool { self == true }
}

extension Prepared {
    /// A document; a session's second minutes are refused by its unique index (no row).
    struct NewDocument: PreparedWrite {
        static let sql = """
            INSERT INTO documents (working_group_id, session_id, kind, title, body, author_id, audience)
            VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::uuid, $7::text)
            ON CONFLICT DO NOTHING RETURNING id
            """
        let bindings: PostgresBindings
    }

    /// A version of a document's text: the first, an edit, or a correction with its note.
    struct NewDocumentVersion: PreparedWrite {
        static let sql = """
            INSERT INTO document_versions (document_id, number, title, body, author_id, correction, note)
            VALUES ($1::uuid, $2::int8, $3::text, $4::text, $5::uuid, $6::bool, $7::text)
            """
        let bindings: PostgresBindings
    }

    /// One side's sign-off of minutes; a second one for the same side gives no row.
    struct NewDocumentSignOff: PreparedWrite {
        static let sql = """
            INSERT INTO document_signoffs (document_id, side, participant_id) VALUES ($1::uuid, $2::text, $3::uuid)
            ON CONFLICT DO NOTHING RETURNING 1
            """
        let bindings: PostgresBindings
    }
}
