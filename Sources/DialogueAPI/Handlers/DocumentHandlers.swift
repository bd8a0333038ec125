import DialogueCore
import Foundation
import OpenAPIRuntime

extension APIHandlers {
    func listDocuments(_ input: Operations.ListDocuments.Input) async throws -> Operations.ListDocuments.Output {
        let context = try await RequestScope.callContext(dialogue)
        let query = input.query
        let page = try PageRequest(limit: query.limit, cursor: query.cursor)
        let result = try await dialogue.listDocuments(context, page: page, filter: DocumentFilter(
            query: query.q, workingGroupID: try bodyID(query.workingGroupId, "working_group_id"),
            sessionID: try bodyID(query.sessionId, "session_id"), kind: query.kind?.rawValue))
        return .ok(.init(body: .json(.init(items: result.items.map(Components.Schemas.Document.init), nextCursor: result.nextCursor))))
    }

    func createDocument(_ input: Operations.CreateDocument.Input) async throws -> Operations.CreateDocument.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let document = try await dialogue.createDocument(context, DocumentInput(
            workingGroupID: try bodyID(body.workingGroupId, "working_group_id"), sessionID: try bodyID(body.sessionId, "session_id"),
            kind: body.kind.rawValue, title: body.title, body: body.body, audience: body.audience?.rawValue,
            namedParticipantIDs: try body.namedParticipantIds.map { try bodyIDs($0, "named_participant_ids") }))
        return .created(.init(
            headers: .init(eTag: ETags.value(document.version), location: "/v1/documents/\(document.id.lowercasedString)"),
            body: .json(.init(document))))
    }

    func getDocument(_ input: Operations.GetDocument.Input) async throws -> Operations.GetDocument.Output {
        let context = try await RequestScope.callContext(dialogue)
        let document = try await dialogue.getDocument(context, id: try pathID(input.path.id, "document"))
        return .ok(.init(headers: .init(eTag: ETags.value(document.version)), body: .json(.init(document))))
    }

    func updateDocument(_ input: Operations.UpdateDocument.Input) async throws -> Operations.UpdateDocument.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let document = try await dialogue.updateDocument(
            context, id: try pathID(input.path.id, "document"),
            DocumentInput(
                title: body.title, body: body.body, status: body.status?.rawValue, note: body.note, audience: body.audience?.rawValue,
                namedParticipantIDs: try body.namedParticipantIds.map { try bodyIDs($0, "named_participant_ids") },
                confirmWidening: body.confirmWidening ?? false),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(document.version)), body: .json(.init(document))))
    }

    func listDocumentVersions(_ input: Operations.ListDocumentVersions.Input) async throws -> Operations.ListDocumentVersions.Output {
        let context = try await RequestScope.callContext(dialogue)
        let versions = try await dialogue.documentVersions(context, id: try pathID(input.path.id, "document"))
        return .ok(.init(body: .json(.init(items: versions.map(Components.Schemas.DocumentVersion.init)))))
    }

    func getDocumentVersion(_ input: Operations.GetDocumentVersion.Input) async throws -> Operations.GetDocumentVersion.Output {
        let context = try await RequestScope.callContext(dialogue)
        let version = try await dialogue.documentVersion(
            context, id: try pathID(input.path.id, "document"), number: input.path.number)
        return .ok(.init(body: .json(.init(version))))
    }

    func diffDocument(_ input: Operations.DiffDocument.Input) async throws -> Operations.DiffDocument.Output {
        let context = try await RequestScope.callContext(dialogue)
        let (old, new, lines) = try await dialogue.documentDiff(
            context, id: try pathID(input.path.id, "document"), from: input.query.from, to: input.query.to)
        return .ok(.init(body: .json(.init(
            from: old.number, to: new.number,
            lines: lines.map { .init(change: .init(rawValue: $0.change.rawValue) ?? .same, text: $0.text) }))))
    }

    func getMinutesSignOff(_ input: Operations.GetMinutesSignOff.Input) async throws -> Operations.GetMinutesSignOff.Output {
        let context = try await RequestScope.callContext(dialogue)
        let signOffs = try await dialogue.minutesSignOffs(context, id: try pathID(input.path.id, "document"))
        return .ok(.init(body: .json(.init(signOffs))))
    }

    func signOffMinutes(_ input: Operations.SignOffMinutes.Input) async throws -> Operations.SignOffMinutes.Output {
        let context = try await RequestScope.callContext(dialogue)
        let id = try pathID(input.path.id, "document")
        _ = try await dialogue.signOffMinutes(context, id: id)
        return .ok(.init(body: .json(.init(try await dialogue.minutesSignOffs(context, id: id)))))
    }

    func listDocumentComments(_ input: Operations.ListDocumentComments.Input) async throws -> Operations.ListDocumentComments.Output {
        let context = try await RequestScope.callContext(dialogue)
        let comments = try await dialogue.listComments(context, on: .document(try pathID(input.path.id, "document")))
        return .ok(.init(body: .json(.init(items: comments.map(Components.Schemas.Comment.init)))))
    }

    func createDocumentComment(_ input: Operations.CreateDocumentComment.Input) async throws -> Operations.CreateDocumentComment.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let comment = try await createComment(on: .document(try pathID(input.path.id, "document")), body)
        return .created(.init(body: .json(.init(comment))))
    }

    func listProposalComments(_ input: Operations.ListProposalComments.Input) async throws -> Operations.ListProposalComments.Output {
        let context = try await RequestScope.callContext(dialogue)
        let comments = try await dialogue.listComments(context, on: .proposal(try pathID(input.path.id, "proposal")))
        return .ok(.init(body: .json(.init(items: comments.map(Components.Schemas.Comment.init)))))
    }

    func createProposalComment(_ input: Operations.CreateProposalComment.Input) async throws -> Operations.CreateProposalComment.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let comment = try await createComment(on: .proposal(try pathID(input.path.id, "proposal")), body)
        return .created(.init(body: .json(.init(comment))))
    }

    private func createComment(on parent: CommentParent, _ body: Components.Schemas.CommentCreate) async throws -> Comment {
        try await dialogue.createComment(
            try await RequestScope.callContext(dialogue), on: parent, body: body.body, audience: body.audience?.rawValue,
            named: try body.namedParticipantIds.map { try bodyIDs($0, "named_participant_ids") })
    }

    func getComment(_ input: Operations.GetComment.Input) async throws -> Operations.GetComment.Output {
        let context = try await RequestScope.callContext(dialogue)
        let (comment, _) = try await dialogue.getComment(context, id: try pathID(input.path.id, "comment"))
        return .ok(.init(headers: .init(eTag: ETags.value(comment.version)), body: .json(.init(comment))))
    }

    func updateComment(_ input: Operations.UpdateComment.Input) async throws -> Operations.UpdateComment.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let comment = try await dialogue.updateComment(
            context, id: try pathID(input.path.id, "comment"), body: body.body, ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(comment.version)), body: .json(.init(comment))))
    }

    func deleteComment(_ input: Operations.DeleteComment.Input) async throws -> Operations.DeleteComment.Output {
        let context = try await RequestScope.callContext(dialogue)
        try await dialogue.removeComment(context, id: try pathID(input.path.id, "comment"))
        return .noContent(.init())
    }
}

