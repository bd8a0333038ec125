import Foundation
import PostgresNIO

extension CaseStatus: PostgresCodable {}
extension CaseConsent: PostgresCodable {}
extension TargetKind: PostgresCodable {}

/// JSON arrays kept in jsonb columns, written and read through one encoder.
enum StoredJSON {
    // Made once, not per dossier read or written; their settings never change after.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func value<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }
}

/// A row of `sanctions_dossiers`, decoded once.
struct DossierRow {
    static let columns = """
        proposal_id, target_kind, names::text, aliases, birth_date::text, nationalities, identifiers::text, positions::text, \
        links::text, authorities::text, reason, claims::text, from_case, version
        """

    var dossier: Dossier

    init(_ row: PostgresRow) throws {
        let (proposalID, kind, names, aliases, birthDate, nationalities, identifiers, positions, links, authorities, reason, claims,
             fromCase, version) = try row.decode(
            (UUID, TargetKind, String, [String], String?, [String], String, String, String, String, String, String, UUID?, Int).self)
        dossier = Dossier(
            proposalID: proposalID, targetKind: kind, names: try StoredJSON.value([String].self, names), aliases: aliases,
            birthDate: birthDate, nationalities: nationalities,
            identifiers: try StoredJSON.value([DossierIdentifier].self, identifiers),
            positions: try StoredJSON.value([DossierPosition].self, positions), links: try StoredJSON.value([DossierLink].self, links),
            authorities: try StoredJSON.value([DossierAuthority].self, authorities), reason: reason,
            claims: try StoredJSON.value([DossierClaim].self, claims), fromCase: fromCase, version: version)
    }
}

/// A row of `prisoner_cases`, decoded once.
struct CaseRow {
    static let columns = """
        proposal_id, person_name, detained_on::text, articles, court, judge, prosecutor, investigator, verdict_on::text, sentence, \
        facility, status, external_reference, consent, version
        """

    var prisonerCase: PrisonerCase

    init(_ row: PostgresRow) throws {
        let (proposalID, person, detained, articles, court, judge, prosecutor, investigator, verdict, sentence, facility, status,
             reference, consent, version) = try row.decode(
            (UUID, String, String?, [String], String, String, String, String, String?, String, String, CaseStatus, String?,
             CaseConsent, Int).self)
        prisonerCase = PrisonerCase(
            proposalID: proposalID, personName: person, detainedOn: detained, articles: articles, court: court, judge: judge,
            prosecutor: prosecutor, investigator: investigator, verdictOn: verdict, sentence: sentence, facility: facility,
            status: status, externalReference: reference, consent: consent, version: version)
    }
}

extension Dialogue {
    /// A date `YYYY-MM-DD` a person could have been born on or a court sat on.
    static func isDay(_ text: String) -> Bool {
        text.count == 10 && RFC3339.date(from: text + "T00:00:00Z") != nil
    }

    /// The proposal a dossier or case belongs to, of the right kind, readable (404 otherwise);
    /// `edit`: its author or a coordinator, who keep its structured part.
    private func structuredProposal(
        _ connection: PostgresConnection, _ context: CallContext, id: UUID, kind: ProposalKind, edit: Bool
    ) async throws -> ProposalRow {
        let (row, viewer) = try await proposalRow(connection, context, id: id, .read, lock: edit)
        // The proposal is there for this reader; it is of another kind (409, not a missing thing).
        guard row.proposal.kind == kind else {
            throw DomainError.conflict(
                kind == .sanctions ? "only a sanctions proposal has a dossier" : "only a prisoner_case proposal has a case")
        }
        if edit, !(viewer.seesEverything || context.actor.participantID == row.authorID) || !context.actor.isAtLeast(.member) {
            throw DomainError.forbidden("a \(kind == .sanctions ? "dossier" : "case") is kept by the proposal's author or a coordinator")
        }
        return row
    }

    // MARK: Dossiers

    public func getDossier(_ context: CallContext, proposalID: UUID) async throws -> Dossier {
        try await database.read { connection in
            _ = try await structuredProposal(connection, context, id: proposalID, kind: .sanctions, edit: false)
            return try await dossier(connection, proposalID)
                ?? Dossier(
                    proposalID: proposalID, targetKind: .person, names: [], aliases: [], birthDate: nil, nationalities: [],
                    identifiers: [], positions: [], links: [], authorities: [], reason: "", claims: [], fromCase: nil, version: 0)
        }
    }

