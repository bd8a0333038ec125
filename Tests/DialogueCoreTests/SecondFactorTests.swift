@testable import DialogueCore
import DialogueTestSupport
import Foundation
import Testing

@Suite("Second factor: TOTP codes, set up, sign-in, once only, throttled, recovered by invitation")
struct SecondFactorTests {
    static let passphrase = "a long enough passphrase"

    @Test("RFC 6238's SHA-1 test vectors, and RFC 4648's base32")
    func vectors() {
        let secret = Data("12345678901234567890".utf8)
        for (time, code) in [(59, "94287082"), (1_111_111_109, "07081804"), (1_234_567_890, "89005924"), (2_000_000_000, "69279037")] {
            #expect(TOTP.code(secret: secret, step: Int64(time) / 30, digits: 8) == code, "T=\(time)")
        }
        #expect(TOTP.base32(Data("foobar".utf8)) == "MZXW6YTBOI")
        #expect(TOTP.secret(base32: "mzxw 6ytb oi") == Data("foobar".utf8))
        #expect(TOTP.secret(base32: "not base32!") == nil)
        let fresh = TOTP.newSecret()
        #expect(fresh.count == 20 && TOTP.secret(base32: TOTP.base32(fresh)) == fresh)
    }

    @Test("one step of drift either way, not two; a used step never again; only six digits")
    func matching() {
        let secret = TOTP.newSecret()
        let now = Date(timeIntervalSince1970: 1_900_000_000)
        let step = TOTP.step(at: now)
        #expect(TOTP.matchingStep(TOTP.code(secret: secret, step: step), secret: secret, at: now, after: nil) == step)
        #expect(TOTP.matchingStep(TOTP.code(secret: secret, step: step - 1), secret: secret, at: now, after: nil) == step - 1)
        #expect(TOTP.matchingStep(TOTP.code(secret: secret, step: step + 1), secret: secret, at: now, after: nil) == step + 1)
        #expect(TOTP.matchingStep(TOTP.code(secret: secret, step: step - 2), secret: secret, at: now, after: nil) == nil)
        #expect(TOTP.matchingStep(TOTP.code(secret: secret, step: step), secret: secret, at: now, after: step) == nil, "used")
        #expect(TOTP.matchingStep(TOTP.code(secret: secret, step: step - 1), secret: secret, at: now, after: step) == nil, "older")
        #expect(TOTP.matchingStep("12345", secret: secret, at: now, after: nil) == nil)
        #expect(TOTP.matchingStep("１２３４５６", secret: secret, at: now, after: nil) == nil, "ASCII digits only")
    }

    static func code(_ dialogue: Dialogue, _ session: WebSession, offset: Int64 = 0) async throws -> String {
        let setup = try await dialogue.secondFactorSetup(session)
        let secret = try #require(TOTP.secret(base32: setup.secret))
        return TOTP.code(secret: secret, step: TOTP.step(at: Date()) + offset)
    }

    @Test("a coordinator sets one up on entering, then signs in with a code that works once; a new invitation recovers")
    func coordinatorFlow() async throws {
        try await withDialogue { dialogue in
            let user = try await dialogue.makeUser(.coordinator)
            let invitation = try await dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: "coordinator")
            let entered = try await dialogue.acceptInvitation(secret: invitation.secret, signInName: "envoy", passphrase: Self.passphrase)
            #expect(entered.session.factor == .setup)
            #expect(try await dialogue.authenticateWebSession(secret: entered.secret).factor == .setup)
            let setup = try await dialogue.secondFactorSetup(entered.session)
            #expect(setup.uri.hasPrefix("otpauth://totp/Dialogue%20portal:envoy?secret=\(setup.secret)&"), "\(setup.uri)")
            await #expect(throws: DomainError.self) { _ = try await dialogue.confirmSecondFactor(entered.session, code: "000000", requestID: "t") }
            let secret = try #require(TOTP.secret(base32: setup.secret))
            let now = TOTP.step(at: Date())
            let confirmed = try await dialogue.confirmSecondFactor(entered.session, code: TOTP.code(secret: secret, step: now), requestID: "t")
            #expect(confirmed.session.factor == .none)
            await #expect(throws: DomainError.self, "the id from before the second factor no longer opens the session") {
                _ = try await dialogue.authenticateWebSession(secret: entered.secret)
            }
            #expect(try await dialogue.authenticateWebSession(secret: confirmed.secret).factor == .none)

