import AsyncAlgorithms
import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension DialogueHTTP {
    /// `POST /v1/{proposals|documents}/{id}/evidence`: multipart/form-data with optional
    /// `source_url` and `captured_at` fields and then `file`, streamed into the service as it
    /// arrives. The part's file name is read past, never kept; its content type is the declared one.
    static func evidenceUpload(_ request: Request, on parent: EvidenceParent, _ dialogue: Dialogue) async throws -> Response {
        let evidence = try await receiveEvidenceForm(request, context: try await RequestScope.callContext(dialogue), on: parent, dialogue: dialogue)
        let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .custom { date, encoder in
                    var container = encoder.singleValueContainer()
                    try container.encode(RFC3339.string(from: date))
                }
        return Response(
            status: .created,
            headers: [.contentType: "application/json", .location: "/v1/evidence/\(evidence.id.lowercasedString)"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(Components.Schemas.Evidence(evidence)))))
    }

    /// An upload form read as it streams, for the API and the portal alike. `csrf`, for the
    /// portal: the first part must be the session's token, checked before anything is stored.
    public static func receiveEvidenceForm(
        _ request: Request, context: CallContext, on parent: EvidenceParent, dialogue: Dialogue, csrf: ((String) -> Bool)? = nil
    ) async throws -> Evidence {
        try await dialogue.checkEvidenceParent(context, parent)
        let stream = try MultipartStream(request.body, contentType: request.headers[.contentType])
        if let csrf {
            guard let first = try await stream.nextPart(), first.name == "csrf", csrf(try await stream.field()) else {
                throw DomainError.forbidden("the form's token is missing or stale")
            }
        }
        var intake = EvidenceIntake()
        while let part = try await stream.nextPart() {
            switch part.name {
            case "source_url": intake.sourceURL = try await stream.field().nonEmptyText
            case "captured_at": intake.capturedAt = try await stream.field().nonEmptyText
            case "file":
                intake.declaredType = part.contentType
                return try await dialogue.receiveEvidence(context, on: parent, intake, bytes: stream.fileBytes())
            default:
                throw DomainError.invalid(part.name, "is not a part of an evidence upload (source_url, captured_at, file)")
            }
        }
        throw DomainError.invalid("file", "is required")
    }

    /// `GET /v1/evidence/{id}/content`: the stored working copy, only ever as a download that no
    /// browser renders or runs (SECURITY.md 26), streamed a chunk at a time.
    /// The caller is checked before the id is read: an unknown token is 401 whatever it names.
    static func evidenceContent(_ rawID: String, _ dialogue: Dialogue, stallLimit: Duration) async throws -> Response {
        let context = try await RequestScope.callContext(dialogue)
        return try await evidenceDownload(pathID(rawID, "evidence"), context: context, dialogue: dialogue, stallLimit: stallLimit)
    }

    /// The stored copy as a download, for the API and the portal alike.
    public static func evidenceDownload(_ id: UUID, context: CallContext, dialogue: Dialogue, stallLimit: Duration) async throws -> Response {
        let evidence = try await dialogue.getEvidence(context, id: id)
        let headers: HTTPFields = [
            .contentType: evidence.mediaType.rawValue,
            .contentDisposition: "attachment; filename=\"\(evidence.fileName)\"",
            .contentLength: String(evidence.storedSize),
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "sandbox; default-src 'none'",
            .cacheControl: "private, no-store",
            HTTPField.Name("X-Content-SHA256")!: evidence.storedSHA256,
        ]
        return streamed(headers: headers, stallLimit: stallLimit) { sink in
            try await dialogue.writeEvidence(context, id: id, to: sink)
        }
    }
}

extension DialogueHTTP {
    static func exportAudience(_ request: Request) throws -> QuarterlyReport.Audience {
        let query = request.uri.queryParameters
        if let unknown = query.map({ String($0.key) }).first(where: { $0 != "audience" }) {
            throw DomainError.invalid(unknown, "is not a parameter of this export")
        }
        var validator = Validator()
        let audience = validator.choice(query["audience"].map(String.init) ?? "internal", "audience", as: QuarterlyReport.Audience.self)
        try validator.check()
        return audience ?? .internal
    }

    /// `GET /v1/dossiers/export.ftm`: FollowTheMoney JSON lines, streamed as they are made.
    static func dossierExport(_ request: Request, _ dialogue: Dialogue, stallLimit: Duration) async throws -> Response {
        let context = try await RequestScope.callContext(dialogue)
        let audience = try exportAudience(request)
        try AccessPolicy.requireCoordinator(context.actor, "export dossiers")
        let headers: HTTPFields = [
            .contentType: "application/x-ndjson", .cacheControl: "private, no-store",
            .contentDisposition: "attachment; filename=\"dialogue-dossiers-\(audience.rawValue).ftm.json\"",
        ]
        return streamed(headers: headers, stallLimit: stallLimit) { sink in
            _ = try await dialogue.writeFollowTheMoney(context, audience: audience, to: sink)
        }
    }

    /// `GET /v1/dossiers/custody.json`: what the same export's Document entities stand for.
    static func custodyManifest(_ request: Request, _ dialogue: Dialogue) async throws -> Response {
        let context = try await RequestScope.callContext(dialogue)
        let audience = try exportAudience(request)
        let entries = try await dialogue.writeFollowTheMoney(context, audience: audience, to: { _ in })
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "private, no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(["items": entries]))))
    }
}

extension DialogueHTTP {
    /// A 200 whose body `produce` writes in its own task, a chunk at a time: a slow client slows
    /// the producer instead of filling memory, and one that stops reading for `stallLimit`
    /// ends it (and its database read).
    static func streamed(
        headers: HTTPFields, stallLimit: Duration, produce: @escaping @Sendable (@escaping ByteSink) async throws -> Void
    ) -> Response {
        Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let chunks = AsyncThrowingChannel<ByteBuffer, any Error>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await produce { try await send($0, to: chunks, within: stallLimit) }
                        chunks.finish()
                    } catch {
                        chunks.fail(error)
                        throw error
                    }
                }
                for try await chunk in chunks { try await writer.write(chunk) }
                try await group.waitForAll()
            }
            try await writer.finish(nil)
        })
    }
}

extension String {
    /// Nil for an empty form field.
    var nonEmptyText: String? { isEmpty ? nil : self }
}

extension Components.Schemas.Evidence {
    /// One representation for the generated reads and the streaming upload's answer.
    init(_ evidence: Evidence) {
        var proposalID: String?, documentID: String?
        switch evidence.parent {
        case .proposal(let id): proposalID = id.lowercasedString
        case .document(let id): documentID = id.lowercasedString
        }
        self.init(
            id: evidence.id.lowercasedString, number: evidence.number, fileName: evidence.fileName,
            mediaType: .init(rawValue: evidence.mediaType.rawValue) ?? .textPlain, declaredType: evidence.declaredType,
            originalSha256: evidence.originalSHA256, originalSize: evidence.originalSize, storedSha256: evidence.storedSHA256,
            storedSize: evidence.storedSize, metadataRemoved: evidence.metadataRemoved, mayCarryMetadata: evidence.mayCarryMetadata,
            sourceUrl: evidence.sourceURL, capturedAt: evidence.capturedAt, uploaderId: evidence.uploaderID?.lowercasedString,
            receivedAt: evidence.receivedAt, proposalId: proposalID, documentId: documentID)
    }
}