    func dossier(_ connection: PostgresConnection, _ proposalID: UUID) async throws -> Dossier? {
        try await connection.query(
            "SELECT \(unescaped: DossierRow.columns) FROM sanctions_dossiers WHERE proposal_id = \(proposalID)", logger: logger
        ).collect().first.map { try DossierRow($0).dossier }
    }

    static func validatedDossier(_ input: DossierInput) throws -> (TargetKind, DossierInput) {
        var validator = Validator()
        let kind = validator.choice(input.targetKind, "target_kind", as: TargetKind.self)
        var clean = input
        clean.names = input.names.compactMap { validator.text($0, "names", max: 300) }
        if clean.names.isEmpty { validator.fail("names", "give at least one form of the name") }
        clean.aliases = input.aliases.compactMap { validator.text($0, "aliases", max: 300) }
        if let birth = input.birthDate, !isDay(birth) { validator.fail("birth_date", "must be a date, YYYY-MM-DD") }
        for code in input.nationalities { _ = validator.countryCode(code, "nationalities") }
        for identifier in input.identifiers {
            _ = validator.text(identifier.scheme, "identifiers", max: 100)
            _ = validator.text(identifier.value, "identifiers", max: 200)
        }
        for position in input.positions {
            _ = validator.text(position.title, "positions", max: 300)
            _ = validator.text(position.organization, "positions", required: false, max: 300)
        }
        for link in input.links { _ = validator.text(link.name, "links", max: 300) }
        for authority in input.authorities {
            _ = validator.text(authority.programme, "authorities", required: false, max: 200, min: 0)
            if let day = authority.designatedOn, !isDay(day) { validator.fail("authorities", "designated_on must be a date, YYYY-MM-DD") }
        }
        clean.reason = validator.text(input.reason, "reason", required: false, max: 20000, min: 0) ?? ""
        for claim in input.claims { _ = validator.text(claim.claim, "claims", max: 2000) }
        let lists = [input.names.count, input.aliases.count, input.identifiers.count, input.positions.count, input.links.count,
                     input.authorities.count, input.claims.count]
        if lists.contains(where: { $0 > 100 }) { validator.fail("names", "each list holds at most 100 entries") }
        try validator.check()
        return (try Validator.required(kind, "target_kind"), clean)
    }

    /// Sets a dossier whole (its author or a coordinator). Claims may cite only the proposal's
    /// own evidence. The target is matched against the reference lists again.
    public func putDossier(_ context: CallContext, proposalID: UUID, _ input: DossierInput, ifMatch: Int?) async throws -> Dossier {
        let (kind, fields) = try Self.validatedDossier(input)
        return try await database.transaction { connection in
            try await writeDossier(connection, context, proposalID: proposalID, kind: kind, fields, ifMatch: ifMatch, fromCase: nil)
        }
    }

    /// Writes a dossier (validated) and its audit row in the caller's transaction, then matches
    /// its target against the reference lists again.
    private func writeDossier(
        _ connection: PostgresConnection, _ context: CallContext, proposalID: UUID, kind: TargetKind, _ fields: DossierInput,
        ifMatch: Int?, fromCase: UUID?
    ) async throws -> Dossier {
        _ = try await structuredProposal(connection, context, id: proposalID, kind: .sanctions, edit: true)
        let current = try await dossier(connection, proposalID)
        if let ifMatch, ifMatch != (current?.version ?? 0) {
            throw DomainError.preconditionFailed(currentVersion: current?.version ?? 0)
        }
        // That an authority acted is recorded by a coordinator; an author's rewrite keeps it.
        if !context.actor.isAtLeast(.coordinator) {
            let recorded = Dictionary((current?.authorities ?? []).map { ($0.authority, $0.designatedOn) }, uniquingKeysWith: { first, _ in first })
            for asked in fields.authorities where asked.designatedOn != (recorded[asked.authority] ?? nil) {
                throw DomainError.forbidden("a coordinator records that an authority designated the target")
            }
        }
        let cited = Array(Set(fields.claims.flatMap(\.evidenceIDs)))
        if !cited.isEmpty {
            let own = try await connection.query(
                "SELECT count(*)::int8 FROM evidence WHERE proposal_id = \(proposalID) AND id = ANY(\(cited))", logger: logger
            ).collect().first?.decode(Int.self) ?? 0
            guard own == cited.count else { throw DomainError.invalid("claims", "cite only evidence attached to this proposal") }
        }
        try await connection.run(
            try Prepared.NewDossier(
                proposalID, kind, try StoredJSON.text(fields.names), fields.aliases, fields.birthDate, fields.nationalities,
                try StoredJSON.text(fields.identifiers), try StoredJSON.text(fields.positions), try StoredJSON.text(fields.links),
                try StoredJSON.text(fields.authorities), fields.reason ?? "", try StoredJSON.text(fields.claims), fromCase),
            logger: logger)
        let designated = fields.authorities.filter { $0.designatedOn != nil }.map(\.authority.rawValue).sorted()
        try await AuditLog.append(
            connection, logger: logger, context: context, action: "dossier.update", objectType: "proposal",
            objectID: proposalID.lowercasedString,
            diff: ["target_kind": kind.rawValue, "authorities": fields.authorities.map(\.authority.rawValue).sorted().joined(separator: " "),
                   "designated": designated.joined(separator: " "), "from_case": fromCase?.lowercasedString])
        guard let saved = try await dossier(connection, proposalID) else { throw DomainError.notFound("dossier not found") }
        try await matchReference(connection, saved)
        return saved
    }

