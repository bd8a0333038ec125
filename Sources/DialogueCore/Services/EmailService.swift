import Foundation
import PostgresNIO

/// How often a participant wants e-mail about their notifications.
public enum EmailMode: String, Sendable, CaseIterable, PostgresCodable {
    case off, daily, immediate
}

/// A participant's notification preferences (issue 22): the portal always lists everything;
/// these decide e-mail.
public struct NotificationPreferences: Sendable, Equatable {
    public var email: EmailMode
    /// The events an e-mail may count.
    public var events: Set<NotificationEvent>
    /// Titles in the e-mail instead of a count alone (opted into).
    public var fullText: Bool
    /// No e-mail for now.
    public var quiet: Bool
    public var version: Int
    /// Whether e-mail can reach this participant at all: an address, and not an in-country
    /// participant (SECURITY.md 28).
    public var emailPossible: Bool
}

public struct PreferencesInput: Sendable {
    public var email: String?
    public var events: [String]?
    public var fullText: Bool?
    public var quiet: Bool?

    public init(email: String? = nil, events: [String]? = nil, fullText: Bool? = nil, quiet: Bool? = nil) {
        self.email = email
        self.events = events
        self.fullText = fullText
        self.quiet = quiet
    }
}

/// One e-mail waiting to go: to whom (read now, from the participant), in which language,
/// about which notifications.
public struct EmailDelivery: Sendable, Equatable {
    public var id: Int64
    public var recipientID: UUID
    public var address: String
    public var language: PortalLanguage
    public var role: Role
    public var notificationIDs: [Int64]
    public var fullText: Bool
    public var attempts: Int
}

/// An e-mail ready for the relay.
public struct EmailMessage: Sendable, Equatable {
    public var from: String
    public var to: String
    public var subject: String
    public var body: String
    /// `<delivery-N@host>`: the same for every attempt, so a message sent twice (a crash
    /// between sending and marking it sent) is recognisably the same message.
    public var messageID: String
}

public enum EmailRules {
    /// Attempts before a delivery is given up.
    public static let attempts = 8

    /// Minutes to wait after the n-th failed attempt: 1, 2, 4 … at most an hour.
    public static func backoffMinutes(afterAttempt attempt: Int) -> Int { min(60, 1 << min(max(attempt - 1, 0), 6)) }
}

extension Dialogue {
    public func notificationPreferences(_ context: CallContext) async throws -> NotificationPreferences {
        guard let participantID = context.actor.participantID else { throw DomainError.forbidden("preferences are a participant's own") }
        return try await database.read { connection in try await preferences(connection, participantID) }
    }

    private func preferences(_ connection: PostgresConnection, _ participantID: UUID) async throws -> NotificationPreferences {
        let row = try await connection.query("""
            SELECT coalesce(n.email, 'off'), coalesce(n.events, '{}'::text[]), n.events IS NULL, coalesce(n.full_text, false),
                   coalesce(n.quiet, false), coalesce(n.version, 0), p.email IS NOT NULL AND p.kind <> 'in_country_proxy'
            FROM participants p LEFT JOIN notification_preferences n ON n.participant_id = p.id
            WHERE p.id = \(participantID)
            """, logger: logger).collect().single(or: .notFound("participant not found"))
        let (email, events, unset, fullText, quiet, version, possible) = try row.decode((EmailMode, [String], Bool, Bool, Bool, Int, Bool).self)
        return NotificationPreferences(
            email: email, events: unset ? Set(NotificationEvent.allCases) : Set(events.compactMap(NotificationEvent.init(rawValue:))),
            fullText: fullText, quiet: quiet, version: version, emailPossible: possible)
    }

    /// Changes the caller's own preferences. E-mail is refused where it cannot go (no address,
    /// or an in-country participant). Audited without the address.
    public func updateNotificationPreferences(
        _ context: CallContext, _ input: PreferencesInput, ifMatch: Int?
    ) async throws -> NotificationPreferences {
        guard let participantID = context.actor.participantID else { throw DomainError.forbidden("preferences are a participant's own") }
        var validator = Validator()
        let email = validator.choice(input.email ?? "off", "email", as: EmailMode.self)
        let events = (input.events ?? NotificationEvent.allCases.map(\.rawValue)).compactMap { raw -> String? in
            guard NotificationEvent(rawValue: raw) != nil else {
                validator.fail("events", "'\(raw.prefix(40))' is not an event")
                return nil
            }
            return raw
        }
        try validator.check()
        return try await database.transaction { connection in
            let current = try await preferences(connection, participantID)
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            if email != .off, !current.emailPossible {
                throw DomainError.invalid("email", "needs an e-mail address on record; in-country participants never get e-mail")
            }
            try await connection.run(
                try Prepared.NewNotificationPreferences(participantID, email ?? .off, events, input.fullText ?? false, input.quiet ?? false),
                logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "notification_preferences.update", objectType: "participant",
                objectID: participantID.lowercasedString,
                diff: ["email": (email ?? .off).rawValue, "quiet": String(input.quiet ?? false), "full_text": String(input.fullText ?? false)])
            return try await preferences(connection, participantID)
        }
    }

