import Crypto
import Foundation
import NIOCore
import PostgresNIO

/// What a piece of evidence is attached to.
public enum EvidenceParent: Sendable, Equatable {
    case proposal(UUID)
    case document(UUID)
}

/// A piece of evidence as its reader sees it: what was received and what is kept, never the name
/// it came with (`fileName` is `evidence-N.ext`).
public struct Evidence: Sendable, Equatable {
    public var id: UUID
    public var number: Int
    public var parent: EvidenceParent
    public var mediaType: EvidenceType
    public var declaredType: String?
    public var originalSHA256: String
    public var originalSize: Int
    public var storedSHA256: String
    public var storedSize: Int
    /// What the working copy lost (e.g. "JPEG APP1 (EXIF/XMP)").
    public var metadataRemoved: [String]
    /// A PDF: its own metadata is not removed.
    public var mayCarryMetadata: Bool
    public var sourceURL: String?
    public var capturedAt: Date?
    /// Nil when the caller may not know the uploader (an in-country proxy).
    public var uploaderID: UUID?
    public var receivedAt: Date

    public var fileName: String { "evidence-\(number).\(mediaType.fileExtension)" }
}

/// What comes with a file: the type its sender declared, where it claims it is from, when it
/// claims it was captured.
public struct EvidenceIntake: Sendable {
    public var declaredType: String?
    public var sourceURL: String?
    public var capturedAt: String?

    public init(declaredType: String? = nil, sourceURL: String? = nil, capturedAt: String? = nil) {
        self.declaredType = declaredType
        self.sourceURL = sourceURL
        self.capturedAt = capturedAt
    }
}

/// How much evidence is kept (issue 19): per file and per object it is attached to, as received.
public struct EvidenceLimits: Sendable {
    public var fileBytes: Int
    public var parentBytes: Int

    public init(fileBytes: Int = 20 << 20, parentBytes: Int = 100 << 20) {
        self.fileBytes = fileBytes
        self.parentBytes = parentBytes
    }

    /// The working copy is written in pieces of this size.
    static let chunkBytes = 256 << 10

    /// A limit as a person reads it: whole MiB, or bytes below one.
    static func said(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0
            ? "\(bytes >> 20) MiB" : "\(bytes.formatted(.number.locale(Locale(identifier: "en_US")))) bytes"
    }
}

/// Strict UTF-8, piece by piece (a character may straddle two pieces); NUL is refused too.
struct UTF8Check {
    private var expected = 0
    private var valid = true

    mutating func feed(_ bytes: some Sequence<UInt8>) {
        for byte in bytes where valid {
            if expected > 0 {
                if byte & 0xC0 == 0x80 { expected -= 1 } else { valid = false }
            } else if byte == 0 {
                valid = false
            } else if byte < 0x80 {
                continue
            } else if byte & 0xE0 == 0xC0, byte >= 0xC2 {
                expected = 1
            } else if byte & 0xF0 == 0xE0 {
                expected = 2
            } else if byte & 0xF8 == 0xF0, byte <= 0xF4 {
                expected = 3
            } else {
                valid = false
            }
        }
    }

    var isValid: Bool { valid && expected == 0 }
}

/// A row of `evidence`, decoded once.
struct EvidenceRow {
    static let columns = """
        e.id, e.number, e.proposal_id, e.document_id, e.media_type, e.declared_type, e.original_sha256, e.original_size, \
        e.stored_sha256, e.stored_size, e.metadata_removed, e.may_carry_metadata, e.source_url, e.captured_at, e.uploader_id, \
        u.kind, e.received_at
        """

    var evidence: Evidence
    var uploaderKind: ParticipantKind

    init(_ row: PostgresRow) throws {
        let (id, number, proposalID, documentID, mediaType, declared, originalHash, originalSize, storedHash, storedSize, removed,
             mayCarry, source, captured, uploader, uploaderKind, received) = try row.decode(
            (UUID, Int, UUID?, UUID?, String, String?, String, Int, String, Int, [String], Bool, String?, Date?, UUID,
             ParticipantKind, Date).self)
        guard let type = EvidenceType(rawValue: mediaType) else { throw DomainError.conflict("evidence of an unknown type") }
        self.uploaderKind = uploaderKind
        evidence = Evidence(
            id: id, number: number, parent: proposalID.map { .proposal($0) } ?? .document(documentID ?? id), mediaType: type,
            declaredType: declared, originalSHA256: originalHash, originalSize: originalSize, storedSHA256: storedHash,
            storedSize: storedSize, metadataRemoved: removed, mayCarryMetadata: mayCarry, sourceURL: source, capturedAt: captured,
            uploaderID: uploader, receivedAt: received)
    }

