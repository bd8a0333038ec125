import Foundation
import PostgresNIO

/// What a comment is on.
public enum CommentParent: Sendable, Equatable {
    case proposal(UUID)
    case document(UUID)

    public var id: UUID {
        switch self {
        case .proposal(let id), .document(let id): return id
        }
    }
}

/// A comment as its reader may see it. A proxy's comment names its pseudonym to coordinators
/// (and the proxy) only; to everyone else `authorWithheld` is set and the name is nil.
public struct Comment: Sendable, Equatable {
    public var id: UUID
    public var parent: CommentParent
    public var authorID: UUID?
    public var authorName: String?
    public var authorWithheld: Bool
    public var audience: Audience
    public var namedParticipantIDs: [UUID]
    /// Empty once removed.
    public var body: String
    public var removed: Bool
    /// Set when it was changed after the edit window.
    public var editedAt: Date?
    public var version: Int
    public var createdAt: Date
    /// What the reader may do with it, as `updateComment` and `removeComment` decide.
    public var mayEdit = false
    public var mayRemove = false
}

public enum CommentRules {
    /// Within this time of writing, an edit leaves no mark; later ones show as edited.
    public static let editWindow: TimeInterval = 15 * 60
}

/// A comment as read with `CommentRow.columns`, decoded once.
struct CommentRow {
    /// `FROM comments c JOIN participants a ON a.id = c.author_id`; the query adds whether the
    /// viewer is listed.
    static let columns = """
        c.id, c.proposal_id, c.document_id, c.author_id, a.kind, a.display_name, c.audience, \
        \(Dialogue.sideOf("c.author_id")), c.body, c.edited_at, c.removed_at, c.version, c.created_at
        """

    var comment: Comment
    var authorID: UUID
    var authorKind: ParticipantKind
    var facts: AudienceFacts

    init(_ row: PostgresRow) throws {
        let (id, proposalID, documentID, authorID, authorKind, authorName, audience, authorSide, body, editedAt, removedAt,
             version, createdAt, named) = try row.decode(
            (UUID, UUID?, UUID?, UUID, ParticipantKind, String, Audience, String, String, Date?, Date?, Int, Date, Bool).self)
        self.authorID = authorID
        self.authorKind = authorKind
        facts = AudienceFacts(
            audience: audience, authorID: authorID, authorSide: OrganizationSide(rawValue: authorSide), viewerNamed: named)
        let parent: CommentParent = proposalID.map { .proposal($0) } ?? .document(documentID ?? id)
        comment = Comment(
            id: id, parent: parent, authorID: authorID, authorName: authorName, authorWithheld: false, audience: audience,
            namedParticipantIDs: [], body: removedAt == nil ? body : "", removed: removedAt != nil, editedAt: editedAt,
            version: version, createdAt: createdAt)
    }

    func shown(to viewer: Viewer, named: [UUID]) -> Comment {
        var shown = comment
        if !AccessPolicy.seesMembership(viewer, ofKind: authorKind, participantID: authorID) {
            shown.authorID = nil
            shown.authorName = nil
            shown.authorWithheld = true
        }
        shown.namedParticipantIDs = facts.audience == .named ? named : []
        let object = AccessObject.comment(parentVisible: true, audience: facts)
        shown.mayEdit = !comment.removed && AccessPolicy.decide(viewer, .update, object) == .allow
        shown.mayRemove = !comment.removed && AccessPolicy.decide(viewer, .delete, object) == .allow
        return shown
    }
}

extension Dialogue {
    /// The parent's audience once the caller may read it (404 otherwise), and its title.
    private func readableParent(
        _ connection: PostgresConnection, _ context: CallContext, _ parent: CommentParent
    ) async throws -> (audience: Audience, title: String, authorID: UUID) {
        switch parent {
        case .proposal(let id):
            let (row, _) = try await proposalRow(connection, context, id: id, .read)
            return (row.facts.audience, row.proposal.title, row.authorID)
        case .document(let id):
            let (row, _) = try await documentRow(connection, context, id: id, .read)
            return (row.facts.audience, row.document.title, row.authorID)
        }
    }

    private func commentRows(
        _ connection: PostgresConnection, viewer: Viewer, id: UUID? = nil, parent: CommentParent? = nil, lock: Bool = false
    ) async throws -> [CommentRow] {
        var proposalID: UUID?, documentID: UUID?
        switch parent {
        case .proposal(let id): proposalID = id
        case .document(let id): documentID = id
        case nil: break
        }
        return try await connection.query("""
            SELECT \(unescaped: CommentRow.columns),
                   EXISTS (SELECT 1 FROM audience_names n WHERE n.object_id = c.id AND n.participant_id = \(viewer.actor.participantID))
            FROM comments c JOIN participants a ON a.id = c.author_id
            WHERE (\(id)::uuid IS NULL OR c.id = \(id))
              AND (\(proposalID)::uuid IS NULL OR c.proposal_id = \(proposalID))
              AND (\(documentID)::uuid IS NULL OR c.document_id = \(documentID))
            ORDER BY c.created_at, c.id LIMIT 2000
            \(unescaped: lock ? "FOR UPDATE OF c" : "")
            """, logger: logger).collect().map(CommentRow.init)
    }

    private func shownComments(_ connection: PostgresConnection, viewer: Viewer, _ rows: [CommentRow]) async throws -> [Comment] {
        let names = try await audienceNames(
            connection, viewer: viewer, objectIDs: rows.filter { $0.facts.audience == .named }.map(\.comment.id))
        return rows.map { $0.shown(to: viewer, named: names[$0.comment.id] ?? []) }
    }

    private func shownComment(_ connection: PostgresConnection, viewer: Viewer, _ row: CommentRow) async throws -> Comment {
        guard let comment = try await shownComments(connection, viewer: viewer, [row]).first else {
            throw DomainError.notFound("comment not found")
        }
        return comment
    }

