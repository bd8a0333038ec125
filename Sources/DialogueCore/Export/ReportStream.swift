import Crypto
import Foundation
import NIOCore
import Synchronization

/// Where streamed bytes go, in order: a response body, a file, or memory.
public typealias ByteSink = @Sendable (ByteBuffer) async throws -> Void

/// Bytes gathered into chunks of about 64 KiB before they are handed on, so that a report of
/// any size is written with a bounded buffer.
final class ChunkedOutput {
    static let chunkSize = 64 * 1024
    private var buffer = ByteBuffer()
    private let sink: ByteSink?

    init(_ sink: ByteSink?) {
        self.sink = sink
        buffer.reserveCapacity(Self.chunkSize + 4096)
    }

    func append(_ text: String) { buffer.writeString(text) }

    /// Hands the chunk on once it is full.
    func flushIfFull() async throws {
        if buffer.readableBytes >= Self.chunkSize { try await flush() }
    }

    func flush() async throws {
        guard buffer.readableBytes > 0 else { return }
        if let sink { try await sink(buffer) }
        buffer.clear()
    }
}

/// The canonical JSON of a report, written as it is computed: the keys of every object in
/// sorted order, snake_case, no whitespace, exactly the bytes `QuarterlyReport.canonicalJSON()`
/// gives for the same report. The SHA-256 is taken along the way; the JSON document wraps the
/// canonical content as `{"report":…,"sha256":"…"}`.
final class CanonicalReportWriter {
    private var pending = ByteBuffer()
    private var hasher = SHA256()
    private let sink: ByteSink?
    private let wrapped: Bool
    private var first = true

    /// Writes the JSON document; with no sink the content is only hashed.
    init(document sink: ByteSink?) {
        self.sink = sink
        wrapped = true
        pending.reserveCapacity(ChunkedOutput.chunkSize + 4096)
    }

    /// Writes the canonical content alone.
    init(content sink: @escaping ByteSink) {
        self.sink = sink
        wrapped = false
        pending.reserveCapacity(ChunkedOutput.chunkSize + 4096)
    }

    func begin() async throws {
        if wrapped, let sink { try await sink(ByteBuffer(string: "{\"report\":")) }
        raw("{")
    }

    /// Finishes the document and returns the content's hash.
    func end() async throws -> String {
        raw("}")
        try await flush()
        let sha256 = hasher.finalize().hexString
        if wrapped, let sink { try await sink(ByteBuffer(string: ",\"sha256\":\"\(sha256)\"}\n")) }
        return sha256
    }

    func raw(_ text: String) { pending.writeString(text) }

    /// `"key":` followed by a JSON string.
    func field(_ key: String, _ value: String, last: Bool = false) {
        pending.writeString("\"\(key)\":")
        string(value)
        if !last { pending.writeString(",") }
    }

    /// Starts an array element.
    func element() {
        if !first { pending.writeString(",") }
        first = false
    }

    func beginArray(_ key: String) {
        pending.writeString("\"\(key)\":[")
        first = true
    }

    /// A value encoded by JSONEncoder with the canonical settings (figures and sections).
    func encoded(_ value: some Encodable) throws {
        pending.writeBytes(try QuarterlyReport.canonicalEncoder.encode(value))
    }

    func row(_ row: QuarterlyReport.ActionRow) {
        element()
        raw("{")
        field("direction", row.direction)
        field("due_on", row.dueOn)
        field("id", row.id)
        raw("\"overdue\":\(row.overdue),")
        field("owner", row.owner)
        field("status", row.status)
        field("title", row.title, last: true)
        raw("}")
    }

    func row(_ row: QuarterlyReport.ProposalRow) {
        element()
        raw("{")
        field("author", row.author)
        field("direction", row.direction)
        field("id", row.id)
        field("kind", row.kind)
        if let moved = row.movedInQuarter { raw("\"moved_in_quarter\":\(moved),") }
        field("status", row.status)
        field("title", row.title, last: true)
        raw("}")
    }

    func row(_ row: QuarterlyReport.DecisionRow) {
        element()
        raw("{\"actions\":[")
        for (index, action) in row.actions.enumerated() {
            raw(index == 0 ? "{" : ",{")
            field("status", action.status)
            field("title", action.title, last: true)
            raw("}")
        }
        raw("],")
        field("direction", row.direction)
        field("id", row.id)
        field("session", row.session)
        field("title", row.title, last: true)
        raw("}")
    }

