import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Testing

/// The directory, as seen by every kind of caller (SECURITY.md 7: object-level authorization
/// is tested for every endpoint).
@Suite("Access matrix: directory")
struct AccessMatrixTests {
    enum Caller: String, CaseIterable, Sendable {
        case admin, coordinator, memberOfGroup, memberOfOtherGroup, observer, noToken, revokedToken
    }

    struct World: Sendable {
        var users: [Caller: TestUser]
        var groupA: UUID
        var groupB: UUID
        var memberA: UUID
        var memberA2: UUID
        var memberB: UUID
        var proxy: UUID
        var organization: UUID

        func headers(_ caller: Caller) -> HTTPFields {
            guard let user = users[caller] else { return [:] }
            return [.authorization: user.bearer]
        }
    }

    /// Two groups; a member in each, a second member and an in-country proxy in group A; an
    /// observer in no group; a member whose token was revoked.
    static func world(_ api: API) async throws -> World {
        let dialogue = api.dialogue
        let cli = CallContext.cli()
        let organization = try await dialogue.createOrganization(cli, OrganizationInput(name: "Ministry", side: "government"))
        let groupA = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Independent media"))
        let groupB = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "human_rights", name: "Prisoners"))
        let coordinator = try await dialogue.makeUser(.coordinator)
        let memberA = try await dialogue.makeUser(.member, name: "Alesia", kind: .diaspora)
        let memberB = try await dialogue.makeUser(.member, name: "Barys", kind: .diaspora)
        let observer = try await dialogue.makeUser(.observer)
        let revoked = try await dialogue.makeUser(.member)
        _ = try await dialogue.revokeToken(cli, tokenID: revoked.tokenID)
        let memberA2 = try await dialogue.createParticipant(
            cli, ParticipantInput(displayName: "Ciaran", kind: "official", email: .some("ciaran@example.org")))
        let proxy = try await dialogue.createParticipant(
            cli, ParticipantInput(displayName: "Zubr", kind: "in_country_proxy", represents: .some("Homel region unions")))
        for (participant, group) in [
            (memberA.participantID, groupA.id), (memberA2.id, groupA.id), (proxy.id, groupA.id),
            (memberB.participantID, groupB.id), (revoked.participantID, groupA.id),
        ] {
            _ = try await dialogue.putMember(cli, groupID: group, participantID: participant, role: "member")
        }
        return World(
            users: [.admin: api.admin, .coordinator: coordinator, .memberOfGroup: memberA, .memberOfOtherGroup: memberB,
                    .observer: observer, .revokedToken: revoked],
            groupA: groupA.id, groupB: groupB.id, memberA: memberA.participantID, memberA2: memberA2.id,
            memberB: memberB.participantID, proxy: proxy.id, organization: organization.id)
    }

    /// Expected status per caller: writers (admin, coordinator) get `write`, the member of the
    /// group gets `member`, the others `outsider`; no token and a revoked one always 401.
    static func expected(_ caller: Caller, write: Int, member: Int, outsider: Int, otherMember: Int? = nil) -> Int {
        switch caller {
        case .admin, .coordinator: return write
        case .memberOfGroup: return member
        case .memberOfOtherGroup: return otherMember ?? outsider
        case .observer: return outsider
        case .noToken, .revokedToken: return 401
        }
    }

    @Test("every directory endpoint answers each kind of caller with the exact status")
    func statusMatrix() async throws {
        try await API.run { api in
            let world = try await Self.world(api)
            let a = world.groupA.uuidString.lowercased(), b = world.groupB.uuidString.lowercased()
            let org = world.organization.uuidString.lowercased()
            let memberA = world.memberA.uuidString.lowercased(), proxy = world.proxy.uuidString.lowercased()
            let unknown = UUID().uuidString.lowercased()

            for caller in Caller.allCases {
                let headers = world.headers(caller)
                func check(_ method: HTTPRequest.Method, _ path: String, _ body: String?, _ status: Int) async throws {
                    let reply = try await api.call(method, path, json: body, headers: headers)
                    #expect(reply.status == status, "\(caller) \(method) \(path) → \(reply.status), expected \(status): \(reply.text)")
                    if reply.status >= 400 { #expect(reply.isProblem, "\(method) \(path) answered without a problem document") }
                }
                let tag = caller.rawValue
                let extra = try await api.dialogue.createParticipant(.cli(), ParticipantInput(displayName: "Extra \(tag)", kind: "diaspora"))
                _ = try await api.dialogue.putMember(.cli(), groupID: world.groupA, participantID: extra.id, role: "member")
                let extraID = extra.id.uuidString.lowercased()

                try await check(.get, "/v1/organizations", nil, Self.expected(caller, write: 200, member: 200, outsider: 200))
                try await check(.get, "/v1/organizations/\(org)", nil, Self.expected(caller, write: 200, member: 200, outsider: 200))
                try await check(.post, "/v1/organizations", #"{"name":"Org \#(tag)","side":"partner"}"#,
                                Self.expected(caller, write: 201, member: 403, outsider: 403))
                try await check(.patch, "/v1/organizations/\(org)", #"{"name":"Ministry \#(tag)"}"#,
                                Self.expected(caller, write: 200, member: 403, outsider: 403))

                try await check(.get, "/v1/participants", nil, Self.expected(caller, write: 200, member: 200, outsider: 200))
                try await check(.post, "/v1/participants", #"{"display_name":"New \#(tag)","kind":"diaspora"}"#,
                                Self.expected(caller, write: 201, member: 403, outsider: 403))
                try await check(.get, "/v1/participants/\(memberA)", nil, Self.expected(caller, write: 200, member: 200, outsider: 404))
                try await check(.get, "/v1/participants/\(proxy)", nil, Self.expected(caller, write: 200, member: 404, outsider: 404))
                try await check(.get, "/v1/participants/\(unknown)", nil, Self.expected(caller, write: 404, member: 404, outsider: 404))
                try await check(.patch, "/v1/participants/\(memberA)", #"{"timezone":"Europe/Vilnius"}"#,
                                Self.expected(caller, write: 200, member: 403, outsider: 404))
                try await check(.patch, "/v1/participants/\(proxy)", #"{"timezone":"Europe/Minsk"}"#,
                                Self.expected(caller, write: 200, member: 404, outsider: 404))

                try await check(.get, "/v1/working-groups", nil, Self.expected(caller, write: 200, member: 200, outsider: 200))
                try await check(.post, "/v1/working-groups", #"{"direction":"political","name":"G \#(tag)"}"#,
                                Self.expected(caller, write: 201, member: 403, outsider: 403))
                try await check(.get, "/v1/working-groups/\(a)", nil, Self.expected(caller, write: 200, member: 200, outsider: 404))
                try await check(.get, "/v1/working-groups/\(b)", nil,
                                Self.expected(caller, write: 200, member: 404, outsider: 404, otherMember: 200))
                try await check(.get, "/v1/working-groups/\(unknown)", nil, Self.expected(caller, write: 404, member: 404, outsider: 404))
                try await check(.patch, "/v1/working-groups/\(a)", #"{"mandate":"by \#(tag)"}"#,
                                Self.expected(caller, write: 200, member: 403, outsider: 404))
                try await check(.get, "/v1/working-groups/\(a)/members", nil, Self.expected(caller, write: 200, member: 200, outsider: 404))
                try await check(.put, "/v1/working-groups/\(a)/members/\(extraID)", #"{"role":"chair"}"#,
                                Self.expected(caller, write: 200, member: 403, outsider: 404))
                try await check(.delete, "/v1/working-groups/\(a)/members/\(extraID)", nil,
                                Self.expected(caller, write: 204, member: 403, outsider: 404))
                try await check(.delete, "/v1/working-groups/\(unknown)/members/\(extraID)", nil,
                                Self.expected(caller, write: 404, member: 404, outsider: 404))
            }
        }
    }

    @Test("lists never include what the caller may not see; proxies and contact fields stay with coordinators")
    func listContents() async throws {
        try await API.run { api in
            let world = try await Self.world(api)
            func ids(_ caller: Caller, _ path: String, key: String = "id") async throws -> Set<UUID> {
                let reply = try await api.call(.get, path, headers: world.headers(caller))
                #expect(reply.status == 200)
                return Set(reply.items.compactMap { ($0[key] as? String).flatMap(UUID.init(uuidString:)) })
            }
            #expect(try await ids(.coordinator, "/v1/working-groups") == [world.groupA, world.groupB])
            #expect(try await ids(.memberOfGroup, "/v1/working-groups") == [world.groupA])
            #expect(try await ids(.memberOfOtherGroup, "/v1/working-groups") == [world.groupB])
            #expect(try await ids(.observer, "/v1/working-groups").isEmpty)

            let memberSees = try await ids(.memberOfGroup, "/v1/participants")
            #expect(memberSees.contains(world.memberA))
            #expect(memberSees.contains(world.memberA2))
            #expect(!memberSees.contains(world.proxy), "a proxy is never listed to members")
            #expect(!memberSees.contains(world.memberB), "members of other groups are not listed")
            #expect(try await ids(.observer, "/v1/participants") == [world.users[.observer]!.participantID])
            #expect(try await ids(.coordinator, "/v1/participants").contains(world.proxy))

            let path = "/v1/working-groups/\(world.groupA.uuidString.lowercased())/members"
            let groupForMember = try await ids(.memberOfGroup, path, key: "participant_id")
            #expect(!groupForMember.contains(world.proxy), "a proxy's membership is visible to coordinators only")
            #expect(groupForMember.contains(world.memberA2))
            #expect(try await ids(.coordinator, path, key: "participant_id").contains(world.proxy))

            // Contact fields: the coordinator sees the email, a fellow member does not.
            let other = "/v1/participants/\(world.memberA2.uuidString.lowercased())"
            #expect(try await api.call(.get, other, headers: world.headers(.coordinator)).json["email"] as? String == "ciaran@example.org")
            let asMember = try await api.call(.get, other, headers: world.headers(.memberOfGroup))
            #expect(asMember.status == 200)
            #expect(asMember.json["email"] == nil)
            #expect(!asMember.text.contains("ciaran@example.org"))

            // Invisible and unknown answer alike.
            let hidden = try await api.call(.get, "/v1/working-groups/\(world.groupB.uuidString.lowercased())", headers: world.headers(.memberOfGroup))
            let missing = try await api.call(.get, "/v1/working-groups/\(UUID().uuidString.lowercased())", headers: world.headers(.memberOfGroup))
            #expect(hidden.status == 404 && missing.status == 404)
            #expect(hidden["detail"] == missing["detail"])
        }
    }

    @Test("group health: a group lacking a chair from either side is reported to coordinators, not to members")
    func groupHealth() async throws {
        try await API.run { api in
            let cli = CallContext.cli()
            let government = try await api.dialogue.createOrganization(cli, OrganizationInput(name: "State", side: "government"))
            let movement = try await api.dialogue.createOrganization(cli, OrganizationInput(name: "Cabinet", side: "movement"))
            let group = try await api.dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "accountability", name: "Sanctions"))
            let path = "/v1/working-groups/\(group.id.uuidString.lowercased())"
            let empty = try await api.call(.get, path, as: api.admin)
            #expect(empty.json["warnings"] as? [String] == ["no chair from the government side", "no chair from the movement side"])

            let envoy = try await api.dialogue.createParticipant(
                cli, ParticipantInput(displayName: "Envoy", kind: "official", organizationID: .some(government.id)))
            _ = try await api.call(.put, "\(path)/members/\(envoy.id.uuidString.lowercased())", as: api.admin, json: #"{"role":"chair"}"#)
            #expect(try await api.call(.get, path, as: api.admin).json["warnings"] as? [String] == ["no chair from the movement side"])

            let adviser = try await api.dialogue.createParticipant(
                cli, ParticipantInput(displayName: "Adviser", kind: "diaspora", organizationID: .some(movement.id)))
            let added = try await api.call(.put, "\(path)/members/\(adviser.id.uuidString.lowercased())", as: api.admin, json: #"{"role":"chair"}"#)
            #expect(added.status == 201)
            #expect(try await api.call(.get, path, as: api.admin).json["warnings"] as? [String] == [])

            let member = try await api.dialogue.makeUser(.member)
            _ = try await api.dialogue.putMember(cli, groupID: group.id, participantID: member.participantID, role: "member")
            _ = try await api.call(.delete, "\(path)/members/\(adviser.id.uuidString.lowercased())", as: api.admin)
            #expect(try await api.call(.get, path, as: member).json["warnings"] as? [String] == [])
        }
    }

    @Test("a participant set inactive loses every token at once; bad roles and duplicate names are refused")
    func participantUpdatesAndGroupRules() async throws {
        try await API.run { api in
            let member = try await api.dialogue.makeUser(.member)
            #expect(try await api.call(.get, "/v1/me", as: member).status == 200)
            let path = "/v1/participants/\(member.participantID.uuidString.lowercased())"
            let stale = try await api.call(.patch, path, as: api.admin, json: #"{"status":"inactive"}"#, headers: [.ifMatch: "\"9\""])
            #expect(stale.status == 412)
            let deactivated = try await api.call(.patch, path, as: api.admin, json: #"{"status":"inactive"}"#, headers: [.ifMatch: "\"1\""])
            #expect(deactivated.status == 200)
            #expect(try await api.call(.get, "/v1/me", as: member).status == 401)
            #expect(try await api.call(.patch, path, as: api.admin, json: #"{"status":"compromised"}"#).status == 422)

            let group = try await api.call(.post, "/v1/working-groups", as: api.admin, json: #"{"direction":"media","name":"Media"}"#)
            #expect(group.status == 201)
            #expect(try await api.call(.post, "/v1/working-groups", as: api.admin, json: #"{"direction":"media","name":"MEDIA"}"#).status == 409)
            #expect(try await api.call(.post, "/v1/working-groups", as: api.admin, json: #"{"direction":"culture","name":"X"}"#).errorFields == ["direction"])
            let groupPath = "/v1/working-groups/\(group["id"]!)/members/\(member.participantID.uuidString.lowercased())"
            #expect(try await api.call(.put, groupPath, as: api.admin, json: #"{"role":"boss"}"#).errorFields == ["role"])
            #expect(try await api.call(.put, groupPath, as: api.admin, json: #"{"role":"member"}"#).status == 409, "inactive participants cannot join")
        }
    }
}
