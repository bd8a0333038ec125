@testable import DialogueAPI
@testable import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import PostgresNIO
import Prometheus
import Testing

/// The answers kept for reuse (`ReadMemo`): reused only for the token that asked, only while
/// nothing at all has been written, and never past a credential that stopped being live.
@Suite("Read memo: kept answers per token, dropped on any write, the credential checked every time")
struct ReadMemoTests {
    /// A working group's session with one agenda item, and its agenda's path.
    static func agenda(_ api: API) async throws -> (session: Session, path: String) {
        let cli = CallContext.cli()
        let group = try await api.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "accountability", name: "Sanctions"))
        let session = try await api.dialogue.createSession(cli, SessionInput(
            kind: "working_group", workingGroupID: group.id, title: "Sanctions meeting",
            startsAt: Date().addingTimeInterval(86_400), endsAt: Date().addingTimeInterval(90_000), timezone: "UTC"))
        _ = try await api.dialogue.addAgendaItem(cli, sessionID: session.id, AgendaItemInput(title: "Sanctions", durationMinutes: 30), ifMatch: nil)
        return (session, "/v1/sessions/\(session.id.lowercasedString)/agenda")
    }

    /// How many answers the memo served (`reused`) and how many the service made (`made`).
    static func counted(_ api: API) async throws -> (reused: Int, made: Int) {
        let text = try await api.call(.get, "/metrics").text
        func value(_ outcome: String) -> Int {
            let prefix = #"dialogue_read_memo_answers_total{outcome="\#(outcome)"} "#
            return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
        }
        return (value("reused"), value("made"))
    }

    static func sql(_ api: API, _ query: PostgresQuery) async throws {
        try await api.dialogue.database.autocommit { connection in
            try await connection.query(query, logger: api.dialogue.database.logger)
        }
    }

    /// Reads `path` until the answer comes from the memo, and returns it. Snapshots are the
    /// cluster's, so the other suites' writes (in their own databases) also make kept answers
    /// stale; a hit may take a few tries while they run.
    static func reused(_ api: API, _ path: String, as user: TestUser) async throws -> Reply? {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let before = try await counted(api).reused
            let reply = try await api.call(.get, path, as: user)
            if try await counted(api).reused > before { return reply }
        }
        Issue.record("no answer came from the memo within a minute")
        return nil
    }

    @Test("a read is answered from the memo while nothing is written; any write, even one no service made, is seen on the next read")
    func reusedUntilAnythingIsWritten() async throws {
        try await API.run { api in
            let (session, path) = try await Self.agenda(api)
            let made = try await api.call(.get, path, as: api.admin)
            let kept = try #require(try await Self.reused(api, path, as: api.admin))
            #expect(made.status == 200 && kept.status == 200 && kept.text == made.text)
            #expect(kept.headers[.eTag] == made.headers[.eTag] && kept.headers[.contentType] == made.headers[.contentType])
            #expect(kept.headers[.xRequestID] != made.headers[.xRequestID], "each answer has its own request id")

            // A write outside every service and its audit row: the memo must not depend on them.
            try await Self.sql(api, "UPDATE agenda_items SET title = 'Renamed outside' WHERE session_id = \(session.id)")
            #expect(try await api.call(.get, path, as: api.admin).items.first?["title"] as? String == "Renamed outside")
            let renamed = try #require(try await Self.reused(api, path, as: api.admin))
            #expect(renamed.items.first?["title"] as? String == "Renamed outside")
            // A write to a row the read does not show makes the kept answer stale too; the
            // answer made afresh is the same.
            try await Self.sql(api, "UPDATE tokens SET label = 'other' WHERE id <> \(api.admin.tokenID)")
            #expect(try await api.call(.get, path, as: api.admin).text == renamed.text)
        }
    }

    @Test("an answer is kept for the token that asked: another caller's read is decided for that caller")
    func keptPerToken() async throws {
        try await API.run { api in
            let cli = CallContext.cli()
            let (_, path) = try await Self.agenda(api)
            let group = try await api.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let owner = try await api.dialogue.makeUser(.member)
            _ = try await api.dialogue.putMember(cli, groupID: group.id, participantID: owner.participantID, role: "member")
            let created = try await api.call(.post, "/v1/action-items", as: api.admin, json: #"""
                {"working_group_id":"\#(group.id.lowercasedString)","title":"Brief the press","owner_id":"\#(owner.participantID.lowercasedString)","due_on":"2027-06-30"}
                """#)
            #expect(created.status == 201)

            let outsider = try await api.dialogue.makeUser(.member)
            let list = "/v1/action-items?limit=20"
            for _ in 0..<2 {
                #expect(try await api.call(.get, list, as: api.admin).listed?.count == 1)
                #expect(try await api.call(.get, list, as: outsider).listed?.isEmpty == true, "the admin's kept list is not the outsider's")
                #expect(try await api.call(.get, list, as: owner).listed?.count == 1)
            }
            // The same participant with a second token: kept apart as well.
            let coordinatorToken = try await api.dialogue.issueToken(
                cli, participantID: outsider.participantID, role: "coordinator", label: "second", expiresInDays: 1)
            var asCoordinator = outsider
            asCoordinator.token = coordinatorToken.secret
            #expect(try await api.call(.get, list, as: asCoordinator).listed?.count == 1, "the coordinator token's own answer")
            #expect(try await api.call(.get, list, as: outsider).listed?.isEmpty == true)
            #expect(try await api.call(.get, path, as: api.admin).status == 200)
            #expect(try await api.call(.get, path, as: api.admin).status == 200)
            #expect(try await api.call(.get, path, as: outsider).status == 404, "the group's session is hidden; the admin's answer is not reused")
        }
    }

    @Test("a kept answer is never served past its credential: revoked, expired, its participant deactivated")
    func credentialCheckedEveryTime() async throws {
        try await API.run { api in
            let (_, path) = try await Self.agenda(api)
            for ending in ["revoked", "expired", "deactivated"] {
                let user = try await api.dialogue.makeUser(.coordinator)
                #expect(try await api.call(.get, path, as: user).status == 200)
                #expect(try await api.call(.get, path, as: user).status == 200)
                switch ending {
                case "revoked": _ = try await api.dialogue.revokeToken(.cli(), tokenID: user.tokenID)
                case "expired": try await Self.sql(api, "UPDATE tokens SET expires_at = now() - interval '1 second' WHERE id = \(user.tokenID)")
                default: try await Self.sql(api, "UPDATE participants SET status = 'inactive' WHERE id = \(user.participantID)")
                }
                let refused = try await api.call(.get, path, as: user)
                #expect(refused.status == 401 && refused.isProblem, "\(ending)")
            }
        }
    }

    @Test("the memo keeps at most its capacity, and an answer only under the state it was made in")
    func boundedAndTiedToItsState() async throws {
        let memo = ReadMemo(capacity: 4096, registry: PrometheusCollectorRegistry())
        let state = CommittedState(snapshot: "900:900:", date: "2027-01-01")
        let tokenID = UUID()
        func key(_ index: Int) -> ReadMemo.Key { .init(tokenID: tokenID, target: "/v1/action-items?index=\(index)", accept: nil) }
        #expect(memo.answer(for: key(0), at: state) == nil)
        for index in 0..<10 {
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1000)
            let sent = try await memo.keep(Response(status: .ok, body: ResponseBody(byteBuffer: body)), for: key(index), at: state)
            #expect(try await sent.body.collected().readableBytes == 1000, "the answer kept is also the one sent")
            #expect(memo.keptBytes <= 4096)
        }
        #expect(memo.keptBytes > 3000, "answers are kept up to the capacity")
        let kept = try #require(memo.answer(for: key(9), at: state))
        #expect(try await kept.body.collected().readableBytes == 1000)
        #expect(memo.answer(for: .init(tokenID: UUID(), target: "/v1/action-items?index=9", accept: nil), at: state) == nil,
                "another token's key finds nothing")

        let later = CommittedState(snapshot: "900:901:", date: "2027-01-01")
        #expect(memo.answer(for: key(9), at: later) == nil && memo.keptBytes == 0, "a new state drops every kept answer")
        _ = try await memo.keep(Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "{}"))), for: key(1), at: state)
        #expect(memo.keptBytes == 0, "an answer made under an older state is not kept")
        let nextDay = CommittedState(snapshot: "900:901:", date: "2027-01-02")
        #expect(memo.answer(for: key(9), at: nextDay) == nil, "a new day is a new state (overdue items)")

        let large = ByteBuffer(repeating: 0x20, count: ReadMemo.largestKept + 1)
        _ = try await memo.keep(Response(status: .ok, body: ResponseBody(byteBuffer: large)), for: key(2), at: nextDay)
        _ = try await memo.keep(Response(status: .notFound, body: ResponseBody(byteBuffer: ByteBuffer(string: "{}"))), for: key(3), at: nextDay)
        #expect(memo.answer(for: key(2), at: nextDay) == nil && memo.answer(for: key(3), at: nextDay) == nil,
                "neither a large answer nor a 404 is kept")
        let off = ReadMemo(capacity: 0, registry: PrometheusCollectorRegistry())
        _ = off.answer(for: key(4), at: state)
        _ = try await off.keep(Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "{}"))), for: key(4), at: state)
        #expect(off.answer(for: key(4), at: state) == nil, "capacity 0 keeps nothing")
    }
}
