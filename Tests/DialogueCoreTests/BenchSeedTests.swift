import DialogueCore
import DialogueTestSupport
import Foundation
import NIOCore
import PostgresNIO
import Synchronization
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
                try await Self.streamsInChunks(dialogue, export)
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

    @Test("each quarter of the trend counts action items, proposals and outcomes as that quarter's own report counts them")
    func trendAgreesWithEachQuarter() async throws {
        try await withDialogue { dialogue in
            _ = try await BenchSeed(database: dialogue.database).run(scale: 0.01) { _ in }
            // Histories the generator does not make: an item closed, reopened and closed again
            // across quarters, two updates of one item at the same instant, an update after
            // the trend's last quarter only.
            try await sql(dialogue, """
                WITH picked AS (SELECT id FROM action_items WHERE created_at < '2024-01-01' ORDER BY id LIMIT 3),
                first AS (SELECT id FROM picked ORDER BY id LIMIT 1),
                second AS (SELECT id FROM picked ORDER BY id OFFSET 1 LIMIT 1),
                third AS (SELECT id FROM picked ORDER BY id OFFSET 2 LIMIT 1)
                INSERT INTO action_item_updates (action_item_id, from_status, to_status, to_progress, created_at)
                SELECT id, 'open', 'done', 100, '2024-02-01T10:00:00Z'::timestamptz FROM first
                UNION ALL SELECT id, 'done', 'open', 50, '2024-02-02T10:00:00Z' FROM first
                UNION ALL SELECT id, 'open', 'dropped', 50, '2024-05-02T10:00:00Z' FROM first
                UNION ALL SELECT id, 'open', 'blocked', 10, '2024-03-03T10:00:00Z' FROM second
                UNION ALL SELECT id, 'blocked', 'done', 100, '2024-03-03T10:00:00Z' FROM second
                UNION ALL SELECT id, 'open', 'in_progress', 20, '2024-08-01T10:00:00Z' FROM third
                """)
            // Proposals: two moves at one instant, a draft with a move before the trend's end
            // that is submitted only after it (never counted), and one submitted at the very
            // instant a quarter ends (counted from the next quarter on, not in that one).
            try await sql(dialogue, """
                WITH submitted AS (SELECT proposal_id AS id FROM proposal_transitions WHERE to_status = 'submitted'
                                   AND created_at < '2024-01-01' ORDER BY proposal_id LIMIT 1),
                late AS (SELECT t.proposal_id AS id FROM proposal_transitions t WHERE t.to_status = 'submitted'
                         GROUP BY t.proposal_id HAVING min(t.created_at) >= '2024-07-01' ORDER BY t.proposal_id LIMIT 2),
                draft AS (SELECT id FROM late ORDER BY id LIMIT 1),
                boundary AS (SELECT id FROM late ORDER BY id OFFSET 1)
                INSERT INTO proposal_transitions (proposal_id, from_status, to_status, created_at)
                SELECT id, 'submitted', 'under_review', '2024-02-10T09:00:00Z'::timestamptz FROM submitted
                UNION ALL SELECT id, 'under_review', 'accepted', '2024-02-10T09:00:00Z' FROM submitted
                UNION ALL SELECT id, 'draft', 'draft', '2024-02-01T09:00:00Z' FROM draft
                UNION ALL SELECT id, 'draft', 'draft', '2024-03-01T09:00:00Z' FROM boundary
                UNION ALL SELECT id, 'draft', 'submitted', '2024-04-01T00:00:00Z' FROM boundary
                """)
            // Outcomes: an item of a session in 2024-Q1 deferred then, adopted in 2024-Q2 (so Q1
            // counts it deferred); a proposal moved at the very instant 2024-Q1 ends (a move of Q2).
            try await sql(dialogue, """
                WITH item AS (SELECT i.id FROM agenda_items i JOIN sessions s ON s.id = i.session_id
                              WHERE s.starts_at >= '2024-01-01' AND s.starts_at < '2024-03-01' AND i.corrects_item_id IS NULL
                              ORDER BY i.id LIMIT 1)
                INSERT INTO agenda_outcome_history (agenda_item_id, outcome, created_at)
                SELECT id, 'deferred', '2024-03-30T10:00:00Z'::timestamptz FROM item
                UNION ALL SELECT id, 'adopted', '2024-05-02T10:00:00Z' FROM item
                """)
            try await sql(dialogue, """
                WITH submitted AS (SELECT proposal_id AS id FROM proposal_transitions WHERE to_status = 'submitted'
                                   AND created_at < '2024-01-01' ORDER BY proposal_id OFFSET 1 LIMIT 1)
                INSERT INTO proposal_transitions (proposal_id, from_status, to_status, created_at)
                SELECT id, 'submitted', 'under_review', '2024-04-01T00:00:00Z'::timestamptz FROM submitted
                """)
            for direction in [nil, "media"] as [String?] {
                let report = try await dialogue.quarterlyReport(.cli(), quarter: "2024-Q3", direction: direction, audience: nil).report
                let trend = try #require(report.trend)
                #expect(trend.map(\.quarter) == ["2023-Q4", "2024-Q1", "2024-Q2"])
                for earlier in trend {
                    let own = try await dialogue.quarterlyReport(.cli(), quarter: earlier.quarter, direction: direction, audience: nil).report
                    #expect(Self.actions(earlier.total) == Self.actions(own.total), "\(earlier.quarter) \(direction ?? "all")")
                    #expect(earlier.directions.map { Self.actions($0.figures) } == own.directions.map { Self.actions($0.figures) })
                    #expect(earlier.total.proposalsByState == own.total.proposalsByState, "\(earlier.quarter) \(direction ?? "all")")
                    #expect(earlier.directions.map(\.figures.proposalsByState) == own.directions.map(\.figures.proposalsByState))
                    #expect(earlier.directions.map(\.figures.proposalTransitions) == own.directions.map(\.figures.proposalTransitions))
                    #expect(earlier.directions.map(\.figures.agendaOutcomes) == own.directions.map(\.figures.agendaOutcomes))
                    #expect(earlier.total.agendaOutcomes == own.total.agendaOutcomes, "\(earlier.quarter) \(direction ?? "all")")
                    // Moves counted per quarter the plain way: in the quarter, of proposals
                    // submitted by its end.
                    try await Self.expectMoves(own.total.proposalTransitions, dialogue, earlier.quarter, direction)
                    // The states are counted by a statement of their own; they count what the
                    // quarter's list shows, found the list's way.
                    var listed: [String: [String: Int]] = [:]
                    for proposal in own.proposals { listed[proposal.direction, default: [:]][proposal.status, default: 0] += 1 }
                    #expect(own.total.proposalsByState == listed.values.reduce(into: [:]) { $0.merge($1, uniquingKeysWith: +) })
                    for section in own.directions {
                        #expect(section.figures.proposalsByState == listed[section.slug] ?? [:], "\(earlier.quarter) \(section.slug)")
                    }
                }
                #expect(trend.contains { $0.total.actionsClosed > 0 && $0.total.actionsOverdueAtEnd > 0 && $0.total.actionsDoneOfDue > 0 })
                #expect(trend.contains { $0.total.proposalsByState.count >= 3 })
                #expect(trend.contains { $0.total.proposalTransitions.values.reduce(0, +) > 0 })
                #expect(trend.contains { $0.total.agendaOutcomes.values.reduce(0, +) > 0 })
            }
        }
    }

    /// The action items' part of a quarter's figures.
    static func actions(_ figures: QuarterlyReport.Figures) -> [String: Int] {
        var counts = figures.actionsByStatus
        counts["opened"] = figures.actionsOpened
        counts["closed"] = figures.actionsClosed
        counts["overdue"] = figures.actionsOverdueAtEnd
        counts["due"] = figures.actionsDueInQuarter
        counts["done of due"] = figures.actionsDoneOfDue
        return counts
    }

    /// The export hands its output on in bounded chunks as it reads (never the whole report at
    /// once), and the streamed formats agree with the same report written from memory, the way
    /// a frozen snapshot is re-issued.
    static func streamsInChunks(_ dialogue: Dialogue, _ inMemory: ExportedReport) async throws {
        let export = try dialogue.quarterlyExport(.cli(), quarter: "2024-Q2", direction: nil, audience: nil)
        for format in ["json", "csv", "html", "html-summary"] {
            let streamed = Recorder(), replayed = Recorder()
            func output(_ recorder: Recorder) -> ExportOutput {
                switch format {
                case "json": return .json(recorder.sink("json"))
                case "html": return .html(recorder.sink("html"), ReportPageOptions(detail: .full))
                case "html-summary": return .html(recorder.sink("html"), ReportPageOptions(detail: .summary, language: .be))
                default: return .csv(Dictionary(uniqueKeysWithValues: ReportCSV.tables.map { ($0, recorder.sink($0)) }))
                }
            }
            let sha256 = try await dialogue.writeQuarterlyExport(export, to: output(streamed))
            #expect(sha256 == inMemory.sha256)
            try await Dialogue.writeReport(inMemory, to: output(replayed))
            #expect(streamed.files == replayed.files, "\(format): streamed and replayed outputs are the same bytes")
            let chunks = streamed.chunkSizes
            if format == "html-summary" {
                #expect(streamed.files.values.reduce(0) { $0 + $1.count } < 200 * 1024, "the summary is a few pages, not the lists")
                continue
            }
            #expect(chunks.count >= 3, "\(format): \(chunks.count) chunks")
            #expect(chunks.max()! <= 80 * 1024, "\(format): chunks stay bounded, largest \(chunks.max()!) bytes")
        }
    }

    /// A quarter's proposal moves by state are those counted the plain way: made in it, of
    /// proposals submitted by its end.
    static func expectMoves(_ counted: [String: Int], _ dialogue: Dialogue, _ name: String, _ direction: String?) async throws {
        let quarter = try Quarter(parsing: name)
        let start = quarter.start, end = quarter.end
        let rows = try await dialogue.database.read { connection in
            try await connection.query("""
                SELECT t.to_status, count(*)::int8 FROM proposal_transitions t
                JOIN proposals p ON p.id = t.proposal_id JOIN working_groups g ON g.id = p.working_group_id
                WHERE t.created_at >= \(start) AND t.created_at < \(end)
                  AND (\(direction)::text IS NULL OR g.direction = \(direction)::text)
                  AND EXISTS (SELECT 1 FROM proposal_transitions s WHERE s.proposal_id = p.id
                              AND s.to_status = 'submitted' AND s.created_at < \(end))
                GROUP BY t.to_status
                """, logger: TestDatabases.logger).collect()
        }
        var counts: [String: Int] = [:]
        for row in rows {
            let (status, count) = try row.decode((String, Int).self)
            counts[status] = count
        }
        #expect(counted == counts, "\(name) \(direction ?? "all")")
    }
}

final class Recorder: Sendable {
    private let state = Mutex<(files: [String: Data], chunks: [Int])>(([:], []))

    func sink(_ name: String) -> ByteSink {
        { buffer in
            self.state.withLock { state in
                state.files[name, default: Data()].append(contentsOf: buffer.readableBytesView)
                state.chunks.append(buffer.readableBytes)
            }
        }
    }

    var files: [String: Data] { state.withLock { $0.files } }
    var chunkSizes: [Int] { state.withLock { $0.chunks } }
}