    func shown(to viewer: Viewer) -> Evidence {
        var shown = evidence
        if let uploader = shown.uploaderID, !AccessPolicy.seesMembership(viewer, ofKind: uploaderKind, participantID: uploader) {
            shown.uploaderID = nil
        }
        return shown
    }
}

extension Dialogue {
    /// The parent once the caller may read it (404 otherwise), locked when evidence is added to it.
    private func readableEvidenceParent(
        _ connection: PostgresConnection, _ context: CallContext, _ parent: EvidenceParent, lock: Bool
    ) async throws -> Viewer {
        switch parent {
        case .proposal(let id): return try await proposalRow(connection, context, id: id, .read, lock: lock).1
        case .document(let id): return try await documentRow(connection, context, id: id, .read, lock: lock).1
        }
    }

    /// RFC 3339, or a form's local `2026-03-01T10:00` (read as UTC: a claim, not a measurement).
    static func capturedAt(_ text: String) -> Date? {
        RFC3339.date(from: text) ?? RFC3339.date(from: text + (text.count == 16 ? ":00Z" : "Z"))
    }

    private static func ids(_ parent: EvidenceParent) -> (proposal: UUID?, document: UUID?) {
        switch parent {
        case .proposal(let id): return (id, nil)
        case .document(let id): return (nil, id)
        }
    }

    /// Whether the caller may add evidence to `parent` (404 when they may not read it): asked
    /// before an upload's body is read, so a refused caller learns nothing from its shape.
    public func checkEvidenceParent(_ context: CallContext, _ parent: EvidenceParent) async throws {
        guard context.actor.isAtLeast(.member) else {
            _ = try await listEvidence(context, on: parent)
            throw DomainError.forbidden("evidence is added by a participant with a member token or more")
        }
        try await database.read { connection in _ = try await readableEvidenceParent(connection, context, parent, lock: false) }
    }

