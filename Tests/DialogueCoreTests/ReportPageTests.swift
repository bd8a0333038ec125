@testable import DialogueCore
import Foundation
import Testing

/// The leadership page's caps and words, on a report made in memory: a quarter far denser than
/// a real dialogue still gives a page a reader reads, and every cut says how much it left out.
@Suite("Quarterly report page: caps, counts of the rest, three languages")
struct ReportPageTests {
    static func dense() -> QuarterlyReport {
        var figures = QuarterlyReport.Figures()
        figures.sessionsHeld = 9
        figures.completionPerMille = 640
        var earlier = QuarterlyReport.Figures()
        earlier.sessionsHeld = 12
        earlier.completionPerMille = 500
        let media = QuarterlyReport.DirectionSection(slug: "media", name: "Independent media", figures: figures)
        return QuarterlyReport(
            quarter: "2026-Q3", periodStart: "2026-07-01T00:00:00Z", periodEnd: "2026-10-01T00:00:00Z", direction: "media",
            audience: .internal, auditHeadAtEnd: String(repeating: "0", count: 64), total: figures, directions: [media],
            sessions: [], proposals: (1...9).map {
                .init(id: "p\($0)", direction: "media", kind: "policy", title: "Declined \($0)", status: "declined", author: "A",
                      movedInQuarter: true)
            },
            actionItems: (1...40).map {
                .init(id: "a\($0)", direction: "media", title: "Late \($0)", owner: $0 % 2 == 0 ? "Hanna" : "Zubr",
                      dueOn: "2026-08-\(String(format: "%02d", $0 % 28 + 1))", status: "open", overdue: true)
            },
            decisions: (1...9).map {
                .init(id: "d\($0)", direction: "media", title: "Decision \($0)", session: "Session \($0)",
                      actions: (1...5).map { .init(title: "Step \($0)", status: "in_progress") })
            },
            trend: [.init(quarter: "2026-Q2", total: earlier, directions: [.init(slug: "media", name: "Independent media", figures: earlier)])])
    }

    @Test("decisions, declined proposals and late items are capped, each with the count of the rest")
    func caps() async throws {
        let report = Self.dense()
        let digest = ReportDigest()
        try await digest.replay(report)
        let html = ReportPage(report: report, sha256: "abc", options: .init()).body(digest)
        #expect(html.contains("Decision 6") && !html.contains("Decision 7"))
        #expect(html.contains("3 more decisions in this direction"))
        #expect(html.contains("Step 3") && !html.contains("Step 4") && html.contains("and 2 more action items"))
        #expect(html.contains("Declined 6") && !html.contains("Declined 7") && html.contains("3 more:"))
        #expect(html.contains("Late 12") && !html.contains("Late 13") && html.contains("28 more overdue items"))
        #expect(html.contains("<dt>Zubr</dt>") && html.contains("<dt>Hanna</dt>"), "grouped by owner")
        #expect(html.contains("▼ 3") && html.contains("down 3 since 2026-Q2"), "fewer sessions held than the quarter before")
        #expect(html.contains("▲ 14 pp"), "completion up from 50% to 64%")
        #expect(html.contains("aria-label=\"Items due done by quarter, Independent media: 2026-Q2 50%; 2026-Q3 64%\""),
                "the trend line's text equivalent")
    }

    @Test("the report's words exist in English, Belarusian and Russian alike; dates follow the language")
    func languages() throws {
        let english = Set(ReportWords.catalogs[.en]?.keys ?? [:].keys)
        #expect(!english.isEmpty)
        for language in PortalLanguage.allCases {
            #expect(Set(ReportWords.catalogs[language]?.keys ?? [:].keys) == english, "\(language)")
        }
        let report = Self.dense()
        #expect(ReportPage(report: report, sha256: "", options: .init(language: .ru)).period().contains("сентября 2026"))
        #expect(ReportPage(report: report, sha256: "", options: .init(language: .en)).period().contains("September 30, 2026"))
        #expect(throws: DomainError.self) { try ReportPageOptions(detail: "everything", language: nil) }
    }
}
