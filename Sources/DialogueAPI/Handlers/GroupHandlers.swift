import DialogueCore
import Foundation
import OpenAPIRuntime

extension APIHandlers {
    func listWorkingGroups(_ input: Operations.ListWorkingGroups.Input) async throws -> Operations.ListWorkingGroups.Output {
        let context = try await RequestScope.callContext(dialogue)
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let result = try await dialogue.listWorkingGroups(
            context, page: page, direction: input.query.direction?.rawValue, status: input.query.status?.rawValue)
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.WorkingGroup.init), nextCursor: result.nextCursor))))
    }

    func createWorkingGroup(_ input: Operations.CreateWorkingGroup.Input) async throws -> Operations.CreateWorkingGroup.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let group = try await dialogue.createWorkingGroup(
            context, WorkingGroupInput(direction: body.direction.rawValue, name: body.name, mandate: body.mandate))
        return .created(.init(
            headers: .init(eTag: ETags.value(group.version), location: "/v1/working-groups/\(group.id.lowercasedString)"),
            body: .json(.init(group))))
    }

    func getWorkingGroup(_ input: Operations.GetWorkingGroup.Input) async throws -> Operations.GetWorkingGroup.Output {
        let (caller, id) = try callerAndPathID(input.path.id, "working group")
        let group = try await dialogue.getWorkingGroup(caller, id: id)
        return .ok(.init(headers: .init(eTag: ETags.value(group.version)), body: .json(.init(group))))
    }

    func updateWorkingGroup(_ input: Operations.UpdateWorkingGroup.Input) async throws -> Operations.UpdateWorkingGroup.Output {
        let context = try await RequestScope.callContext(dialogue)
        let id = try pathID(input.path.id, "working group")
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let group = try await dialogue.updateWorkingGroup(
            context, id: id,
            WorkingGroupInput(direction: body.direction?.rawValue, name: body.name, mandate: body.mandate, status: body.status?.rawValue),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(group.version)), body: .json(.init(group))))
    }

    func listWorkingGroupMembers(_ input: Operations.ListWorkingGroupMembers.Input) async throws -> Operations.ListWorkingGroupMembers.Output {
        let context = try await RequestScope.callContext(dialogue)
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let result = try await dialogue.listMembers(context, groupID: try pathID(input.path.id, "working group"), page: page)
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.Membership.init), nextCursor: result.nextCursor))))
    }

    func putWorkingGroupMember(_ input: Operations.PutWorkingGroupMember.Input) async throws -> Operations.PutWorkingGroupMember.Output {
        let context = try await RequestScope.callContext(dialogue)
        let groupID = try pathID(input.path.id, "working group")
        let participantID = try pathID(input.path.participantId, "participant")
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let (membership, created) = try await dialogue.putMember(
            context, groupID: groupID, participantID: participantID, role: body.role.rawValue)
        let json = Components.Schemas.Membership(membership)
        return created ? .created(.init(body: .json(json))) : .ok(.init(body: .json(json)))
    }

    func removeWorkingGroupMember(_ input: Operations.RemoveWorkingGroupMember.Input) async throws -> Operations.RemoveWorkingGroupMember.Output {
        let context = try await RequestScope.callContext(dialogue)
        try await dialogue.removeMember(
            context, groupID: try pathID(input.path.id, "working group"),
            participantID: try pathID(input.path.participantId, "participant"))
        return .noContent(.init())
    }
}
