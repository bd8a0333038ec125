import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Testing

@Suite("Proposals to decisions to action items")
struct WorkChainTests {
    struct Cast: Sendable {
        var group: UUID
        var author: TestUser
        var endorsers: [TestUser]
        var observer: TestUser
        var coordinator: TestUser
        var governmentChair: TestUser
        var movementChair: TestUser
    }

    static func cast(_ api: API) async throws -> Cast {
        let cli = CallContext.cli()
        let dialogue = api.dialogue
        let government = try await dialogue.createOrganization(cli, OrganizationInput(name: "State Department", side: "government"))
        let movement = try await dialogue.createOrganization(cli, OrganizationInput(name: "United Transitional Cabinet", side: "movement"))
        let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "human_rights", name: "Political prisoners"))
        let author = try await dialogue.makeUser(.member, name: "Author", kind: .diaspora)
        let endorsers = [try await dialogue.makeUser(.member, name: "E1"), try await dialogue.makeUser(.member, name: "E2")]
        let observer = try await dialogue.makeUser(.observer, name: "Watcher")
        let governmentChair = try await dialogue.makeUser(.member, name: "Gov chair")
        let movementChair = try await dialogue.makeUser(.member, name: "Mov chair", kind: .diaspora)
        _ = try await dialogue.updateParticipant(cli, id: governmentChair.participantID, ParticipantInput(organizationID: .some(government.id)), ifMatch: nil)
        _ = try await dialogue.updateParticipant(cli, id: movementChair.participantID, ParticipantInput(organizationID: .some(movement.id)), ifMatch: nil)
        for user in [author] + endorsers {
            _ = try await dialogue.putMember(cli, groupID: group.id, participantID: user.participantID, role: "member")
        }
        _ = try await dialogue.putMember(cli, groupID: group.id, participantID: observer.participantID, role: "observer")
        _ = try await dialogue.putMember(cli, groupID: group.id, participantID: governmentChair.participantID, role: "chair")
        _ = try await dialogue.putMember(cli, groupID: group.id, participantID: movementChair.participantID, role: "chair")
        return Cast(
            group: group.id, author: author, endorsers: endorsers, observer: observer,
            coordinator: try await dialogue.makeUser(.coordinator), governmentChair: governmentChair, movementChair: movementChair)
    }

    @Test("end to end: draft, submit, endorse, review, accept, schedule, hold, adopt, follow up, overdue, sign off")
    func endToEnd() async throws {
        try await API.run { api in
            let cast = try await Self.cast(api)
            let group = cast.group.uuidString.lowercased()
            let draft = try await api.call(.post, "/v1/proposals", as: cast.author, json: #"""
                {"working_group_id":"\#(group)","title":"Release of Ihar Losik","summary":"A prisoner case with evidence.",
                 "body":"Палітвязень, журналіст. Case file attached.","kind":"prisoner_case","scale":"small"}
                """#)
            #expect(draft.status == 201)
            #expect(draft["status"] == "draft")
            let id = try #require(draft["id"])
            let path = "/v1/proposals/\(id)"

            // A draft exists for its author only: not for the coordinator, not in lists or search.
            #expect(try await api.call(.get, path, as: cast.coordinator).status == 404)
            #expect(try await api.call(.get, "/v1/proposals?q=Losik", as: cast.coordinator).listed?.isEmpty == true)
            #expect(try await api.call(.get, "/v1/proposals?q=Losik", as: cast.author).items.count == 1)

            // Illegal steps are refused with the right status and a reason.
            #expect(try await api.call(.post, "\(path)/transition", as: cast.observer, json: #"{"to":"submitted"}"#).status == 404)
            #expect(try await api.call(.post, "/v1/proposals", as: cast.observer, json: #"{"working_group_id":"\#(group)","title":"x","kind":"other","scale":"small"}"#).status == 403)
            #expect(try await api.call(.post, "\(path)/transition", as: cast.author, json: #"{"to":"submitted","note":"ready"}"#)["status"] == "submitted")
            #expect(try await api.call(.put, "\(path)/endorsements", as: cast.author).status == 403, "no endorsing your own proposal")
            #expect(try await api.call(.put, "\(path)/endorsements", as: cast.observer).status == 403, "observers do not endorse")
            for endorser in cast.endorsers {
                #expect(try await api.call(.put, "\(path)/endorsements", as: endorser).status == 200)
            }
            #expect(try await api.call(.get, path, as: cast.coordinator).json["endorsement_count"] as? Int == 2)
            let skip = try await api.call(.post, "\(path)/transition", as: cast.coordinator, json: #"{"to":"accepted"}"#)
            #expect(skip.status == 409, "accepting without review")
            #expect(skip.json["allowed"] as? [String] == ["withdrawn", "under_review"])
            #expect(try await api.call(.post, "\(path)/transition", as: cast.author, json: #"{"to":"under_review"}"#).status == 403)
            #expect(try await api.call(.post, "\(path)/transition", as: cast.coordinator, json: #"{"to":"under_review"}"#)["status"] == "under_review")
            #expect(try await api.call(.post, "\(path)/transition", as: cast.coordinator, json: #"{"to":"accepted","note":"strong case"}"#)["status"] == "accepted")
            #expect(try await api.call(.post, "\(path)/transition", as: cast.coordinator, json: #"{"to":"scheduled"}"#).status == 409, "scheduling happens on an agenda")

            // Onto a quarterly meeting's agenda.
            let session = try #require(try await api.call(.post, "/v1/sessions", as: cast.coordinator, json: SessionTests.quarterly)["id"])
            for chair in [cast.governmentChair, cast.movementChair] {
                _ = try await api.call(.put, "/v1/sessions/\(session)/attendees/\(chair.participantID.uuidString.lowercased())", as: cast.coordinator, json: "{}")
            }
            let item = try await api.call(.post, "/v1/sessions/\(session)/agenda", as: cast.coordinator, json: #"{"title":"Prisoner case","duration_minutes":20,"proposal_id":"\#(id)"}"#)
            #expect(item.status == 201)
            let itemID = try #require(item["id"])
            #expect(try await api.call(.get, path, as: cast.author)["status"] == "scheduled")
            let early = try await api.call(.patch, "/v1/agenda-items/\(itemID)", as: cast.coordinator, json: #"{"outcome":"adopted"}"#)
            #expect(early.status == 409, "no outcome before the session is held")

            _ = try await api.call(.post, "/v1/sessions/\(session)/transition", as: cast.coordinator, json: #"{"to":"confirmed"}"#)
            _ = try await api.call(.post, "/v1/sessions/\(session)/transition", as: cast.coordinator, json: #"{"to":"held"}"#)
            #expect(try await api.call(.patch, "/v1/agenda-items/\(itemID)", as: cast.coordinator, json: #"{"outcome":"adopted"}"#).status == 200)
            let decided = try await api.call(.get, path, as: cast.author)
            #expect(decided["status"] == "adopted")
            let history = try #require(decided.json["history"] as? [[String: Any]])
            #expect(history.compactMap { $0["to"] as? String } == ["submitted", "under_review", "accepted", "scheduled", "adopted"])

            // Follow-up: an action item from the adopted item, already past due.
            let action = try await api.call(.post, "/v1/action-items", as: cast.coordinator, json: #"""
                {"agenda_item_id":"\#(itemID)","title":"Raise the case with the embassy","owner_id":"\#(cast.author.participantID.uuidString.lowercased())","due_on":"2026-01-15"}
                """#)
            #expect(action.status == 201)
            #expect(action["working_group_id"] == group)
            #expect(action.json["overdue"] as? Bool == true)
            let actionID = try #require(action["id"])
            let progress = try await api.call(.patch, "/v1/action-items/\(actionID)", as: cast.author, json: #"{"status":"in_progress","progress":40,"note":"letter drafted"}"#)
            #expect(progress["progress"] == "40")
            #expect(try await api.call(.patch, "/v1/action-items/\(actionID)", as: cast.endorsers[0], json: #"{"progress":50}"#).status == 403)
            #expect(try await api.call(.patch, "/v1/action-items/\(actionID)", as: cast.author, json: #"{"status":"done"}"#).errorFields == ["note"])
            let overdue = try await api.call(.get, "/v1/action-items?overdue=true&direction=human_rights", as: cast.coordinator)
            #expect(overdue.items.compactMap { $0["id"] as? String } == [actionID])
            let done = try await api.call(.post, "/v1/action-items/\(actionID)/updates", as: cast.author, json: #"{"status":"done","note":"delivered"}"#)
            #expect(done.status == 201)
            #expect(done["progress"] == "100")
            #expect(done.json["overdue"] as? Bool == false)
            #expect(try await api.call(.get, "/v1/action-items/\(actionID)/updates", as: cast.endorsers[1]).items.count == 3)

            // Both chairs sign; the outcome is frozen; a correction is a new, linked item.
            #expect(try await api.call(.post, "/v1/sessions/\(session)/signoff", as: cast.endorsers[0]).status == 404)
            #expect(try await api.call(.post, "/v1/sessions/\(session)/signoff", as: cast.governmentChair).json["frozen"] as? Bool == false)
            #expect(try await api.call(.post, "/v1/sessions/\(session)/signoff", as: cast.governmentChair).status == 409)
            #expect(try await api.call(.post, "/v1/sessions/\(session)/signoff", as: cast.movementChair).json["frozen"] as? Bool == true)
            let frozen = try await api.call(.patch, "/v1/agenda-items/\(itemID)", as: cast.coordinator, json: #"{"outcome":"rejected"}"#)
            #expect(frozen.status == 409)
            let correction = try await api.call(.post, "/v1/sessions/\(session)/agenda", as: cast.coordinator,
                                                json: #"{"title":"Correction: minute wording","duration_minutes":1,"corrects_item_id":"\#(itemID)","outcome":"noted"}"#)
            #expect(correction.status == 201)
            #expect(try await api.call(.get, "/v1/agenda-items/\(itemID)", as: cast.coordinator)["outcome"] == "adopted")
            let report = try await api.dialogue.quarterlyReport(.cli(), quarter: "2027-Q1", direction: nil, audience: nil).report
            #expect(report.total.agendaOutcomes.filter { $0.value > 0 } == ["noted": 1],
                    "the corrected item counts once, with its correction's outcome; the correction is not a second item")
            #expect(try await AuditLog.verify(api.dialogue.database).isIntact)
        }
    }

    @Test("an action item is written whole with its first update, or not at all: unknown group or owner, inactive owner")
    func actionItemWholeOrNothing() async throws {
        try await API.run { api in
            let cast = try await Self.cast(api)
            let dialogue = api.dialogue
            let (group, owner) = (cast.group.uuidString.lowercased(), cast.author.participantID.uuidString.lowercased())
            let gone = try await dialogue.makeUser(.member, name: "Left the movement")
            _ = try await dialogue.updateParticipant(.cli(), id: gone.participantID, ParticipantInput(status: "inactive"), ifMatch: nil)
            @Sendable func written() async throws -> [Int] {
                try await dialogue.database.read { connection in
                    let row = try await connection.query("""
                        SELECT (SELECT count(*) FROM action_items)::int8, (SELECT count(*) FROM action_item_updates)::int8,
                               (SELECT count(*) FROM audit_log)::int8
                        """, logger: dialogue.database.logger).collect().first
                    let (items, updates, audit) = try #require(row).decode((Int, Int, Int).self)
                    return [items, updates, audit]
                }
            }
            func create(group: String, owner: String) async throws -> Reply {
                try await api.call(.post, "/v1/action-items", as: cast.coordinator, json: #"""
                    {"working_group_id":"\#(group)","title":"Brief the desk officer","owner_id":"\#(owner)","due_on":"2027-03-01","note":"before the visit"}
                    """#)
            }
            var before = try await written()
            let unknown = UUID.random().lowercasedString
            let noGroup = try await create(group: unknown, owner: owner)
            #expect(noGroup.status == 404)
            let noOwner = try await create(group: group, owner: unknown)
            #expect(noOwner.status == 404)
            let inactive = try await create(group: group, owner: gone.participantID.uuidString.lowercased())
            #expect(inactive.status == 422)
            #expect(inactive.errorFields == ["owner_id"])
            #expect(try await written() == before, "a refused create leaves no item, no update and no audit row")
            // Follow-up comes from an adopted agenda item: one not yet decided, or none at all, is
            // a problem with the field, and is written nowhere.
            let session = try #require(try await api.call(.post, "/v1/sessions", as: cast.coordinator, json: SessionTests.quarterly)["id"])
            let undecided = try #require(try await api.call(
                .post, "/v1/sessions/\(session)/agenda", as: cast.coordinator, json: #"{"title":"Embassy visit","duration_minutes":15}"#)["id"])
            before = try await written()
            for (agendaItem, problem) in [(undecided, "adopted agenda item"), (unknown, "no such agenda item")] {
                let refused = try await api.call(.post, "/v1/action-items", as: cast.coordinator, json: #"""
                    {"agenda_item_id":"\#(agendaItem)","title":"Brief the desk officer","owner_id":"\#(owner)","due_on":"2027-03-01"}
                    """#)
                #expect(refused.status == 422)
                #expect(refused.errorFields == ["agenda_item_id"])
                #expect(refused.text.contains(problem))
            }
            #expect(try await written() == before, "nor does one from an agenda item that cannot have follow-up")

            let made = try await create(group: group, owner: owner)
            #expect(made.status == 201)
            #expect(made["working_group_id"] == group)
            #expect(made["owner_id"] == owner)
            #expect(made["status"] == "open")
            #expect(made["version"] == "1")
            #expect(try await written() == zip(before, [1, 1, 1]).map { $0 + $1 })
            let id = try #require(made["id"])
            let timeline = try await api.call(.get, "/v1/action-items/\(id)/updates", as: cast.coordinator).items
            #expect(timeline.count == 1)
            #expect(timeline.first?["to_status"] as? String == "open")
            #expect(timeline.first?["note"] as? String == "before the visit")
            #expect(timeline.first?["author_id"] as? String == cast.coordinator.participantID.uuidString.lowercased())
            #expect(try await api.call(.get, "/v1/action-items/\(id)", as: cast.author)["title"] == "Brief the desk officer")
            #expect(try await AuditLog.verify(dialogue.database).isIntact)
        }
    }

    @Test("search uses the simple configuration: Belarusian, Russian and English match as written; filters combine")
    func search() async throws {
        try await API.run { api in
            let cast = try await Self.cast(api)
            let group = cast.group.uuidString.lowercased()
            for (title, body) in [("Санкцыі супраць калійнай прамысловасці", "Belaruskali"), ("Санкции против режима", "sanctions list"),
                                  ("Independent media fund", "grants for newsrooms")] {
                let created = try await api.call(.post, "/v1/proposals", as: cast.author, json: #"{"working_group_id":"\#(group)","title":"\#(title)","body":"\#(body)","kind":"sanctions","scale":"large"}"#)
                _ = try await api.call(.post, "/v1/proposals/\(created["id"]!)/transition", as: cast.author, json: #"{"to":"submitted"}"#)
            }
            func titles(_ query: String) async throws -> [String] {
                try await api.call(.get, "/v1/proposals?\(query)", as: cast.endorsers[0]).items.compactMap { $0["title"] as? String }
            }
            #expect(try await titles("q=" + "Санкцыі".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) == ["Санкцыі супраць калійнай прамысловасці"])
            #expect(try await titles("q=" + "режима".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) == ["Санкции против режима"])
            #expect(try await titles("q=newsrooms") == ["Independent media fund"])
            #expect(try await titles("q=newsrooms&direction=media").isEmpty)
            #expect(try await titles("direction=human_rights&status=submitted&kind=sanctions").count == 3)
            let badStatus = try await api.call(.get, "/v1/proposals?status=flying", as: cast.author)
            #expect(badStatus.status == 400)
            #expect(badStatus["detail"]?.contains("flying") == true, "\(badStatus.text)")
            let outsider = try await api.dialogue.makeUser(.member)
            #expect(try await api.call(.get, "/v1/proposals?q=newsrooms", as: outsider).listed?.isEmpty == true)
        }
    }
}
