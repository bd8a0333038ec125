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
        try await withTestDatabase { configuration in
            try await withDatabase(configuration) { database in
                try await database.read { connection in
                    var prepared = 0
                    for list in Self.lists {
                        let shapes = UInt64(1) << UInt64(list.filters.count + (list.headForEveryone == nil ? 0 : 1))
                        for shape in 0..<shapes {
                            let sql = list.sql(shape: shape)
                            try await connection.query(PostgresQuery(unsafeSQL: "PREPARE shape AS \(sql)"), logger: database.logger)
                            try await connection.query("DEALLOCATE shape", logger: database.logger)
                            prepared += 1
                        }
                    }
                    #expect(prepared == 2 * 512 + 2 * 64 + 2 * 32 + 128 + 4, "reads for everyone: action items, sessions, participants")
                }
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
        try read.finish(limit: 21)
        let sql = ActionItemList.sql(shape: read.shape)
        #expect(read.shape == 0b1_0000_0010)
        #expect(sql.contains("AND x.owner_id = $4 AND ($1 OR o.kind <> 'in_country_proxy' OR o.id = $3)"))
        #expect(sql.contains("$5::bigint * interval '1 microsecond', $6)"))
        #expect(sql.hasSuffix("LIMIT $7"))
        #expect(read.bindings.count == 7)
        #expect(!sql.contains("x.status = "), "an absent filter is not in the statement")
    }

    @Test("a read for everyone returns the plain read's rows in its order, at every page size; for anyone else, none")
    func everyoneReadsTheSameRows() async throws {
        try await withDialogue { dialogue in
            // 600 action items, more than the largest read.
            _ = try await BenchSeed(database: dialogue.database).run(scale: 0.002) { _ in }
            let logger = dialogue.database.logger
            try await dialogue.database.read { connection in
                /// The ids a read returns (every list's first column), and whether it was read for everyone.
                func ids<List: FilteredList>(
                    _: List.Type, everyone: Bool, seesEverything: Bool = true, limit: Int,
                    _ filters: (inout FilteredRead<List>) throws -> Void
                ) async throws -> (ids: [UUID], forEveryone: Bool) {
                    var read = try FilteredRead<List>(everyone: everyone, seesEverything, [UUID](), Prepared.nobody)
                    try filters(&read)
                    try read.finish(limit: limit)
                    let rows = try await connection.rows(read, logger: logger)
                    return (try rows.map { try $0.decode(UUID.self) }, read.shape & List.everyoneBit != 0)
                }
                func same<List: FilteredList>(
                    _ list: List.Type, _ what: String, _ filters: (inout FilteredRead<List>) throws -> Void
                ) async throws {
                    for limit in [1, 21, 51, FilteredRead<List>.largestRead, FilteredRead<List>.largestRead + 1] {
                        let plain = try await ids(list, everyone: false, limit: limit, filters)
                        let everyone = try await ids(list, everyone: true, limit: limit, filters)
                        #expect(!plain.forEveryone && everyone.forEveryone == (limit <= FilteredRead<List>.largestRead))
                        #expect(everyone.ids == plain.ids, "\(List.name), \(what), limit \(limit)")
                        #expect(!plain.ids.isEmpty && plain.ids.count <= limit, "\(List.name), \(what)")
                        let stranger = try await ids(list, everyone: true, seesEverything: false, limit: limit, filters)
                        #expect(stranger.ids.isEmpty, "the head for everyone reads nothing for a viewer who does not see everything")
                    }
                }
                let first = try await ids(ActionItemList.self, everyone: false, limit: 40) { read in
                    for _ in ActionItemList.filters { try read.filter(nil as String?) }
                }
                let middle = try #require(first.ids.last)
                let position = try await connection.query(
                    "SELECT (extract(epoch FROM created_at) * 1000000)::bigint FROM action_items WHERE id = \(middle)", logger: logger
                ).collect().first?.decode(Int64.self)
                try await same(ActionItemList.self, "no filter") { read in
                    for _ in ActionItemList.filters { try read.filter(nil as String?) }
                }
                try await same(ActionItemList.self, "open items of one direction, after a page") { read in
                    try read.filter(nil as String?)
                    try read.filter(nil as UUID?)
                    try read.filter(nil as UUID?)
                    try read.filter("media")
                    try read.filter(nil as Bool?)
                    try read.filter(nil as String?)
                    try read.filter(false)
                    try read.filter(nil as UUID?)
                    try read.filter(after: position.map { KeysetPosition(createdAtMicros: $0, id: middle) })
                }
                try await same(SessionList.self, "no filter") { read in
                    for _ in 0..<(SessionList.filters.count - 1) { try read.filter(nil as String?) }
                    try read.filter(after: nil)
                }
                try await same(ParticipantList.self, "active ones") { read in
                    try read.filter(nil as String?)
                    try read.filter(nil as UUID?)
                    try read.filter(ParticipantStatus.active)
                    try read.filter(nil as String?)
                    try read.filter(after: nil)
                }
            }
        }
    }

    @Test("a read that leaves a declared filter out is refused before it reaches PostgreSQL")
    func everyFilterMustBeGiven() throws {
        var read = try FilteredRead<OrganizationList>()
        try read.filter(nil as String?)
        #expect(throws: FilteredListMismatch.self) { try read.finish(limit: 21) }
    }
}
