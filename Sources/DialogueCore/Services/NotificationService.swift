import Foundation
import PostgresNIO

/// What a notification tells its recipient happened (issue 22).
public enum NotificationEvent: String, Sendable, CaseIterable, PostgresCodable {
    case sessionInvited = "session_invited"
    case sessionChanged = "session_changed"
    case sessionCancelled = "session_cancelled"
    case proposalMoved = "proposal_moved"
    case proposalEndorsed = "proposal_endorsed"
    case actionAssigned = "action_assigned"
    case actionDueSoon = "action_due_soon"
    case actionOverdue = "action_overdue"
    case portalInvited = "portal_invited"
    case documentShared = "document_shared"
    case commentPosted = "comment_posted"

    /// The kind of object the event is about.
    public var object: NotifiedObject {
        switch self {
        case .sessionInvited, .sessionChanged, .sessionCancelled: .session
        case .proposalMoved, .proposalEndorsed: .proposal
        case .actionAssigned, .actionDueSoon, .actionOverdue: .actionItem
        case .portalInvited: .account
        case .documentShared: .document
        case .commentPosted: .comment
        }
    }
}

extension Prepared {
    /// An event's outbox rows, one per active recipient (`notify`). Many writes make them,
    /// inside their transactions: prepared, so none of them parses and plans it again.
    struct NewNotifications: PreparedWrite {
        static let sql = """
            INSERT INTO notifications (recipient_id, event, object_id, occasion)
            SELECT p.id, $1::text, $2::uuid, $3::text
            FROM participants p WHERE p.id = ANY($4::uuid[]) AND p.status = 'active'
            ON CONFLICT DO NOTHING
            """
        let bindings: PostgresBindings
    }

    /// The same for one recipient ($4), the common case (an assigned owner, an endorsed
    /// proposal's author). For `= ANY($4)` PostgreSQL plans every call anew: a one-element
    /// array always looks cheaper to it than the generic plan's guess of ten. With a single
    /// value it keeps the generic plan.
    ///
    /// Inside a transaction the notification is usually written by the transaction's last
    /// statement, with the audit rows (`AuditLog.SettlingChainAppend`), which takes this SQL
    /// with its parameters numbered from `first`; a NULL recipient writes nothing.
    struct NewNotification: PreparedWrite {
        static let sql = statement(parametersFrom: 1)
        let bindings: PostgresBindings

        /// With `onlyWhere`, written only where that condition also holds.
        static func statement(parametersFrom first: Int, onlyWhere condition: String? = nil) -> String {
            """
            INSERT INTO notifications (recipient_id, event, object_id, occasion)
            SELECT p.id, $\(first)::text, $\(first + 1)::uuid, $\(first + 2)::text
            FROM participants p WHERE p.id = $\(first + 3)::uuid AND p.status = 'active'\(condition.map { " AND \($0)" } ?? "")
            ON CONFLICT DO NOTHING
            """
        }

        /// Its values, in the order of its parameters; all NULL for none.
        static func values(_ notification: DeferredNotification?) -> [(any PostgresEncodable & Sendable)?] {
            [notification?.event, notification?.objectID, notification?.occasion, notification?.recipient]
        }
    }
}

/// A notification for one recipient, left to the transaction's last statement (`notify`).
struct DeferredNotification: Sendable {
    var event: NotificationEvent
    var objectID: UUID
    var occasion: String
    var recipient: UUID

    static let occasionLimit = 200

    /// The notification of `recipient`, or nil when the recipient is the one who acted.
    init?(_ context: CallContext, _ event: NotificationEvent, objectID: UUID, recipient: UUID, occasion: String = "") {
        guard recipient != context.actor.participantID else { return nil }
        self.event = event
        self.objectID = objectID
        self.occasion = String(occasion.prefix(Self.occasionLimit))
        self.recipient = recipient
    }
}

extension Prepared.NewNotification {
    init(_ notification: DeferredNotification) throws {
        self.init(bindings: try Prepared.binding(inOrder: Self.values(notification)))
    }
}

