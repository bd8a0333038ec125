import DialogueCore
import Foundation
import OpenAPIRuntime

extension APIHandlers {
    func listOrganizations(_ input: Operations.ListOrganizations.Input) async throws -> Operations.ListOrganizations.Output {
        let context = try await RequestScope.callContext(dialogue)
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let result = try await dialogue.listOrganizations(context, page: page, side: input.query.side?.rawValue)
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.Organization.init), nextCursor: result.nextCursor))))
    }

    func createOrganization(_ input: Operations.CreateOrganization.Input) async throws -> Operations.CreateOrganization.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let organization = try await dialogue.createOrganization(
            context, OrganizationInput(name: body.name, side: body.side.rawValue, country: body.country.map { .some($0) }))
        return .created(.init(
            headers: .init(eTag: ETags.value(organization.version), location: "/v1/organizations/\(organization.id.lowercasedString)"),
            body: .json(.init(organization))))
    }

    func getOrganization(_ input: Operations.GetOrganization.Input) async throws -> Operations.GetOrganization.Output {
        let context = try await RequestScope.callContext(dialogue)
        let organization = try await dialogue.getOrganization(context, id: try pathID(input.path.id, "organization"))
        return .ok(.init(headers: .init(eTag: ETags.value(organization.version)), body: .json(.init(organization))))
    }

    func updateOrganization(_ input: Operations.UpdateOrganization.Input) async throws -> Operations.UpdateOrganization.Output {
        let context = try await RequestScope.callContext(dialogue)
        let id = try pathID(input.path.id, "organization")
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let country = clearable(body.country)
        let organization = try await dialogue.updateOrganization(
            context, id: id, OrganizationInput(name: body.name, side: body.side?.rawValue, country: country),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(organization.version)), body: .json(.init(organization))))
    }

    func createParticipant(_ input: Operations.CreateParticipant.Input) async throws -> Operations.CreateParticipant.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let participant = try await dialogue.createParticipant(context, ParticipantInput(
            displayName: body.displayName, kind: body.kind.rawValue,
            organizationID: try bodyID(body.organizationId, "organization_id").map { .some($0) },
            timezone: body.timezone, languages: body.languages, email: body.email.map { .some($0) },
            represents: body.represents.map { .some($0) }))
        return .created(.init(
            headers: .init(eTag: ETags.value(participant.version), location: "/v1/participants/\(participant.id.lowercasedString)"),
            body: .json(.init(participant))))
    }

    func getParticipant(_ input: Operations.GetParticipant.Input) async throws -> Operations.GetParticipant.Output {
        let context = try await RequestScope.callContext(dialogue)
        let participant = try await dialogue.getParticipant(context, id: try pathID(input.path.id, "participant"))
        return .ok(.init(headers: .init(eTag: ETags.value(participant.version)), body: .json(.init(participant))))
    }

    func listParticipants(_ input: Operations.ListParticipants.Input) async throws -> Operations.ListParticipants.Output {
        let context = try await RequestScope.callContext(dialogue)
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let filter = ParticipantFilter(
            kind: input.query.kind?.rawValue, organizationID: try bodyID(input.query.organizationId, "organization_id"),
            status: input.query.status?.rawValue)
        let result = try await dialogue.listParticipants(context, page: page, filter: filter)
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.Participant.init), nextCursor: result.nextCursor))))
    }

    func updateParticipant(_ input: Operations.UpdateParticipant.Input) async throws -> Operations.UpdateParticipant.Output {
        let context = try await RequestScope.callContext(dialogue)
        let id = try pathID(input.path.id, "participant")
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let organization = try clearable(body.organizationId).map { raw in try raw.map { try parsedBodyID($0, "organization_id") } }
        let participant = try await dialogue.updateParticipant(
            context, id: id,
            ParticipantInput(
                displayName: body.displayName, kind: body.kind?.rawValue, organizationID: organization, timezone: body.timezone,
                languages: body.languages, email: clearable(body.email), represents: clearable(body.represents),
                status: body.status?.rawValue),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(participant.version)), body: .json(.init(participant))))
    }

    func listParticipantTokens(_ input: Operations.ListParticipantTokens.Input) async throws -> Operations.ListParticipantTokens.Output {
        let context = try await RequestScope.callContext(dialogue)
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let result = try await dialogue.listTokens(
            context, participantID: try pathID(input.path.id, "participant"), page: page)
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.Token.init), nextCursor: result.nextCursor))))
    }

    func issueParticipantToken(_ input: Operations.IssueParticipantToken.Input) async throws -> Operations.IssueParticipantToken.Output {
        let context = try await RequestScope.callContext(dialogue)
        let participantID = try pathID(input.path.id, "participant")
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let issued = try await dialogue.issueToken(
            context, participantID: participantID, role: body.role.rawValue, label: body.label, expiresInDays: body.expiresInDays)
        let info = issued.info
        return .created(.init(
            headers: .init(location: "/v1/participants/\(participantID.lowercasedString)/tokens/\(info.id.lowercasedString)"),
            body: .json(.init(
                id: info.id.lowercasedString, token: issued.secret, participantId: info.participantID.lowercasedString,
                role: .init(info.role), label: info.label, expiresAt: info.expiresAt))))
    }

    func revokeParticipantToken(_ input: Operations.RevokeParticipantToken.Input) async throws -> Operations.RevokeParticipantToken.Output {
        let context = try await RequestScope.callContext(dialogue)
        _ = try await dialogue.revokeToken(
            context, tokenID: try pathID(input.path.tokenId, "token"),
            participantID: try pathID(input.path.id, "participant"))
        return .noContent(.init())
    }
}

extension APIHandlers {
    func compromiseParticipant(_ input: Operations.CompromiseParticipant.Input) async throws -> Operations.CompromiseParticipant.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let participant = try await dialogue.markCompromised(
            context, participantID: try pathID(input.path.id, "participant"), reason: body.reason)
        return .ok(.init(body: .json(.init(participant))))
    }

    func listAudit(_ input: Operations.ListAudit.Input) async throws -> Operations.ListAudit.Output {
        let context = try await RequestScope.callContext(dialogue)
        let query = input.query
        let page = try PageRequest(limit: query.limit, cursor: query.cursor)
        let result = try await dialogue.listAudit(context, page: page, filter: AuditFilter(
            actorID: try bodyID(query.actorId, "actor_id"), objectType: query.objectType, objectID: query.objectId,
            from: query.from, to: query.to))
        return .ok(.init(body: .json(.init(items: result.items.map {
            .init(
                seq: Int($0.seq), occurredAt: $0.occurredAt, actor: $0.actor, actorParticipantId: $0.actorParticipantID?.lowercasedString,
                action: $0.action, objectType: $0.objectType, objectId: $0.objectID, diff: $0.diff, requestId: $0.requestID,
                hash: $0.hash)
        }, nextCursor: result.nextCursor))))
    }
}
