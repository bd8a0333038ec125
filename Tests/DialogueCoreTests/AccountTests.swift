import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

/// Portal accounts (SECURITY.md 18, 20, 24): invitations, passphrases, web sessions.
@Suite("Portal accounts: invitations, sign-in, web sessions")
struct AccountTests {
    static let passphrase = "correct horse battery staple"

    static func invited(_ dialogue: Dialogue, role: String = "member", name: String = "zubr") async throws -> (TestUser, IssuedWebSession) {
        let user = try await dialogue.makeUser(.member, name: "Person \(name)", kind: .diaspora)
        let invitation = try await dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: role)
        let session = try await dialogue.acceptInvitation(secret: invitation.secret, signInName: name, passphrase: passphrase)
        return (user, session)
    }

    @Test("an invitation signs the participant in once; it is single use, expires, and is kept only as a hash")
    func invitationLifecycle() async throws {
        try await withDialogue { dialogue in
            let user = try await dialogue.makeUser(.member, kind: .inCountryProxy)
            let invitation = try await dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: "member")
            #expect(try await dialogue.invitationIsOpen(secret: invitation.secret))
            #expect(invitation.expiresAt.timeIntervalSinceNow > 71 * 3600 && invitation.expiresAt.timeIntervalSinceNow <= 72 * 3600)

            await #expect(throws: DomainError.validation([
                FieldError("sign_in_name", "use 3 to 64 letters, digits, dots, dashes or underscores"),
                FieldError("passphrase", "must be at least 12 characters"),
            ])) {
                _ = try await dialogue.acceptInvitation(secret: invitation.secret, signInName: "a b", passphrase: "short")
            }
            let issued = try await dialogue.acceptInvitation(secret: invitation.secret, signInName: "Zubr", passphrase: Self.passphrase)
            #expect(issued.session.participantID == user.participantID)
            #expect(issued.session.role == .member)
            let seen = try await dialogue.authenticateWebSession(secret: issued.secret)
            #expect(seen.id == issued.session.id)
            #expect(seen.acceptsCSRF(issued.session.csrfToken) && !seen.acceptsCSRF("forged"))

            #expect(try await !dialogue.invitationIsOpen(secret: invitation.secret), "single use")
            await #expect(throws: DomainError.self) {
                _ = try await dialogue.acceptInvitation(secret: invitation.secret, signInName: "again", passphrase: Self.passphrase)
            }
            let stored = try await sqlInt(dialogue, """
                SELECT count(*)::bigint FROM accounts a, web_sessions s, portal_invitations i
                WHERE a.passphrase_hash LIKE 'scrypt$%' AND position(\(Self.passphrase) IN a.passphrase_hash) = 0
                  AND s.secret_hash <> \(issued.secret) AND i.secret_hash <> \(invitation.secret)
                """)
            #expect(stored == 1, "the passphrase, the cookie's secret and the link's secret are stored only as hashes")

            let late = try await dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: "observer")
            try await sql(dialogue, "UPDATE portal_invitations SET expires_at = now() - interval '1 second' WHERE id = \(late.id)")
            #expect(try await !dialogue.invitationIsOpen(secret: late.secret), "72 hours, then gone")
        }
    }

    @Test("only coordinators invite, and never into a role above their own")
    func whoMayInvite() async throws {
        try await withDialogue { dialogue in
            let coordinator = try await dialogue.makeUser(.coordinator)
            let member = try await dialogue.makeUser(.member)
            let target = try await dialogue.makeUser(.observer)
            await #expect(throws: DomainError.forbidden("a coordinator may not invite a admin")) {
                _ = try await dialogue.invitePortalUser(coordinator.context, participantID: target.participantID, role: "admin")
            }
            await #expect(throws: DomainError.forbidden("only a coordinator may invite participants into the portal")) {
                _ = try await dialogue.invitePortalUser(member.context, participantID: target.participantID, role: "observer")
            }
            _ = try await dialogue.invitePortalUser(coordinator.context, participantID: target.participantID, role: "coordinator")
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log WHERE action = 'portal_invitation.issue'") == 1)
        }
    }

    @Test("sign-in: one answer for an unknown name and a wrong passphrase; throttled after five failures; names are case-insensitive")
    func signIn() async throws {
        try await withDialogue { dialogue in
            let (user, _) = try await Self.invited(dialogue, name: "Hanna.K")
            let session = try await dialogue.signIn(signInName: "hanna.k", passphrase: Self.passphrase, client: "a")
            #expect(session.session.participantID == user.participantID)

            var refusals: Set<String> = []
            for (name, passphrase) in [("hanna.k", "wrong passphrase!"), ("nobody.here", Self.passphrase)] {
                do {
                    _ = try await dialogue.signIn(signInName: name, passphrase: passphrase, client: "b")
                    Issue.record("\(name) signed in")
                } catch let error as DomainError {
                    refusals.insert(error.description)
                }
            }
            #expect(refusals.count == 1, "an unknown name and a wrong passphrase read the same")

            for _ in 0..<5 {
                _ = try? await dialogue.signIn(signInName: "Hanna.K", passphrase: "still the wrong one", client: "c")
            }
            await #expect(throws: DomainError.self, "the name is throttled, even with the right passphrase") {
                _ = try await dialogue.signIn(signInName: "hanna.k", passphrase: Self.passphrase, client: "d")
            }
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM sign_in_failures WHERE key_hash LIKE '%hanna%'") == 0,
                    "failures are counted under keyed hashes, not names")
        }
    }

    @Test("web sessions end when idle for 30 minutes, after 12 hours, at sign-out, and for the other sessions on request")
    func sessionLifetimes() async throws {
        try await withDialogue { dialogue in
            let (_, first) = try await Self.invited(dialogue, name: "alesia")
            let second = try await dialogue.signIn(signInName: "alesia", passphrase: Self.passphrase, client: "x")
            let third = try await dialogue.signIn(signInName: "alesia", passphrase: Self.passphrase, client: "y")
            #expect(first.secret != second.secret, "a new id at every sign-in")

            try await sql(dialogue, "UPDATE web_sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = \(first.session.id)")
            await #expect(throws: DomainError.self) { _ = try await dialogue.authenticateWebSession(secret: first.secret) }
            try await sql(dialogue, "UPDATE web_sessions SET expires_at = now() - interval '1 second' WHERE id = \(second.session.id)")
            await #expect(throws: DomainError.self) { _ = try await dialogue.authenticateWebSession(secret: second.secret) }

            let fourth = try await dialogue.signIn(signInName: "alesia", passphrase: Self.passphrase, client: "z")
            try await dialogue.signOut(fourth.session, others: true)
            await #expect(throws: DomainError.self) { _ = try await dialogue.authenticateWebSession(secret: third.secret) }
            #expect(try await dialogue.authenticateWebSession(secret: fourth.secret).id == fourth.session.id)
            try await dialogue.signOut(fourth.session)
            await #expect(throws: DomainError.self) { _ = try await dialogue.authenticateWebSession(secret: fourth.secret) }
        }
    }

    @Test("use moves the idle clock, but writes it at most once in 30 seconds")
    func idleClock() async throws {
        try await withDialogue { dialogue in
            let (_, issued) = try await Self.invited(dialogue, name: "hanna")
            let id = issued.session.id
            func idleSeconds() async throws -> Int {
                try await sqlInt(dialogue, "SELECT extract(epoch FROM now() - last_seen_at)::int FROM web_sessions WHERE id = \(id)")
            }
            try await sql(dialogue, "UPDATE web_sessions SET last_seen_at = now() - interval '29 minutes' WHERE id = \(id)")
            _ = try await dialogue.authenticateWebSession(secret: issued.secret)
            #expect(try await idleSeconds() < 5, "a use after 29 idle minutes starts the half hour again")
            try await sql(dialogue, "UPDATE web_sessions SET last_seen_at = now() - interval '10 seconds' WHERE id = \(id)")
            _ = try await dialogue.authenticateWebSession(secret: issued.secret)
            #expect(try await idleSeconds() >= 10, "a use within 30 seconds of the last write writes nothing")
        }
    }

    @Test("the compromise drill and deactivation end every web session and open invitation at once; a new invitation replaces the passphrase")
    func compromiseEndsSessions() async throws {
        try await withDialogue { dialogue in
            let (user, session) = try await Self.invited(dialogue, name: "zubr")
            let pending = try await dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: "member")
            _ = try await dialogue.markCompromised(.cli(), participantID: user.participantID, reason: "phone seized")
            await #expect(throws: DomainError.self) { _ = try await dialogue.authenticateWebSession(secret: session.secret) }
            #expect(try await !dialogue.invitationIsOpen(secret: pending.secret))
            await #expect(throws: DomainError.self) {
                _ = try await dialogue.signIn(signInName: "zubr", passphrase: Self.passphrase, client: "a")
            }

            let (other, otherSession) = try await Self.invited(dialogue, name: "hanna")
            _ = try await dialogue.updateParticipant(.cli(), id: other.participantID, ParticipantInput(status: "inactive"), ifMatch: nil)
            await #expect(throws: DomainError.self) { _ = try await dialogue.authenticateWebSession(secret: otherSession.secret) }

            // Back, with a new invitation: the old passphrase and sessions are gone.
            _ = try await dialogue.updateParticipant(.cli(), id: other.participantID, ParticipantInput(status: "active"), ifMatch: nil)
            let again = try await dialogue.invitePortalUser(.cli(), participantID: other.participantID, role: "member")
            _ = try await dialogue.acceptInvitation(secret: again.secret, signInName: "hanna2", passphrase: "a new long passphrase")
            await #expect(throws: DomainError.self) {
                _ = try await dialogue.signIn(signInName: "hanna2", passphrase: Self.passphrase, client: "b")
            }
            #expect(try await dialogue.signIn(signInName: "hanna2", passphrase: "a new long passphrase", client: "b").session.participantID
                    == other.participantID)
        }
    }
}