public enum NotifiedObject: String, Sendable {
    case session, proposal, actionItem = "action_item", account, document, comment
}

/// A notification as its recipient reads it in the portal: the object's title is looked up as
/// the reader, when they read, so a notification about something they may no longer see is
/// never shown (and is dropped).
public struct NotificationView: Sendable, Equatable {
    public var id: Int64
    public var event: NotificationEvent
    public var objectID: UUID
    public var title: String
    /// The object's audience: an e-mail carries the title only for `dialogue` and `public`.
    public var audience: Audience
    public var createdAt: Date
    public var read: Bool
}

/// Action items due within this many days remind their owner once.
public enum NotificationRules {
    public static let dueSoonDays = 3
    /// The portal lists at most this many unread ones, then the latest read ones.
    public static let unreadShown = 200
    public static let readShown = 30
}

extension Dialogue {
    /// Writes an event's outbox rows in the caller's transaction: one per active recipient,
    /// never to the one who acted, once per occasion (the status reached, the new time, the
    /// due date warned of). The callers pass only recipients who may see the object: the
    /// invitee, the session's attendees, the author, the owner.
    func notify(
        _ connection: PostgresConnection, _ context: CallContext, _ event: NotificationEvent, objectID: UUID, recipients: [UUID],
        occasion: String = ""
    ) async throws {
        let others = Array(Set(recipients).subtracting(context.actor.participantID.map { [$0] } ?? []))
        let occasion = String(occasion.prefix(DeferredNotification.occasionLimit))
        if others.count == 1, let recipient = others.first,
            let notification = DeferredNotification(context, event, objectID: objectID, recipient: recipient, occasion: occasion)
        {
            // Inside a transaction, one such notification rides on its last statement: a
            // round trip fewer. A second one in the same transaction is written at once.
            if AuditLog.Pending.current?.defer(notification) == true { return }
            try await connection.run(try Prepared.NewNotification(notification), logger: logger)
        } else if !others.isEmpty {
            try await connection.run(try Prepared.NewNotifications(event, objectID, occasion, others), logger: logger)
        }
    }

    /// Everyone invited to a session: who hears of its changes.
    func attendeeIDs(_ connection: PostgresConnection, sessionID: UUID) async throws -> [UUID] {
        try await connection.query("SELECT participant_id FROM attendances WHERE session_id = \(sessionID)", logger: logger)
            .collect().map { try $0.decode(UUID.self) }
    }

    /// The caller's notifications: the unread ones first, newest first, then the latest read.
    /// Each is checked as the caller, now; one about an object the caller may no longer see is
    /// left out and deleted (SECURITY.md 28).
    public func listNotifications(_ context: CallContext) async throws -> [NotificationView] {
        guard let participantID = context.actor.participantID else { return [] }
        let rows = try await database.read { connection in
            try await connection.query("""
                (SELECT id, event, object_id, created_at, false FROM notifications
                 WHERE recipient_id = \(participantID) AND read_at IS NULL ORDER BY id DESC LIMIT \(NotificationRules.unreadShown))
                UNION ALL
                (SELECT id, event, object_id, created_at, true FROM notifications
                 WHERE recipient_id = \(participantID) AND read_at IS NOT NULL ORDER BY id DESC LIMIT \(NotificationRules.readShown))
                """, logger: logger).collect().map { try $0.decode((Int64, NotificationEvent, UUID, Date, Bool).self) }
        }
        var shown: [NotificationView] = [], gone: [Int64] = []
        var titles: [UUID: (String, Audience)?] = [:]
        for (id, event, objectID, createdAt, read) in rows {
            if titles[objectID] == nil { titles[objectID] = try await visibleTitle(context, event.object, objectID) }
            guard let (title, audience) = titles[objectID] ?? nil else {
                gone.append(id)
                continue
            }
            shown.append(NotificationView(
                id: id, event: event, objectID: objectID, title: title, audience: audience, createdAt: createdAt, read: read))
        }
        if !gone.isEmpty {
            let ids = gone
            try await database.autocommit { connection in
                try await connection.query("DELETE FROM notifications WHERE id = ANY(\(ids)) AND recipient_id = \(participantID)", logger: logger)
            }
        }
        return shown
    }

