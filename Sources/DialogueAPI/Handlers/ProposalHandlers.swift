import DialogueCore
import Foundation
import OpenAPIRuntime

extension APIHandlers {
    func getSessionSignOff(_ input: Operations.GetSessionSignOff.Input) async throws -> Operations.GetSessionSignOff.Output {
        let context = try await RequestScope.callContext(dialogue)
        let signOffs = try await dialogue.signOffs(context, sessionID: try pathID(input.path.id, "session"))
        return .ok(.init(body: .json(.init(signOffs))))
    }

    func signOffSession(_ input: Operations.SignOffSession.Input) async throws -> Operations.SignOffSession.Output {
        let context = try await RequestScope.callContext(dialogue)
        let signOffs = try await dialogue.signOff(context, sessionID: try pathID(input.path.id, "session"))
        return .ok(.init(body: .json(.init(signOffs))))
    }

    func listProposals(_ input: Operations.ListProposals.Input) async throws -> Operations.ListProposals.Output {
        let context = try await RequestScope.callContext(dialogue)
        let query = input.query
        let page = try PageRequest(limit: query.limit, cursor: query.cursor)
        let result = try await dialogue.listProposals(context, page: page, filter: ProposalFilter(
            query: query.q, workingGroupID: try bodyID(query.workingGroupId, "working_group_id"),
            direction: query.direction?.rawValue, status: query.status?.rawValue, kind: query.kind?.rawValue,
            authorID: try bodyID(query.authorId, "author_id")))
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.Proposal.init), nextCursor: result.nextCursor))))
    }

    func createProposal(_ input: Operations.CreateProposal.Input) async throws -> Operations.CreateProposal.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let proposal = try await dialogue.createProposal(context, ProposalInput(
            workingGroupID: try bodyID(body.workingGroupId, "working_group_id"), title: body.title, summary: body.summary,
            body: body.body, kind: body.kind.rawValue, scale: body.scale.rawValue, audience: body.audience?.rawValue,
            namedParticipantIDs: try body.namedParticipantIds.map { try bodyIDs($0, "named_participant_ids") }))
        return .created(.init(
            headers: .init(eTag: ETags.value(proposal.version), location: "/v1/proposals/\(proposal.id.lowercasedString)"),
            body: .json(.init(proposal))))
    }

    func getProposal(_ input: Operations.GetProposal.Input) async throws -> Operations.GetProposal.Output {
        let context = try await RequestScope.callContext(dialogue)
        let proposal = try await dialogue.getProposal(context, id: try pathID(input.path.id, "proposal"))
        return .ok(.init(headers: .init(eTag: ETags.value(proposal.version)), body: .json(.init(proposal))))
    }

    func updateProposal(_ input: Operations.UpdateProposal.Input) async throws -> Operations.UpdateProposal.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let proposal = try await dialogue.updateProposal(
            context, id: try pathID(input.path.id, "proposal"),
            ProposalInput(
                title: body.title, summary: body.summary, body: body.body, kind: body.kind?.rawValue, scale: body.scale?.rawValue,
                audience: body.audience?.rawValue,
                namedParticipantIDs: try body.namedParticipantIds.map { try bodyIDs($0, "named_participant_ids") },
                confirmWidening: body.confirmWidening ?? false),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(proposal.version)), body: .json(.init(proposal))))
    }

    func transitionProposal(_ input: Operations.TransitionProposal.Input) async throws -> Operations.TransitionProposal.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let id = try pathID(input.path.id, "proposal")
        _ = try await dialogue.transitionProposal(
            context, id: id, to: body.to.rawValue, note: body.note, ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        let proposal = try await dialogue.getProposal(context, id: id)
        return .ok(.init(headers: .init(eTag: ETags.value(proposal.version)), body: .json(.init(proposal))))
    }

    func listEndorsements(_ input: Operations.ListEndorsements.Input) async throws -> Operations.ListEndorsements.Output {
        let context = try await RequestScope.callContext(dialogue)
        let endorsers = try await dialogue.listEndorsers(context, proposalID: try pathID(input.path.id, "proposal"))
        return .ok(.init(body: .json(.init(items: endorsers.map {
            .init(participantId: $0.participantID.lowercasedString, displayName: $0.displayName, endorsedAt: $0.at)
        }, nextCursor: nil))))
    }

    func endorseProposal(_ input: Operations.EndorseProposal.Input) async throws -> Operations.EndorseProposal.Output {
        let context = try await RequestScope.callContext(dialogue)
        let proposal = try await dialogue.endorse(context, proposalID: try pathID(input.path.id, "proposal"))
        return .ok(.init(body: .json(.init(proposal))))
    }

    func withdrawEndorsement(_ input: Operations.WithdrawEndorsement.Input) async throws -> Operations.WithdrawEndorsement.Output {
        let context = try await RequestScope.callContext(dialogue)
        let proposal = try await dialogue.endorse(context, proposalID: try pathID(input.path.id, "proposal"), withdraw: true)
        return .ok(.init(body: .json(.init(proposal))))
    }

    func listActionItems(_ input: Operations.ListActionItems.Input) async throws -> Operations.ListActionItems.Output {
        let context = try await RequestScope.callContext(dialogue)
        let query = input.query
        let page = try PageRequest(limit: query.limit, cursor: query.cursor)
        let result = try await dialogue.listActionItems(context, page: page, filter: ActionItemFilter(
            status: query.status?.rawValue, ownerID: try bodyID(query.ownerId, "owner_id"),
            workingGroupID: try bodyID(query.workingGroupId, "working_group_id"), direction: query.direction?.rawValue,
            overdue: query.overdue, dueBefore: query.dueBefore))
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.ActionItem.init), nextCursor: result.nextCursor))))
    }

    func createActionItem(_ input: Operations.CreateActionItem.Input) async throws -> Operations.CreateActionItem.Output {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let item = try await dialogue.createActionItem(caller, ActionItemInput(
            workingGroupID: try bodyID(body.workingGroupId, "working_group_id"),
            agendaItemID: try bodyID(body.agendaItemId, "agenda_item_id"), title: body.title,
            ownerID: try bodyID(body.ownerId, "owner_id"), dueOn: body.dueOn, note: body.note))
        return .created(.init(
            headers: .init(eTag: ETags.value(item.version), location: "/v1/action-items/\(item.id.lowercasedString)"),
            body: .json(.init(item))))
    }

    func getActionItem(_ input: Operations.GetActionItem.Input) async throws -> Operations.GetActionItem.Output {
        let (caller, id) = try callerAndPathID(input.path.id, "action item")
        let item = try await dialogue.getActionItem(caller, id: id)
        return .ok(.init(headers: .init(eTag: ETags.value(item.version)), body: .json(.init(item))))
    }

    func updateActionItem(_ input: Operations.UpdateActionItem.Input) async throws -> Operations.UpdateActionItem.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let item = try await dialogue.updateActionItem(
            context, id: try pathID(input.path.id, "action item"),
            ActionItemInput(
                title: body.title, ownerID: try bodyID(body.ownerId, "owner_id"), dueOn: body.dueOn, status: body.status?.rawValue,
                progress: body.progress, note: body.note),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(item.version)), body: .json(.init(item))))
    }

    func listActionItemUpdates(_ input: Operations.ListActionItemUpdates.Input) async throws -> Operations.ListActionItemUpdates.Output {
        let context = try await RequestScope.callContext(dialogue)
        let updates = try await dialogue.actionUpdates(context, id: try pathID(input.path.id, "action item"))
        return .ok(.init(body: .json(.init(items: updates.map {
            .init(
                id: $0.id.lowercasedString, authorId: $0.authorID?.lowercasedString, fromStatus: $0.fromStatus?.rawValue,
                toStatus: $0.toStatus.rawValue, fromProgress: $0.fromProgress, toProgress: $0.toProgress, note: $0.note, at: $0.at)
        }, nextCursor: nil))))
    }

    func addActionItemUpdate(_ input: Operations.AddActionItemUpdate.Input) async throws -> Operations.AddActionItemUpdate.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let item = try await dialogue.updateActionItem(
            context, id: try pathID(input.path.id, "action item"),
            ActionItemInput(status: body.status?.rawValue, progress: body.progress, note: body.note), ifMatch: nil)
        return .created(.init(body: .json(.init(item))))
    }
}

