import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite("The export's queries as make bench copies them")
struct ReportQueriesTests {
    @Test("the literal text runs and returns what the export reads; only a known direction gets in")
    func literalSQL() async throws {
        try await withDialogue { dialogue in
            _ = try await BenchSeed(database: dialogue.database).run(scale: 0.01) { _ in }
            let quarter = try Quarter(parsing: "2024-Q2")
            for list in ReportQueries.List.allCases {
                let text = try ReportQueries.literalListSQL(list, quarter: quarter, direction: "media")
                #expect(!text.contains("$"), "\(list): every parameter is written in")
                let count = try await sqlInt(dialogue, PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM (\(text)) q"))
                #expect(count > 0, "\(list): rows for media in 2024-Q2")
            }
            for bad in ["media'; DROP TABLE audit_log; --", "sports", ""] {
                #expect(throws: DomainError.self) {
                    _ = try ReportQueries.literalListSQL(.sessions, quarter: quarter, direction: bad)
                }
            }
        }
    }
}
