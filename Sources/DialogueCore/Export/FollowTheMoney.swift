import Crypto
import Foundation
import NIOCore
import PostgresNIO

/// One FollowTheMoney entity (the data model of OpenSanctions and OCCRP Aleph), as a JSON line.
struct FtMEntity: Encodable {
    var id: String
    var schema: String
    var properties: [String: [String]]

    init(_ schema: String, id: String, _ properties: [String: [String?]]) {
        self.schema = schema
        self.id = id
        self.properties = properties.compactMapValues { values in
            let kept = values.compactMap { $0 }.filter { !$0.isEmpty }
            return kept.isEmpty ? nil : kept
        }
    }

    /// A stable id: the same dossier, link or case gives the same id in every export.
    static func id(_ parts: String...) -> String {
        "dialogue-" + SHA256.hash(data: Data(parts.joined(separator: "/").utf8)).hexString.prefix(32)
    }

    /// One entity as a line, keys sorted, through the one canonical encoder (made once).
    var line: String {
        String(decoding: (try? CanonicalJSON.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }
}

/// A line of the custody manifest that goes with an export: the evidence behind a `Document`
/// entity and its hashes (kept out of the FtM entities themselves).
public struct CustodyEntry: Sendable, Equatable, Encodable {
    public var documentEntity: String
    public var evidenceID: String
    public var fileName: String
    public var mediaType: String
    public var originalSha256: String
    public var storedSha256: String
    public var originalSize: Int
    public var receivedAt: String
}

extension Dialogue {
    /// The dossiers and cases the exporter may read (`audience: .public`: public proposals, and
    /// cases whose consent is public), as FollowTheMoney entities: the target (Person or
    /// Organization) with its names, birth date, nationality, identifiers and positions
    /// (Position, Occupancy), its links (Family, Associate, Ownership, UnknownLink), the proposed
    /// reason and the authorities asked as a Note - never a Sanction, which is for designations
    /// that exist - and the evidence for each claim as Document and Documentation; each case
    /// (consent internal or public) as a CourtCase with its officials (CourtCaseParty). The
    /// evidence's hashes go to `custody`, not into the entities.
    public func writeFollowTheMoney(
        _ context: CallContext, audience: QuarterlyReport.Audience, to sink: @escaping ByteSink
    ) async throws -> [CustodyEntry] {
        try AccessPolicy.requireCoordinator(context.actor, "export dossiers")
        return try await database.snapshot(statementTimeout: Self.exportStatementTimeout) { connection in
            let viewer = try await viewer(context, connection)
            let rows = try await connection.query("""
                SELECT \(unescaped: ProposalRow.columns),
                       EXISTS (SELECT 1 FROM audience_names n WHERE n.object_id = p.id AND n.participant_id = \(viewer.actor.participantID))
                FROM proposals p JOIN participants a ON a.id = p.author_id
                WHERE p.kind IN ('sanctions', 'prisoner_case') AND p.status <> 'draft'
                ORDER BY p.created_at, p.id
                """, logger: logger).collect().map(ProposalRow.init).filter {
                AccessPolicy.decide(viewer, .read, $0.object) == .allow && (audience == .internal || $0.facts.audience == .public)
            }
            var custody: [CustodyEntry] = []
            for row in rows {
                let proposalID = row.proposal.id
                var lines = ""
                if row.proposal.kind == .sanctions, let dossier = try await dossier(connection, proposalID) {
                    let (entities, entries) = try await dossierEntities(connection, dossier, title: row.proposal.title)
                    lines = entities.map(\.line).joined()
                    custody += entries
                } else if row.proposal.kind == .prisonerCase, let found = try await prisonerCase(connection, proposalID),
                    found.consent >= (audience == .public ? .public : .internal)
                {
                    lines = Self.caseEntities(found).map(\.line).joined()
                }
                if !lines.isEmpty { try await sink(ByteBuffer(string: lines)) }
            }
            return custody
        }
    }

    private func dossierEntities(
        _ connection: PostgresConnection, _ dossier: Dossier, title: String
    ) async throws -> ([FtMEntity], [CustodyEntry]) {
        let key = dossier.proposalID.lowercasedString
        let target = FtMEntity.id("target", key)
        var entities = [FtMEntity(dossier.targetKind == .person ? "Person" : "Organization", id: target, [
            "name": dossier.names, "alias": dossier.aliases, "birthDate": dossier.targetKind == .person ? [dossier.birthDate] : [],
            (dossier.targetKind == .person ? "nationality" : "jurisdiction"): dossier.nationalities.map { $0.lowercased() },
            "idNumber": dossier.identifiers.map(\.value), "position": dossier.targetKind == .person ? dossier.positions.map(\.title) : [],
        ])]
        for (index, position) in dossier.positions.enumerated() where dossier.targetKind == .person {
            let post = FtMEntity.id("position", key, String(index))
            entities.append(FtMEntity("Position", id: post, ["name": [position.title], "summary": [position.organization]]))
            entities.append(FtMEntity("Occupancy", id: FtMEntity.id("occupancy", key, String(index)), ["holder": [target], "post": [post]]))
        }
        for (index, link) in dossier.links.enumerated() {
            let other = FtMEntity.id("linked", key, String(index))
            let linkID = FtMEntity.id("link", key, String(index))
            let ownerIsOrganization = link.relation == .owner
            entities.append(FtMEntity(ownerIsOrganization ? "LegalEntity" : "Person", id: other, ["name": [link.name]]))
            switch link.relation {
            case .family:
                entities.append(FtMEntity("Family", id: linkID, ["person": [target], "relative": [other], "relationship": ["family"]]))
            case .associate:
                entities.append(FtMEntity("Associate", id: linkID, ["person": [target], "associate": [other], "relationship": ["associate"]]))
            case .owner:
                entities.append(FtMEntity("Ownership", id: linkID, ["owner": [target], "asset": [other], "role": ["owner"]]))
            case .superior, .subordinate, .actedUnder:
                let role = link.relation == .actedUnder ? "acted under" : link.relation.rawValue
                entities.append(FtMEntity("UnknownLink", id: linkID, ["subject": [target], "object": [other], "role": [role]]))
            }
        }
        let asked = dossier.authorities.map { "\($0.authority.rawValue.uppercased())\($0.programme.isEmpty ? "" : " (\($0.programme))")" }
        entities.append(FtMEntity("Note", id: FtMEntity.id("note", key), [
            "name": ["Proposed designation: \(title)"], "entity": [target],
            "description": [([dossier.reason] + (asked.isEmpty ? [] : ["Authorities asked: " + asked.joined(separator: ", ")]))
                .filter { !$0.isEmpty }.joined(separator: "\n\n")],
        ]))
        var custody: [CustodyEntry] = []
        let evidence = try await connection.query("""
            SELECT id, number, media_type, original_sha256, stored_sha256, original_size, received_at FROM evidence
            WHERE proposal_id = \(dossier.proposalID) ORDER BY number
            """, logger: logger).collect().map { try $0.decode((UUID, Int, String, String, String, Int, Date).self) }
        for (id, number, mediaType, original, stored, size, received) in evidence {
            let claims = dossier.claims.filter { $0.evidenceIDs.contains(id) }.map(\.claim)
            let fileName = "evidence-\(number).\(EvidenceType(rawValue: mediaType)?.fileExtension ?? "bin")"
            let document = FtMEntity.id("evidence", id.lowercasedString)
            entities.append(FtMEntity("Document", id: document, ["fileName": [fileName], "mimeType": [mediaType], "title": [fileName]]))
            entities.append(FtMEntity("Documentation", id: FtMEntity.id("documentation", key, id.lowercasedString), [
                "entity": [target], "document": [document], "role": [claims.isEmpty ? "evidence" : claims.joined(separator: "; ")],
            ]))
            custody.append(CustodyEntry(
                documentEntity: document, evidenceID: id.lowercasedString, fileName: fileName, mediaType: mediaType,
                originalSha256: original, storedSha256: stored, originalSize: size, receivedAt: RFC3339.string(from: received)))
        }
        return (entities, custody)
    }

    /// A case as a CourtCase; the person appears only under a name they consented to, and their
    /// officials as parties.
    static func caseEntities(_ found: PrisonerCase) -> [FtMEntity] {
        let key = found.proposalID.lowercasedString
        let courtCase = FtMEntity.id("case", key)
        var entities = [FtMEntity("CourtCase", id: courtCase, [
            "name": ["Political case" + (found.personName.isEmpty ? "" : ": \(found.personName)")], "court": [found.court],
            "fileDate": [found.detainedOn], "closeDate": [found.verdictOn], "category": found.articles, "status": [found.status.rawValue],
            "sourceUrl": [found.externalReference],
        ])]
        var parties: [(String, String)] = [("judge", found.judge), ("prosecutor", found.prosecutor), ("investigator", found.investigator)]
        if !found.personName.isEmpty { parties.insert(("defendant", found.personName), at: 0) }
        for (role, name) in parties where !name.isEmpty {
            let person = FtMEntity.id("party", key, role)
            entities.append(FtMEntity("Person", id: person, ["name": [name]]))
            entities.append(FtMEntity("CourtCaseParty", id: FtMEntity.id("case-party", key, role), [
                "case": [courtCase], "party": [person], "role": [role],
            ]))
        }
        return entities
    }
}
