import DialogueCore
import Foundation
import Hummingbird

/// My working groups, and a group's page: mandate, chairs, the members the reader may see, its
/// sessions and proposals — each list as the API would give it to the same person.
extension PortalPages {
    func groupsPage(_ request: Request) async -> Response {
        await visit(request) { visit in await groupList(visit) }
    }

    private func groupList(_ visit: Visit) async -> Response {
        let (session, language) = (visit.session, visit.language)
        let context = context(session)
        do {
            let directions = try await directionNames(context)
            let groups = try await dialogue.listWorkingGroups(context, page: try PageRequest(limit: 200, cursor: nil))
            return renderer.page("groups", GroupsPage(
                chrome: renderer.chrome(language, title: "groups_title", session: session, path: "/groups"),
                groups: groups.items.map { GroupCard($0, direction: directions[$0.direction] ?? $0.direction, renderer, language) }))
        } catch {
            return failure(error, language, session)
        }
    }

    func groupPage(_ request: Request, id rawID: String) async -> Response {
        await visit(request) { visit in await object(rawID, visit) { id in await group(visit, id: id) } }
    }

    private func group(_ visit: Visit, id: UUID) async -> Response {
        let (session, language) = (visit.session, visit.language)
        let context = context(session)
        do {
            let group = try await dialogue.getWorkingGroup(context, id: id)
            let directions = try await directionNames(context)
            let members = try await dialogue.listMembers(context, groupID: id, page: try PageRequest(limit: 200, cursor: nil))
            let zone = try await viewerZone(context, session)
            let sessions = try await dialogue.listSessions(
                context, page: try PageRequest(limit: 20, cursor: nil),
                filter: SessionFilter(from: Date().addingTimeInterval(-30 * 86400), workingGroupID: id))
            let proposals = try await dialogue.listProposals(
                context, page: try PageRequest(limit: 20, cursor: nil), filter: ProposalFilter(workingGroupID: id))
            let t = renderer.catalog(language)
            let card = GroupCard(group, direction: directions[group.direction] ?? group.direction, renderer, language)
            return renderer.page("group", GroupPage(
                chrome: renderer.chrome(language, title: "groups_title", titleText: group.name, session: session, path: "/groups/\(card.id)"),
                group: card,
                chairs: members.items.filter { $0.role == .chair }.map { MemberView($0, t) },
                members: members.items.filter { $0.role != .chair }.map { MemberView($0, t) },
                sessions: sessions.items.map {
                    SessionCard($0, viewerZone: zone, language, status: renderer.statusLabel("session_" + $0.status.rawValue, language))
                },
                proposals: proposals.items.map { ProposalCard($0, renderer, language) },
                mayPropose: group.status == .active))
        } catch {
            return failure(error, language, session)
        }
    }

    func directionNames(_ context: CallContext) async throws -> [String: String] {
        Dictionary(try await dialogue.listDirections(context).map { ($0.slug, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    /// The zone the reader's times are written in: their profile's, as the session's own
    /// statement read it; read apart only for a session that did not.
    func viewerZone(_ context: CallContext, _ session: WebSession) async throws -> TimeZone {
        if let zone = session.timeZone { return zone }
        return TimeZone(identifier: try await dialogue.getParticipant(context, id: session.participantID).timezone) ?? .gmt
    }
}

struct GroupCard: Sendable {
    var id: String
    var name: String
    var direction: String
    var mandate: String?
    var archived: Bool
    var status: String

    init(_ group: WorkingGroup, direction: String, _ renderer: PortalRenderer, _ language: PortalLanguage) {
        id = group.id.lowercasedString
        name = group.name
        self.direction = direction
        mandate = group.mandate.nonEmpty
        archived = group.status == .archived
        status = renderer.statusLabel("group_" + group.status.rawValue, language)
    }
}

/// A member by name and role; their kind is not written, so a screenshot of the page does not
/// label anyone an in-country participant.
struct MemberView: Sendable {
    var name: String
    var role: String

    init(_ membership: Membership, _ t: [String: String]) {
        name = membership.displayName
        role = t["role_" + membership.role.rawValue] ?? membership.role.rawValue
    }
}

struct GroupsPage: Sendable {
    var chrome: Chrome
    var groups: [GroupCard]
}

struct GroupPage: Sendable {
    var chrome: Chrome
    var group: GroupCard
    var chairs: [MemberView]
    var members: [MemberView]
    var sessions: [SessionCard]
    var proposals: [ProposalCard]
    var mayPropose: Bool
}