    /// The comment once `operation` is allowed on it: its parent readable, its audience admitting.
    private func authorizedComment(
        _ connection: PostgresConnection, _ context: CallContext, id: UUID, _ operation: AccessOperation, lock: Bool = false
    ) async throws -> (CommentRow, Viewer, parentTitle: String) {
        let viewer = try await viewer(context, connection)
        guard let row = try await commentRows(connection, viewer: viewer, id: id, lock: lock).first else {
            throw DomainError.notFound("comment not found")
        }
        let parent: (audience: Audience, title: String, authorID: UUID)
        do {
            parent = try await readableParent(connection, context, row.comment.parent)
        } catch DomainError.notFound {
            throw DomainError.notFound("comment not found")
        }
        try AccessPolicy.require(viewer, operation, .comment(parentVisible: true, audience: row.facts), notFound: "comment not found")
        return (row, viewer, parent.title)
    }

    /// The discussion of a proposal or document, oldest first, as the caller may see it.
    public func listComments(_ context: CallContext, on parent: CommentParent) async throws -> [Comment] {
        try await database.read { connection in
            _ = try await readableParent(connection, context, parent)
            let viewer = try await viewer(context, connection)
            let rows = try await commentRows(connection, viewer: viewer, parent: parent).filter {
                AccessPolicy.decide(viewer, .read, .comment(parentVisible: true, audience: $0.facts)) == .allow
            }
            return try await shownComments(connection, viewer: viewer, rows)
        }
    }

    /// A comment and the title of what it is on (for a notification's line).
    public func getComment(_ context: CallContext, id: UUID) async throws -> (Comment, parentTitle: String) {
        try await database.read { connection in
            let (row, viewer, title) = try await authorizedComment(connection, context, id: id, .read)
            return (try await shownComment(connection, viewer: viewer, row), title)
        }
    }

    /// Anyone who may read the parent writes; a comment's audience is no wider than its
    /// parent's (by default the parent's, or `dialogue` if that is narrower).
    public func createComment(
        _ context: CallContext, on parent: CommentParent, body: String?, audience: String? = nil, named: [UUID]? = nil
    ) async throws -> Comment {
        guard let authorID = context.actor.participantID else {
            throw DomainError.invalid("author", "a comment needs an author; the operator has none")
        }
        var validator = Validator()
        let text = validator.text(body, "body", max: 5000)
        let requested = validator.choice(audience, "audience", as: Audience.self, required: false)
        try validator.check()
        return try await database.transaction { connection in
            let owner = try await readableParent(connection, context, parent)
            let chosen = try await validatedNewAudience(
                connection, requested: requested, named: named ?? [], notWiderThan: owner.audience)
            var proposalID: UUID?, documentID: UUID?
            switch parent {
            case .proposal(let id): proposalID = id
            case .document(let id): documentID = id
            }
            let id = try await connection.rows(
                try Prepared.NewComment(proposalID, documentID, authorID, chosen, try Validator.required(text, "body")), logger: logger
            ).single(or: .conflict("the comment could not be saved")).decode(UUID.self)
            try await writeNames(connection, context, objectID: id, named ?? [])
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "comment.create", objectType: "comment",
                objectID: id.lowercasedString,
                diff: ["on": parent.id.lowercasedString, "audience": chosen.rawValue])
            try await notify(connection, context, .commentPosted, objectID: id, recipients: [owner.authorID] + (named ?? []))
            let (row, viewer, _) = try await authorizedComment(connection, context, id: id, .read)
            return try await shownComment(connection, viewer: viewer, row)
        }
    }

    /// The author edits: silently within the edit window, marked edited after it.
    public func updateComment(_ context: CallContext, id: UUID, body: String?, ifMatch: Int?) async throws -> Comment {
        var validator = Validator()
        let text = validator.text(body, "body", max: 5000)
        try validator.check()
        return try await database.transaction { connection in
            let (row, viewer, _) = try await authorizedComment(connection, context, id: id, .update, lock: true)
            if let ifMatch, ifMatch != row.comment.version { throw DomainError.preconditionFailed(currentVersion: row.comment.version) }
            guard !row.comment.removed else { throw DomainError.conflict("a removed comment cannot be edited") }
            let late = Date().timeIntervalSince(row.comment.createdAt) > CommentRules.editWindow
            try await connection.query("""
                UPDATE comments SET body = \(text), version = version + 1,
                    edited_at = CASE WHEN \(late) THEN now() ELSE edited_at END
                WHERE id = \(id)
                """, logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "comment.update", objectType: "comment",
                objectID: id.lowercasedString, diff: ["marked_edited": String(late)])
            let (updated, _, _) = try await authorizedComment(connection, context, id: id, .read)
            return try await shownComment(connection, viewer: viewer, updated)
        }
    }

    /// Its author or a coordinator removes a comment: the text goes, "comment removed" stays.
    public func removeComment(_ context: CallContext, id: UUID) async throws {
        try await database.transaction { connection in
            let (row, _, _) = try await authorizedComment(connection, context, id: id, .delete, lock: true)
            guard !row.comment.removed else { return }
            try await connection.query(
                "UPDATE comments SET body = '', removed_at = now(), version = version + 1 WHERE id = \(id)", logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "comment.remove", objectType: "comment",
                objectID: id.lowercasedString, diff: [:])
        }
    }
}

extension Prepared {
    /// A comment on a proposal or on a document: one of the two ids is NULL.
    struct NewComment: PreparedWrite {
        static let sql = """
            INSERT INTO comments (proposal_id, document_id, author_id, audience, body)
            VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::text)
            RETURNING id
            """
        let bindings: PostgresBindings
    }
}
