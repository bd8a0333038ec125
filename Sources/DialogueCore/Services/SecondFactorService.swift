import Foundation
import PostgresNIO

/// What a web session still needs before it may act.
public enum SecondFactorState: String, Sendable, CaseIterable, PostgresCodable {
    /// Nothing: signed in.
    case none
    /// A code from the account's authenticator.
    case code
    /// A second factor to be set up (a coordinator without one, or a member who asked).
    case setup
}

/// A second factor being set up: the secret as text for typing into an authenticator app, and
/// the `otpauth://` address that app would take instead.
public struct SecondFactorSetup: Sendable, Equatable {
    public var secret: String
    public var uri: String
}

extension Dialogue {
    static let secondFactorPurpose = "dialogue-second-factor"
    static let secondFactorIssuer = "Dialogue portal"

    func sealSecondFactor(_ secret: Data, participantID: UUID) throws -> String {
        try factorKey().seal(secret, participantID: participantID, purpose: Self.secondFactorPurpose)
    }

    func openSecondFactor(_ sealed: String, participantID: UUID) throws -> Data {
        try factorKey().open(sealed, participantID: participantID, purpose: Self.secondFactorPurpose)
    }

    private func factorKey() throws -> VaultKey {
        guard let secondFactorKey else {
            throw DomainError.unavailable(
                "this server has no second-factor key (DIALOGUE_FACTOR_KEY_FILE), so second factors cannot be set up or checked")
        }
        return secondFactorKey
    }

    /// The secret of the second factor this session is setting up, to show the person once more.
    public func secondFactorSetup(_ session: WebSession) async throws -> SecondFactorSetup {
        let sealed = try await database.read { connection in
            try await connection.query(
                "SELECT pending_second_factor FROM web_sessions WHERE id = \(session.id) AND factor = 'setup' AND ended_at IS NULL",
                logger: logger
            ).collect().first?.decode(String?.self)
        }
        guard let sealed else { throw DomainError.conflict("this session is not setting up a second factor") }
        let secret = try openSecondFactor(sealed, participantID: session.participantID)
        return SecondFactorSetup(
            secret: TOTP.base32(secret), uri: TOTP.uri(secret: secret, account: session.signInName, issuer: Self.secondFactorIssuer))
    }

    /// Someone asks for a second factor, or to move to a new authenticator: the session goes
    /// back to setting one up. Replacing one asks for the passphrase or a current code first,
    /// so a stolen session cookie alone cannot bind another authenticator to the account.
    public func startSecondFactorSetup(_ session: WebSession, passphrase: String? = nil, code: String? = nil) async throws {
        if try await hasSecondFactor(session) { try await confirmPresence(session, passphrase: passphrase, code: code) }
        let sealed = try sealSecondFactor(TOTP.newSecret(), participantID: session.participantID)
        try await database.autocommit { connection in
            try await connection.query("""
                UPDATE web_sessions SET factor = 'setup', pending_second_factor = \(sealed) WHERE id = \(session.id) AND ended_at IS NULL
                """, logger: logger)
        }
    }

    /// A member or observer drops their second factor (coordinators and admins cannot), after
    /// giving their passphrase or a current code. Audited.
    public func removeSecondFactor(_ session: WebSession, requestID: String, passphrase: String? = nil, code: String? = nil) async throws {
        guard !AccountRules.requiresSecondFactor(session.role) else {
            throw DomainError.forbidden("coordinators and admins sign in with a second factor")
        }
        try await confirmPresence(session, passphrase: passphrase, code: code)
        try await database.transaction { connection in
            try await connection.query(
                "UPDATE accounts SET second_factor = NULL, second_factor_step = NULL, updated_at = now() WHERE id = \(session.accountID)",
                logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: callContext(for: session, requestID: requestID), action: "account.second_factor.remove",
                objectType: "participant", objectID: session.participantID.lowercasedString, diff: [:])
        }
    }