    /// The object's title and audience if the caller may see it now; nil if not (or if it is gone).
    private func visibleTitle(_ context: CallContext, _ object: NotifiedObject, _ id: UUID) async throws -> (String, Audience)? {
        do {
            switch object {
            case .session: return (try await getSession(context, id: id).title, .dialogue)
            case .proposal:
                let proposal = try await getProposal(context, id: id)
                return (proposal.title, proposal.audience)
            case .actionItem: return (try await getActionItem(context, id: id).title, .dialogue)
            case .account: return ("", .dialogue)
            case .document:
                let document = try await getDocument(context, id: id)
                return (document.title, document.audience)
            case .comment:
                let (comment, title) = try await getComment(context, id: id)
                return (title, comment.audience)
            }
        } catch DomainError.notFound, DomainError.forbidden {
            return nil
        }
    }

    /// Marks the caller's notifications read: the ones named, or all of them.
    public func markNotificationsRead(_ context: CallContext, ids: [Int64]?) async throws {
        if let ids, ids.count > 500 { throw DomainError.invalid("ids", "name at most 500 notifications at once") }
        guard let participantID = context.actor.participantID else { return }
        try await database.autocommit { connection in
            try await connection.query("""
                UPDATE notifications SET read_at = now()
                WHERE recipient_id = \(participantID) AND read_at IS NULL AND (\(ids)::bigint[] IS NULL OR id = ANY(\(ids)))
                """, logger: logger)
        }
    }

    /// One of the caller's notifications, marked read: where its link leads. Nil when it is
    /// not the caller's, or no longer there.
    public func openNotification(_ context: CallContext, id: Int64) async throws -> (event: NotificationEvent, objectID: UUID)? {
        guard let participantID = context.actor.participantID else { return nil }
        return try await database.autocommit { connection in
            try await connection.query("""
                UPDATE notifications SET read_at = coalesce(read_at, now())
                WHERE id = \(id) AND recipient_id = \(participantID) RETURNING event, object_id
                """, logger: logger).collect().first?.decode((NotificationEvent, UUID).self)
        }
    }

    /// Reminders of action items coming due (within `NotificationRules.dueSoonDays`) and
    /// overdue, for their owners: once per item and due date, however often this runs. The
    /// server runs it every 15 minutes, `dialogue-admin action remind` on demand; returns how
    /// many were written.
    @discardableResult
    public func sweepReminders() async throws -> Int {
        try await database.autocommit { connection in
            try await connection.query("""
                WITH due AS (
                    SELECT x.owner_id, x.id, x.due_on::text AS due_on,
                           CASE WHEN x.due_on < (now() AT TIME ZONE 'UTC')::date THEN 'action_overdue' ELSE 'action_due_soon' END AS event
                    FROM action_items x JOIN participants o ON o.id = x.owner_id AND o.status = 'active'
                    WHERE x.status NOT IN ('done', 'dropped')
                      AND x.due_on <= (now() AT TIME ZONE 'UTC')::date + \(NotificationRules.dueSoonDays)::int
                ), news AS (
                    -- An item just given, whose assignment is still unread, needs no "due soon" beside it.
                    SELECT * FROM due d WHERE d.event = 'action_overdue' OR NOT EXISTS (
                        SELECT 1 FROM notifications a WHERE a.recipient_id = d.owner_id AND a.object_id = d.id
                          AND a.event = 'action_assigned' AND a.read_at IS NULL)
                ), written AS (
                    INSERT INTO notifications (recipient_id, event, object_id, occasion)
                    SELECT owner_id, event, id, due_on FROM news
                    ON CONFLICT DO NOTHING RETURNING 1
                )
                SELECT count(*)::bigint FROM written
                """, logger: logger).collect().first?.decode(Int.self) ?? 0
        }
    }
}
