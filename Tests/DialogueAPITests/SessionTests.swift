import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Testing

@Suite("Sessions, attendance and agendas over HTTP")
struct SessionTests {
    static let quarterly = #"{"kind":"quarterly","title":"Q1 high-level meeting","local_start":"2027-03-28T10:00","timezone":"Europe/Vilnius","duration_minutes":120,"location":"Vilnius"}"#

    @Test("a session created from Vilnius wall time on the day the clocks change is stored at the right instant")
    func createFromLocalTime() async throws {
        try await API.run { api in
            let created = try await api.call(.post, "/v1/sessions", as: api.admin, json: Self.quarterly)
            #expect(created.status == 201)
            #expect(created["starts_at"] == "2027-03-28T07:00:00Z")
            #expect(created["ends_at"] == "2027-03-28T09:00:00Z")
            #expect(created["quarter"] == "2027-Q1")
            #expect(created["status"] == "planned")

            let skipped = try await api.call(.post, "/v1/sessions", as: api.admin, json: Self.quarterly.replacingOccurrences(of: "10:00", with: "03:30"))
            #expect(skipped.status == 422)
            #expect(skipped.errorFields == ["local_start"])
            #expect(skipped["detail"]?.contains("does not exist") == true)
        }
    }

    @Test("the agenda read in one statement: empty, unknown, hidden until invited; a removed membership and a revoked token count on the next request")
    func agendaReadAsTheCallerIsNow() async throws {
        try await API.run { api in
            let cli = CallContext.cli()
            let group = try await api.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let session = try await api.dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: group.id, title: "Media meeting",
                startsAt: Date().addingTimeInterval(86_400), endsAt: Date().addingTimeInterval(90_000), timezone: "UTC"))
            let path = "/v1/sessions/\(session.id.lowercasedString)/agenda"

            let empty = try await api.call(.get, path, as: api.admin)
            #expect(empty.status == 200 && empty.items.isEmpty, "a session without items has an empty agenda, not a 404")
            #expect(empty["version"] == "1")
            let unknown = try await api.call(.get, "/v1/sessions/\(UUID().lowercasedString)/agenda", as: api.admin)
            #expect(unknown.status == 404 && unknown.isProblem)