    /// Receives a file as it streams in (SECURITY.md 26): hashed before anything else touches
    /// it, typed by its first bytes (a declared type that differs is refused), its identifying
    /// metadata removed from the working copy, which is written to PostgreSQL a chunk at a
    /// time, so memory holds a chunk, never the file. Too large (the file, or the object's
    /// evidence with it) is refused the moment the limit is passed. All in one transaction: a
    /// refused or broken upload leaves nothing behind.
    public func receiveEvidence<Bytes: AsyncSequence & Sendable>(
        _ context: CallContext, on parent: EvidenceParent, _ intake: EvidenceIntake, bytes: Bytes
    ) async throws -> Evidence where Bytes.Element == ArraySlice<UInt8> {
        guard let uploaderID = context.actor.participantID, context.actor.isAtLeast(.member) else {
            throw DomainError.forbidden("evidence is added by a participant with a member token or more")
        }
        var validator = Validator()
        let declared = validator.text(intake.declaredType, "declared_type", required: false, max: 200)
            .map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
        let source = validator.text(intake.sourceURL, "source_url", required: false, max: 2000)
        if let source, !(source.hasPrefix("https://") || source.hasPrefix("http://")) {
            validator.fail("source_url", "must be an http(s) address")
        }
        let captured = intake.capturedAt.flatMap(Self.capturedAt)
        if intake.capturedAt != nil, captured == nil { validator.fail("captured_at", "must be a date and time (RFC 3339, or local)") }
        try validator.check()
        let limits = evidenceLimits
        let id = UUID()
        let (proposalID, documentID) = Self.ids(parent)
        return try await database.transaction { connection in
            let viewer = try await readableEvidenceParent(connection, context, parent, lock: true)
            let already = try await connection.query("""
                SELECT coalesce(sum(original_size), 0)::int8 FROM evidence
                WHERE proposal_id = \(proposalID) OR document_id = \(documentID)
                """, logger: logger).collect().first?.decode(Int.self) ?? 0

            var original = SHA256(), stored = SHA256()
            var originalSize = 0, storedSize = 0, sequence = 0
            var head: [UInt8] = [], pending: [UInt8] = []
            var type: EvidenceType?, stripper: MetadataStripper?
            var text = UTF8Check()

            func write(_ bytes: [UInt8], final: Bool) async throws {
                stored.update(data: bytes)
                storedSize += bytes.count
                pending += bytes
                while pending.count >= EvidenceLimits.chunkBytes || (final && !pending.isEmpty) {
                    let piece = Array(pending.prefix(EvidenceLimits.chunkBytes))
                    pending.removeFirst(piece.count)
                    try await connection.run(try Prepared.NewEvidenceChunk(id, sequence, ByteBuffer(bytes: piece)), logger: logger)
                    sequence += 1
                }
            }
            func process(_ bytes: [UInt8]) async throws {
                guard var working = stripper, let type else { return }
                if type == .text { text.feed(bytes) }
                do { try await write(try working.feed(bytes), final: false) } catch is MetadataStripper.Failure {
                    throw DomainError.invalid("file", "is not a whole \(type.fileExtension.uppercased()) file")
                }
                stripper = working
            }
            func decide() throws {
                guard let sniffed = EvidenceType.sniff(head) else {
                    throw DomainError.invalid("file", "must be a JPEG, PNG or PDF file or plain UTF-8 text (its content decides, not its name)")
                }
                if let declared, declared != sniffed.rawValue, declared != "application/octet-stream" {
                    throw DomainError.invalid("file", "is declared as \(declared) but its content is \(sniffed.rawValue)")
                }
                type = sniffed
                stripper = MetadataStripper(sniffed)
            }

            for try await piece in bytes {
                originalSize += piece.count
                if originalSize > limits.fileBytes {
                    throw DomainError.tooLarge("a file may be at most \(EvidenceLimits.said(limits.fileBytes))")
                }
                if already + originalSize > limits.parentBytes {
                    throw DomainError.tooLarge("an object's evidence may be at most \(EvidenceLimits.said(limits.parentBytes)) in all")
                }
                original.update(data: piece)
                if type == nil {
                    head += piece
                    guard head.count >= EvidenceType.sniffLength else { continue }
                    try decide()
                    let first = head
                    head = []
                    try await process(first)
                } else {
                    try await process(Array(piece))
                }
            }
            if type == nil {
                guard !head.isEmpty else { throw DomainError.invalid("file", "is empty") }
                try decide()
                try await process(head)
            }
            guard let type, let working = stripper else { throw DomainError.invalid("file", "is empty") }
            do { try working.finish() } catch {
                throw DomainError.invalid("file", "is not a whole \(type.fileExtension.uppercased()) file")
            }
            if type == .text, !text.isValid { throw DomainError.invalid("file", "is not plain UTF-8 text") }
            try await write([], final: true)
            let originalHash = original.finalize().hexString, storedHash = stored.finalize().hexString
            let inserted = try await connection.rows(
                try Prepared.NewEvidence(
                    id, proposalID, documentID, type.rawValue, declared, originalHash, originalSize, storedHash, storedSize,
                    working.removed, type == .pdf, source, captured, uploaderID),
                logger: logger)
            guard let number = try inserted.first?.decode(Int.self) else { throw DomainError.conflict("the evidence could not be saved") }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "evidence.receive", objectType: "evidence",
                objectID: id.lowercasedString,
                diff: [
                    "parent": (proposalID ?? documentID)?.lowercasedString, "number": String(number), "type": type.rawValue,
                    "original_sha256": originalHash, "stored_sha256": storedHash, "size": String(originalSize),
                    "metadata_removed": working.removed.joined(separator: ", "),
                ])
            guard let row = try await evidenceRows(connection, id: id).first else { throw DomainError.notFound("evidence not found") }
            return row.shown(to: viewer)
        }
    }

    private func evidenceRows(_ connection: PostgresConnection, id: UUID? = nil, parent: EvidenceParent? = nil) async throws -> [EvidenceRow] {
        let (proposalID, documentID) = parent.map(Self.ids) ?? (nil, nil)
        return try await connection.query("""
            SELECT \(unescaped: EvidenceRow.columns) FROM evidence e JOIN participants u ON u.id = e.uploader_id
            WHERE (\(id)::uuid IS NULL OR e.id = \(id))
              AND (\(proposalID)::uuid IS NULL OR e.proposal_id = \(proposalID))
              AND (\(documentID)::uuid IS NULL OR e.document_id = \(documentID))
            ORDER BY e.received_at, e.number
            """, logger: logger).collect().map(EvidenceRow.init)
    }

    /// The evidence of an object, for whoever may read the object.
    public func listEvidence(_ context: CallContext, on parent: EvidenceParent) async throws -> [Evidence] {
        try await database.read { connection in
            let viewer = try await readableEvidenceParent(connection, context, parent, lock: false)
            return try await evidenceRows(connection, parent: parent).map { $0.shown(to: viewer) }
        }
    }

    /// One piece of evidence, if the caller may read what it is attached to (404 otherwise).
    public func getEvidence(_ context: CallContext, id: UUID) async throws -> Evidence {
        try await database.read { connection in
            try await readableEvidence(connection, context, id: id)
        }
    }

    private func readableEvidence(_ connection: PostgresConnection, _ context: CallContext, id: UUID) async throws -> Evidence {
        guard let row = try await evidenceRows(connection, id: id).first else { throw DomainError.notFound("evidence not found") }
        do {
            let viewer = try await readableEvidenceParent(connection, context, row.evidence.parent, lock: false)
            return row.shown(to: viewer)
        } catch DomainError.notFound {
            throw DomainError.notFound("evidence not found")
        }
    }

    /// Writes the stored working copy to `sink`, a chunk at a time, for whoever may read what
    /// it is attached to.
    public func writeEvidence(_ context: CallContext, id: UUID, to sink: @escaping ByteSink) async throws {
        try await database.read { connection in
            _ = try await readableEvidence(connection, context, id: id)
            var sequence = 0
            while let chunk = try await connection.query(
                "SELECT data FROM evidence_chunks WHERE evidence_id = \(id) AND seq = \(sequence)", logger: logger
            ).collect().first?.decode(ByteBuffer.self) {
                try await sink(chunk)
                sequence += 1
            }
        }
    }

    /// Re-hashes every stored working copy against its record (`dialogue-admin evidence verify`):
    /// the ids whose bytes no longer match, and how many were checked.
    public func verifyEvidence(_ context: CallContext) async throws -> (checked: Int, mismatched: [(id: UUID, number: Int)]) {
        try AccessPolicy.requireCoordinator(context.actor, "verify evidence")
        return try await database.read { connection in
            let records = try await connection.query(
                "SELECT id, number, stored_sha256, stored_size FROM evidence ORDER BY number", logger: logger
            ).collect().map { try $0.decode((UUID, Int, String, Int).self) }
            var mismatched: [(UUID, Int)] = []
            for (id, number, expected, size) in records {
                var hasher = SHA256()
                var length = 0, sequence = 0
                while let chunk = try await connection.query(
                    "SELECT data FROM evidence_chunks WHERE evidence_id = \(id) AND seq = \(sequence)", logger: logger
                ).collect().first?.decode(ByteBuffer.self) {
                    hasher.update(data: chunk.readableBytesView)
                    length += chunk.readableBytes
                    sequence += 1
                }
                if hasher.finalize().hexString != expected || length != size { mismatched.append((id, number)) }
            }
            return (records.count, mismatched)
        }
    }
}

extension Prepared {
    /// One piece of a stored file, in order.
    struct NewEvidenceChunk: PreparedWrite {
        static let sql = "INSERT INTO evidence_chunks (evidence_id, seq, data) VALUES ($1::uuid, $2::int8, $3::bytea)"
        let bindings: PostgresBindings
    }

    /// A piece of evidence, once all its pieces are stored: its number in the dialogue.
    struct NewEvidence: PreparedWrite {
        static let sql = """
            INSERT INTO evidence (id, proposal_id, document_id, media_type, declared_type, original_sha256, original_size,
                                  stored_sha256, stored_size, metadata_removed, may_carry_metadata, source_url, captured_at,
                                  uploader_id)
            VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::text, $6::text, $7::int8, $8::text, $9::int8, $10::text[], $11::bool,
                    $12::text, $13::timestamptz, $14::uuid)
            RETURNING number
            """
        let bindings: PostgresBindings
    }
}
