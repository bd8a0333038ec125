@testable import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

/// The home page's reads are asked beside its session's check, on the viewer this process
/// read at that session's last check (`Dialogue.readingAsWebSession`). These tests change the
/// session and the person behind the server's back, as another instance or the CLI would, and
/// look at the very next page.
@Suite("Remembered web sessions: the home page's reads beside the session's check")
struct RememberedWebSessionTests {
    struct Setup {
        var user: TestUser
        var cookie: String
        var hash: String
        var group: UUID
    }

    /// A member of a group with a session on its calendar (`title`), signed in, whose home
    /// page has been seen once: the session's viewer is remembered.
    static func signedInAndRemembered(_ portal: Portal, title: String) async throws -> Setup {
        let cli = CallContext.cli()
        let group = try await portal.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
        let user = try await portal.dialogue.makeUser(.member, kind: .inCountryProxy)
        _ = try await portal.dialogue.putMember(cli, groupID: group.id, participantID: user.participantID, role: "member")
        _ = try await portal.dialogue.createSession(cli, SessionInput(
            kind: "working_group", workingGroupID: group.id, title: title, localStart: "2030-03-28T10:00",
            durationMinutes: 60, timezone: "Europe/Vilnius"))
        let (cookie, _) = try await portal.signedIn(user, name: "member-\(UUID().uuidString.prefix(6))")
        let secret = try #require(cookie.split(separator: "=", maxSplits: 1).last.map(String.init))
        let setup = Setup(user: user, cookie: cookie, hash: TokenSecret.hash(secret), group: group.id)
        #expect(portal.dialogue.webSessionMemory.recall(setup.hash)?.groupIDs == [group.id], "remembered by the first page")
        let home = try await portal.get("/", cookie: cookie)
        #expect(home.status == 200 && home.html.contains(title))
        return setup
    }

    @Test("a remembered session ended, idle, expired, or its person deactivated or marked compromised behind the server's back: the very next home page is the way to sign in, with nothing the reads found")
    func endedWhileRemembered() async throws {
        let endings: [(String, PostgresQuery)] = [
            ("ended", "UPDATE web_sessions SET ended_at = now()"),
            ("idle", "UPDATE web_sessions SET last_seen_at = now() - interval '31 minutes'"),
            ("expired", "UPDATE web_sessions SET expires_at = now() - interval '1 second'"),
            ("deactivated", "UPDATE participants SET status = 'inactive' WHERE kind = 'in_country_proxy'"),
            ("compromised", "UPDATE participants SET status = 'compromised' WHERE kind = 'in_country_proxy'"),
        ]
        for (ending, change) in endings {
            try await Portal.run { portal in
                let setup = try await Self.signedInAndRemembered(portal, title: "Canary meeting")
                #expect(portal.dialogue.webSessionMemory.recall(setup.hash) != nil, "\(ending): remembered before the change")
                try await sql(portal.dialogue, change)
                let next = try await portal.get("/", cookie: setup.cookie)
                #expect(next.status == 303 && next.headers[.location] == "/signin", "\(ending): the way to sign in")
                #expect(!next.html.contains("Canary"), "\(ending): nothing the reads found")
                #expect(portal.dialogue.webSessionMemory.recall(setup.hash) == nil, "\(ending): forgotten")
            }
        }
    }

    @Test("a cookie that is no session (empty, malformed, well-formed but unknown, another's hash): the way to sign in, nothing read, nothing remembered")
    func cookiesThatAreNoSession() async throws {
        try await Portal.run { portal in
            let setup = try await Self.signedInAndRemembered(portal, title: "Canary meeting")
            let (unknown, unknownHash) = TokenSecret.generate()
            let name = try #require(setup.cookie.split(separator: "=").first.map(String.init))
            for value in ["", "dlg_", "not a secret at all", String(repeating: "x", count: 4_000), unknown, setup.hash] {
                let page = try await portal.get("/", cookie: "\(name)=\(value)")
                #expect(page.status == 303 && page.headers[.location] == "/signin", "\(value.prefix(20))")
                #expect(!page.html.contains("Canary"))
            }
            #expect(portal.dialogue.webSessionMemory.recall(unknownHash) == nil)
            #expect(try await portal.get("/", cookie: setup.cookie).html.contains("Canary meeting"), "the real session is untouched")
        }
    }

    @Test("a remembered session whose person left a group and joined another behind the server's back: the very next home page shows what they may see now, and the new facts are remembered")
    func changedMemberships() async throws {
        try await Portal.run { portal in
            let setup = try await Self.signedInAndRemembered(portal, title: "Media meeting")
            let cli = CallContext.cli()
            let other = try await portal.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "political", name: "Political"))
            _ = try await portal.dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: other.id, title: "Political meeting", localStart: "2030-03-29T10:00",
                durationMinutes: 60, timezone: "Europe/Vilnius"))

            // Behind the server's back: its memory still names the first group.
            try await sql(portal.dialogue, "DELETE FROM memberships WHERE participant_id = \(setup.user.participantID)")
            try await sql(portal.dialogue, """
                INSERT INTO memberships (working_group_id, participant_id, role) VALUES (\(other.id), \(setup.user.participantID), 'member')
                """)
            #expect(portal.dialogue.webSessionMemory.recall(setup.hash)?.groupIDs == [setup.group])

            let next = try await portal.get("/", cookie: setup.cookie)
            #expect(next.status == 200)
            #expect(!next.html.contains("Media meeting"), "a group they left")
            #expect(next.html.contains("Political meeting"), "a group they joined")
            #expect(portal.dialogue.webSessionMemory.recall(setup.hash)?.groupIDs == [other.id])
        }
    }
}
