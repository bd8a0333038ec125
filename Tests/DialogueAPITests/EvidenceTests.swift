import Crypto
import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import NIOCore
import Testing

/// Issue 19, part 1: evidence with a chain of custody, through the real router.
@Suite("Evidence: hashed as it streams, typed by content, stripped of metadata, served as attachments")
struct EvidenceTests {
    static let boundary = "dialogue-evidence-boundary"

    /// A multipart/form-data body: the fields, then the file part (its name is sent, and must
    /// not be kept).
    static func multipart(_ file: [UInt8], type: String?, fields: [(String, String)] = [], fileName: String = "IMG_2041 Homel.jpg") -> ByteBuffer {
        var body = ByteBuffer()
        for (name, value) in fields {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\n")
        if let type { body.writeString("Content-Type: \(type)\r\n") }
        body.writeString("\r\n")
        body.writeBytes(file)
        body.writeString("\r\n--\(boundary)--\r\n")
        return body
    }

    static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count + 2
        return [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    /// A JPEG's structure with an EXIF block carrying GPS coordinates, an IPTC block and a
    /// comment before the image data (the stripper never decodes pixels).
    static let jpegWithGPS: [UInt8] = {
        let exif = Array("Exif\0\0MM\0*GPSLatitude 53.9045 N GPSLongitude 27.5615 E Model PhoneX".utf8)
        let iptc = Array("Photoshop 3.0\08BIM By-line: Ihar".utf8)
        let scan: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7 % 251) }.map { $0 == 0xFF ? 0xFE : $0 }
        return [0xFF, 0xD8] + segment(0xE0, Array("JFIF\0\u{1}\u{1}\0\0\u{1}\0\u{1}\0\0".utf8)) + segment(0xE1, exif)
            + segment(0xED, iptc) + segment(0xFE, Array("shot by Ihar near Homel".utf8)) + segment(0xDB, [UInt8](repeating: 1, count: 65))
            + segment(0xDA, [0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]) + scan + [0xFF, 0xD9]
    }()

