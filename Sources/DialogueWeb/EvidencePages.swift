import DialogueAPI
import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird

/// Evidence in the portal (issue 19): under a proposal or a document, the files attached to it
/// with what custody recorded (both hashes, what was removed), each a download; and a form
/// that sends a file, streamed to the same service the API uses.
extension PortalPages {
    static let evidenceFields = ["source_url", "captured_at", "file"]

    /// The evidence section of a page: the list and, for members, the upload form.
    func evidenceSection(_ visit: Visit, parent: EvidenceParent, problems: [FieldError] = []) async throws -> (ConsoleSection, FormProblems) {
        let t = renderer.catalog(visit.language)
        let context = context(visit.session)
        let items = try await dialogue.listEvidence(context, on: parent)
        let zone = try await viewerZone(context, visit.session)
        let columns = [t["evidence_file"] ?? "", t["evidence_received"] ?? "", t["evidence_hashes"] ?? "", t["evidence_removed"] ?? ""]
        let formProblems = FormProblems(problems, fields: Self.evidenceFields, t, prefix: "evidence", scope: "evidence")
        let fields = FieldBuilder(t, values: [:], problems: formProblems, prefix: "evidence")
        var section = ConsoleSection(
            "evidence", heading: t["evidence_heading"], intro: t["evidence_intro"],
            table: ConsoleTable(
                caption: t["evidence_heading"] ?? "", columns: columns,
                rows: items.map { evidence in
                    let size = ByteCountFormatter.string(fromByteCount: Int64(evidence.storedSize), countStyle: .file)
                    return ConsoleRow(cells: [
                        ConsoleCell(columns[0], "\(evidence.fileName) (\(t["evidence_type_" + evidence.mediaType.fileExtension] ?? evidence.mediaType.rawValue), \(size))",
                                    href: "/evidence/\(evidence.id.lowercasedString)"),
                        ConsoleCell(columns[1], Written.moment(evidence.receivedAt, zone, visit.language)),
                        ConsoleCell(columns[2], Self.filled(t["evidence_hash_pair"], String(evidence.originalSHA256.prefix(16)), String(evidence.storedSHA256.prefix(16)))),
                        ConsoleCell(columns[3], evidence.mayCarryMetadata ? t["evidence_pdf_metadata"] ?? ""
                                        : evidence.metadataRemoved.isEmpty ? t["evidence_nothing_removed"] ?? "" : evidence.metadataRemoved.joined(separator: ", "),
                                    flag: evidence.mayCarryMetadata),
                    ])
                }, none: t["evidence_none"] ?? ""))
        if visit.session.role >= .member {
            let base: String
            switch parent {
            case .proposal(let id): base = "/proposals/\(id.lowercasedString)"
            case .document(let id): base = "/documents/\(id.lowercasedString)"
            }
            var form = ConsoleForm(
                base + "/evidence", submit: t["evidence_upload"] ?? "", legend: t["evidence_new"],
                fields: [fields.text("source_url", type: "url"), fields.text("captured_at", type: "datetime-local"),
                         fields.text("file", type: "file", required: true)])
            form.multipart = true
            section.forms = [form]
        }
        return (section, formProblems)
    }

    /// A file sent from the portal: the session's token first, then the file, streamed to Core.
    func uploadEvidence(_ request: Request, on parent: @escaping @Sendable (UUID) -> EvidenceParent, id rawID: String) async -> Response {
        guard let session = await liveSession(request) else { return redirect("/signin") }
        if let next = Self.secondFactorPage(session) { return redirect(next) }
        let language = language(request, session)
        guard sameOrigin(request) else { return refused(language) }
        let visit = Visit(session: session, language: language, form: [:])
        guard let id = UUID(uuidString: rawID) else { return failure(DomainError.notFound(""), language, session) }
        let target = parent(id)
        do {
            _ = try await DialogueHTTP.receiveEvidenceForm(
                request, context: context(session), on: target, dialogue: dialogue, csrf: { session.acceptsCSRF($0) })
            return redirect(Self.evidencePath(target) + "?notice=evidence#evidence")
        } catch DomainError.forbidden {
            return refused(language)
        } catch let error as DomainError {
            let problems: [FieldError]
            switch error {
            case .validation(let errors): problems = errors.map { Self.evidenceFields.contains($0.field) ? $0 : FieldError("file", $0.message) }
            case .tooLarge(let message): problems = [FieldError("file", message)]
            default: return failure(error, language, session)
            }
            let status: HTTPResponse.Status = if case .tooLarge = error { .contentTooLarge } else { .unprocessableContent }
            switch target {
            case .document(let id):
                return await redrawn(visit, status) { try await self.documentPage(visit, id: id, evidenceProblems: problems) }
            case .proposal(let id):
                return await proposalResponse(visit, id: id, notice: nil, problem: nil, discussion: nil, evidence: problems, status: status)
            }
        } catch {
            return failure(error, language, session)
        }
    }

    private func redrawn(_ visit: Visit, _ status: HTTPResponse.Status, _ page: () async throws -> Response) async -> Response {
        do { return try await page().withStatus(status) } catch { return failure(error, visit.language, visit.session) }
    }

    static func evidencePath(_ parent: EvidenceParent) -> String {
        switch parent {
        case .proposal(let id): return "/proposals/\(id.lowercasedString)"
        case .document(let id): return "/documents/\(id.lowercasedString)"
        }
    }

    /// A stored copy, downloaded as the API serves it: an attachment no browser renders.
    func downloadEvidence(_ request: Request, id rawID: String) async -> Response {
        await visit(request) { visit in
            do {
                return try await DialogueHTTP.evidenceDownload(
                    try Self.objectID(rawID), context: context(visit.session), dialogue: dialogue, stallLimit: .seconds(30))
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }
}
