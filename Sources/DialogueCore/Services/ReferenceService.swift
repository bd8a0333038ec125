import Crypto
import Foundation
import PostgresNIO

/// Names as the matcher compares them: Belarusian and Russian Cyrillic written in Latin letters
/// (one table for both, so Лукашэнка, Лукашенко and Lukashenka meet), accents and case
/// dropped, the words in order of the alphabet (a family name first or last is the same name).
public enum NameForms {
    static let latin: [Character: String] = [
        "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ё": "io", "ж": "zh", "з": "z", "і": "i", "и": "i",
        "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ў": "u",
        "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu",
        "я": "ia", "є": "ie", "ї": "i", "'": "", "’": "",
    ]

    /// Latin spellings that stand for the same sound, folded to one (Russian г → g, Belarusian г → h;
    /// kh/h/x; y/i; iu/yu/ju; ia/ya/ja; io/ie/e). Both sides of a comparison fold alike, so a
    /// coarse key only makes more candidates, which the score and a coordinator then weigh.
    static let sounds: [(String, String)] = [
        ("shch", "sc"), ("kh", "h"), ("x", "h"), ("g", "h"), ("yu", "iu"), ("ju", "iu"), ("ya", "ia"), ("ja", "ia"), ("yo", "io"),
        ("jo", "io"), ("ts", "c"), ("tz", "c"), ("y", "i"), ("j", "i"), ("w", "v"), ("ck", "k"), ("ph", "f"),
        // ё and е are often both written e in Latin (Kovalev for Ковалёв, Yevgeny for Евгений).
        ("io", "e"), ("ie", "e"),
    ]

    /// The folded form of a name, for comparison.
    public static func fold(_ name: String) -> String {
        // Cyrillic first (ё, ў and й are letters of their own there), accents of Latin after.
        var latinized = ""
        for character in name.lowercased() {
            if let mapped = latin[character] { latinized += mapped } else { latinized.append(character) }
        }
        latinized = latinized.folding(options: [.diacriticInsensitive], locale: nil)
        let words = latinized.split { !$0.isLetter }.map { word -> String in
            var folded = String(word)
            for (from, to) in sounds { folded = folded.replacingOccurrences(of: from, with: to) }
            // Doubled letters and a final soft ending vary between spellings.
            var squeezed = ""
            for character in folded where squeezed.last != character { squeezed.append(character) }
            return squeezed
        }
        return words.filter { !$0.isEmpty }.sorted().joined(separator: " ")
    }
}

/// What an imported reference file held.
public struct ReferenceImport: Sendable, Equatable {
    public var id: UUID
    public var sha256: String
    public var fileDate: String
    public var entities: Int
}

/// A reference entity matched to a dossier's target: advice until a coordinator decides.
public struct ReferenceMatch: Sendable, Equatable {
    public var referenceID: String
    public var caption: String
    public var score: Int
    public var reasons: [String]
    public var authorities: [Authority]
    public var decision: String
}

/// For each authority asked (or listing the target): whether it already lists the target, by
/// a match not rejected, and whether the dossier records it designated.
public struct GapRow: Sendable, Equatable {
    public var authority: Authority
    public var asked: Bool
    public var listed: Bool
    public var designatedOn: String?
    public var matches: [String]
}

/// One line of an OpenSanctions entities file, as far as matching needs it.
struct ReferenceEntity: Decodable, Sendable {
    var id: String
    var schema: String
    var caption: String?
    var properties: [String: [String]]?
    var datasets: [String]?
}

