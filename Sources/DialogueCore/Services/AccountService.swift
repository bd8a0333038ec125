import Crypto
import Foundation
import PostgresNIO

/// A portal invitation as issued: the secret goes into the link once and is stored as a hash.
public struct IssuedInvitation: Sendable {
    public var id: UUID
    public var secret: String
    public var expiresAt: Date

    /// The one-time link: the secret is its only credential, shown once.
    public func link(publicBaseURL: String) -> String { "\(publicBaseURL)/invitation/\(secret)" }
}

/// A web session as created at sign-in: the secret goes into the cookie and is stored as a hash.
public struct IssuedWebSession: Sendable {
    public var secret: String
    public var session: WebSession
}

/// A live web session, as a request presents it.
public struct WebSession: Sendable, Equatable {
    public var id: UUID
    public var accountID: UUID
    public var participantID: UUID
    public var signInName: String
    public var role: Role
    public var language: PortalLanguage
    /// Forms carry a token derived from this; compare with `WebSession.csrfToken`.
    public var csrfSecret: String
    public var expiresAt: Date
    /// What the session still needs before it may act: nothing, a code, or a second factor set up.
    public var factor: SecondFactorState = .none
    /// Unread notifications, counted by the same statement that found the session (the
    /// portal's header shows it on every page).
    public var unreadNotifications: Int = 0
    /// The participant's side and memberships, read by the same statement, so that the
    /// page's reads do not each read them again.
    public var facts: ViewerFacts?
    /// The zone the participant's times are written in (their profile's), read by the same
    /// statement, so that a page does not read the participant again for it. Nil for a
    /// session just started, which is answered with a redirect.
    public var timeZone: TimeZone?

    /// The token every form of this session carries (SECURITY.md 21).
    public var csrfToken: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("csrf".utf8), using: SymmetricKey(data: Data(csrfSecret.utf8)))
        return Data(mac).base64URLEncoded
    }

    public func acceptsCSRF(_ token: String) -> Bool { TokenSecret.constantTimeEquals(csrfToken, token) }

    /// Who acts through this session.
    var actor: Actor { .participant(id: participantID, role: role, tokenID: id) }
}

public enum PortalLanguage: String, Sendable, CaseIterable, PostgresCodable {
    case en, be, ru
}

/// One of an account's live web sessions, as "my sessions" lists it.
public struct WebSessionInfo: Sendable, Equatable {
    public var id: UUID
    public var createdAt: Date
    public var lastSeenAt: Date
    /// The session the list was asked from.
    public var current: Bool
}

/// The rules of accounts, in one place for the portal and the CLI.
public enum AccountRules {
    public static let invitationLifetime: TimeInterval = 72 * 3600
    public static let idleTimeout: TimeInterval = 30 * 60
    public static let absoluteLifetime: TimeInterval = 12 * 3600
    /// How often a session's idle clock is written: a page view within this of the last write
    /// changes nothing in the database.
    public static let idleClockStep: TimeInterval = 30
    /// Failed sign-ins allowed per name and per client in `throttleWindow`.
    public static let failuresAllowed = 5
    public static let throttleWindow: TimeInterval = 15 * 60

    /// Coordinators and admins sign in with a second factor; members and observers may.
    public static func requiresSecondFactor(_ role: Role) -> Bool { role >= .coordinator }

    /// A sign-in name: 3 to 64 letters, digits, dots, dashes and underscores, in any script.
    static func checkSignInName(_ raw: String?, validator: inout Validator) -> String? {
        guard let name = validator.text(raw, "sign_in_name", max: 64) else { return nil }
        guard name.unicodeScalars.count >= 3,
            name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" })
        else {
            validator.fail("sign_in_name", "use 3 to 64 letters, digits, dots, dashes or underscores")
            return nil
        }
        return name
    }

    static func checkPassphrase(_ raw: String?, validator: inout Validator) -> String? {
        guard let passphrase = raw, !passphrase.isEmpty else {
            validator.fail("passphrase", "is required")
            return nil
        }
        let length = passphrase.unicodeScalars.count
        if length < Passphrase.minimumLength {
            validator.fail("passphrase", "must be at least \(Passphrase.minimumLength) characters")
            return nil
        }
        if length > Passphrase.maximumLength || passphrase.unicodeScalars.contains(where: Validator.isForbiddenControl) {
            validator.fail("passphrase", "must be at most \(Passphrase.maximumLength) characters, without control characters")
            return nil
        }
        return passphrase
    }
}