    /// The code that completes a sign-in, or confirms a second factor being set up. A code
    /// works once and only within one step of now; failures are throttled per account like
    /// passphrases. On success the session gets a new id (returned): what was issued before
    /// the second factor no longer opens it.
    public func confirmSecondFactor(_ session: WebSession, code: String?, requestID: String) async throws -> IssuedWebSession {
        let wrong = DomainError.invalid("code", "the code is not right, or was used already; wait for the next one")
        let throttle = throttleKey("factor:" + session.accountID.uuidString)
        let (newSecret, newHash) = TokenSecret.generate()
        let now = Date()
        let outcome: Result<WebSession, DomainError> = try await database.transaction { connection in
            let window = Int(AccountRules.throttleWindow)
            let failures = try await connection.query("""
                SELECT count(*)::bigint FROM sign_in_failures WHERE key_hash = \(throttle) AND failed_at > now() - \(window) * interval '1 second'
                """, logger: logger).collect().first?.decode(Int.self) ?? 0
            let row = try await connection.query("""
                SELECT s.factor, s.pending_second_factor, a.second_factor, a.second_factor_step
                FROM web_sessions s JOIN accounts a ON a.id = s.account_id
                WHERE s.id = \(session.id) AND s.ended_at IS NULL AND s.expires_at > now()
                FOR UPDATE OF s, a
                """, logger: logger).collect().first
            guard let (factor, pending, stored, usedStep) = try row?.decode((SecondFactorState, String?, String?, Int64?).self) else {
                throw DomainError.unauthenticated("the web session has ended; sign in again")
            }
            let sealed = factor == .setup ? pending : stored
            guard factor != .none, let sealed else { throw DomainError.conflict("this session needs no code") }
            let secret = try openSecondFactor(sealed, participantID: session.participantID)
            guard failures < AccountRules.failuresAllowed,
                let step = TOTP.matchingStep(code ?? "", secret: secret, at: now, after: factor == .setup ? nil : usedStep)
            else {
                try await connection.run(try Prepared.NewSignInFailures([throttle]), logger: logger)
                return .failure(wrong)
            }
            try await connection.query("""
                UPDATE accounts SET second_factor = \(sealed), second_factor_step = \(step), updated_at = now() WHERE id = \(session.accountID)
                """, logger: logger)
            try await connection.query("""
                UPDATE web_sessions SET factor = 'none', pending_second_factor = NULL, secret_hash = \(newHash), last_seen_at = now()
                WHERE id = \(session.id)
                """, logger: logger)
            try await connection.query("DELETE FROM sign_in_failures WHERE key_hash = \(throttle)", logger: logger)
            if factor == .setup {
                try await AuditLog.append(
                    connection, logger: logger, context: callContext(for: session, requestID: requestID),
                    action: "account.second_factor.set", objectType: "participant",
                    objectID: session.participantID.lowercasedString, diff: [:])
            }
            var signedIn = session
            signedIn.factor = .none
            return .success(signedIn)
        }
        // A refusal is committed (its failure counts) before it is reported.
        return IssuedWebSession(secret: newSecret, session: try outcome.get())
    }

    /// Whether the account behind a session has a second factor.
    public func hasSecondFactor(_ session: WebSession) async throws -> Bool {
        try await database.read { connection in
            try await connection.query(
                "SELECT second_factor IS NOT NULL FROM accounts WHERE id = \(session.accountID)", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
        }
    }
}

extension Dialogue {
    /// A grave step taken from the portal asks the person again (SECURITY.md 5, the compromise
    /// drill): their passphrase, or a fresh code when the account has a second factor. Wrong
    /// answers count with the account's code failures, so this cannot be used to guess either.
    public func confirmPresence(_ session: WebSession, passphrase: String?, code: String?) async throws {
        let throttle = throttleKey("factor:" + session.accountID.uuidString)
        let confirmed: Bool = try await database.transaction { connection in
            let window = Int(AccountRules.throttleWindow)
            let failures = try await connection.query("""
                SELECT count(*)::bigint FROM sign_in_failures WHERE key_hash = \(throttle) AND failed_at > now() - \(window) * interval '1 second'
                """, logger: logger).collect().first?.decode(Int.self) ?? 0
            let row = try await connection.query(
                "SELECT passphrase_hash, second_factor, second_factor_step FROM accounts WHERE id = \(session.accountID) FOR UPDATE",
                logger: logger
            ).collect().first
            guard let (hash, sealed, usedStep) = try row?.decode((String, String?, Int64?).self) else {
                throw DomainError.unauthenticated("the account is gone; sign in again")
            }
            var confirmed = false
            if failures < AccountRules.failuresAllowed {
                if let code = code?.trimmingCharacters(in: .whitespaces), !code.isEmpty, let sealed {
                    let secret = try openSecondFactor(sealed, participantID: session.participantID)
                    if let step = TOTP.matchingStep(code, secret: secret, at: Date(), after: usedStep) {
                        try await connection.query(
                            "UPDATE accounts SET second_factor_step = \(step) WHERE id = \(session.accountID)", logger: logger)
                        confirmed = true
                    }
                } else if let passphrase, !passphrase.isEmpty, passphrase.unicodeScalars.count <= Passphrase.maximumLength {
                    confirmed = try await Passphrase.verifyOffloaded(passphrase, against: hash)
                }
            }
            if confirmed {
                try await connection.query("DELETE FROM sign_in_failures WHERE key_hash = \(throttle)", logger: logger)
            } else {
                try await connection.run(try Prepared.NewSignInFailures([throttle]), logger: logger)
            }
            return confirmed
        }
        guard confirmed else { throw DomainError.invalid("confirmation", "the passphrase or the code is not right, or there were too many attempts") }
    }

    /// The compromise drill from the console: a reason is required (it is what the next admin
    /// reads in the audit trail) and the admin confirms who they are, then `markCompromised`.
    public func markCompromised(
        _ session: WebSession, participantID: UUID, reason: String?, passphrase: String?, code: String?, requestID: String
    ) async throws -> Participant {
        let context = callContext(for: session, requestID: requestID)
        guard context.actor.role == .admin else { throw DomainError.forbidden("only an admin may run the compromise drill") }
        if (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw DomainError.invalid("reason", "is required: say what happened")
        }
        try await confirmPresence(session, passphrase: passphrase, code: code)
        return try await markCompromised(context, participantID: participantID, reason: reason)
    }
}
