@testable import DialogueCore
import DialogueTestSupport
@testable import DialogueWeb
import Foundation
import Testing

/// E-mail about notifications (issue 22): off unless asked for, never for an in-country
/// participant, content-free unless opted into, each notification mailed once.
@Suite("Notifications by e-mail: preferences, the outbox, the message")
struct EmailTests {
    static func session(_ dialogue: Dialogue, _ title: String) async throws -> Session {
        try await dialogue.createSession(.cli(), SessionInput(
            kind: "plenary", title: title, localStart: "2030-05-14T10:00", durationMinutes: 60, timezone: "Europe/Vilnius"))
    }

    @Test("deliveries are written once per new unread notification, as each person asked; a proxy can never ask")
    func outbox() async throws {
        try await withDialogue { dialogue in
            let cli = CallContext.cli()
            let reader = try await dialogue.makeUser(.member, name: "Reader", kind: .diaspora)
            _ = try await dialogue.updateParticipant(cli, id: reader.participantID, ParticipantInput(email: .some("reader@example.org")), ifMatch: nil)
            let proxy = try await dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
            let unaddressed = try await dialogue.makeUser(.member, name: "No address", kind: .diaspora)
            for user in [proxy, unaddressed] {
                await #expect(throws: DomainError.self, "e-mail cannot be turned on where it cannot go") {
                    _ = try await dialogue.updateNotificationPreferences(user.context, PreferencesInput(email: "immediate"), ifMatch: nil)
                }
            }
            #expect(try await dialogue.notificationPreferences(proxy.context).emailPossible == false)
            #expect(SMTPConfiguration(host: "mail.example.org", port: 587, from: "p@example.org").requiresTLS, "STARTTLS outside loopback")
            #expect(!SMTPConfiguration(host: "127.0.0.1", port: 25, from: "p@example.org").requiresTLS)
            let first = try await Self.session(dialogue, "Closed-door briefing")
            _ = try await dialogue.invite(cli, sessionID: first.id, participantID: reader.participantID, onBehalfOf: nil)
            _ = try await dialogue.invite(cli, sessionID: first.id, participantID: proxy.participantID, onBehalfOf: nil)
            #expect(try await dialogue.queueEmails() == 0, "nobody asked for e-mail yet")
            // Turning e-mail on does not mail what came before.
            _ = try await dialogue.updateNotificationPreferences(reader.context, PreferencesInput(email: "immediate"), ifMatch: nil)
            #expect(try await dialogue.queueEmails() == 0)
            let second = try await Self.session(dialogue, "Second briefing")
            _ = try await dialogue.invite(cli, sessionID: second.id, participantID: reader.participantID, onBehalfOf: nil)
            #expect(try await dialogue.queueEmails() == 1)
            #expect(try await dialogue.queueEmails() == 0, "each notification is mailed once")
            let due = try await dialogue.dueEmails()
            #expect(due.count == 1 && due[0].address == "reader@example.org" && due[0].notificationIDs.count == 1)

            // The message names nothing: a count and the portal's address.
            let message = try await dialogue.composeEmail(due[0], from: "portal@dialogue.example", publicBaseURL: "https://portal.example")
            #expect(message.body.contains("You have 1 new item") && message.body.contains("https://portal.example/notifications"))
            #expect(!message.body.contains("briefing") && !message.subject.contains("briefing"))
            #expect(message.messageID == "<delivery-\(due[0].id)@portal.example>")
            let data = SMTPClient.data(message)
            #expect(data.hasSuffix("\r\n.\r\n") && data.contains("Message-ID: <delivery-") && !data.contains("briefing"))
            try await dialogue.markEmailSent(due[0].id)
            #expect(try await dialogue.dueEmails().isEmpty)

            // Opted into full text: the titles the reader may see, and only those.
            let opted = try await dialogue.notificationPreferences(reader.context)
            _ = try await dialogue.updateNotificationPreferences(
                reader.context, PreferencesInput(email: "immediate", fullText: true), ifMatch: opted.version)
            let third = try await Self.session(dialogue, "Third briefing")
            _ = try await dialogue.invite(cli, sessionID: third.id, participantID: reader.participantID, onBehalfOf: nil)
            #expect(try await dialogue.queueEmails() == 1)
            let full = try await dialogue.composeEmail(
                try #require(try await dialogue.dueEmails().first), from: "portal@dialogue.example", publicBaseURL: "https://portal.example")
            #expect(full.body.contains("You are invited to a session: Third briefing"))

            // Quiet, or read in the portal already: nothing goes.
            let now = try await dialogue.notificationPreferences(reader.context)
            _ = try await dialogue.updateNotificationPreferences(reader.context, PreferencesInput(email: "immediate", quiet: true), ifMatch: now.version)
            _ = try await dialogue.invite(cli, sessionID: (try await Self.session(dialogue, "Fourth")).id, participantID: reader.participantID, onBehalfOf: nil)
            #expect(try await dialogue.queueEmails() == 0)
            let quiet = try await dialogue.notificationPreferences(reader.context)
            _ = try await dialogue.updateNotificationPreferences(reader.context, PreferencesInput(email: "daily"), ifMatch: quiet.version)
            try await dialogue.markNotificationsRead(reader.context, ids: nil)
            #expect(try await dialogue.queueEmails() == 0, "what was read in the portal is not mailed")

            // A failed delivery waits, then is given up; a compromised participant's pending mail is dropped.
            let pending = try #require(try await dialogue.dueEmails().first)
            try await dialogue.markEmailFailed(pending.id, attempts: pending.attempts, reason: "the relay answered 451")
            #expect(try await dialogue.dueEmails().isEmpty, "tried again only after a pause")
            _ = try await dialogue.markCompromised(cli, participantID: reader.participantID, reason: "seized")
            let left = try await dialogue.database.read { connection in
                try await connection.query(
                    "SELECT count(*)::int8 FROM email_deliveries WHERE recipient_id = \(reader.participantID) AND sent_at IS NULL",
                    logger: dialogue.database.logger
                ).collect().first?.decode(Int.self)
            }
            #expect(left == 0)
        }
    }