    /// Writes the e-mails now due: for everyone who asked for e-mail (immediately, or daily
    /// once a day has passed), is not quiet, and can receive it, one delivery covering their
    /// unread notifications of the chosen events that no e-mail covered yet. One statement:
    /// the deliveries and the marks of what they cover commit together. Returns how many.
    @discardableResult
    public func queueEmails() async throws -> Int {
        try await database.autocommit { connection in
            try await connection.rows(try Prepared.QueueEmails(), logger: logger).first?.decode(Int.self) ?? 0
        }
    }

    /// The deliveries whose time has come, oldest first, with the address read now. One whose
    /// recipient can no longer receive e-mail is given up here.
    public func dueEmails(limit: Int = 50) async throws -> [EmailDelivery] {
        try await database.autocommit { connection in
            try await connection.query("""
                UPDATE email_deliveries d SET given_up_at = now(), last_error = 'the recipient can no longer receive e-mail'
                WHERE d.sent_at IS NULL AND d.given_up_at IS NULL AND NOT EXISTS (
                    SELECT 1 FROM participants p WHERE p.id = d.recipient_id AND p.status = 'active' AND p.email IS NOT NULL
                      AND p.kind <> 'in_country_proxy')
                """, logger: logger)
            return try await connection.query("""
                SELECT d.id, d.recipient_id, p.email, coalesce(a.language, 'en'), coalesce(a.role, 'member'), d.notification_ids,
                       d.full_text, d.attempts
                FROM email_deliveries d JOIN participants p ON p.id = d.recipient_id LEFT JOIN accounts a ON a.participant_id = p.id
                WHERE d.sent_at IS NULL AND d.given_up_at IS NULL AND d.next_attempt_at <= now()
                ORDER BY d.id LIMIT \(limit)
                """, logger: logger).collect().map { row in
                let (id, recipient, address, language, role, ids, fullText, attempts) =
                    try row.decode((Int64, UUID, String, PortalLanguage, String, [Int64], Bool, Int).self)
                return EmailDelivery(
                    id: id, recipientID: recipient, address: address, language: language, role: Role(rawValue: role) ?? .member,
                    notificationIDs: ids, fullText: fullText, attempts: attempts)
            }
        }
    }

    /// The message of a delivery. Content-free unless the recipient opted into full text: then
    /// each notification's title, looked up as the recipient now (one they may no longer see
    /// is left out, and so is everything about sessions, proposals and items they never could).
    public func composeEmail(_ delivery: EmailDelivery, from: String, publicBaseURL: String) async throws -> EmailMessage {
        let words = EmailWords(delivery.language)
        var lines = [words.count(delivery.notificationIDs.count), "", "\(publicBaseURL)/notifications"]
        if delivery.fullText {
            let reader = CallContext(
                actor: .participant(id: delivery.recipientID, role: delivery.role, tokenID: UUID()), requestID: "email-\(delivery.id)")
            let wanted = Set(delivery.notificationIDs)
            let items = try await listNotifications(reader).filter { wanted.contains($0.id) }
            if !items.isEmpty {
                // A title travels only for what the whole dialogue may read; a side's or a
                // named circle's paper is announced, never named, outside the portal.
                lines += [""] + items.map {
                    "- \(words.event($0.event))" + ($0.title.isEmpty || $0.audience < .dialogue ? "" : ": \($0.title)")
                }
            }
        }
        let host = URLComponents(string: publicBaseURL)?.host ?? "dialogue.invalid"
        return EmailMessage(
            from: from, to: delivery.address, subject: words.subject, body: (lines + ["", words.footer]).joined(separator: "\r\n"),
            messageID: "<delivery-\(delivery.id)@\(host)>")
    }

    /// Sent: marked in its own commit, before the next one goes.
    public func markEmailSent(_ id: Int64) async throws {
        try await database.autocommit { connection in
            try await connection.query(
                "UPDATE email_deliveries SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = \(id)", logger: logger)
        }
    }

    /// Not sent: tried again after a growing pause, given up after `EmailRules.attempts`.
    public func markEmailFailed(_ id: Int64, attempts: Int, reason: String) async throws {
        let attempt = attempts + 1
        let minutes = EmailRules.backoffMinutes(afterAttempt: attempt)
        let giveUp = attempt >= EmailRules.attempts
        try await database.autocommit { connection in
            try await connection.query("""
                UPDATE email_deliveries SET attempts = \(attempt), last_error = \(String(reason.prefix(500))),
                    next_attempt_at = now() + \(minutes) * interval '1 minute',
                    given_up_at = CASE WHEN \(giveUp) THEN now() END
                WHERE id = \(id)
                """, logger: logger)
        }
    }
}

/// The e-mail's few words, in the recipient's portal language. They name no session, group,
/// proposal or person: whatever a seized mailbox shows is that the portal has news.
struct EmailWords {
    let language: PortalLanguage

