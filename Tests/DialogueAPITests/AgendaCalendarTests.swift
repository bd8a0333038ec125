import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Testing

@Suite("Agendas and calendar feeds")
struct AgendaCalendarTests {
    static func positions(_ api: API, _ session: String) async throws -> [Int] {
        try await api.call(.get, "/v1/sessions/\(session)/agenda", as: api.admin).items.compactMap { $0["position"] as? Int }
    }

    @Test("items insert at a position, delete and reorder; positions stay 1..n")
    func densePositions() async throws {
        try await API.run { api in
            let session = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: SessionTests.quarterly)["id"])
            for title in ["A", "B", "C"] {
                #expect(try await api.call(.post, "/v1/sessions/\(session)/agenda", as: api.admin, json: #"{"title":"\#(title)","duration_minutes":10}"#).status == 201)
            }
            let inserted = try await api.call(.post, "/v1/sessions/\(session)/agenda", as: api.admin, json: #"{"title":"First","duration_minutes":5,"position":1}"#)
            #expect(inserted["position"] == "1")
            var agenda = try await api.call(.get, "/v1/sessions/\(session)/agenda", as: api.admin)
            #expect(agenda.items.compactMap { $0["title"] as? String } == ["First", "A", "B", "C"])
            #expect(agenda.headers[.eTag] == "\"5\"")
            let idOfA = try #require(agenda.items[1]["id"] as? String)
            #expect(try await api.call(.delete, "/v1/agenda-items/\(idOfA)", as: api.admin).status == 204)
            agenda = try await api.call(.get, "/v1/sessions/\(session)/agenda", as: api.admin)
            #expect(agenda.items.compactMap { $0["title"] as? String } == ["First", "B", "C"])
            #expect(try await Self.positions(api, session) == [1, 2, 3])

            let ids = agenda.items.compactMap { $0["id"] as? String }
            let reversed = #"{"ids":["\#(ids.reversed().joined(separator: "\",\""))"]}"#
            let reordered = try await api.call(.put, "/v1/sessions/\(session)/agenda/order", as: api.admin, json: reversed, headers: [.ifMatch: agenda.headers[.eTag]!])
            #expect(reordered.status == 200)
            #expect(reordered.items.compactMap { $0["title"] as? String } == ["C", "B", "First"])

            for bad in [#"{"ids":["\#(ids[0])","\#(ids[1])"]}"#, #"{"ids":["\#(ids[0])","\#(ids[0])","\#(ids[1])"]}"#,
                        #"{"ids":["\#(ids[0])","\#(ids[1])","\#(UUID().uuidString)"]}"#] {
                let reply = try await api.call(.put, "/v1/sessions/\(session)/agenda/order", as: api.admin, json: bad)
                #expect(reply.status == 422)
                #expect(reply.errorFields == ["ids"])
            }
            #expect(try await api.call(.post, "/v1/sessions/\(session)/agenda", as: api.admin, json: #"{"title":"x","duration_minutes":481}"#).errorFields == ["duration_minutes"])
            #expect(try await api.call(.post, "/v1/sessions/\(session)/agenda", as: api.admin, json: #"{"title":"x","duration_minutes":5,"position":9}"#).errorFields == ["position"])
        }
    }

    @Test("two coordinators reordering 30 items at once: one wins, the other gets 412, the order stays dense")
    func concurrentReorder() async throws {
        try await API.run { api in
            let session = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: SessionTests.quarterly)["id"])
            for index in 1...30 {
                _ = try await api.call(.post, "/v1/sessions/\(session)/agenda", as: api.admin, json: #"{"title":"Item \#(index)","duration_minutes":5}"#)
            }
            let agenda = try await api.call(.get, "/v1/sessions/\(session)/agenda", as: api.admin)
            let etag = try #require(agenda.headers[.eTag])
            let ids = agenda.items.compactMap { $0["id"] as? String }
            let other = try await api.dialogue.makeUser(.coordinator)
            async let first = api.call(.put, "/v1/sessions/\(session)/agenda/order", as: api.admin,
                                       json: #"{"ids":["\#(ids.reversed().joined(separator: "\",\""))"]}"#, headers: [.ifMatch: etag])
            async let second = api.call(.put, "/v1/sessions/\(session)/agenda/order", as: other,
                                        json: #"{"ids":["\#(ids.shuffled().joined(separator: "\",\""))"]}"#, headers: [.ifMatch: etag])
            let statuses = try await [first.status, second.status].sorted()
            #expect(statuses == [200, 412])
            #expect(try await Self.positions(api, session) == Array(1...30))
        }
    }

    @Test("agendas change only before the session is held; outcomes only once it is")
    func editWindows() async throws {
        try await API.run { api in
            let session = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: SessionTests.quarterly)["id"])
            let item = try #require(try await api.call(.post, "/v1/sessions/\(session)/agenda", as: api.admin, json: #"{"title":"Sanctions","duration_minutes":30}"#)["id"])
            let early = try await api.call(.patch, "/v1/agenda-items/\(item)", as: api.admin, json: #"{"outcome":"adopted"}"#)
            #expect(early.status == 409)
            #expect(early["detail"]?.contains("once the session is held") == true)
            _ = try await api.call(.post, "/v1/sessions/\(session)/transition", as: api.admin, json: #"{"to":"confirmed"}"#)
            _ = try await api.call(.post, "/v1/sessions/\(session)/transition", as: api.admin, json: #"{"to":"held"}"#)
            #expect(try await api.call(.post, "/v1/sessions/\(session)/agenda", as: api.admin, json: #"{"title":"late","duration_minutes":5}"#).status == 409)
            #expect(try await api.call(.patch, "/v1/agenda-items/\(item)", as: api.admin, json: #"{"title":"renamed"}"#).status == 409)
            #expect(try await api.call(.delete, "/v1/agenda-items/\(item)", as: api.admin).status == 409)
            let recorded = try await api.call(.patch, "/v1/agenda-items/\(item)", as: api.admin, json: #"{"outcome":"adopted","outcome_note":"by consensus"}"#)
            #expect(recorded.status == 200)
            #expect(recorded["outcome"] == "adopted")
            #expect(try await api.call(.patch, "/v1/agenda-items/\(item)", as: api.admin, json: #"{"outcome":"won"}"#).errorFields == ["outcome"])
        }
    }

    @Test("a private feed shows the participant's own sessions only, parses in an independent library, and can be revoked")
    func calendarFeed() async throws {
        try await API.run { api in
            let member = try await api.dialogue.makeUser(.member)
            let memberID = member.participantID.uuidString.lowercased()
            let invitedTo = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: SessionTests.quarterly)["id"])
            let other = #"{"kind":"plenary","title":"Secret plenary","starts_at":"2027-06-01T10:00:00Z","ends_at":"2027-06-01T12:00:00Z","timezone":"UTC"}"#
            _ = try await api.call(.post, "/v1/sessions", as: api.admin, json: other)
            _ = try await api.call(.put, "/v1/sessions/\(invitedTo)/attendees/\(memberID)", as: api.admin, json: "{}")

            let feed = try await api.call(.post, "/v1/calendar/feed-url", as: member)
            #expect(feed.status == 201)
            let url = try #require(feed["url"])
            let marker = try #require(url.range(of: "/v1/calendar/"))
            let path = String(url[marker.lowerBound...])
            let ics = try await api.call(.get, path)
            #expect(ics.status == 200)
            #expect(ics.headers[.contentType]?.hasPrefix("text/calendar") == true)
            #expect(!ics.text.contains("Secret plenary"))
            #expect(!ics.text.contains(member.context.actor.participantID!.uuidString.lowercased()), "no attendee data in a feed")

            let parsed = try Self.parseWithIcalendar(ics.text)
            #expect(parsed.problems.isEmpty, "\(parsed.problems)")
            #expect(parsed.events.count == 1)
            #expect(parsed.events.first?["start_local"] as? String == "2027-03-28T10:00", "10:00 in Vilnius")
            #expect(parsed.events.first?["start_washington"] as? String == "2027-03-28T03:00", "03:00 in Washington (EDT)")
            #expect(parsed.events.first?["status"] as? String == "TENTATIVE")

            // Moving the session bumps SEQUENCE; cancelling marks it CANCELLED.
            _ = try await api.call(.patch, "/v1/sessions/\(invitedTo)", as: api.admin, json: #"{"location":"Warsaw"}"#)
            _ = try await api.call(.post, "/v1/sessions/\(invitedTo)/transition", as: api.admin, json: #"{"to":"cancelled"}"#)
            let after = try Self.parseWithIcalendar(try await api.call(.get, path).text)
            #expect(after.events.first?["sequence"] as? Int == 2)
            #expect(after.events.first?["status"] as? String == "CANCELLED")

            let feedID = try #require(feed["id"])
            #expect(try await api.call(.delete, "/v1/calendar/feed-url/\(feedID)", as: api.admin).status == 204)
            #expect(try await api.call(.get, path).status == 404)
            #expect(try await api.call(.get, "/v1/calendar/dlg_forged.ics").status == 404)
        }
    }

    @Test("folding: long titles in any script fold at 75 octets without splitting characters")
    func folding() throws {
        let title = String(repeating: "Палітычныя вязні і Łacinka — ", count: 6)
        var session = Session(
            id: UUID(), kind: .plenary, workingGroupID: nil, title: title, level: "", startsAt: Date(timeIntervalSince1970: 1_800_000_000),
            endsAt: Date(timeIntervalSince1970: 1_800_003_600), timezone: "Europe/Warsaw", location: "Warsaw; online, hybrid",
            status: .confirmed, agendaVersion: 1, sequence: 3, version: 1, createdAt: Date(), updatedAt: Date())
        session.title = title
        let text = ICalendar.document(name: "test", events: [.init(session: session, groupName: nil)])
        let parsed = try Self.parseWithIcalendar(text)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.events.first?["summary"] as? String == title)
    }

    /// Runs scripts/check_ics.py (python icalendar) on the text.
    static func parseWithIcalendar(_ text: String) throws -> (problems: [String], events: [[String: Any]]) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dialogue-\(UUID().uuidString).ics")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = TestDatabases.sqlDirectory.deletingLastPathComponent().appendingPathComponent("scripts/check_ics.py").path
        let (_, output) = try EmbeddedCluster.runCapturingStdout("/usr/bin/env", ["python3", script, file.path])
        let json = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any], "python icalendar did not run")
        return (json["problems"] as? [String] ?? ["no problems list"], json["events"] as? [[String: Any]] ?? [])
    }
}