extension Dialogue {
    /// A coordinator or admin invites a participant into the portal with a role no higher than
    /// its own (the operator at the CLI may give any). Single use, 72 hours, audited; earlier
    /// unused invitations of the participant stop working.
    public func invitePortalUser(_ context: CallContext, participantID: UUID, role rawRole: String?) async throws -> IssuedInvitation {
        try AccessPolicy.requireCoordinator(context.actor, "invite participants into the portal")
        var validator = Validator()
        let choice = validator.choice(rawRole, "role", as: Role.self)
        try validator.check()
        let role = try Validator.required(choice, "role")
        guard role <= context.actor.role else {
            throw DomainError.forbidden("a \(context.actor.role.rawValue) may not invite a \(role.rawValue)")
        }
        let (secret, hash) = TokenSecret.generate()
        IdempotentRequest.responseCarriesSecret()
        return try await database.transaction { connection in
            let participant = try await lockedParticipant(connection, id: participantID, lock: true)
            guard participant.status == .active else {
                throw DomainError.conflict("participant is \(participant.status.rawValue); only active participants can be invited")
            }
            try await connection.query("""
                UPDATE portal_invitations SET revoked_at = now()
                WHERE participant_id = \(participantID) AND used_at IS NULL AND revoked_at IS NULL
                """, logger: logger)
            let row = try await connection.rows(
                try Prepared.NewPortalInvitation(
                    participantID, role.rawValue, hash, context.actor.participantID, Int(AccountRules.invitationLifetime)),
                logger: logger
            ).single(or: .conflict("the invitation could not be created"))
            let (id, expiresAt) = try row.decode((UUID, Date).self)
            try await notify(connection, context, .portalInvited, objectID: participantID, recipients: [participantID], occasion: id.lowercasedString)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "portal_invitation.issue", objectType: "participant",
                objectID: participantID.lowercasedString, diff: ["role": role.rawValue, "invitation_id": id.lowercasedString])
            return IssuedInvitation(id: id, secret: secret, expiresAt: expiresAt)
        }
    }

    /// Whether an invitation link is still good (the page that opens it asks).
    public func invitationIsOpen(secret: String) async throws -> Bool {
        guard TokenSecret.looksValid(secret) else { return false }
        let hash = TokenSecret.hash(secret)
        return try await database.read { connection in
            try await connection.query("""
                SELECT EXISTS (SELECT 1 FROM portal_invitations i JOIN participants p ON p.id = i.participant_id
                               WHERE i.secret_hash = \(hash) AND i.used_at IS NULL AND i.revoked_at IS NULL
                                 AND i.expires_at > now() AND p.status = 'active')
                """, logger: logger).collect().first?.decode(Bool.self) ?? false
        }
    }

    /// Opening an invitation: the participant chooses a sign-in name and a passphrase and is
    /// signed in. A participant that already had an account keeps it, with the new name,
    /// passphrase and role, and every earlier web session ends; its second factor is cleared (a
    /// new invitation is how a lost authenticator is recovered), and a coordinator's new session
    /// starts by setting one up. The account speaks the language the invitation was read in.
    public func acceptInvitation(
        secret: String, signInName: String?, passphrase: String?, language: PortalLanguage = .en
    ) async throws -> IssuedWebSession {
        var validator = Validator()
        let name = AccountRules.checkSignInName(signInName, validator: &validator)
        let chosen = AccountRules.checkPassphrase(passphrase, validator: &validator)
        try validator.check()
        let (validName, validPassphrase) = (try Validator.required(name, "sign_in_name"), try Validator.required(chosen, "passphrase"))
        let refusal = DomainError.notFound("this invitation link is not valid any more; ask a coordinator for a new one")
        guard TokenSecret.looksValid(secret) else { throw refusal }
        let hash = TokenSecret.hash(secret)
        let passphraseHash = try await Passphrase.hashOffloaded(validPassphrase, cost: passphraseCost)
        let (sessionSecret, sessionHash) = TokenSecret.generate()
        let csrf = TokenSecret.generate().secret
        return try await database.transaction { connection in
            let invitation = try await connection.query("""
                SELECT i.id, i.participant_id, i.role FROM portal_invitations i JOIN participants p ON p.id = i.participant_id
                WHERE i.secret_hash = \(hash) AND i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
                  AND p.status = 'active'
                FOR UPDATE OF i
                """, logger: logger).collect().first
            guard let (invitationID, participantID, rawRole) = try invitation?.decode((UUID, UUID, String).self),
                let role = Role(rawValue: rawRole)
            else { throw refusal }
            let account = try await connection.rows(
                try Prepared.NewAccount(participantID, validName, passphraseHash, role.rawValue, language), logger: logger
            ).single(or: .conflict("the account could not be created"))
            let (accountID, language) = try account.decode((UUID, String).self)
            try await connection.query(
                "UPDATE web_sessions SET ended_at = now() WHERE account_id = \(accountID) AND ended_at IS NULL", logger: logger)
            try await connection.query("UPDATE portal_invitations SET used_at = now() WHERE id = \(invitationID)", logger: logger)
            // Opening the invitation is the news itself: its notification is read.
            try await connection.query("""
                UPDATE notifications SET read_at = now()
                WHERE recipient_id = \(participantID) AND event = 'portal_invited' AND read_at IS NULL
                """, logger: logger)
            let session = try await startWebSession(
                connection, accountID: accountID, participantID: participantID, name: validName, role: role,
                language: PortalLanguage(rawValue: language) ?? .en, secretHash: sessionHash, csrf: csrf, hasSecondFactor: false)
            let context = CallContext(actor: .participant(id: participantID, role: role, tokenID: session.id), requestID: "portal")
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "portal_invitation.accept", objectType: "participant",
                objectID: participantID.lowercasedString, diff: ["invitation_id": invitationID.lowercasedString])
            return IssuedWebSession(secret: sessionSecret, session: session)
        }
    }

    /// Sign-in by name and passphrase. An unknown name, a wrong passphrase, an ended
    /// participant and a throttled name or client get the same answer, after the same work.
    /// `client` identifies the client where a trusted proxy reports its address; without one,
    /// failures are counted per name only (one counter for every client would let anyone
    /// lock everyone out).
    public func signIn(signInName: String?, passphrase: String?, client: String?) async throws -> IssuedWebSession {
        let refusal = DomainError.unauthenticated("the name or the passphrase is not right, or there were too many attempts; wait and try again")
        let name = (signInName ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let given = passphrase ?? ""
        guard name.unicodeScalars.count <= 64, given.unicodeScalars.count <= Passphrase.maximumLength else { throw refusal }
        let keys = [throttleKey("name:" + name.lowercased())] + (client.map { [throttleKey("client:" + $0)] } ?? [])
        let found = try await database.read { connection -> (throttled: Bool, account: (UUID, UUID, String, String, String, String, Bool)?) in
            let window = Int(AccountRules.throttleWindow)
            let failures = try await connection.query("""
                SELECT count(*)::bigint FROM sign_in_failures
                WHERE key_hash = ANY(\(keys)) AND failed_at > now() - \(window) * interval '1 second'
                GROUP BY key_hash ORDER BY 1 DESC LIMIT 1
                """, logger: logger).collect().first?.decode(Int.self) ?? 0
            let account = try await connection.query("""
                SELECT a.id, a.participant_id, a.sign_in_name, a.passphrase_hash, a.role, a.language, a.second_factor IS NOT NULL
                FROM accounts a JOIN participants p ON p.id = a.participant_id
                WHERE lower(a.sign_in_name) = lower(\(name)) AND p.status = 'active'
                """, logger: logger).collect().first?.decode((UUID, UUID, String, String, String, String, Bool).self)
            return (failures >= AccountRules.failuresAllowed, account)
        }
        // The passphrase is checked whatever happened above, so every refusal takes as long.
        let matches = try await Passphrase.verifyOffloaded(given, against: found.account?.3 ?? Passphrase.decoy)
        guard matches, !found.throttled, let (accountID, participantID, storedName, _, rawRole, language, hasFactor) = found.account,
            let role = Role(rawValue: rawRole)
        else {
            try await database.autocommit { connection in
                try await connection.run(try Prepared.NewSignInFailures(keys), logger: logger)
            }
            throw refusal
        }
        let (sessionSecret, sessionHash) = TokenSecret.generate()
        let csrf = TokenSecret.generate().secret
        let session = try await database.transaction { connection in
            let session = try await startWebSession(
                connection, accountID: accountID, participantID: participantID, name: storedName, role: role,
                language: PortalLanguage(rawValue: language) ?? .en, secretHash: sessionHash, csrf: csrf, hasSecondFactor: hasFactor)
            try await connection.query("DELETE FROM sign_in_failures WHERE key_hash = \(keys[0])", logger: logger)
            return session
        }
        return IssuedWebSession(secret: sessionSecret, session: session)
    }

    /// The live session behind a cookie: not ended, not idle for 30 minutes, not older than 12
    /// hours, its participant active. Use moves the idle clock, at most once in
    /// `AccountRules.idleClockStep`: most page views then write nothing, and a session may end
    /// up to that step before its full idle half hour.
    public func authenticateWebSession(secret: String) async throws -> WebSession {
        guard TokenSecret.looksValid(secret) else { throw Self.sessionEnded }
        return try await authenticateWebSession(hash: TokenSecret.hash(secret))
    }

    static let sessionEnded = DomainError.unauthenticated("the web session has ended; sign in again")

    /// The same, by the secret's hash. A signed-in session's viewer is remembered for the
    /// page reads asked beside its next check (`readingAsWebSession`); any other outcome
    /// forgets it.
    func authenticateWebSession(hash: String) async throws -> WebSession {
        let row = try await database.autocommit { connection in
            try await connection.rows(Prepared.LiveWebSession(hash: hash), logger: logger).first
        }
        guard let (id, accountID, participantID, name, rawRole, language, csrf, expiresAt, factor, unread, side, groups, contributing, zone) =
            try row?.decode(
                (UUID, UUID, UUID, String, String, PortalLanguage, String, Date, SecondFactorState, Int, String, [UUID], [UUID], String).self),
            let role = Role(rawValue: rawRole)
        else {
            webSessionMemory.forget(hash)
            throw Self.sessionEnded
        }
        let session = WebSession(
            id: id, accountID: accountID, participantID: participantID, signInName: name, role: role,
            language: language, csrfSecret: csrf, expiresAt: expiresAt, factor: factor, unreadNotifications: unread,
            facts: ViewerFacts(side: side, groups: groups, contributing: contributing), timeZone: TimeZone(identifier: zone) ?? .gmt)
        if factor == .none, let viewer = Self.viewer(of: session) {
            webSessionMemory.remember(hash, viewer)
        } else {
            webSessionMemory.forget(hash)
        }
        return session
    }

    /// A page's reads for the person behind a web session, in the round trip that checks the
    /// session: where this process remembers the session's viewer from its last check, the
    /// reads are asked on that viewer at the same time as the check, and kept only if the
    /// check finds the session live and naming the same viewer (the same participant, role,
    /// side and groups); otherwise they are asked again on the viewer as it is now. Nothing
    /// read on a remembered viewer leaves here unless the check confirmed it: a session ended
    /// or idle, a participant deactivated, is refused (401) as by `authenticateWebSession`,
    /// whatever the reads found. `reads` only reads: it may run twice. What the reads gave
    /// (or threw) comes back beside the session; nil for a session still waiting for its
    /// second factor, which is not signed in. Only the check's failure is thrown.
    public func readingAsWebSession<Reads: Sendable>(
        secret: String, requestID: String, _ reads: @escaping @Sendable (CallContext) async throws -> Reads
    ) async throws -> (session: WebSession, reads: Result<Reads, any Error>?) {
        guard TokenSecret.looksValid(secret) else { throw Self.sessionEnded }
        let hash = TokenSecret.hash(secret)
        guard let remembered = webSessionMemory.recall(hash) else {
            let session = try await authenticateWebSession(hash: hash)
            guard session.factor == .none else { return (session, nil) }
            return (session, await outcome { try await reads(callContext(for: session, requestID: requestID)) })
        }
        // Both are awaited to the end, whatever either throws: a read is never left running.
        async let checking = outcome { try await self.authenticateWebSession(hash: hash) }
        async let reading = outcome { try await reads(CallContext(viewer: remembered, requestID: requestID)) }
        let (checked, read) = await (checking, reading)
        let session = try checked.get()
        guard session.factor == .none else { return (session, nil) }
        if let viewer = Self.viewer(of: session), viewer.sameFacts(as: remembered) { return (session, read) }
        return (session, await outcome { try await reads(callContext(for: session, requestID: requestID)) })
    }

    /// The language the portal speaks to this account.
    public func setPortalLanguage(_ session: WebSession, _ language: PortalLanguage) async throws {
        try await database.autocommit { connection in
            try await connection.query(
                "UPDATE accounts SET language = \(language), updated_at = now() WHERE id = \(session.accountID)",
                logger: logger)
        }
    }

    /// A person's own settings from the portal: the time zone their times are written in
    /// (the participant's, as coordinators set it) and the portal's language. Audited.
    public func updateProfile(
        _ session: WebSession, requestID: String, timezone rawZone: String?, language: PortalLanguage?
    ) async throws {
        var validator = Validator()
        let zone = validator.timezone(rawZone, "timezone")
        try validator.check()
        let context = callContext(for: session, requestID: requestID)
        try await database.transaction { connection in
            let changed = try await connection.query("""
                UPDATE participants SET timezone = coalesce(\(zone), timezone), version = version + 1, updated_at = now()
                WHERE id = \(session.participantID) AND status = 'active' RETURNING id
                """, logger: logger).collect()
            guard !changed.isEmpty else { throw DomainError.unauthenticated("the web session has ended; sign in again") }
            if let language {
                try await connection.query(
                    "UPDATE accounts SET language = \(language), updated_at = now() WHERE id = \(session.accountID)", logger: logger)
            }
            var diff: AuditLog.Diff = [:]
            if let zone { diff["timezone"] = zone }
            if let language { diff["language"] = language.rawValue }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "participant.profile", objectType: "participant",
                objectID: session.participantID.lowercasedString, diff: diff)
        }
    }

    /// The account's live web sessions, newest first, the caller's own marked. Nothing about
    /// the device or address is kept, so nothing of it can be shown or leaked.
    public func listWebSessions(_ session: WebSession) async throws -> [WebSessionInfo] {
        let idle = Int(AccountRules.idleTimeout)
        return try await database.read { connection in
            try await connection.query("""
                SELECT id, created_at, last_seen_at FROM web_sessions
                WHERE account_id = \(session.accountID) AND ended_at IS NULL AND expires_at > now()
                  AND last_seen_at > now() - \(idle) * interval '1 second'
                ORDER BY created_at DESC, id
                """, logger: logger).collect().map { row in
                let (id, createdAt, lastSeenAt) = try row.decode((UUID, Date, Date).self)
                return WebSessionInfo(id: id, createdAt: createdAt, lastSeenAt: lastSeenAt, current: id == session.id)
            }
        }
    }

    /// A participant's live portal sessions, for an admin: the overview beside the compromise
    /// drill, which ends them.
    public func listWebSessions(_ context: CallContext, participantID: UUID) async throws -> [WebSessionInfo] {
        guard context.actor.role == .admin else { throw DomainError.forbidden("only an admin sees another participant's sessions") }
        let idle = Int(AccountRules.idleTimeout)
        return try await database.read { connection in
            _ = try await visibleParticipant(connection, context, id: participantID, lock: false)
            return try await connection.query("""
                SELECT s.id, s.created_at, s.last_seen_at FROM web_sessions s JOIN accounts a ON a.id = s.account_id
                WHERE a.participant_id = \(participantID) AND s.ended_at IS NULL AND s.expires_at > now()
                  AND s.last_seen_at > now() - \(idle) * interval '1 second'
                ORDER BY s.created_at DESC, s.id
                """, logger: logger).collect().map { row in
                let (id, createdAt, lastSeenAt) = try row.decode((UUID, Date, Date).self)
                return WebSessionInfo(id: id, createdAt: createdAt, lastSeenAt: lastSeenAt, current: id == context.actor.tokenID)
            }
        }
    }

    /// The context a portal request acts with: the account's participant and role, the web
    /// session standing where an API request's token stands.
    public func callContext(for session: WebSession, requestID: String) -> CallContext {
        guard let viewer = Self.viewer(of: session) else { return CallContext(actor: session.actor, requestID: requestID) }
        return CallContext(viewer: viewer, requestID: requestID)
    }

    /// The viewer a web session names, from the facts its check read; nil for one made without
    /// them (a session just started).
    static func viewer(of session: WebSession) -> Viewer? {
        session.facts.map { viewer(session.actor, facts: $0) }
    }

    /// Ends this session, or every other session of its account.
    public func signOut(_ session: WebSession, others: Bool = false) async throws {
        try await database.autocommit { connection in
            if others {
                try await connection.query("""
                    UPDATE web_sessions SET ended_at = now()
                    WHERE account_id = \(session.accountID) AND id <> \(session.id) AND ended_at IS NULL
                    """, logger: logger)
            } else {
                try await connection.query("UPDATE web_sessions SET ended_at = now() WHERE id = \(session.id)", logger: logger)
            }
        }
    }

    /// A new web session. One whose account has a second factor waits for a code; one whose
    /// role requires a factor it lacks waits for its setup, with a new secret sealed on it.
    private func startWebSession(
        _ connection: PostgresConnection, accountID: UUID, participantID: UUID, name: String, role: Role, language: PortalLanguage,
        secretHash: String, csrf: String, hasSecondFactor: Bool
    ) async throws -> WebSession {
        let factor: SecondFactorState = hasSecondFactor ? .code : AccountRules.requiresSecondFactor(role) ? .setup : .none
        let pending = factor == .setup ? try sealSecondFactor(TOTP.newSecret(), participantID: participantID) : nil
        let row = try await connection.rows(
            try Prepared.NewWebSession(accountID, secretHash, csrf, Int(AccountRules.absoluteLifetime), factor, pending), logger: logger
        ).single(or: .conflict("the web session could not be created"))
        let (id, expiresAt) = try row.decode((UUID, Date).self)
        return WebSession(
            id: id, accountID: accountID, participantID: participantID, signInName: name, role: role, language: language,
            csrfSecret: csrf, expiresAt: expiresAt, factor: factor)
    }

    /// Failures are counted under a keyed hash: neither the names people typed (sometimes
    /// their passphrase, by mistake) nor client addresses are kept.
    func throttleKey(_ text: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: Data(throttleSecret.utf8))).hexString
    }
}