extension Dialogue {
    /// Loads an OpenSanctions-format entities file (one JSON object per line) read from disk by
    /// the operator; no network. The file's SHA-256 and date are recorded; entities already
    /// known are replaced; every dossier is matched again.
    public func importReference(_ context: CallContext, lines: some Sequence<String>, sha256: String, fileDate: String) async throws -> ReferenceImport {
        try AccessPolicy.requireCoordinator(context.actor, "import reference lists")
        var read: [ReferenceEntity] = []
        let decoder = JSONDecoder()
        for (number, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let entity = try? decoder.decode(ReferenceEntity.self, from: Data(line.utf8)), (1...300).contains(entity.id.count) else {
                throw DomainError.invalid("file", "line \(number + 1) is not an entity (id, schema, properties)")
            }
            read.append(entity)
        }
        let entities = read
        return try await database.transaction { connection in
            let id = try await connection.rows(try Prepared.NewReferenceImport(sha256, fileDate, entities.count), logger: logger)
                .single(or: .conflict("the import could not be recorded")).decode(UUID.self)
            for entity in entities {
                let properties = entity.properties ?? [:]
                let names = (properties["name"] ?? []) + (properties["alias"] ?? []) + (properties["weakAlias"] ?? [])
                    + (properties["previousName"] ?? [])
                let identifiers = (properties["idNumber"] ?? []) + (properties["passportNumber"] ?? []) + (properties["taxNumber"] ?? [])
                let authorities = Array(Set((entity.datasets ?? []).compactMap(Authority.of(dataset:)).map(\.rawValue))).sorted()
                try await connection.run(
                    try Prepared.NewReferenceEntity(
                        entity.id, entity.schema, entity.caption ?? names.first ?? entity.id, names, Array(Set(names.map(NameForms.fold))),
                        properties["birthDate"] ?? [], identifiers, authorities, id),
                    logger: logger)
            }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "reference.import", objectType: "reference",
                objectID: id.lowercasedString, diff: ["sha256": sha256, "file_date": fileDate, "entities": String(entities.count)])
            let dossiers = try await connection.query(
                "SELECT \(unescaped: DossierRow.columns) FROM sanctions_dossiers", logger: logger
            ).collect().map { try DossierRow($0).dossier }
            for dossier in dossiers { try await matchReference(connection, dossier) }
            return ReferenceImport(id: id, sha256: sha256, fileDate: fileDate, entities: entities.count)
        }
    }

    /// Matches a dossier's target against the reference entities: by every name form, then the
    /// birth date and identifiers. Suggestions are replaced; decisions stay.
    func matchReference(_ connection: PostgresConnection, _ dossier: Dossier) async throws {
        let folded = Array(Set((dossier.names + dossier.aliases).map(NameForms.fold).filter { !$0.isEmpty }))
        try await connection.query(
            "DELETE FROM reference_matches WHERE proposal_id = \(dossier.proposalID) AND decision = 'suggested'", logger: logger)
        guard !folded.isEmpty else { return }
        let candidates = try await connection.query("""
            SELECT id, folded, birth_dates, identifiers FROM reference_entities WHERE folded && \(folded)
            """, logger: logger).collect().map { try $0.decode((String, [String], [String], [String]).self) }
        let identifiers = Set(dossier.identifiers.map { $0.value.uppercased().filter { $0.isLetter || $0.isNumber } })
        for (referenceID, names, births, references) in candidates {
            var score = 60
            var reasons = ["name: " + Set(folded).intersection(names).sorted().joined(separator: "; ")]
            if let birth = dossier.birthDate {
                if births.contains(where: { $0.hasPrefix(birth) || birth.hasPrefix($0) }) {
                    score += 25
                    reasons.append("birth date \(birth)")
                } else if !births.isEmpty {
                    score -= 30
                    reasons.append("birth date differs")
                }
            }
            let shared = identifiers.intersection(references.map { $0.uppercased().filter { $0.isLetter || $0.isNumber } })
            if !shared.isEmpty {
                score += 15
                reasons.append("identifier " + shared.sorted().joined(separator: ", "))
            }
            try await connection.run(
                try Prepared.NewReferenceMatch(dossier.proposalID, referenceID, max(0, min(100, score)), reasons), logger: logger)
        }
    }

    /// The matches of a dossier's target, best first, for whoever may read the dossier.
    public func referenceMatches(_ context: CallContext, proposalID: UUID) async throws -> [ReferenceMatch] {
        _ = try await getDossier(context, proposalID: proposalID)
        return try await database.read { connection in
            try await connection.query("""
                SELECT m.reference_id, r.caption, m.score, m.reasons, r.authorities, m.decision
                FROM reference_matches m JOIN reference_entities r ON r.id = m.reference_id
                WHERE m.proposal_id = \(proposalID) ORDER BY m.score DESC, m.reference_id
                """, logger: logger).collect().map { row in
                let (id, caption, score, reasons, authorities, decision) = try row.decode((String, String, Int, [String], [String], String).self)
                return ReferenceMatch(
                    referenceID: id, caption: caption, score: score, reasons: reasons,
                    authorities: authorities.compactMap(Authority.init(rawValue:)), decision: decision)
            }
        }
    }

    /// A coordinator confirms or rejects a match (audited).
    public func decideMatch(_ context: CallContext, proposalID: UUID, referenceID: String, confirm: Bool) async throws {
        try AccessPolicy.requireCoordinator(context.actor, "confirm or reject reference matches")
        _ = try await getDossier(context, proposalID: proposalID)
        try await database.transaction { connection in
            let updated = try await connection.query("""
                UPDATE reference_matches SET decision = \(confirm ? "confirmed" : "rejected"), decided_by = \(context.actor.participantID),
                    decided_at = now()
                WHERE proposal_id = \(proposalID) AND reference_id = \(referenceID) RETURNING 1
                """, logger: logger).collect()
            guard !updated.isEmpty else { throw DomainError.notFound("match not found") }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: confirm ? "reference.confirm" : "reference.reject",
                objectType: "proposal", objectID: proposalID.lowercasedString, diff: ["reference_id": referenceID])
        }
    }

    /// The gap table: which of the authorities asked already list the target (a match not
    /// rejected, at a score of 60 or more), which do not, and which the dossier records as done.
    public func gapTable(_ context: CallContext, proposalID: UUID) async throws -> [GapRow] {
        let dossier = try await getDossier(context, proposalID: proposalID)
        let matches = try await referenceMatches(context, proposalID: proposalID).filter { $0.decision != "rejected" && $0.score >= 60 }
        let asked = Dictionary(dossier.authorities.map { ($0.authority, $0) }, uniquingKeysWith: { first, _ in first })
        let listing = Set(matches.flatMap(\.authorities))
        return Authority.allCases.filter { asked[$0] != nil || listing.contains($0) }.map { authority in
            GapRow(
                authority: authority, asked: asked[authority] != nil, listed: listing.contains(authority),
                designatedOn: asked[authority]?.designatedOn,
                matches: matches.filter { $0.authorities.contains(authority) }.map(\.referenceID))
        }
    }

    /// The SHA-256 of a reference file's bytes.
    public static func fileHash(_ data: Data) -> String { SHA256.hash(data: data).hexString }
}

