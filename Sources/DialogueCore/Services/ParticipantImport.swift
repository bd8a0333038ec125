import Foundation
import PostgresNIO

/// Bulk participant import from CSV (API.md, CLI `participant import`): columns
/// `display_name, kind, organization, email, timezone, languages`. A row whose display name
/// matches an existing participant of the same organization updates it.
public struct ParticipantImport: Sendable {
    public enum Verdict: Sendable, Equatable {
        case new
        case update(UUID)
        case error(field: String, message: String)
    }

    public struct Row: Sendable, Equatable {
        public var line: Int
        public var displayName: String
        public var verdict: Verdict
    }

    public struct Report: Sendable {
        public var rows: [Row]
        public var applied: Bool
        public var created: Int { rows.filter { $0.verdict == .new }.count }
        public var updated: Int { rows.filter { if case .update = $0.verdict { return true } else { return false } }.count }
        public var failed: Int { rows.filter { if case .error = $0.verdict { return true } else { return false } }.count }
    }

    public enum Mode: Sendable {
        case dryRun
        /// Apply the valid rows; report the bad ones.
        case validRows
        /// Apply nothing if any row is bad.
        case allOrNothing
    }

    static let requiredColumns = ["display_name", "kind"]
    static let knownColumns = ["display_name", "kind", "organization", "email", "timezone", "languages"]
}

