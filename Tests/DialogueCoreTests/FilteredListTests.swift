@testable import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite("Filtered lists: one prepared statement per shape")
struct FilteredListTests {
    static let lists: [any FilteredList.Type] = [
        ActionItemList.self, SessionList.self, ParticipantList.self, ProposalList.self, OrganizationList.self,
        OwnOpenActionItemList.self,
    ]

    @Test("every combination of filters of every list is a statement PostgreSQL accepts")
    func everyShapePrepares() async throws {
        try await withTestDatabase { configuration in
            try await withDatabase(configuration) { database in
                try await database.read { connection in
                    var prepared = 0
                    for list in Self.lists {
                        let shapes = UInt64(1) << UInt64(list.filters.count + (list.headForEveryone == nil ? 0 : 1))
                        // Plain, and paged from the smallest and the largest inner read: the
                        // sizes differ only in a constant.
                        for shape in 0..<shapes {
                            for size in [0, 1, UInt64(PageReads.sizes.count)] {
                                let sql = list.sql(shape: shape | size << list.sizeShift)
                                try await connection.query(PostgresQuery(unsafeSQL: "PREPARE shape AS \(sql)"), logger: database.logger)
                                try await connection.query("DEALLOCATE shape", logger: database.logger)
                                prepared += 1
                            }
                        }
                    }
                    #expect(
                        prepared == 3 * (2 * 512 + 2 * 64 + 2 * 32 + 128 + 4 + 2),
                        "reads for everyone: action items, sessions, participants, one's own open items")
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
        #expect(read.shape == 0b10_0_1_0000_0010, "owner, keyset; not for everyone; paged from the inner read of 21")
        #expect(sql.contains("AND x.owner_id = $4 AND ($1 OR o.kind <> 'in_country_proxy' OR o.id = $3)"))
        #expect(sql.contains("$5::bigint * interval '1 microsecond', $6)"))
        #expect(sql.hasSuffix("LIMIT $7"))
        #expect(read.bindings.count == 7)
        #expect(!sql.contains("x.status = "), "an absent filter is not in the statement")
    }

    @Test("a page taken from an inner read has the plain read's rows in its order, at every page size, for everyone and for a member; the head for everyone reads nothing for anyone else")
    func pagedReadsReadTheSameRows() async throws {
        try await withDialogue { dialogue in
            // 600 action items, more than the largest read.
            _ = try await BenchSeed(database: dialogue.database).run(scale: 0.002) { _ in }
            let logger = dialogue.database.logger
            try await dialogue.database.read { connection in
                let (member, groups) = try #require(try await connection.query("""
                    SELECT participant_id, array_agg(working_group_id) FROM memberships GROUP BY participant_id ORDER BY 1 LIMIT 1
                    """, logger: logger).collect().first?.decode((UUID, [UUID]).self))
                /// The ids a read returns (every list's first column) as its prepared statement reads
                /// them and as the plain statement of the same filters does, and its shape.
                /// The head's values of the lists that start with the viewer's parameters
                /// (`ViewerParameters`); the proposals' start with the viewer's own id.
                func viewer<List: FilteredList>(everyone: Bool, seesEverything: Bool) throws -> FilteredRead<List> {
                    let (sees, ids, id) = seesEverything ? (true, [UUID](), Prepared.nobody) : (false, groups, member)
                    return List.self == ProposalList.self
                        ? try FilteredRead<List>(everyone: everyone, id, sees, ids)
                        : try FilteredRead<List>(everyone: everyone, sees, ids, id)
                }
                func ids<List: FilteredList>(
                    _: List.Type, everyone: Bool, seesEverything: Bool, limit: Int,
                    _ filters: (inout FilteredRead<List>) throws -> Void
                ) async throws -> (ids: [UUID], plain: [UUID], shape: UInt64) {
                    var read: FilteredRead<List> = try viewer(everyone: everyone, seesEverything: seesEverything)
                    try filters(&read)
                    try read.finish(limit: limit)
                    let rows = try await connection.rows(read, logger: logger)
                    let plainSQL = List.sql(shape: read.shape & ~List.everyoneBit & ~List.sizeBits)
                    let plain = try await connection.query(PostgresQuery(unsafeSQL: plainSQL, binds: read.bindings), logger: logger)
                    return (try rows.map { try $0.decode(UUID.self) }, try await plain.collect().map { try $0.decode(UUID.self) }, read.shape)
                }
                func same<List: FilteredList>(
                    _ list: List.Type, _ what: String, _ filters: (inout FilteredRead<List>) throws -> Void
                ) async throws {
                    let largest = PageRequest.maximumLimit + 1
                    for limit in [1, 11, 12, 21, 51, 101, largest, largest + 1] {
                        let everyone = try await ids(list, everyone: true, seesEverything: true, limit: limit, filters)
                        #expect(everyone.shape & List.sizeBits != 0 || limit > largest)
                        #expect(everyone.shape & List.everyoneBit != 0 || limit > largest || List.headForEveryone == nil)
                        #expect(everyone.ids == everyone.plain, "\(List.name), \(what), for everyone, limit \(limit)")
                        #expect(!everyone.ids.isEmpty && everyone.ids.count <= limit, "\(List.name), \(what)")
                        let asMember = try await ids(list, everyone: false, seesEverything: false, limit: limit, filters)
                        #expect(asMember.ids == asMember.plain, "\(List.name), \(what), as a member, limit \(limit)")
                        #expect(!asMember.ids.isEmpty, "\(List.name), \(what): a member sees some")
                        if List.headForEveryone == nil { continue }
                        let stranger = try await ids(list, everyone: true, seesEverything: false, limit: min(limit, largest), filters)
                        #expect(stranger.ids.isEmpty, "the head for everyone reads nothing for a viewer who does not see everything")
                    }
                }
                let first = try await ids(ActionItemList.self, everyone: false, seesEverything: true, limit: 40) { read in
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
                try await same(ProposalList.self, "submitted ones") { read in
                    for _ in 0..<3 { try read.filter(nil as String?) }
                    try read.filter(ProposalStatus.submitted)
                    try read.filter(nil as String?)
                    try read.filter(nil as UUID?)
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
