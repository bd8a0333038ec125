import Foundation
import PostgresNIO

/// A quarterly export its caller may run, with validated parameters. Only
/// `Dialogue.quarterlyExport` makes one, after the access check.
public struct QuarterlyExport: Sendable {
    public let quarter: Quarter
    public let direction: String?
    public let audience: QuarterlyReport.Audience
    /// Who exports: the report holds what their view admits (audiences, SECURITY.md 4).
    public let context: CallContext
}

/// Where an export is written. Each sink receives its bytes in order, in chunks.
public enum ExportOutput: Sendable {
    /// The JSON document: the canonical content and its hash.
    case json(ByteSink)
    /// CSV tables by name (`ReportCSV.tables`); tables without a sink are not written.
    case csv([String: ByteSink])
    /// The printable HTML page: the summary, and with `detail: .full` the complete lists.
    case html(ByteSink, ReportPageOptions)
}

extension Dialogue {
    /// Checks that the caller may export (coordinators) and validates the parameters, before
    /// anything is written: a streamed response cannot turn into an error once it has begun.
    public func quarterlyExport(
        _ context: CallContext, quarter text: String, direction: String?, audience rawAudience: String?
    ) throws -> QuarterlyExport {
        try AccessPolicy.requireCoordinator(context.actor, "export quarterly reports")
        var validator = Validator()
        var quarter: Quarter?
        do { quarter = try Quarter(parsing: text) } catch DomainError.validation(let errors) {
            errors.forEach { validator.fail($0.field, $0.message) }
        }
        _ = validator.direction(direction)
        let audience = validator.choice(rawAudience ?? "internal", "audience", as: QuarterlyReport.Audience.self)
        try validator.check()
        return QuarterlyExport(
            quarter: try Validator.required(quarter, "quarter"), direction: direction,
            audience: try Validator.required(audience, "audience"), context: context)
    }

    /// Streams the report, computed as of quarter end from the recorded history in one
    /// read-only snapshot, to `output`; returns the SHA-256 of its canonical JSON content.
    /// Memory stays bounded whatever the size of the data: rows go out as they are read.
    /// Drafts never appear; sealed data is never read.
    @discardableResult
    public func writeQuarterlyExport(_ export: QuarterlyExport, to output: ExportOutput) async throws -> String {
        try await database.snapshot(statementTimeout: Self.exportStatementTimeout) { connection in
            try await withPass(export, on: connection) { pass in try await Self.write(pass, to: output) }
        }
    }

    /// A pass over the export in `connection`'s snapshot, with what the report reads beside its
    /// lists (`Aside`: the aggregated figures of the quarter and of the trend's three earlier
    /// quarters, the decisions, the minutes) read in parallel on a second connection that joins
    /// the same snapshot. Read in turn, they were most of what the export spent beyond the
    /// lists themselves.
    private func withPass<Result: Sendable>(
        _ export: QuarterlyExport, on connection: PostgresConnection, _ body: (QuarterlyPass) async throws -> Result
    ) async throws -> Result {
        let viewer = try await viewer(export.context, connection)
        var pass = QuarterlyPass(export: export, viewer: viewer, connection: connection, logger: logger)
        let snapshot = try await Database.exportSnapshot(connection, logger: logger)
        let (database, logger) = (self.database, self.logger)
        let aside = Task {
            try await database.snapshot(statementTimeout: Self.exportStatementTimeout, joining: snapshot) { second in
                try await QuarterlyPass(export: export, viewer: viewer, connection: second, logger: logger).readAside()
            }
        }
        pass.aside = aside
        do {
            return try await body(pass)
        } catch {
            // An export that fails (a client that stopped reading) leaves no transaction open:
            // the aside's is wound down before the snapshot it joined closes.
            aside.cancel()
            _ = await aside.result
            throw error
        }
    }

    /// Writes the report in the requested format from one pass.
    private static func write(_ pass: QuarterlyPass, to output: ExportOutput) async throws -> String {
        switch output {
        case .json(let sink):
            return try await pass.run(canonical: CanonicalReportWriter(document: sink), rows: nil).sha256
        case .csv(let sinks):
            let (summary, sha256) = try await pass.run(canonical: CanonicalReportWriter(document: nil), rows: CSVTablesWriter(sinks))
            if let sink = sinks["summary"] { try await sink(ByteBuffer(string: ReportCSV.summary(summary))) }
            return sha256
        case .html(let sink, let options):
            // The page opens with the figures, the hash and what the digest keeps of the
            // lists; the appendix reads the lists again, in the same snapshot.
            let digest = ReportDigest()
            let (summary, sha256) = try await pass.run(canonical: CanonicalReportWriter(document: nil), rows: digest)
            let page = ReportPage(report: summary, sha256: sha256, options: options)
            let output = ChunkedOutput(sink)
            output.append(page.body(digest))
            if options.detail == .full {
                output.append(page.appendixHeading())
                try await pass.streamLists(HTMLListsWriter(output, page: page))
                output.append(ReportPage.appendixEnd)
            }
            output.append(ReportPage.tail)
            try await output.flush()
            return sha256
        }
    }