            let outsider = try await api.dialogue.makeUser(.member)
            let hidden = try await api.call(.get, path, as: outsider)
            #expect(hidden.status == 404 && hidden["detail"] == unknown["detail"] && hidden["title"] == unknown["title"],
                    "a hidden session reads as an unknown one")
            _ = try await api.dialogue.invite(cli, sessionID: session.id, participantID: outsider.participantID, onBehalfOf: nil)
            #expect(try await api.call(.get, path, as: outsider).status == 200, "an invitation opens it")

            let member = try await api.dialogue.makeUser(.member)
            _ = try await api.dialogue.putMember(cli, groupID: group.id, participantID: member.participantID, role: "member")
            _ = try await api.dialogue.addAgendaItem(cli, sessionID: session.id, AgendaItemInput(title: "Press freedom", durationMinutes: 30), ifMatch: nil)
            let read = try await api.call(.get, path, as: member)
            #expect(read.status == 200 && read.items.count == 1 && read.items.first?["title"] as? String == "Press freedom")
            try await api.dialogue.removeMember(cli, groupID: group.id, participantID: member.participantID)
            #expect(try await api.call(.get, path, as: member).status == 404, "memberships are read with the token, on every request")
            _ = try await api.dialogue.revokeToken(cli, tokenID: outsider.tokenID)
            #expect(try await api.call(.get, path, as: outsider).status == 401, "a revoked token fails on its next request")
        }
    }

    @Test("bad sessions are refused field by field and nothing is stored")
    func validation() async throws {
        try await API.run { api in
            let cases: [(String, [String])] = [
                (#"{"kind":"plenary","title":"x","timezone":"Europe/Vilnius","starts_at":"2027-01-01T10:00:00Z","ends_at":"2027-01-01T09:00:00Z"}"#, ["ends_at"]),
                (#"{"kind":"plenary","title":"x","timezone":"Europe/Vilnius","starts_at":"2027-01-01T10:00:00Z","ends_at":"2027-01-20T10:00:00Z"}"#, ["ends_at"]),
                (#"{"kind":"plenary","title":"x","timezone":"Mars/Base","starts_at":"2027-01-01T10:00:00Z","ends_at":"2027-01-01T11:00:00Z"}"#, ["timezone"]),
                (#"{"kind":"working_group","title":"x","timezone":"UTC","starts_at":"2027-01-01T10:00:00Z","ends_at":"2027-01-01T11:00:00Z"}"#, ["working_group_id"]),
                (#"{"kind":"plenary","title":"x","timezone":"UTC","starts_at":"2027-01-01T10:00:00Z","ends_at":"2027-01-01T11:00:00Z","local_start":"2027-01-01T10:00","duration_minutes":60}"#, ["local_start"]),
                (#"{"kind":"plenary","title":"x","timezone":"UTC","starts_at":"9999-01-01T10:00:00Z","ends_at":"9999-01-01T11:00:00Z"}"#, ["starts_at"]),
                (#"{"kind":"party","title":"","timezone":"UTC"}"#, ["kind"]),
                (#"{"kind":"plenary","title":"","timezone":"UTC"}"#, ["title", "starts_at"]),
            ]
            for (body, fields) in cases {
                let reply = try await api.call(.post, "/v1/sessions", as: api.admin, json: body)
                #expect(reply.status == 422, "\(body) → \(reply.status)")
                #expect(reply.errorFields == fields, "\(body) → \(reply.errorFields)")
            }
            let badDate = try await api.call(.post, "/v1/sessions", as: api.admin, json: #"{"kind":"plenary","title":"x","timezone":"UTC","starts_at":"not a date","ends_at":"2027-01-01T11:00:00Z"}"#)
            #expect(badDate.status == 422)
            #expect(badDate.errorFields == ["starts_at"], "the problem names the field whose date was refused")
            let fractional = try await api.call(.get, "/v1/sessions?from=2027-01-01T00:00:00.000Z", as: api.admin)
            #expect(fractional.status == 200)
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM sessions") == 0)
        }
    }

    @Test("transitions follow the life cycle; an illegal one is 409 listing the allowed moves")
    func transitions() async throws {
        try await API.run { api in
            let id = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: Self.quarterly)["id"])
            let illegal = try await api.call(.post, "/v1/sessions/\(id)/transition", as: api.admin, json: #"{"to":"held"}"#)
            #expect(illegal.status == 409)
            #expect(illegal.json["allowed"] as? [String] == ["confirmed", "cancelled"])
            #expect(try await api.call(.post, "/v1/sessions/\(id)/transition", as: api.admin, json: #"{"to":"confirmed"}"#)["status"] == "confirmed")
            let stale = try await api.call(.post, "/v1/sessions/\(id)/transition", as: api.admin, json: #"{"to":"held"}"#, headers: [.ifMatch: "\"1\""])
            #expect(stale.status == 412)
            #expect(try await api.call(.post, "/v1/sessions/\(id)/transition", as: api.admin, json: #"{"to":"held"}"#)["status"] == "held")
            #expect(try await api.call(.patch, "/v1/sessions/\(id)", as: api.admin, json: #"{"title":"late edit"}"#).status == 409)
            let member = try await api.dialogue.makeUser(.member)
            #expect(try await api.call(.post, "/v1/sessions/\(id)/transition", as: member, json: #"{"to":"cancelled"}"#).status == 404)
        }
    }

    @Test("quarterly scheduling creates four meetings once; filters find them by quarter")
    func scheduleQuarterly() async throws {
        try await API.run { api in
            let body = #"{"year":2027,"local_time":"10:00","timezone":"Europe/Vilnius","title":"Quarterly"}"#
            let first = try await api.call(.post, "/v1/sessions/schedule-quarterly", as: api.admin, json: body)
            #expect(first.status == 200)
            #expect(first.items.compactMap { $0["created"] as? Bool } == [true, true, true, true])
            let again = try await api.call(.post, "/v1/sessions/schedule-quarterly", as: api.admin, json: body)
            #expect(again.items.compactMap { $0["created"] as? Bool } == [false, false, false, false])
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM sessions") == 4)
            let q2 = try await api.call(.get, "/v1/sessions?quarter=2027-Q2", as: api.admin)
            #expect(q2.items.count == 1)
            #expect(q2.items.first?["starts_at"] as? String == "2027-05-15T07:00:00Z")
            #expect(try await api.call(.get, "/v1/sessions?quarter=2027-Q5", as: api.admin).errorFields == ["quarter"])
            #expect(try await api.call(.get, "/v1/sessions?kind=quarterly&status=planned&limit=3", as: api.admin).items.count == 3)
        }
    }

    @Test("inviting reports double-booking; RSVP belongs to the attendee; attendance is recorded once held")
    func attendanceAndConflicts() async throws {
        try await API.run { api in
            let member = try await api.dialogue.makeUser(.member)
            let memberID = member.participantID.uuidString.lowercased()
            let first = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: Self.quarterly)["id"])
            let overlapping = #"{"kind":"plenary","title":"Annual plenary","starts_at":"2027-03-28T08:00:00Z","ends_at":"2027-03-28T10:00:00Z","timezone":"America/New_York"}"#
            let second = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: overlapping)["id"])

            let invited = try await api.call(.put, "/v1/sessions/\(first)/attendees/\(memberID)", as: api.admin, json: "{}")
            #expect(invited.status == 201)
            #expect((invited.json["conflicts"] as? [Any])?.isEmpty == true)
            let doubleBooked = try await api.call(.put, "/v1/sessions/\(second)/attendees/\(memberID)", as: api.admin, json: "{}")
            #expect(doubleBooked.status == 201)
            let conflicts = try #require(doubleBooked.json["conflicts"] as? [[String: Any]])
            #expect(conflicts.count == 1)
            #expect(conflicts.first?["session_id"] as? String == first)
            #expect(try await api.call(.get, "/v1/sessions/\(first)/conflicts", as: api.admin).items.count == 1)

            // The invitee now sees the session; others still do not.
            #expect(try await api.call(.get, "/v1/sessions/\(first)", as: member).status == 200)
            #expect(try await api.call(.get, "/v1/sessions/\(first)/attendees", as: member).status == 403)
            let stranger = try await api.dialogue.makeUser(.member)
            #expect(try await api.call(.get, "/v1/sessions/\(first)", as: stranger).status == 404)

            #expect(try await api.call(.patch, "/v1/sessions/\(first)/attendees/\(memberID)", as: member, json: #"{"rsvp":"yes"}"#)["rsvp"] == "yes")
            #expect(try await api.call(.patch, "/v1/sessions/\(first)/attendees/\(memberID)", as: api.admin, json: #"{"rsvp":"no"}"#).status == 403)
            #expect(try await api.call(.patch, "/v1/sessions/\(first)/attendees/\(memberID)", as: api.admin, json: #"{"attended":true}"#).status == 409)
            _ = try await api.call(.post, "/v1/sessions/\(first)/transition", as: api.admin, json: #"{"to":"confirmed"}"#)
            _ = try await api.call(.post, "/v1/sessions/\(first)/transition", as: api.admin, json: #"{"to":"held"}"#)
            #expect(try await api.call(.patch, "/v1/sessions/\(first)/attendees/\(memberID)", as: api.admin, json: #"{"attended":true}"#).json["attended"] as? Bool == true)
            _ = try await api.call(.post, "/v1/sessions/\(second)/transition", as: api.admin, json: #"{"to":"cancelled"}"#)
            #expect(try await api.call(.get, "/v1/sessions/\(first)/conflicts", as: api.admin).listed?.isEmpty == true, "cancelled sessions do not conflict")
        }
    }

    @Test("a working-group session is visible to its members and coordinators only")
    func groupSessionVisibility() async throws {
        try await API.run { api in
            let group = try await api.dialogue.createWorkingGroup(.cli(), WorkingGroupInput(direction: "media", name: "Media"))
            let member = try await api.dialogue.makeUser(.member)
            let outsider = try await api.dialogue.makeUser(.member)
            _ = try await api.dialogue.putMember(.cli(), groupID: group.id, participantID: member.participantID, role: "member")
            let body = #"{"kind":"working_group","working_group_id":"\#(group.id.uuidString.lowercased())","title":"Media WG","starts_at":"2027-02-01T10:00:00Z","ends_at":"2027-02-01T11:00:00Z","timezone":"Europe/Warsaw"}"#
            let id = try #require(try await api.call(.post, "/v1/sessions", as: api.admin, json: body)["id"])
            #expect(try await api.call(.get, "/v1/sessions/\(id)", as: member).status == 200)
            #expect(try await api.call(.get, "/v1/sessions/\(id)/agenda", as: member).status == 200)
            #expect(try await api.call(.get, "/v1/sessions/\(id)", as: outsider).status == 404)
            #expect(try await api.call(.get, "/v1/sessions/\(id)/agenda", as: outsider).status == 404)
            #expect(try await api.call(.get, "/v1/sessions/\(id).ics", as: outsider).status == 404)
            #expect(try await api.call(.get, "/v1/sessions", as: outsider).listed?.isEmpty == true)
            #expect(try await api.call(.get, "/v1/sessions", as: member).items.count == 1)
            #expect(try await api.call(.post, "/v1/sessions/\(id)/agenda", as: member, json: #"{"title":"x","duration_minutes":5}"#).status == 403)
        }
    }
}