    // MARK: Cases

    public func getCase(_ context: CallContext, proposalID: UUID) async throws -> PrisonerCase {
        try await database.read { connection in
            _ = try await structuredProposal(connection, context, id: proposalID, kind: .prisonerCase, edit: false)
            return try await prisonerCase(connection, proposalID)
                ?? PrisonerCase(
                    proposalID: proposalID, personName: "", detainedOn: nil, articles: [], court: "", judge: "", prosecutor: "",
                    investigator: "", verdictOn: nil, sentence: "", facility: "", status: .detained, externalReference: nil,
                    consent: .none, version: 0)
        }
    }

    func prisonerCase(_ connection: PostgresConnection, _ proposalID: UUID) async throws -> PrisonerCase? {
        try await connection.query(
            "SELECT \(unescaped: CaseRow.columns) FROM prisoner_cases WHERE proposal_id = \(proposalID)", logger: logger
        ).collect().first.map { try CaseRow($0).prisonerCase }
    }

    /// Sets a case whole (its author or a coordinator); consent decides where it may appear.
    public func putCase(_ context: CallContext, proposalID: UUID, _ input: PrisonerCaseInput, ifMatch: Int?) async throws -> PrisonerCase {
        var validator = Validator()
        let person = validator.text(input.personName, "person_name", required: false, max: 300, min: 0) ?? ""
        for (day, field) in [(input.detainedOn, "detained_on"), (input.verdictOn, "verdict_on")] {
            if let day, !Self.isDay(day) { validator.fail(field, "must be a date, YYYY-MM-DD") }
        }
        let articles = input.articles.compactMap { validator.text($0, "articles", max: 100) }
        if articles.count > 50 { validator.fail("articles", "at most 50 articles") }
        let court = validator.text(input.court, "court", required: false, max: 300, min: 0) ?? ""
        let judge = validator.text(input.judge, "judge", required: false, max: 300, min: 0) ?? ""
        let prosecutor = validator.text(input.prosecutor, "prosecutor", required: false, max: 300, min: 0) ?? ""
        let investigator = validator.text(input.investigator, "investigator", required: false, max: 300, min: 0) ?? ""
        let sentence = validator.text(input.sentence, "sentence", required: false, max: 500, min: 0) ?? ""
        let facility = validator.text(input.facility, "facility", required: false, max: 300, min: 0) ?? ""
        let status = validator.choice(input.status ?? CaseStatus.detained.rawValue, "status", as: CaseStatus.self)
        let consent = validator.choice(input.consent ?? CaseConsent.none.rawValue, "consent", as: CaseConsent.self)
        let reference = validator.text(input.externalReference, "external_reference", required: false, max: 2000)
        if let reference, !(reference.hasPrefix("https://") || reference.hasPrefix("http://")) {
            validator.fail("external_reference", "must be an http(s) address")
        }
        try validator.check()
        return try await database.transaction { connection in
            _ = try await structuredProposal(connection, context, id: proposalID, kind: .prisonerCase, edit: true)
            let current = try await prisonerCase(connection, proposalID)
            if let ifMatch, ifMatch != (current?.version ?? 0) {
                throw DomainError.preconditionFailed(currentVersion: current?.version ?? 0)
            }
            try await connection.run(
                try Prepared.NewPrisonerCase(
                    proposalID, person, input.detainedOn, articles, court, judge, prosecutor, investigator, input.verdictOn, sentence,
                    facility, status, reference, consent),
                logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "case.update", objectType: "proposal",
                objectID: proposalID.lowercasedString, diff: ["status": status?.rawValue, "consent": consent?.rawValue])
            guard let saved = try await prisonerCase(connection, proposalID) else { throw DomainError.notFound("case not found") }
            return saved
        }
    }