            // The secret is sealed: not in the database as text, and another key cannot open it.
            let stored = try await sqlText(dialogue, "SELECT second_factor FROM accounts WHERE participant_id = \(user.participantID)")
            #expect(!stored.contains(setup.secret) && !stored.isEmpty)
            var stranger = dialogue
            stranger.secondFactorKey = try VaultKey(base64: VaultKey.generate())
            #expect(throws: (any Error).self) { _ = try stranger.openSecondFactor(stored, participantID: user.participantID) }

            let again = try await dialogue.signIn(signInName: "envoy", passphrase: Self.passphrase, client: nil)
            #expect(again.session.factor == .code)
            await #expect(throws: DomainError.self, "the code used to set up does not work twice") {
                _ = try await dialogue.confirmSecondFactor(again.session, code: TOTP.code(secret: secret, step: now), requestID: "t")
            }
            let next = try await dialogue.confirmSecondFactor(again.session, code: TOTP.code(secret: secret, step: now + 1), requestID: "t")
            #expect(next.session.factor == .none)
            await #expect(throws: DomainError.self) { try await dialogue.removeSecondFactor(next.session, requestID: "t") }

            // Lost phone: a new invitation clears the factor, and the next entry sets one up again.
            let recovery = try await dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: "coordinator")
            let back = try await dialogue.acceptInvitation(secret: recovery.secret, signInName: "envoy", passphrase: Self.passphrase)
            #expect(back.session.factor == .setup)
            #expect(try await dialogue.hasSecondFactor(back.session) == false)
        }
    }

    @Test("wrong codes are throttled per account like passphrases; members may turn it on and off")
    func throttleAndMembers() async throws {
        try await withDialogue { dialogue in
            let user = try await dialogue.makeUser(.admin)
            let invitation = try await dialogue.invitePortalUser(.cli(), participantID: user.participantID, role: "admin")
            let entered = try await dialogue.acceptInvitation(secret: invitation.secret, signInName: "root", passphrase: Self.passphrase)
            for _ in 0..<AccountRules.failuresAllowed {
                await #expect(throws: DomainError.self) { _ = try await dialogue.confirmSecondFactor(entered.session, code: "000000", requestID: "t") }
            }
            let right = try await Self.code(dialogue, entered.session)
            await #expect(throws: DomainError.self, "even the right code waits out the throttle") {
                _ = try await dialogue.confirmSecondFactor(entered.session, code: right, requestID: "t")
            }

            let member = try await dialogue.makeUser(.member)
            let memberInvitation = try await dialogue.invitePortalUser(.cli(), participantID: member.participantID, role: "member")
            let plain = try await dialogue.acceptInvitation(secret: memberInvitation.secret, signInName: "plain", passphrase: Self.passphrase)
            #expect(plain.session.factor == .none, "members are not made to")
            try await dialogue.startSecondFactorSetup(plain.session)
            let pending = try await dialogue.authenticateWebSession(secret: plain.secret)
            #expect(pending.factor == .setup)
            let on = try await dialogue.confirmSecondFactor(pending, code: try await Self.code(dialogue, pending), requestID: "t")
            #expect(try await dialogue.hasSecondFactor(on.session))
            #expect(try await dialogue.signIn(signInName: "plain", passphrase: Self.passphrase, client: nil).session.factor == .code)
            // Moving to another authenticator, or dropping it, needs the passphrase or a current
            // code: a session cookie alone does neither.
            await #expect(throws: DomainError.self) { try await dialogue.startSecondFactorSetup(on.session) }
            await #expect(throws: DomainError.self) { try await dialogue.removeSecondFactor(on.session, requestID: "t", passphrase: "not it at all") }
            #expect(try await dialogue.hasSecondFactor(on.session))
            try await dialogue.removeSecondFactor(on.session, requestID: "t", passphrase: Self.passphrase)
            #expect(try await dialogue.signIn(signInName: "plain", passphrase: Self.passphrase, client: nil).session.factor == .none)
        }
    }
}