extension Components.Schemas.Document {
    init(_ document: Document) {
        self.init(
            id: document.id.lowercasedString, workingGroupId: document.workingGroupID?.lowercasedString,
            sessionId: document.sessionID?.lowercasedString, kind: .init(rawValue: document.kind.rawValue) ?? .other,
            title: document.title, body: document.body, authorId: document.authorID?.lowercasedString,
            audience: .init(document.audience), namedParticipantIds: document.namedParticipantIDs.map(\.lowercasedString),
            status: .init(rawValue: document.status.rawValue) ?? .draft, frozen: document.frozenAt != nil,
            versionNumber: document.versionCount, version: document.version, createdAt: document.createdAt,
            updatedAt: document.updatedAt)
    }
}

extension Components.Schemas.DocumentVersion {
    init(_ version: DialogueCore.DocumentVersion) {
        self.init(
            number: version.number, title: version.title, body: version.body, authorId: version.authorID?.lowercasedString,
            correction: version.correction, note: version.note, createdAt: version.createdAt)
    }
}

extension Components.Schemas.Comment {
    init(_ comment: Comment) {
        var proposalID: String?, documentID: String?
        switch comment.parent {
        case .proposal(let id): proposalID = id.lowercasedString
        case .document(let id): documentID = id.lowercasedString
        }
        self.init(
            id: comment.id.lowercasedString, proposalId: proposalID, documentId: documentID,
            authorId: comment.authorID?.lowercasedString, authorName: comment.authorName, authorWithheld: comment.authorWithheld,
            audience: .init(comment.audience), namedParticipantIds: comment.namedParticipantIDs.map(\.lowercasedString),
            body: comment.body, removed: comment.removed, editedAt: comment.editedAt, version: comment.version,
            createdAt: comment.createdAt)
    }
}

extension APIHandlers {
    func listProposalEvidence(_ input: Operations.ListProposalEvidence.Input) async throws -> Operations.ListProposalEvidence.Output {
        let context = try await RequestScope.callContext(dialogue)
        let items = try await dialogue.listEvidence(context, on: .proposal(try pathID(input.path.id, "proposal")))
        return .ok(.init(body: .json(.init(items: items.map(Components.Schemas.Evidence.init)))))
    }

    func listDocumentEvidence(_ input: Operations.ListDocumentEvidence.Input) async throws -> Operations.ListDocumentEvidence.Output {
        let context = try await RequestScope.callContext(dialogue)
        let items = try await dialogue.listEvidence(context, on: .document(try pathID(input.path.id, "document")))
        return .ok(.init(body: .json(.init(items: items.map(Components.Schemas.Evidence.init)))))
    }

    func getEvidence(_ input: Operations.GetEvidence.Input) async throws -> Operations.GetEvidence.Output {
        let context = try await RequestScope.callContext(dialogue)
        return .ok(.init(body: .json(.init(try await dialogue.getEvidence(context, id: try pathID(input.path.id, "evidence"))))))
    }
}