    @Test("the profile's e-mail page: a proxy is told why there is none; a member chooses, with the version kept")
    func preferencesPage() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let proxy = try await dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
            let (proxyCookie, proxyCSRF) = try await portal.signedIn(proxy, name: "zubr")
            let proxyPage = try await portal.get("/profile/notifications", cookie: proxyCookie)
            #expect(proxyPage.status == 200 && proxyPage.html.contains("No e-mail is sent to you") && !proxyPage.html.contains(#"name="email_mode""#))
            let refused = try await portal.post("/profile/notifications", ["csrf": proxyCSRF, "email_mode": "immediate", "version": "0"], cookie: proxyCookie)
            #expect(refused.status == 422)
            let member = try await dialogue.makeUser(.member, name: "Reader", kind: .diaspora)
            _ = try await dialogue.updateParticipant(.cli(), id: member.participantID, ParticipantInput(email: .some("r@example.org")), ifMatch: nil)
            let (cookie, csrf) = try await portal.signedIn(member, name: "reader")
            let page = try await portal.get("/profile/notifications", cookie: cookie)
            #expect(page.status == 200 && page.html.contains(#"name="email_mode""#) && page.html.contains(#"name="event_session_invited""#))
            PortalTests.checkPageRules(page, "e-mail preferences")
            let saved = try await portal.post(
                "/profile/notifications", ["csrf": csrf, "email_mode": "daily", "event_session_invited": "1", "version": "0"], cookie: cookie)
            #expect(saved.status == 303)
            let preferences = try await dialogue.notificationPreferences(member.context)
            #expect(preferences.email == .daily && preferences.events == [.sessionInvited])
            let stale = try await portal.post("/profile/notifications", ["csrf": csrf, "email_mode": "off", "version": "0"], cookie: cookie)
            #expect(stale.status == 409)
        }
    }
}

