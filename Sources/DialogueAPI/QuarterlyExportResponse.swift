import AsyncAlgorithms
import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension DialogueHTTP {
    /// The quarterly report as a response, streamed as it is read (or, `frozen`, the stored
    /// snapshot): the API's `/v1/exports/quarterly` and the console's downloads are this one
    /// function. `parameter` reads the request's parameters; `attachment` makes every format a
    /// download rather than a page.
    public static func quarterlyExportResponse(
        _ parameter: (String) -> String?, context: CallContext, dialogue: Dialogue, stallLimit: Duration, attachment: Bool,
        frozen: ExportedReport? = nil
    ) async throws -> Response {
        let format = parameter("format") ?? "json"
        guard ["json", "csv", "html"].contains(format) else { throw DomainError.invalid("format", "must be json, csv or html") }
        guard let quarter = parameter("quarter") else { throw DomainError.invalid("quarter", "is required, e.g. 2026-Q4") }
        let export = try dialogue.quarterlyExport(
            context, quarter: quarter, direction: parameter("direction"),
            audience: parameter("audience"))
        // Every parameter given is checked, whether or not this format uses it.
        let table = parameter("table") ?? "summary"
        guard ReportCSV.tables.contains(table) else {
            throw DomainError.invalid("table", "must be one of: \(ReportCSV.tables.joined(separator: ", "))")
        }
        let options = try ReportPageOptions(detail: parameter("detail"), language: parameter("lang"))
        var headers: HTTPFields = [.cacheControl: "private, no-store"]
        let output: @Sendable (@escaping ByteSink) -> ExportOutput
        switch format {
        case "csv":
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(export.quarter)-\(table).csv\""
            output = { .csv([table: $0]) }
        case "html":
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.contentLanguage] = options.language.rawValue
            output = { .html($0, options) }
        default:
            headers[.contentType] = "application/json"
            output = { .json($0) }
        }
        if attachment, format != "csv" {
            let name = [export.quarter.description, export.direction, export.audience == .public ? "public" : nil].compactMap { $0 }.joined(separator: "-")
            headers[.contentDisposition] = "attachment; filename=\"dialogue-\(name).\(format)\""
        }
        if let frozen {
            // A frozen snapshot is held in memory already; it is written through the same writers.
            let collected = CollectedChunks()
            try await Dialogue.writeReport(frozen, to: output({ collected.append($0) }))
            headers[exportHashTrailer] = frozen.sha256
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: collected.buffer))
        }
        headers[.trailer] = exportHashTrailer.rawName
        let logger = dialogue.database.logger
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // The export reads in its own task and hands over chunks one at a time: a slow
            // client slows the reading down instead of filling memory.
            let chunks = AsyncThrowingChannel<ByteBuffer, any Error>()
            let sha256 = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    do {
                        let sha256 = try await dialogue.writeQuarterlyExport(
                            export, to: output({ try await send($0, to: chunks, within: stallLimit) }))
                        chunks.finish()
                        return sha256
                    } catch {
                        chunks.fail(error)
                        throw error
                    }
                }
                do {
                    for try await chunk in chunks { try await writer.write(chunk) }
                } catch {
                    // Headers are gone: the client sees a cut body (no trailer, no hash).
                    logger.error("export stopped mid-stream", metadata: ["error": "\(DatabaseErrors.loggable(error))"])
                    group.cancelAll()
                    throw error
                }
                return try await group.next() ?? nil
            }
            var trailers = HTTPFields()
            trailers[exportHashTrailer] = sha256
            try await writer.finish(trailers)
        })
    }
}

/// The bytes of a report held in memory, gathered for one response.
private final class CollectedChunks: @unchecked Sendable {
    private let lock = NSLock()
    private var collected = ByteBuffer()

    func append(_ chunk: ByteBuffer) {
        lock.withLock {
            var chunk = chunk
            collected.writeBuffer(&chunk)
        }
    }

    var buffer: ByteBuffer { lock.withLock { collected } }
}