    static func pngChunk(_ name: String, _ data: [UInt8]) -> [UInt8] {
        let length = data.count
        return [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
            + Array(name.utf8) + data + [0, 0, 0, 0]
    }

    static let pngWithText: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        + pngChunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]) + pngChunk("tEXt", Array("Author\0Ihar Homel".utf8))
        + pngChunk("tIME", [7, 234, 3, 10, 12, 0, 0]) + pngChunk("IDAT", [120, 156, 99, 0, 0, 0, 2, 0, 1]) + pngChunk("IEND", [])

    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    func upload(_ api: API, _ path: String, as user: TestUser, _ body: ByteBuffer) async throws -> Reply {
        try await api.call(
            .post, path, as: user, headers: [.contentType: "multipart/form-data; boundary=\(Self.boundary)"], rawBody: body)
    }

    @Test("a photo with GPS EXIF: hashed as received, stored without its metadata, both hashes verify, served as a download")
    func custody() async throws {
        try await API.run { api in
            let dialogue = api.dialogue
            let cast = try await AudienceTests.cast(dialogue)
            let proposal = try await dialogue.createProposal(cast.movMember.context, ProposalInput(
                workingGroupID: cast.group, title: "Designate judge K.", kind: "sanctions", scale: "small"))
            _ = try await dialogue.transitionProposal(cast.movMember.context, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
            let path = "/v1/proposals/\(proposal.id.lowercasedString)/evidence"
            let reply = try await upload(api, path, as: cast.movMember, Self.multipart(
                Self.jpegWithGPS, type: "image/jpeg",
                fields: [("source_url", "https://spring96.example.org/case/1"), ("captured_at", "2026-03-01T10:00:00Z")]))
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply["original_sha256"] == Self.sha256(Self.jpegWithGPS), "the original's hash is the bytes sent")
            #expect(reply["media_type"] == "image/jpeg" && reply["file_name"]?.hasPrefix("evidence-") == true)
            #expect(!reply.text.contains("IMG_2041") && !reply.text.contains("Homel"), "the name it came with is not kept")
            let removed = reply.json["metadata_removed"] as? [String] ?? []
            #expect(removed.contains { $0.contains("APP1") } && removed.contains { $0.contains("APP13") } && removed.contains { $0.contains("comment") })
            let id = try #require(reply["id"])

            let content = try await api.call(.get, "/v1/evidence/\(id)/content", as: cast.movCoord)
            #expect(content.status == 200)
            #expect(content.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"evidence-") == true)
            #expect(content.headers[.xContentTypeOptions] == "nosniff")
            #expect(content.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true)
            let stored = Array(content.response.body.readableBytesView)
            #expect(Self.sha256(stored) == reply["stored_sha256"], "the stored copy's hash verifies")
            let text = String(decoding: stored, as: UTF8.self)
            #expect(!text.contains("GPSLatitude") && !text.contains("Exif") && !text.contains("8BIM") && !text.contains("Ihar"),
                    "no EXIF, IPTC or comment left in the stored copy")
            #expect(stored.starts(with: [0xFF, 0xD8]) && stored.suffix(2) == [0xFF, 0xD9] && stored.count < Self.jpegWithGPS.count)
            #expect(text.contains("JFIF"), "the rest of the file is untouched")

            // PNG text and time chunks go too; a PDF is kept as it is, flagged.
            let png = try await upload(api, path, as: cast.movMember, Self.multipart(Self.pngWithText, type: "image/png"))
            #expect(png.status == 201 && (png.json["metadata_removed"] as? [String] ?? []).sorted() == ["PNG tEXt", "PNG tIME"])
            let pdf = Array("%PDF-1.7\n1 0 obj <</Author (Ihar)>> endobj\n%%EOF\n".utf8)
            let pdfReply = try await upload(api, path, as: cast.movMember, Self.multipart(pdf, type: "application/pdf"))
            #expect(pdfReply.status == 201 && pdfReply.json["may_carry_metadata"] as? Bool == true)
            #expect(pdfReply["original_sha256"] == pdfReply["stored_sha256"])

            // The list, for whoever may read the proposal; 404 for others, as for a missing one.
            let listed = try await api.call(.get, path, as: cast.govCoord)
            #expect(listed.items.count == 3)
            #expect(try await api.call(.get, "/v1/evidence/\(id)", as: cast.outsider).status == 404)
            #expect(try await api.call(.get, "/v1/evidence/\(id)/content", as: cast.outsider).status == 404)

            // Custody: every stored file re-hashes to its record, until one is tampered with.
            let verified = try await dialogue.verifyEvidence(.cli())
            #expect(verified.checked == 3 && verified.mismatched.isEmpty)
            try await dialogue.database.transaction { connection in
                try await connection.query(
                    "UPDATE evidence_chunks SET data = overlay(data placing '\\x00'::bytea from 10) WHERE evidence_id = \(UUID(uuidString: id)!)",
                    logger: dialogue.database.logger)
            }
            let tampered = try await dialogue.verifyEvidence(.cli())
            #expect(tampered.mismatched.map(\.id) == [UUID(uuidString: id)!])
            let audit = try await dialogue.listAudit(.cli(), page: try PageRequest(limit: 50, cursor: nil), filter: AuditFilter(objectType: "evidence"))
            #expect(audit.items.count == 3 && !audit.items.contains { $0.diff.contains("IMG_2041") })
        }
    }

    @Test("accepted by content: a renamed HTML file, a mismatched declared type, an empty or broken file are 422; 21 MiB is 413 and nothing is kept")
    func refusals() async throws {
        try await API.run { api in
            let dialogue = api.dialogue
            let cast = try await AudienceTests.cast(dialogue)
            let document = try await dialogue.createDocument(cast.movMember.context, DocumentInput(
                workingGroupID: cast.group, kind: "briefing", title: "Evidence file", audience: "side"))
            let path = "/v1/documents/\(document.id.lowercasedString)/evidence"
            let html = Array("<!doctype html><html><script>alert(1)</script></html>".utf8)
            for (bytes, type) in [(html, "text/plain"), (html, nil), (Self.jpegWithGPS, "image/png"), ([], "text/plain"),
                                  (Array(Self.jpegWithGPS.prefix(40)), "image/jpeg"), ([0x00, 0x01, 0x02, 0x03], nil),
                                  (Array("plain \u{0} text".utf8), "text/plain")] {
                let reply = try await upload(api, path, as: cast.movMember, Self.multipart(bytes, type: type, fileName: "notes.txt"))
                #expect(reply.status == 422 && reply.errorFields == ["file"], "\(type ?? "no type"), \(bytes.count) bytes: \(reply.status)")
            }
            let big = [UInt8](repeating: UInt8(ascii: "a"), count: 21 << 20)
            let tooLarge = try await upload(api, path, as: cast.movMember, Self.multipart(big, type: "text/plain"))
            #expect(tooLarge.status == 413 && tooLarge.isProblem)
            let text = try await upload(api, path, as: cast.movMember, Self.multipart(Array("Testimony, in Belarusian: сведка.".utf8), type: "text/plain; charset=utf-8"))
            #expect(text.status == 201 && text["media_type"] == "text/plain")
            #expect(try await api.call(.get, path, as: cast.movMember).items.count == 1, "nothing of the refused uploads was kept")
            #expect(try await dialogue.database.read { connection in
                try await connection.query("SELECT count(*)::int8 FROM evidence_chunks", logger: dialogue.database.logger).collect().first?.decode(Int.self)
            } == 1)
            // The other side cannot add to, list or read a side-only document's evidence.
            #expect(try await upload(api, path, as: cast.govMember, Self.multipart(Array("x".utf8), type: "text/plain")).status == 404)
            #expect(try await api.call(.get, path, as: cast.govCoord).status == 404)
            #expect(try await api.call(.get, "/v1/evidence/\(text["id"] ?? "")/content", as: cast.govCoord).status == 404)
            // Not multipart, no file part, a part after the file: 422.
            #expect(try await api.call(.post, path, as: cast.movMember, json: "{}").status == 422)
            var trailing = Self.multipart(Array("ok".utf8), type: "text/plain")
            trailing.moveWriterIndex(to: trailing.writerIndex - "--\r\n".utf8.count)
            trailing.writeString("\r\nContent-Disposition: form-data; name=\"source_url\"\r\n\r\nhttps://x.example\r\n--\(Self.boundary)--\r\n")
            #expect(try await upload(api, path, as: cast.movMember, trailing).status == 422)
        }
    }

    @Test("an object's evidence is limited in all, counted as it streams")
    func parentLimit() async throws {
        try await API.run { api in
            var dialogue = api.dialogue
            dialogue.evidenceLimits = EvidenceLimits(fileBytes: 1000, parentBytes: 2000)
            let cast = try await AudienceTests.cast(dialogue)
            let document = try await dialogue.createDocument(cast.movMember.context, DocumentInput(
                workingGroupID: cast.group, kind: "briefing", title: "Limits"))
            func pieces(_ count: Int) -> AsyncStream<ArraySlice<UInt8>> {
                AsyncStream { continuation in
                    for _ in 0..<(count / 100) { continuation.yield(ArraySlice([UInt8](repeating: UInt8(ascii: "b"), count: 100))) }
                    continuation.finish()
                }
            }
            for (size, refusal) in [(900, nil), (1100, "a file may be at most 1,000 bytes"), (900, nil),
                                    (300, "an object's evidence may be at most 2,000 bytes in all")] {
                do {
                    _ = try await dialogue.receiveEvidence(cast.movMember.context, on: .document(document.id), EvidenceIntake(), bytes: pieces(size))
                    #expect(refusal == nil, "\(size) bytes were accepted")
                } catch DomainError.tooLarge(let message) {
                    #expect(message == refusal)
                }
            }
            #expect(try await dialogue.listEvidence(cast.movMember.context, on: .document(document.id)).count == 2)
        }
    }
}