    /// A judge, prosecutor or investigator named in a case becomes the target of a new
    /// sanctions dossier in one step: a draft `sanctions` proposal of the caller's in the
    /// case's group, no wider in audience than the case, its target that official.
    public func openDossier(_ context: CallContext, fromCase caseID: UUID, role rawRole: String?) async throws -> Proposal {
        var validator = Validator()
        let role = validator.choice(rawRole, "role", as: CaseRole.self)
        try validator.check()
        guard let role else { throw DomainError.invalid("role", "is required") }
        let (caseRow, found) = try await database.read { connection in
            (try await structuredProposal(connection, context, id: caseID, kind: .prisonerCase, edit: false),
             try await prisonerCase(connection, caseID))
        }
        guard let found else { throw DomainError.conflict("the case has no details yet") }
        let name: String
        switch role {
        case .judge: name = found.judge
        case .prosecutor: name = found.prosecutor
        case .investigator: name = found.investigator
        }
        guard !name.isEmpty else { throw DomainError.invalid("role", "the case names no \(role.rawValue)") }
        // The draft and its dossier are written together, or neither is.
        return try await database.transaction { connection in
            let id = try await insertProposal(connection, context, try Self.validatedProposal(ProposalInput(
                workingGroupID: caseRow.proposal.workingGroupID, title: "Designate \(name) (\(role.rawValue))",
                kind: ProposalKind.sanctions.rawValue, scale: ProposalScale.small.rawValue,
                audience: min(caseRow.facts.audience, .dialogue).rawValue), over: nil))
            let (kind, fields) = try Self.validatedDossier(DossierInput(
                targetKind: TargetKind.person.rawValue, names: [name],
                positions: [DossierPosition(title: role.rawValue.capitalized, organization: found.court.isEmpty ? nil : found.court)],
                reason: "Acted as \(role.rawValue) in a political case."))
            _ = try await writeDossier(connection, context, proposalID: id, kind: kind, fields, ifMatch: nil, fromCase: caseID)
            return try await authorizedProposal(connection, context, id: id, .read).0
        }
    }
}

extension Prepared {
    /// A sanctions dossier set whole; its structured parts are JSON (`StoredJSON`).
    struct NewDossier: PreparedWrite {
        static let sql = """
            INSERT INTO sanctions_dossiers (proposal_id, target_kind, names, aliases, birth_date, nationalities, identifiers,
                                            positions, links, authorities, reason, claims, from_case)
            VALUES ($1::uuid, $2::text, $3::text::jsonb, $4::text[], $5::text::date, $6::text[], $7::text::jsonb,
                    $8::text::jsonb, $9::text::jsonb, $10::text::jsonb, $11::text, $12::text::jsonb, $13::uuid)
            ON CONFLICT (proposal_id) DO UPDATE SET target_kind = EXCLUDED.target_kind, names = EXCLUDED.names,
                aliases = EXCLUDED.aliases, birth_date = EXCLUDED.birth_date, nationalities = EXCLUDED.nationalities,
                identifiers = EXCLUDED.identifiers, positions = EXCLUDED.positions, links = EXCLUDED.links,
                authorities = EXCLUDED.authorities, reason = EXCLUDED.reason, claims = EXCLUDED.claims,
                version = sanctions_dossiers.version + 1, updated_at = now()
            """
        let bindings: PostgresBindings
    }

    /// A prisoner's case set whole.
    struct NewPrisonerCase: PreparedWrite {
        static let sql = """
            INSERT INTO prisoner_cases (proposal_id, person_name, detained_on, articles, court, judge, prosecutor, investigator,
                                        verdict_on, sentence, facility, status, external_reference, consent)
            VALUES ($1::uuid, $2::text, $3::text::date, $4::text[], $5::text, $6::text, $7::text, $8::text,
                    $9::text::date, $10::text, $11::text, $12::text, $13::text, $14::text)
            ON CONFLICT (proposal_id) DO UPDATE SET person_name = EXCLUDED.person_name, detained_on = EXCLUDED.detained_on,
                articles = EXCLUDED.articles, court = EXCLUDED.court, judge = EXCLUDED.judge, prosecutor = EXCLUDED.prosecutor,
                investigator = EXCLUDED.investigator, verdict_on = EXCLUDED.verdict_on, sentence = EXCLUDED.sentence,
                facility = EXCLUDED.facility, status = EXCLUDED.status, external_reference = EXCLUDED.external_reference,
                consent = EXCLUDED.consent, version = prisoner_cases.version + 1, updated_at = now()
            """
        let bindings: PostgresBindings
    }
}