extension Components.Schemas.SignOffState {
    init(_ signOffs: [SignOff]) {
        self.init(
            frozen: Set(signOffs.map(\.side)).count == 2,
            signoffs: signOffs.map {
                .init(side: .init(rawValue: $0.side) ?? .movement, participantId: $0.participantID?.lowercasedString, signedAt: $0.signedAt)
            })
    }
}

extension Components.Schemas.Proposal {
    init(_ proposal: Proposal) {
        self.init(
            id: proposal.id.lowercasedString, workingGroupId: proposal.workingGroupID.lowercasedString, title: proposal.title,
            summary: proposal.summary, body: proposal.body, kind: .init(rawValue: proposal.kind.rawValue) ?? .other,
            scale: .init(rawValue: proposal.scale.rawValue) ?? .small, authorId: proposal.authorID?.lowercasedString,
            status: .init(rawValue: proposal.status.rawValue) ?? .draft, audience: .init(proposal.audience),
            namedParticipantIds: proposal.namedParticipantIDs.map(\.lowercasedString), endorsementCount: proposal.endorsementCount,
            version: proposal.version, createdAt: proposal.createdAt, updatedAt: proposal.updatedAt,
            history: proposal.history.map {
                .init(actorId: $0.actorID?.lowercasedString, automatic: $0.automatic, from: $0.from.rawValue, to: $0.to.rawValue,
                      note: $0.note, at: $0.at)
            })
    }
}

extension Components.Schemas.Audience {
    init(_ audience: Audience) {
        switch audience {
        case .public: self = ._public
        case .dialogue: self = .dialogue
        case .side: self = .side
        case .named: self = .named
        }
    }
}

extension Components.Schemas.ActionItem {
    init(_ item: ActionItem) {
        self.init(
            id: item.id.lowercasedString, workingGroupId: item.workingGroupID.lowercasedString,
            agendaItemId: item.agendaItemID?.lowercasedString, title: item.title, ownerId: item.ownerID?.lowercasedString,
            dueOn: item.dueOn, status: .init(rawValue: item.status.rawValue) ?? .open, progress: item.progress,
            overdue: item.overdue, version: item.version, createdAt: item.createdAt, updatedAt: item.updatedAt)
    }
}