    func row(_ row: QuarterlyReport.MinutesRow) {
        element()
        raw("{")
        field("direction", row.direction)
        field("id", row.id)
        field("link", row.link)
        field("session", row.session)
        field("title", row.title, last: true)
        raw("}")
    }

    func row(_ row: QuarterlyReport.SessionRow) {
        element()
        raw("{")
        field("direction", row.direction)
        field("id", row.id)
        field("kind", row.kind)
        field("starts_at", row.startsAt)
        field("status", row.status)
        field("title", row.title, last: true)
        raw("}")
    }

    func flushIfFull() async throws {
        if pending.readableBytes >= ChunkedOutput.chunkSize { try await flush() }
    }

    private func flush() async throws {
        guard pending.readableBytes > 0 else { return }
        pending.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        if let sink { try await sink(pending) }
        pending.clear()
    }

    /// A JSON string as Foundation's JSONEncoder writes it with `.withoutEscapingSlashes`:
    /// quote and backslash escaped, \b \f \n \r \t by name, other control characters as
    /// \u00xx, everything else (DEL and non-ASCII included) as UTF-8.
    func string(_ value: String) {
        var value = value
        value.withUTF8 { bytes in
            pending.writeInteger(UInt8(ascii: "\""))
            var start = 0
            for index in bytes.indices where bytes[index] < 0x20 || bytes[index] == 0x22 || bytes[index] == 0x5C {
                pending.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                escape(bytes[index])
                start = index + 1
            }
            pending.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
            pending.writeInteger(UInt8(ascii: "\""))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private func escape(_ byte: UInt8) {
        switch byte {
        case 0x22: pending.writeStaticString("\\\"")
        case 0x5C: pending.writeStaticString("\\\\")
        case 0x08: pending.writeStaticString("\\b")
        case 0x0C: pending.writeStaticString("\\f")
        case 0x0A: pending.writeStaticString("\\n")
        case 0x0D: pending.writeStaticString("\\r")
        case 0x09: pending.writeStaticString("\\t")
        default:
            pending.writeStaticString("\\u00")
            pending.writeInteger(Self.hexDigits[Int(byte >> 4)])
            pending.writeInteger(Self.hexDigits[Int(byte & 0x0F)])
        }
    }
}

/// Receives the report's lists row by row, in the order the export computes them: the CSV
/// tables and the HTML page's lists.
protocol ReportRowWriter: AnyObject {
    func begin(_ list: ReportQueries.List) async throws
    func action(_ row: QuarterlyReport.ActionRow) async throws
    func proposal(_ row: QuarterlyReport.ProposalRow) async throws
    func session(_ row: QuarterlyReport.SessionRow) async throws
    func end(_ list: ReportQueries.List) async throws
    /// One of the quarter's decisions (they come between the action items and the proposals).
    func decision(_ row: QuarterlyReport.DecisionRow) async throws
    /// One of the quarter's signed-off minutes (after the decisions).
    func minutes(_ row: QuarterlyReport.MinutesRow) async throws
}

extension ReportRowWriter {
    /// Writers of the full lists leave the decisions and minutes to the summary.
    func decision(_ row: QuarterlyReport.DecisionRow) async throws {}
    func minutes(_ row: QuarterlyReport.MinutesRow) async throws {}

    /// Feeds a report held in memory (a frozen snapshot) through the same writer.
    func replay(_ report: QuarterlyReport) async throws {
        try await begin(.actionItems)
        for row in report.actionItems { try await action(row) }
        try await end(.actionItems)
        for row in report.decisions ?? [] { try await decision(row) }
        for row in report.minutes ?? [] { try await minutes(row) }
        try await begin(.proposals)
        for row in report.proposals { try await proposal(row) }
        try await end(.proposals)
        try await begin(.sessions)
        for row in report.sessions { try await session(row) }
        try await end(.sessions)
    }
}

/// Bytes gathered in memory, for the in-memory report.
final class CollectedBytes: Sendable {
    private let storage = Mutex(Data())

    func append(_ buffer: ByteBuffer) {
        storage.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }

    var data: Data { storage.withLock { $0 } }
}