extension Prepared {
    /// A reference list as imported: its file's hash and date, and how many entities it held.
    struct NewReferenceImport: PreparedWrite {
        static let sql = "INSERT INTO reference_imports (sha256, file_date, entities) VALUES ($1::text, $2::text, $3::int8) RETURNING id"
        let bindings: PostgresBindings
    }

    /// An entity of a reference list, replaced whole by a later import.
    struct NewReferenceEntity: PreparedWrite {
        static let sql = """
            INSERT INTO reference_entities (id, schema, caption, names, folded, birth_dates, identifiers, authorities, import_id)
            VALUES ($1::text, $2::text, $3::text, $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::uuid)
            ON CONFLICT (id) DO UPDATE SET schema = EXCLUDED.schema, caption = EXCLUDED.caption, names = EXCLUDED.names,
                folded = EXCLUDED.folded, birth_dates = EXCLUDED.birth_dates, identifiers = EXCLUDED.identifiers,
                authorities = EXCLUDED.authorities, import_id = EXCLUDED.import_id
            """
        let bindings: PostgresBindings
    }

    /// A candidate match of a dossier's target with a listed entity, and why.
    struct NewReferenceMatch: PreparedWrite {
        static let sql = """
            INSERT INTO reference_matches (proposal_id, reference_id, score, reasons)
            VALUES ($1::uuid, $2::text, $3::int8, $4::text[])
            ON CONFLICT (proposal_id, reference_id) DO UPDATE SET score = EXCLUDED.score, reasons = EXCLUDED.reasons
            """
        let bindings: PostgresBindings
    }
}
