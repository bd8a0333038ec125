import DialogueCore
import Foundation
import OpenAPIRuntime

extension APIHandlers {
    func getDossier(_ input: Operations.GetDossier.Input) async throws -> Operations.GetDossier.Output {
        let context = try await RequestScope.callContext(dialogue)
        let dossier = try await dialogue.getDossier(context, proposalID: try pathID(input.path.id, "proposal"))
        return .ok(.init(headers: .init(eTag: ETags.value(dossier.version)), body: .json(.init(dossier))))
    }

    func putDossier(_ input: Operations.PutDossier.Input) async throws -> Operations.PutDossier.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let fields) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let dossier = try await dialogue.putDossier(
            context, proposalID: try pathID(input.path.id, "proposal"),
            DossierInput(
                targetKind: fields.targetKind.rawValue, names: fields.names, aliases: fields.aliases ?? [],
                birthDate: fields.birthDate, nationalities: fields.nationalities ?? [],
                identifiers: (fields.identifiers ?? []).map { DossierIdentifier(scheme: $0.scheme, value: $0.value) },
                positions: (fields.positions ?? []).map { DossierPosition(title: $0.title, organization: $0.organization) },
                links: (fields.links ?? []).compactMap { link in
                    LinkRelation(rawValue: link.relation.rawValue).map { DossierLink(relation: $0, name: link.name) }
                },
                authorities: (fields.authorities ?? []).compactMap { asked in
                    Authority(rawValue: asked.authority.rawValue).map {
                        DossierAuthority(authority: $0, programme: asked.programme ?? "", designatedOn: asked.designatedOn)
                    }
                },
                reason: fields.reason,
                claims: try (fields.claims ?? []).map { DossierClaim(claim: $0.claim, evidenceIDs: try bodyIDs($0.evidenceIds ?? [], "claims")) }),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(dossier.version)), body: .json(.init(dossier))))
    }

    func listDossierMatches(_ input: Operations.ListDossierMatches.Input) async throws -> Operations.ListDossierMatches.Output {
        let context = try await RequestScope.callContext(dialogue)
        let matches = try await dialogue.referenceMatches(context, proposalID: try pathID(input.path.id, "proposal"))
        return .ok(.init(body: .json(.init(items: matches.map {
            .init(
                referenceId: $0.referenceID, caption: $0.caption, score: $0.score, reasons: $0.reasons,
                authorities: $0.authorities.compactMap { Components.Schemas.Authority(rawValue: $0.rawValue) },
                decision: .init(rawValue: $0.decision) ?? .suggested)
        }))))
    }

    func decideDossierMatch(_ input: Operations.DecideDossierMatch.Input) async throws -> Operations.DecideDossierMatch.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        try await dialogue.decideMatch(
            context, proposalID: try pathID(input.path.id, "proposal"), referenceID: input.path.referenceId,
            confirm: body.decision == .confirmed)
        return .noContent(.init())
    }

    func getDossierGaps(_ input: Operations.GetDossierGaps.Input) async throws -> Operations.GetDossierGaps.Output {
        let context = try await RequestScope.callContext(dialogue)
        let rows = try await dialogue.gapTable(context, proposalID: try pathID(input.path.id, "proposal"))
        return .ok(.init(body: .json(.init(items: rows.compactMap { row in
            Components.Schemas.Authority(rawValue: row.authority.rawValue).map {
                .init(authority: $0, asked: row.asked, listed: row.listed, designatedOn: row.designatedOn, matches: row.matches)
            }
        }))))
    }

    func getPrisonerCase(_ input: Operations.GetPrisonerCase.Input) async throws -> Operations.GetPrisonerCase.Output {
        let context = try await RequestScope.callContext(dialogue)
        let found = try await dialogue.getCase(context, proposalID: try pathID(input.path.id, "proposal"))
        return .ok(.init(headers: .init(eTag: ETags.value(found.version)), body: .json(.init(found))))
    }

    func putPrisonerCase(_ input: Operations.PutPrisonerCase.Input) async throws -> Operations.PutPrisonerCase.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let fields) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let found = try await dialogue.putCase(
            context, proposalID: try pathID(input.path.id, "proposal"),
            PrisonerCaseInput(
                personName: fields.personName, detainedOn: fields.detainedOn, articles: fields.articles ?? [], court: fields.court,
                judge: fields.judge, prosecutor: fields.prosecutor, investigator: fields.investigator, verdictOn: fields.verdictOn,
                sentence: fields.sentence, facility: fields.facility, status: fields.status?.rawValue,
                externalReference: fields.externalReference, consent: fields.consent?.rawValue),
            ifMatch: ETags.version(ifMatch: input.headers.ifMatch))
        return .ok(.init(headers: .init(eTag: ETags.value(found.version)), body: .json(.init(found))))
    }

    func openDossierFromCase(_ input: Operations.OpenDossierFromCase.Input) async throws -> Operations.OpenDossierFromCase.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let proposal = try await dialogue.openDossier(context, fromCase: try pathID(input.path.id, "proposal"), role: body.role.rawValue)
        return .created(.init(body: .json(.init(proposal))))
    }
}

extension Components.Schemas.Dossier {
    init(_ dossier: Dossier) {
        self.init(
            value1: .init(
                targetKind: .init(rawValue: dossier.targetKind.rawValue), names: dossier.names, aliases: dossier.aliases,
                birthDate: dossier.birthDate, nationalities: dossier.nationalities,
                identifiers: dossier.identifiers.map { .init(scheme: $0.scheme, value: $0.value) },
                positions: dossier.positions.map { .init(title: $0.title, organization: $0.organization) },
                links: dossier.links.compactMap { link in
                    Components.Schemas.DossierFields.LinksPayloadPayload.RelationPayload(rawValue: link.relation.rawValue)
                        .map { .init(relation: $0, name: link.name) }
                },
                authorities: dossier.authorities.compactMap { asked in
                    Components.Schemas.Authority(rawValue: asked.authority.rawValue).map {
                        .init(authority: $0, programme: asked.programme, designatedOn: asked.designatedOn)
                    }
                },
                reason: dossier.reason,
                claims: dossier.claims.map { .init(claim: $0.claim, evidenceIds: $0.evidenceIDs.map(\.lowercasedString)) }),
            value2: .init(proposalId: dossier.proposalID.lowercasedString, fromCase: dossier.fromCase?.lowercasedString, version: dossier.version))
    }
}

extension Components.Schemas.PrisonerCase {
    init(_ found: PrisonerCase) {
        self.init(
            value1: .init(
                personName: found.personName, detainedOn: found.detainedOn, articles: found.articles, court: found.court,
                judge: found.judge, prosecutor: found.prosecutor, investigator: found.investigator, verdictOn: found.verdictOn,
                sentence: found.sentence, facility: found.facility, status: .init(rawValue: found.status.rawValue),
                externalReference: found.externalReference, consent: .init(rawValue: found.consent.rawValue)),
            value2: .init(proposalId: found.proposalID.lowercasedString, version: found.version))
    }
}
