@testable import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite("Filtered lists: one prepared statement per shape")
struct FilteredListTests {
    static let lists: [any FilteredList.Type] = [
        ActionItemList.self, SessionList.self, ParticipantList.self, ProposalList.self, OrganizationList.self,
    ]

    @Test("every combination of filters of every list is a statement PostgreSQL accepts")
    func everyShapePrepares() async throws {
        let configuration = try await TestDatabases.shared.migratedDatabase()
        try await withDatabase(configuration) { database in
            try await database.read { connection in
                var prepared = 0
                for list in Self.lists {
                    for shape in 0..<(UInt64(1) << UInt64(list.filters.count)) {
                        let sql = list.sql(shape: shape)
                        try await connection.query(PostgresQuery(unsafeSQL: "PREPARE shape AS \(sql)"), logger: database.logger)
                        try await connection.query("DEALLOCATE shape", logger: database.logger)
                        prepared += 1
                    }
                }
                #expect(prepared == 512 + 64 + 32 + 128 + 4)
            }
        }
    }

    @Test("a filter's values are numbered after the head's and those of the filters before it")
    func parametersAreNumberedInOrder() throws {
        var read = try FilteredRead<ActionItemList>(true, [UUID](), UUID())
        try read.filter(nil as ActionStatus?)
        try read.filter(UUID())  // owner
        for _ in 0..<6 { try read.filter(nil as String?) }
        try read.filter(after: KeysetPosition(createdAtMicros: 1, id: UUID()))
        try read.finish(21)
        let sql = ActionItemList.sql(shape: read.shape)
        #expect(read.shape == 0b1_0000_0010)
        #expect(sql.contains("AND x.owner_id = $4 AND ($1 OR o.kind <> 'in_country_proxy' OR o.id = $3)"))
        #expect(sql.contains("$5::bigint * interval '1 microsecond', $6)"))
        #expect(sql.hasSuffix("LIMIT $7"))
        #expect(read.bindings.count == 7)
        #expect(!sql.contains("x.status = "), "an absent filter is not in the statement")
    }

    @Test("a read that leaves a declared filter out is refused before it reaches PostgreSQL")
    func everyFilterMustBeGiven() throws {
        var read = try FilteredRead<OrganizationList>()
        try read.filter(nil as String?)
        #expect(throws: FilteredListMismatch.self) { try read.finish(21) }
    }
}