    /// The report in memory, with its canonical content (tests, freezing). Exports go through
    /// `writeQuarterlyExport`, which streams.
    public func quarterlyReport(
        _ context: CallContext, quarter: String, direction: String?, audience: String?
    ) async throws -> ExportedReport {
        let export = try quarterlyExport(context, quarter: quarter, direction: direction, audience: audience)
        let collected = CollectedBytes()
        let sha256 = try await database.snapshot(statementTimeout: Self.exportStatementTimeout) { connection in
            try await withPass(export, on: connection) { pass in
                try await pass.run(canonical: CanonicalReportWriter(content: { collected.append($0) }), rows: nil).sha256
            }
        }
        let canonical = collected.data
        return ExportedReport(report: try QuarterlyReport.decode(canonical: canonical), canonical: canonical, sha256: sha256, fromSnapshot: false)
    }

    /// Writes a report held in memory (a frozen snapshot) in any format, through the same
    /// writers as the streamed export.
    public static func writeReport(_ exported: ExportedReport, to output: ExportOutput) async throws {
        switch output {
        case .json(let sink):
            try await sink(ByteBuffer(string: exported.jsonDocument))
        case .csv(let sinks):
            try await CSVTablesWriter(sinks).replay(exported.report)
            if let sink = sinks["summary"] { try await sink(ByteBuffer(string: ReportCSV.summary(exported.report))) }
        case .html(let sink, let options):
            let digest = ReportDigest()
            try await digest.replay(exported.report)
            let page = ReportPage(report: exported.report, sha256: exported.sha256, options: options)
            let output = ChunkedOutput(sink)
            output.append(page.body(digest))
            if options.detail == .full {
                output.append(page.appendixHeading())
                try await HTMLListsWriter(output, page: page).replay(exported.report)
                output.append(ReportPage.appendixEnd)
            }
            output.append(ReportPage.tail)
            try await output.flush()
        }
    }

    /// Exports read for as long as the data takes, not for the service's usual bound.
    static let exportStatementTimeout: Duration = .seconds(900)

    /// Stores the report as the quarter's frozen snapshot (once); returns the stored one, so a
    /// second freeze compares instead of overwriting.
    public func freezeReport(_ context: CallContext, _ exported: ExportedReport) async throws -> ExportedReport {
        try AccessPolicy.requireCoordinator(context.actor, "freeze quarterly reports")
        let report = exported.report
        let content = String(decoding: exported.canonical, as: UTF8.self)
        try await database.transaction { connection in
            let inserted = try await connection.rows(
                try Prepared.NewExportSnapshot(
                    report.quarter, report.direction, report.audience.rawValue, content, exported.sha256, Self.snapshotView(context)),
                logger: logger)
            if !inserted.isEmpty {
                try await AuditLog.append(
                    connection, logger: logger, context: context, action: "export.freeze", objectType: "export",
                    objectID: "\(report.quarter)/\(report.direction)/\(report.audience.rawValue)", diff: ["sha256": exported.sha256])
            }
        }
        guard let frozen = try await frozenReport(
            context, quarter: report.quarter, direction: report.direction, audience: report.audience.rawValue)
        else { throw DomainError.conflict("the frozen snapshot could not be read back; freeze again") }
        return frozen
    }

    public func frozenReport(_ context: CallContext, quarter: String, direction: String?, audience: String?) async throws -> ExportedReport? {
        try AccessPolicy.requireCoordinator(context.actor, "read frozen reports")
        let row = try await database.read { connection in
            // One's own frozen view, or one frozen before audiences existed (when every object
            // was the whole dialogue's).
            try await connection.query("""
                SELECT content, sha256 FROM export_snapshots
                WHERE quarter = \(quarter) AND direction = \(direction ?? "") AND audience = \(audience ?? "internal")
                  AND view IN (\(Self.snapshotView(context)), '')
                ORDER BY view DESC LIMIT 1
                """, logger: logger).collect().first?.decode((String, String).self)
        }
        guard let (content, sha256) = row else { return nil }
        let data = Data(content.utf8)
        return ExportedReport(report: try QuarterlyReport.decode(canonical: data), canonical: data, sha256: sha256, fromSnapshot: true)
    }

    /// Whose view a frozen snapshot is: the exporter (a report holds what their audiences admit,
    /// so another coordinator's frozen copy is not theirs to re-issue).
    static func snapshotView(_ context: CallContext) -> String {
        context.actor.participantID?.lowercasedString ?? "operator"
    }

    /// How a person appears in a report: internal reports use display names (a pseudonym for
    /// an in-country proxy); public ones name only an organization or a role.
    static func personLabel(name: String, kind: String, organization: String, audience: QuarterlyReport.Audience) -> String {
        switch audience {
        case .internal:
            return name
        case .public:
            if kind == ParticipantKind.inCountryProxy.rawValue { return "in-country participant" }
            if !organization.isEmpty { return organization }
            return kind == ParticipantKind.official.rawValue ? "official" : "movement participant"
        }
    }
}

extension Prepared {
    /// A quarter's frozen report, once per quarter, direction, audience and view.
    struct NewExportSnapshot: PreparedWrite {
        static let sql = """
            INSERT INTO export_snapshots (quarter, direction, audience, content, sha256, view)
            VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text)
            ON CONFLICT DO NOTHING RETURNING 1
            """
        let bindings: PostgresBindings
    }
}