extension Prepared {
    /// An invitation to the portal, by the hash of its secret, valid for $5 seconds.
    struct NewPortalInvitation: PreparedWrite {
        static let sql = """
            INSERT INTO portal_invitations (participant_id, role, secret_hash, invited_by, expires_at)
            VALUES ($1::uuid, $2::text, $3::text, $4::uuid, now() + $5::int8 * interval '1 second')
            RETURNING id, expires_at
            """
        let bindings: PostgresBindings
    }

    /// A participant's account, or its renewal from a new invitation (which drops its second factor).
    struct NewAccount: PreparedWrite {
        static let sql = """
            INSERT INTO accounts (participant_id, sign_in_name, passphrase_hash, role, language)
            VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text)
            ON CONFLICT (participant_id) DO UPDATE
                SET sign_in_name = excluded.sign_in_name, passphrase_hash = excluded.passphrase_hash, role = excluded.role,
                    language = excluded.language, second_factor = NULL, second_factor_step = NULL,
                    version = accounts.version + 1, updated_at = now()
            RETURNING id, language
            """
        let bindings: PostgresBindings
    }

    /// Failed attempts, by keyed hash (`throttleKey`); those older than a day go as new ones come.
    struct NewSignInFailures: PreparedWrite {
        static let sql = """
            WITH old AS (DELETE FROM sign_in_failures WHERE failed_at < now() - interval '1 day')
            INSERT INTO sign_in_failures (key_hash) SELECT unnest($1::text[])
            """
        let bindings: PostgresBindings
    }

    /// A web session, by the hash of its secret, ending at the latest after $4 seconds.
    struct NewWebSession: PreparedWrite {
        static let sql = """
            INSERT INTO web_sessions (account_id, secret_hash, csrf_secret, expires_at, factor, pending_second_factor)
            VALUES ($1::uuid, $2::text, $3::text, now() + $4::int8 * interval '1 second', $5::text, $6::text)
            RETURNING id, expires_at
            """
        let bindings: PostgresBindings
    }
}
