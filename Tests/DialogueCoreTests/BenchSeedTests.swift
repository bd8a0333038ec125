import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite("Benchmark dataset")
struct BenchSeedTests {
    @Test("the generator is deterministic, consistent with the schema's rules, and exportable")
    func deterministicAndConsistent() async throws {
        var fingerprints: [String] = []
        for _ in 0..<2 {
            try await withDialogue { dialogue in
                let report = try await BenchSeed(database: dialogue.database).run(scale: 0.01) { _ in }
                let counts = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.table, $0.count) })
                #expect(counts["participants"] == 50)
                #expect(counts["sessions"] == 200)
                #expect(counts["agenda_items"] == 2000)
                #expect(counts["proposals"] == 500)
                #expect(counts["action_items"] == 3000)
                #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM sessions") == 200)
                // Agendas are dense, proxies have no email, done items are at 100.
                #expect(try await sqlInt(dialogue, """
                    SELECT count(*)::bigint FROM (SELECT session_id FROM agenda_items GROUP BY session_id
                    HAVING count(*) <> max(position) OR min(position) <> 1) x
                    """) == 0)
                #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM action_items WHERE status = 'done' AND progress <> 100") == 0)
                let export = try await dialogue.quarterlyReport(.cli(), quarter: "2024-Q2", direction: nil, audience: nil)
                #expect(export.report.total.sessionsHeld + export.report.total.sessionsCancelled > 0)
                #expect(export.report.total.actionsOpened > 0)
                let fingerprint = try await dialogue.database.read { connection in
                    try await connection.query(
                        "SELECT md5(string_agg(id::text || title, ',' ORDER BY id)) FROM action_items", logger: dialogue.database.logger
                    ).collect().first?.decode(String.self) ?? ""
                }
                fingerprints.append(fingerprint + export.sha256)
            }
        }
        #expect(fingerprints.count == 2 && fingerprints[0] == fingerprints[1], "the same scale yields the same data and the same report")
    }
}
