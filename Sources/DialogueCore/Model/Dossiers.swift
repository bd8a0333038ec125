import Foundation

/// Authorities the movement asks to act (their lists are what reference files are read for).
public enum Authority: String, Sendable, CaseIterable, Codable {
    case us, eu, uk, ca, ch, ua, au, jp, nz

    /// OpenSanctions dataset names that are this authority's lists (a prefix is enough).
    static let datasets: [(prefix: String, authority: Authority)] = [
        ("us_", .us), ("eu_", .eu), ("gb_", .uk), ("ca_", .ca), ("ch_", .ch), ("ua_", .ua), ("au_", .au), ("jp_", .jp), ("nz_", .nz),
    ]

    static func of(dataset: String) -> Authority? {
        datasets.first { dataset.hasPrefix($0.prefix) }?.authority
    }
}

public enum TargetKind: String, Sendable, CaseIterable {
    case person, organization
}

public enum LinkRelation: String, Sendable, CaseIterable, Codable {
    case superior, subordinate, owner, family, associate
    case actedUnder = "acted_under"
}

public struct DossierIdentifier: Sendable, Equatable, Codable {
    public var scheme: String
    public var value: String
    public init(scheme: String, value: String) { self.scheme = scheme; self.value = value }
}

public struct DossierPosition: Sendable, Equatable, Codable {
    public var title: String
    public var organization: String?
    public init(title: String, organization: String? = nil) { self.title = title; self.organization = organization }
}

public struct DossierLink: Sendable, Equatable, Codable {
    public var relation: LinkRelation
    public var name: String
    public init(relation: LinkRelation, name: String) { self.relation = relation; self.name = name }
}

/// An authority asked to act, with its programme; `designatedOn` once a coordinator records
/// that it did.
public struct DossierAuthority: Sendable, Equatable, Codable {
    public var authority: Authority
    public var programme: String
    public var designatedOn: String?
    public init(authority: Authority, programme: String, designatedOn: String? = nil) {
        self.authority = authority
        self.programme = programme
        self.designatedOn = designatedOn
    }
}

/// A claim of the reason, and the evidence (of the same proposal) that supports it.
public struct DossierClaim: Sendable, Equatable, Codable {
    public var claim: String
    public var evidenceIDs: [UUID]
    public init(claim: String, evidenceIDs: [UUID]) { self.claim = claim; self.evidenceIDs = evidenceIDs }
}

/// The structured part of a `sanctions` proposal: whom, why, asked of whom, on what evidence.
public struct Dossier: Sendable, Equatable {
    public var proposalID: UUID
    public var targetKind: TargetKind
    /// Every form of the name: Belarusian and Russian Cyrillic, Latin.
    public var names: [String]
    public var aliases: [String]
    public var birthDate: String?
    public var nationalities: [String]
    public var identifiers: [DossierIdentifier]
    public var positions: [DossierPosition]
    public var links: [DossierLink]
    public var authorities: [DossierAuthority]
    public var reason: String
    public var claims: [DossierClaim]
    /// The prisoner case it was opened from.
    public var fromCase: UUID?
    public var version: Int
}

/// What a dossier is set to (a whole replacement: PUT).
public struct DossierInput: Sendable {
    public var targetKind: String?
    public var names: [String]
    public var aliases: [String]
    public var birthDate: String?
    public var nationalities: [String]
    public var identifiers: [DossierIdentifier]
    public var positions: [DossierPosition]
    public var links: [DossierLink]
    public var authorities: [DossierAuthority]
    public var reason: String?
    public var claims: [DossierClaim]

    public init(
        targetKind: String?, names: [String], aliases: [String] = [], birthDate: String? = nil, nationalities: [String] = [],
        identifiers: [DossierIdentifier] = [], positions: [DossierPosition] = [], links: [DossierLink] = [],
        authorities: [DossierAuthority] = [], reason: String? = nil, claims: [DossierClaim] = []
    ) {
        self.targetKind = targetKind
        self.names = names
        self.aliases = aliases
        self.birthDate = birthDate
        self.nationalities = nationalities
        self.identifiers = identifiers
        self.positions = positions
        self.links = links
        self.authorities = authorities
        self.reason = reason
        self.claims = claims
    }
}

public enum CaseStatus: String, Sendable, CaseIterable {
    case detained, sentenced, released, died
}

/// Where a case may appear: nowhere outside the portal, in internal reports, or in public ones.
public enum CaseConsent: String, Sendable, CaseIterable, Comparable {
    case none, `internal`, `public`

    public static func < (lhs: CaseConsent, rhs: CaseConsent) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// The structured part of a `prisoner_case` proposal.
public struct PrisonerCase: Sendable, Equatable {
    public var proposalID: UUID
    public var personName: String
    public var detainedOn: String?
    public var articles: [String]
    public var court: String
    public var judge: String
    public var prosecutor: String
    public var investigator: String
    public var verdictOn: String?
    public var sentence: String
    public var facility: String
    public var status: CaseStatus
    public var externalReference: String?
    public var consent: CaseConsent
    public var version: Int
}

public struct PrisonerCaseInput: Sendable {
    public var personName: String?
    public var detainedOn: String?
    public var articles: [String]
    public var court: String?
    public var judge: String?
    public var prosecutor: String?
    public var investigator: String?
    public var verdictOn: String?
    public var sentence: String?
    public var facility: String?
    public var status: String?
    public var externalReference: String?
    public var consent: String?

    public init(
        personName: String? = nil, detainedOn: String? = nil, articles: [String] = [], court: String? = nil, judge: String? = nil,
        prosecutor: String? = nil, investigator: String? = nil, verdictOn: String? = nil, sentence: String? = nil,
        facility: String? = nil, status: String? = nil, externalReference: String? = nil, consent: String? = nil
    ) {
        self.personName = personName
        self.detainedOn = detainedOn
        self.articles = articles
        self.court = court
        self.judge = judge
        self.prosecutor = prosecutor
        self.investigator = investigator
        self.verdictOn = verdictOn
        self.sentence = sentence
        self.facility = facility
        self.status = status
        self.externalReference = externalReference
        self.consent = consent
    }
}

/// The officials a case names, who may become the target of a dossier.
public enum CaseRole: String, Sendable, CaseIterable {
    case judge, prosecutor, investigator
}
