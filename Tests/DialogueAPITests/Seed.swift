import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import Testing

/// One object of every kind the contract names, so a test can walk `openapi.yaml` and turn
/// every path template into a path that reaches a real object.
struct Seeded: Sendable {
    var organization: UUID
    var member: TestUser
    var group: UUID
    var session: UUID
    var agendaItem: UUID
    var proposal: UUID
    /// A draft of the seeded member's, for what only an author may do while it is a draft.
    var draft: UUID
    var actionItem: UUID
    var token: UUID
    var feed: UUID
    /// A document of the seeded member's in the group, and their comment on the proposal.
    var document: UUID
    var comment: UUID
    /// The member's submitted sanctions proposal and prisoner case, whose dossier and case it keeps.
    var sanctions: UUID
    var prisonerCase: UUID

    static func make(_ api: API) async throws -> Seeded {
        let cli = CallContext.cli()
        let dialogue = api.dialogue
        let organization = try await dialogue.createOrganization(cli, OrganizationInput(name: "Seed ministry", side: "government"))
        let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Seed group"))
        let member = try await dialogue.makeUser(.member, name: "Seed member", kind: .diaspora)
        _ = try await dialogue.putMember(cli, groupID: group.id, participantID: member.participantID, role: "member")
        let session = try await dialogue.createSession(cli, SessionInput(
            kind: "working_group", workingGroupID: group.id, title: "Seed session",
            startsAt: Date(timeIntervalSince1970: 1_900_000_000), endsAt: Date(timeIntervalSince1970: 1_900_007_200),
            timezone: "Europe/Vilnius"))
        _ = try await dialogue.invite(cli, sessionID: session.id, participantID: member.participantID, onBehalfOf: nil)
        let (item, _) = try await dialogue.addAgendaItem(
            cli, sessionID: session.id, AgendaItemInput(title: "Seed item", durationMinutes: 10), ifMatch: nil)
        let proposal = try await dialogue.createProposal(
            member.context, ProposalInput(workingGroupID: group.id, title: "Seed proposal", kind: "policy", scale: "small"))
        _ = try await dialogue.transitionProposal(member.context, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
        let draft = try await dialogue.createProposal(
            member.context, ProposalInput(workingGroupID: group.id, title: "Seed draft", kind: "policy", scale: "small"))
        let action = try await dialogue.createActionItem(cli, ActionItemInput(
            workingGroupID: group.id, title: "Seed action", ownerID: member.participantID, dueOn: "2027-01-31"))
        let feed = try await dialogue.createCalendarFeed(member.context)
        let document = try await dialogue.createDocument(
            member.context, DocumentInput(workingGroupID: group.id, kind: "briefing", title: "Seed briefing", body: "Text"))
        let comment = try await dialogue.createComment(member.context, on: .proposal(proposal.id), body: "Seed comment")
        var structured: [UUID] = []
        for kind in ["sanctions", "prisoner_case"] {
            let made = try await dialogue.createProposal(
                member.context, ProposalInput(workingGroupID: group.id, title: "Seed \(kind)", kind: kind, scale: "small"))
            _ = try await dialogue.transitionProposal(member.context, id: made.id, to: "submitted", note: nil, ifMatch: nil)
            structured.append(made.id)
        }
        return Seeded(
            organization: organization.id, member: member, group: group.id, session: session.id, agendaItem: item.id,
            proposal: proposal.id, draft: draft.id, actionItem: action.id, token: member.tokenID, feed: feed.id,
            document: document.id, comment: comment.id, sanctions: structured[0], prisonerCase: structured[1])
    }

    /// The path a template names for the seeded objects: `{id}` is the object of the
    /// collection before it, `{participant_id}` the seeded member, `{token_id}` its token.
    func path(_ template: String) -> String {
        let segments = template.split(separator: "/").map(String.init)
        var result: [String] = []
        for (index, segment) in segments.enumerated() {
            guard segment.hasPrefix("{"), let close = segment.firstIndex(of: "}") else {
                result.append(segment)
                continue
            }
            let name = String(segment[segment.index(after: segment.startIndex)..<close])
            let suffix = String(segment[segment.index(after: close)...])
            let collection = index > 0 ? segments[index - 1] : ""
            result.append(id(name: name, collection: collection) + suffix)
        }
        return "/" + result.joined(separator: "/")
    }

    private func id(name: String, collection: String) -> String {
        let value: UUID
        switch (name, collection) {
        case ("participant_id", _): value = member.participantID
        case ("token_id", _): value = token
        case (_, "organizations"): value = organization
        case (_, "participants"): value = member.participantID
        case (_, "working-groups"): value = group
        case (_, "sessions"): value = session
        case (_, "agenda-items"): value = agendaItem
        case (_, "proposals"): value = proposal
        case (_, "action-items"): value = actionItem
        case (_, "feed-url"): value = feed
        case (_, "documents"): value = document
        case (_, "comments"): value = comment
        case ("number", _): return "1"
        default: return "unknown-\(name)"
        }
        return value.uuidString.lowercased()
    }
}

/// The served contract, read as a client would.
struct Contract: Sendable {
    struct Operation: Sendable {
        var method: String
        var template: String
        var operationID: String
        /// Request-body properties: name → (type, maxLength, item type for arrays).
        var bodyProperties: [String: (type: String, maxLength: Int?, items: String?)]
    }

    var operations: [Operation]

    static func load(_ api: API) async throws -> Contract {
        let reply = try await api.call(.get, "/openapi.json")
        let spec = try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
        let schemas = ((spec["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
        func resolve(_ schema: [String: Any]) -> [String: Any] {
            var schema = schema
            while let ref = schema["$ref"] as? String, let target = schemas[String(ref.split(separator: "/").last ?? "")] as? [String: Any] {
                schema = target
            }
            return schema
        }
        func typeName(_ schema: [String: Any]) -> String {
            if let type = schema["type"] as? String { return type }
            return (schema["type"] as? [String])?.first { $0 != "null" } ?? "object"
        }
        var operations: [Operation] = []
        for (template, item) in (spec["paths"] as? [String: [String: Any]]) ?? [:] {
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                var properties: [String: (type: String, maxLength: Int?, items: String?)] = [:]
                let content = ((operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]) ?? [:]
                if let json = content["application/json"] as? [String: Any], let schema = json["schema"] as? [String: Any] {
                    for (name, raw) in (resolve(schema)["properties"] as? [String: Any]) ?? [:] {
                        guard let property = raw as? [String: Any] else { continue }
                        let resolved = resolve(property)
                        let items = (resolved["items"] as? [String: Any]).map { typeName(resolve($0)) }
                        properties[name] = (typeName(resolved), resolved["maxLength"] as? Int, items)
                    }
                }
                operations.append(Operation(
                    method: method, template: template, operationID: operation["operationId"] as? String ?? "",
                    bodyProperties: properties))
            }
        }
        return Contract(operations: operations.sorted { ($0.template, $0.method) < ($1.template, $1.method) })
    }
}