extension Dialogue {
    /// Validates every row with the same rules as a single create or update, then (unless a dry
    /// run, or all-or-nothing with a bad row) writes them all in one transaction with one audit
    /// row each. `progress` receives (rows done, total) for long files.
    public func importParticipants(
        _ context: CallContext, csv text: String, mode: ParticipantImport.Mode,
        progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> ParticipantImport.Report {
        try AccessPolicy.requireCoordinator(context.actor, "import participants")
        let records: [(line: Int, fields: [String])]
        do { records = try CSV.parse(text) } catch let error as CSV.ParseError {
            throw DomainError.invalid("file", error.description)
        }
        guard let header = records.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) else {
            throw DomainError.invalid("file", "is empty; expected a header row")
        }
        let missing = ParticipantImport.requiredColumns.filter { !header.contains($0) }
        let unknown = header.filter { !ParticipantImport.knownColumns.contains($0) }
        guard missing.isEmpty, unknown.isEmpty else {
            throw DomainError.invalid(
                "header", "expected columns \(ParticipantImport.knownColumns.joined(separator: ", "))"
                    + (missing.isEmpty ? "" : "; missing \(missing.joined(separator: ", "))")
                    + (unknown.isEmpty ? "" : "; unknown \(unknown.joined(separator: ", "))"))
        }
        let column = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })

        // Everything the rows are checked against, read once.
        let (organizations, existing) = try await database.read { connection in
            var organizations: [String: UUID] = [:]
            for try await (id, name) in try await connection.query(
                "SELECT id, name FROM organizations", logger: logger
            ).decode((UUID, String).self) {
                organizations[name.lowercased()] = id
            }
            var existing: [String: [Participant]] = [:]
            let rows = try await connection.query(
                "SELECT \(unescaped: Dialogue.participantColumns) FROM participants", logger: logger)
            for try await row in rows {
                let participant = try decodeParticipant(row)
                existing[Dialogue.importKey(participant.displayName, participant.organizationID), default: []].append(participant)
            }
            return (organizations, existing)
        }

        var report: [ParticipantImport.Row] = []
        var creates: [Participant] = []
        var updates: [Participant] = []
        var seenKeys: [String: Int] = [:]
        let dataRows = records.dropFirst()
        for (index, record) in dataRows.enumerated() {
            if index > 0 && index % 1000 == 0 { progress("checked \(index) of \(dataRows.count) rows") }
            func value(_ name: String) -> String? {
                guard let position = column[name], position < record.fields.count else { return nil }
                let text = record.fields[position].trimmingCharacters(in: .whitespaces)
                return text.isEmpty ? nil : text
            }
            let name = value("display_name") ?? ""
            guard record.fields.count == header.count else {
                report.append(.init(line: record.line, displayName: name, verdict: .error(
                    field: "row", message: "has \(record.fields.count) fields; the header has \(header.count)")))
                continue
            }
            var organizationID: UUID?
            if let organization = value("organization") {
                guard let id = organizations[organization.lowercased()] else {
                    report.append(.init(line: record.line, displayName: name, verdict: .error(
                        field: "organization", message: "no organization named '\(organization.prefix(100))'")))
                    continue
                }
                organizationID = id
            }
            let key = Dialogue.importKey(name, organizationID)
            if let earlier = seenKeys[key] {
                report.append(.init(line: record.line, displayName: name, verdict: .error(
                    field: "display_name", message: "repeats line \(earlier) (same name and organization)")))
                continue
            }
            seenKeys[key] = record.line
            let matches = existing[key] ?? []
            if matches.count > 1 {
                report.append(.init(line: record.line, displayName: name, verdict: .error(
                    field: "display_name", message: "matches \(matches.count) existing participants; update them one by one")))
                continue
            }
            let input = ParticipantInput(
                displayName: value("display_name"), kind: value("kind"), organizationID: .some(organizationID),
                timezone: value("timezone"),
                languages: column["languages"] == nil ? nil : (value("languages") ?? "").split(separator: " ").map(String.init),
                email: column["email"] == nil ? nil : .some(value("email")))
            do {
                let checked = try Dialogue.validatedParticipant(input, over: matches.first)
                if let current = matches.first {
                    if current.status == .compromised {
                        report.append(.init(line: record.line, displayName: name, verdict: .error(
                            field: "display_name", message: "matches a compromised participant; it is not changed by imports")))
                        continue
                    }
                    updates.append(checked)
                    report.append(.init(line: record.line, displayName: checked.displayName, verdict: .update(current.id)))
                } else {
                    creates.append(checked)
                    report.append(.init(line: record.line, displayName: checked.displayName, verdict: .new))
                }
            } catch DomainError.validation(let errors) {
                let first = errors[0]
                report.append(.init(line: record.line, displayName: name, verdict: .error(
                    field: first.field, message: errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "))))
            }
        }
        let hasErrors = report.contains { if case .error = $0.verdict { return true } else { return false } }
        if mode == .dryRun || (mode == .allOrNothing && hasErrors) || (creates.isEmpty && updates.isEmpty) {
            return ParticipantImport.Report(rows: report, applied: false)
        }
        progress("writing \(creates.count) new and \(updates.count) changed participants")
        try await writeImport(context, creates: creates, updates: updates)
        return ParticipantImport.Report(rows: report, applied: true)
    }

    static func importKey(_ name: String, _ organizationID: UUID?) -> String {
        name.lowercased() + "\u{1f}" + (organizationID?.uuidString ?? "")
    }

    /// Set-based writes: one INSERT and one UPDATE over arrays, then the audit rows in bulk.
    private func writeImport(_ context: CallContext, creates: [Participant], updates: [Participant]) async throws {
        try await database.transaction { connection in
            var entries: [AuditLog.Entry] = []
            if !creates.isEmpty {
                let ids = creates.map(\.id)
                let rows = try await connection.rows(
                    try Prepared.NewParticipants(
                        ids, creates.map(\.displayName), creates.map(\.kind.rawValue), creates.map { $0.organizationID?.uuidString ?? "" },
                        creates.map(\.timezone), creates.map { $0.languages.joined(separator: " ") }, creates.map { $0.email ?? "" }),
                    logger: logger)
                for row in rows {
                    let participant = try decodeParticipant(row)
                    entries.append(.init(
                        action: "participant.create", objectType: "participant",
                        objectID: participant.id.lowercasedString, diff: Dialogue.participantAuditDiff(participant)))
                }
            }
            if !updates.isEmpty {
                let rows = try await connection.query("""
                    UPDATE participants p SET display_name = x.name, kind = x.kind,
                        organization_id = nullif(x.org, '')::uuid, timezone = x.tz,
                        languages = coalesce(string_to_array(nullif(x.langs, ''), ' '), '{}'), email = nullif(x.email, ''),
                        version = p.version + 1, updated_at = now()
                    FROM unnest(\(updates.map(\.id)), \(updates.map(\.displayName)), \(updates.map(\.kind.rawValue)),
                                \(updates.map { $0.organizationID?.uuidString ?? "" }), \(updates.map(\.timezone)),
                                \(updates.map { $0.languages.joined(separator: " ") }), \(updates.map { $0.email ?? "" }))
                         AS x(id, name, kind, org, tz, langs, email)
                    WHERE p.id = x.id
                    RETURNING \(unescaped: Dialogue.qualified(Dialogue.participantColumns, "p"))
                    """, logger: logger)
                for try await row in rows {
                    let participant = try decodeParticipant(row)
                    entries.append(.init(
                        action: "participant.update", objectType: "participant",
                        objectID: participant.id.lowercasedString, diff: Dialogue.participantAuditDiff(participant)))
                }
            }
            try await AuditLog.appendMany(connection, logger: logger, context: context, entries: entries)
        }
    }
}

extension Prepared {
    /// An import's new participants, in one statement over arrays ('' for none).
    struct NewParticipants: PreparedWrite {
        static let sql = """
            INSERT INTO participants (id, display_name, kind, organization_id, timezone, languages, email)
            SELECT id, name, kind, nullif(org, '')::uuid, tz, coalesce(string_to_array(nullif(langs, ''), ' '), '{}'), nullif(email, '')
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                 AS x(id, name, kind, org, tz, langs, email)
            RETURNING \(Dialogue.participantColumns)
            """
        let bindings: PostgresBindings
    }
}
