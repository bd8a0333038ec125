import Crypto
import Foundation

/// The quarterly status report (DOMAIN.md "Quarterly export"), computed as of quarter end from
/// recorded history, so a past quarter gives the same figures whenever it is run.
public struct QuarterlyReport: Codable, Sendable, Equatable {
    public enum Audience: String, Codable, Sendable, CaseIterable {
        /// In-country proxies by pseudonym, everyone else by name.
        case `internal`
        /// Organizations and roles only: no person is named.
        case `public`
    }

    public struct Figures: Codable, Sendable, Equatable {
        public var sessionsHeld = 0
        public var sessionsPlanned = 0
        public var sessionsCancelled = 0
        public var agendaOutcomes: [String: Int] = ["adopted": 0, "rejected": 0, "deferred": 0, "noted": 0]
        /// Proposals by the state they were in at quarter end (drafts never counted).
        public var proposalsByState: [String: Int] = [:]
        /// Transitions made during the quarter, by the state moved to.
        public var proposalTransitions: [String: Int] = [:]
        public var actionsOpened = 0
        public var actionsClosed = 0
        public var actionsOverdueAtEnd = 0
        public var actionsDueInQuarter = 0
        public var actionsDoneOfDue = 0
        /// Share of the items due in the quarter that were done at its end, in per mille.
        public var completionPerMille: Int?
        /// Action items by status at quarter end.
        public var actionsByStatus: [String: Int] = [:]
        /// Sanctions dossiers whose proposal was submitted in the quarter (nil in earlier reports).
        public var dossiersSubmitted: Int?
        /// Designations an authority made in the quarter, as recorded on dossiers.
        public var designationsObtained: Int?
        /// Political-prisoner cases by status, those whose consent admits this report.
        public var casesByStatus: [String: Int]?
    }

    public struct DirectionSection: Codable, Sendable, Equatable {
        public var slug: String
        public var name: String
        public var figures: Figures
    }

    public struct SessionRow: Codable, Sendable, Equatable {
        public var id: String
        public var direction: String
        public var kind: String
        public var title: String
        public var startsAt: String
        public var status: String
    }

    public struct ProposalRow: Codable, Sendable, Equatable {
        public var id: String
        public var direction: String
        public var kind: String
        public var title: String
        public var status: String
        public var author: String
        /// The proposal reached its quarter-end state during the quarter (nil in reports made
        /// before this was recorded).
        public var movedInQuarter: Bool?
    }

    /// An agenda item adopted at one of the quarter's sessions (its latest outcome, corrections
    /// included, by quarter end), with the action items that came from it.
    public struct DecisionRow: Codable, Sendable, Equatable {
        public struct Action: Codable, Sendable, Equatable {
            public var title: String
            /// As at quarter end.
            public var status: String
        }

        public var id: String
        public var direction: String
        public var title: String
        public var session: String
        public var actions: [Action]
    }

    /// The figures of an earlier quarter, for the trend (computed as of that quarter's end).
    public struct QuarterFigures: Codable, Sendable, Equatable {
        public var quarter: String
        public var total: Figures
        public var directions: [DirectionSection]
    }

    public struct ActionRow: Codable, Sendable, Equatable {
        public var id: String
        public var direction: String
        public var title: String
        public var owner: String
        public var dueOn: String
        public var status: String
        public var overdue: Bool
    }

    public var quarter: String
    public var periodStart: String
    public var periodEnd: String
    public var direction: String
    public var audience: Audience
    /// The audit chain's head as of quarter end: a copy of the chain's state outside the database.
    public var auditHeadAtEnd: String
    public var total: Figures
    public var directions: [DirectionSection]
    public var sessions: [SessionRow]
    public var proposals: [ProposalRow]
    public var actionItems: [ActionRow]
    /// The quarter's adopted outcomes (nil in reports made before decisions were listed).
    public var decisions: [DecisionRow]?
    /// The three quarters before this one, oldest first (nil in earlier reports).
    public var trend: [QuarterFigures]?
    /// Whose view the figures and lists are: the exporter's side ("government", "movement",
    /// "partner") or "operator"; what the audiences let that exporter see (nil in earlier reports).
    public var view: String?
    /// Minutes of the quarter's sessions, signed off by both sides by quarter end (nil in
    /// earlier reports).
    public var minutes: [MinutesRow]?

    public struct MinutesRow: Codable, Sendable, Equatable {
        public var id: String
        public var direction: String
        public var session: String
        public var title: String
        /// Where a reader with access finds them in the portal.
        public var link: String
    }

    /// Canonical JSON: sorted keys, snake_case, no whitespace. The hash is over these bytes.
    /// The export streams the same bytes (`CanonicalReportWriter`); a test holds the two equal.
    public func canonicalJSON() throws -> Data {
        try Self.canonicalEncoder.encode(self)
    }

    static var canonicalEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decode(canonical data: Data) throws -> QuarterlyReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(QuarterlyReport.self, from: data)
    }

    public static func sha256(_ canonical: Data) -> String { SHA256.hash(data: canonical).hexString }
}

/// A report ready to write: its canonical content and the hash of that content.
public struct ExportedReport: Sendable {
    public var report: QuarterlyReport
    public var canonical: Data
    public var sha256: String
    /// True when this is a frozen snapshot re-issued as stored.
    public var fromSnapshot: Bool

    /// The JSON format: the canonical content, exactly the bytes hashed, and the hash.
    public var jsonDocument: String {
        "{\"report\":" + String(decoding: canonical, as: UTF8.self) + ",\"sha256\":\"\(sha256)\"}\n"
    }
}