    init(_ language: PortalLanguage) { self.language = language }

    var subject: String {
        switch language {
        case .en: "News in the dialogue portal"
        case .be: "Навіны ў партале дыялогу"
        case .ru: "Новое в портале диалога"
        }
    }

    func count(_ n: Int) -> String {
        switch language {
        case .en: n == 1 ? "You have 1 new item in the dialogue portal." : "You have \(n) new items in the dialogue portal."
        case .be: "У партале дыялогу новых пунктаў для вас: \(n)."
        case .ru: "В портале диалога для вас новых пунктов: \(n)."
        }
    }

    var footer: String {
        switch language {
        case .en: "You asked for these e-mails; change or stop them on your profile in the portal."
        case .be: "Вы папрасілі гэтыя лісты; змяніць або спыніць іх можна ў профілі на партале."
        case .ru: "Вы просили эти письма; изменить или остановить их можно в профиле на портале."
        }
    }

    func event(_ event: NotificationEvent) -> String {
        let words: [NotificationEvent: (String, String, String)] = [
            .sessionInvited: ("You are invited to a session", "Вас запрасілі на сесію", "Вас пригласили на сессию"),
            .sessionChanged: ("A session you are invited to has changed", "Сесія, на якую вы запрошаныя, змянілася", "Сессия, на которую вы приглашены, изменилась"),
            .sessionCancelled: ("A session you are invited to is cancelled", "Сесія, на якую вы запрошаныя, адменена", "Сессия, на которую вы приглашены, отменена"),
            .proposalMoved: ("Your proposal's status has changed", "Статус вашай прапановы змяніўся", "Статус вашего предложения изменился"),
            .proposalEndorsed: ("Your proposal was endorsed", "Вашу прапанову падтрымалі", "Ваше предложение поддержали"),
            .actionAssigned: ("An action item is yours", "Вам даручана заданне", "Вам поручено задание"),
            .actionDueSoon: ("An action item of yours is due soon", "Тэрмін вашага даручэння хутка", "Срок вашего поручения скоро"),
            .actionOverdue: ("An action item of yours is overdue", "Ваша даручэнне пратэрмінавана", "Ваше поручение просрочено"),
            .portalInvited: ("You were invited to the portal", "Вас запрасілі на партал", "Вас пригласили на портал"),
            .documentShared: ("A document was shared with you", "З вамі падзяліліся дакументам", "С вами поделились документом"),
            .commentPosted: ("A new comment in a discussion of yours", "Новы каментар у вашым абмеркаванні", "Новый комментарий в вашем обсуждении"),
        ]
        guard let (en, be, ru) = words[event] else { return event.rawValue }
        switch language {
        case .en: return en
        case .be: return be
        case .ru: return ru
        }
    }
}

extension Prepared {
    /// A participant's e-mail preferences; new ones start after the notifications already there.
    struct NewNotificationPreferences: PreparedWrite {
        static let sql = """
            INSERT INTO notification_preferences (participant_id, email, events, full_text, quiet, emailed_through)
            VALUES ($1::uuid, $2::text, $3::text[], $4::bool, $5::bool,
                    coalesce((SELECT max(id) FROM notifications WHERE recipient_id = $1::uuid), 0))
            ON CONFLICT (participant_id) DO UPDATE
                SET email = excluded.email, events = excluded.events, full_text = excluded.full_text, quiet = excluded.quiet,
                    version = notification_preferences.version + 1, updated_at = now()
            """
        let bindings: PostgresBindings
    }

    /// The e-mails now due, written with the marks of what they cover (`queueEmails`), every
    /// few seconds: its count of deliveries.
    struct QueueEmails: PreparedWrite {
        static let sql = """
            WITH due AS (
                SELECT n.participant_id, n.full_text, array_agg(x.id ORDER BY x.id) AS ids, max(x.id) AS newest
                FROM notification_preferences n
                JOIN participants p ON p.id = n.participant_id
                     AND p.status = 'active' AND p.email IS NOT NULL AND p.kind <> 'in_country_proxy'
                JOIN notifications x ON x.recipient_id = n.participant_id AND x.id > n.emailed_through
                     AND x.read_at IS NULL AND x.event = ANY(n.events)
                WHERE n.email <> 'off' AND NOT n.quiet
                  AND (n.email = 'immediate' OR n.last_digest_at IS NULL OR n.last_digest_at < now() - interval '1 day')
                GROUP BY n.participant_id, n.full_text
            ), marked AS (
                UPDATE notification_preferences n SET emailed_through = due.newest, last_digest_at = now()
                FROM due WHERE n.participant_id = due.participant_id
            ), queued AS (
                INSERT INTO email_deliveries (recipient_id, notification_ids, full_text)
                SELECT participant_id, ids, full_text FROM due RETURNING 1
            )
            SELECT count(*)::int8 FROM queued
            """
        let bindings: PostgresBindings
    }
}