/// Webhooks (issue 22): admin-only, never at this machine outside development, signed as
/// Standard Webhooks, counting notifications by kind and naming nothing.
@Suite("Notifications by webhook: subscriptions, payloads, signatures")
struct WebhookTests {
    @Test("signatures follow Standard Webhooks (the specification's own example)")
    func signature() {
        #expect(WebhookRules.signature(
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
            body: #"{"test": 2432232314}"#) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookRules.signature(secret: "not a secret", id: "msg_1", timestamp: 1, body: "{}") == nil)
    }

    @Test("admins subscribe; this machine is refused outside development; a delivery counts by kind and names nothing")
    func subscriptions() async throws {
        try await withDialogue { dialogue in
            let cli = CallContext.cli()
            let coordinator = try await dialogue.makeUser(.coordinator)
            await #expect(throws: DomainError.self, "a coordinator may not") {
                _ = try await dialogue.createWebhook(coordinator.context, url: "https://hooks.example.org/x", events: nil)
            }
            for url in ["http://127.0.0.1:9000/hook", "http://localhost/hook", "https://[::1]/x", "http://169.254.169.254/latest", "ftp://x.org/", "https://user:pw@x.org/"] {
                await #expect(throws: DomainError.self, "\(url) is refused") { _ = try await dialogue.createWebhook(cli, url: url, events: nil) }
            }
            var development = dialogue
            development.webhooksMayTargetLoopback = true
            _ = try await development.createWebhook(cli, url: "http://127.0.0.1:9000/hook", events: ["session_invited"])
            let (chat, secret) = try await dialogue.createWebhook(cli, url: "https://hooks.example.org/chat", events: nil)
            #expect(secret.hasPrefix("whsec_"))
            #expect(try await dialogue.queueWebhooks() == 0, "nothing happened since it was made")

            let member = try await dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
            let session = try await dialogue.createSession(cli, SessionInput(
                kind: "plenary", title: "Closed-door briefing", localStart: "2030-05-14T10:00", durationMinutes: 60, timezone: "Europe/Vilnius"))
            _ = try await dialogue.invite(cli, sessionID: session.id, participantID: member.participantID, onBehalfOf: nil)
            _ = try await dialogue.transitionSession(cli, id: session.id, to: "cancelled", note: nil, ifMatch: nil)
            #expect(try await dialogue.queueWebhooks() == 2, "one delivery per subscription")
            #expect(try await dialogue.queueWebhooks() == 0, "each notification counted once")
            let due = try await dialogue.dueWebhooks()
            let toChat = try #require(due.first { $0.subscriptionID == chat.id })
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(toChat.payload.utf8)) as? [String: Any])
            let data = try #require(payload["data"] as? [String: Any])
            #expect(payload["type"] as? String == "dialogue.notifications" && data["count"] as? Int == 2)
            #expect((data["events"] as? [String: Int]) == ["session_invited": 1, "session_cancelled": 1])
            for secretWord in ["Zubr", "briefing", session.id.uuidString.lowercased(), member.participantID.uuidString.lowercased()] {
                #expect(!toChat.payload.contains(secretWord), "the payload names nothing (\(secretWord))")
            }

            // Failures in a row disable the subscription; its deliveries stop.
            var failing = toChat
            for _ in 0..<WebhookRules.failuresAllowed {
                try await dialogue.markWebhookFailed(failing, status: 500)
                failing.attempts += 1
            }
            #expect(try await dialogue.listWebhooks(cli).first { $0.id == chat.id }?.disabledAt != nil)
            try await dialogue.deleteWebhook(cli, id: chat.id)
            #expect(try await dialogue.listWebhooks(cli).allSatisfy { $0.id != chat.id })
        }
    }
}
