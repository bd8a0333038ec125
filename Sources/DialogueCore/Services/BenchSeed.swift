import Foundation
import PostgresNIO

/// A realistic, deterministic dataset for benchmarks and scale tests (`seed bench`): at scale 1
/// about 50 groups, 5,000 participants, 20,000 sessions, 200,000 agenda items, 50,000
/// proposals with histories and 300,000 action items with updates, spread over five years
/// (2022-2026). Written set-based (UNNEST batches), bypassing the services: it is test data,
/// so it carries no audit rows.
public struct BenchSeed: Sendable {
    public struct Report: Sendable {
        public var rows: [(table: String, count: Int)]
        public var seconds: Double
        public var total: Int { rows.map(\.count).reduce(0, +) }
    }

    /// SplitMix64: the same scale always yields the same data.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func chance(_ percent: Int) -> Bool { int(0..<100) < percent }
        mutating func uuid() -> UUID {
            let a = next(), b = next()
            var bytes = withUnsafeBytes(of: a.bigEndian) { Array($0) } + withUnsafeBytes(of: b.bigEndian) { Array($0) }
            bytes[6] = (bytes[6] & 0x0f) | 0x40
            bytes[8] = (bytes[8] & 0x3f) | 0x80
            return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        }
    }

    /// One column of a batch, bound as one array parameter.
    enum Column {
        case uuid([UUID])
        case text([String])
        case int([Int])
        case time([Date])

        var sqlType: String {
            switch self {
            case .uuid: return "uuid[]"
            case .text: return "text[]"
            case .int: return "int8[]"
            case .time: return "timestamptz[]"
            }
        }

        func bind(_ bindings: inout PostgresBindings) {
            switch self {
            case .uuid(let values): bindings.append(values)
            case .text(let values): bindings.append(values)
            case .int(let values): bindings.append(values)
            case .time(let values): bindings.append(values)
            }
        }
    }

    let database: Database
    let logger: Logger

    public init(database: Database) {
        self.database = database
        self.logger = database.logger
    }

    /// Inserts `select` over the unnested columns, in one statement.
    func insert(_ connection: PostgresConnection, _ table: String, _ columns: [String], _ select: String, _ values: [Column]) async throws {
        var bindings = PostgresBindings()
        values.forEach { $0.bind(&bindings) }
        let unnest = values.enumerated().map { "$\($0.offset + 1)::\($0.element.sqlType)" }.joined(separator: ", ")
        let names = columns.joined(separator: ", ")
        let sql = "INSERT INTO \(table) (\(names)) SELECT \(select) FROM unnest(\(unnest)) AS x(\(values.indices.map { "c\($0)" }.joined(separator: ", ")))"
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }

    public func run(scale: Double, progress: @escaping @Sendable (String) -> Void) async throws -> Report {
        guard scale > 0, scale <= 10 else { throw DomainError.invalid("scale", "must be more than 0 and at most 10") }
        @Sendable func count(_ base: Int, minimum: Int = 1) -> Int { max(minimum, Int((Double(base) * scale).rounded())) }
        let started = ContinuousClock.now
        let start = Quarter(year: 2022, number: 1).start.timeIntervalSince1970
        let span = Quarter(year: 2027, number: 1).start.timeIntervalSince1970 - start
        let now = Date()
        @Sendable func moment(_ r: inout Generator) -> Date { Date(timeIntervalSince1970: start + Double(r.int(0..<Int(span)))) }
        let slugs = Dialogue.directionSlugs

        let rows: [(String, Int)] = try await database.transaction { connection in
            var random = Generator(state: 42)
            var rows: [(String, Int)] = []
            // Organizations and participants.
            let organizations = (0..<count(40, minimum: 3)).map { _ in random.uuid() }
            let sides = organizations.indices.map { ["government", "movement", "partner"][$0 % 3] }
            try await insert(connection, "organizations", ["id", "name", "side"], "c0, 'Organization ' || c2, c1",
                             [.uuid(organizations), .text(sides), .text(organizations.indices.map(String.init))])
            let people = (0..<count(5000, minimum: 10)).map { _ in random.uuid() }
            let kinds = people.indices.map { index -> String in
                switch index % 5 { case 0, 1: return "diaspora"; case 2: return "in_country_proxy"; default: return "official" }
            }
            let orgOf = people.indices.map { kinds[$0] == "in_country_proxy" ? "" : organizations[$0 % organizations.count].uuidString }
            try await insert(connection, "participants", ["id", "display_name", "kind", "organization_id", "timezone", "languages"],
                             "c0, 'Participant ' || c3, c1, nullif(c2, '')::uuid, 'Europe/Vilnius', '{be,en}'",
                             [.uuid(people), .text(kinds), .text(orgOf), .text(people.indices.map(String.init))])
            rows += [("organizations", organizations.count), ("participants", people.count)]
            progress("participants: \(people.count)")

            // Working groups, with members (two chairs each).
            let groups = (0..<count(50, minimum: 6)).map { _ in random.uuid() }
            try await insert(connection, "working_groups", ["id", "direction", "name"], "c0, c1, 'Group ' || c2",
                             [.uuid(groups), .text(groups.indices.map { slugs[$0 % slugs.count] }), .text(groups.indices.map(String.init))])
            var memberGroup: [UUID] = [], memberPerson: [UUID] = [], memberRole: [String] = []
            var seen = Set<String>()
            for (index, person) in people.enumerated() {
                for k in 0..<(1 + index % 3) {
                    let group = groups[(index + k * 7) % groups.count]
                    guard seen.insert("\(group)\(person)").inserted else { continue }
                    memberGroup.append(group); memberPerson.append(person)
                    memberRole.append(index < groups.count * 2 ? "chair" : "member")
                }
            }
            try await insert(connection, "memberships", ["working_group_id", "participant_id", "role"], "c0, c1, c2",
                             [.uuid(memberGroup), .uuid(memberPerson), .text(memberRole)])
            rows += [("working_groups", groups.count), ("memberships", memberGroup.count)]

            // Sessions over five years; the past ones held or cancelled, with their transitions.
            let sessions = (0..<count(20000, minimum: 20)).map { _ in random.uuid() }
            var sessionGroup: [String] = [], sessionKind: [String] = [], starts: [Date] = [], status: [String] = []
            for index in sessions.indices {
                let kind = index % 10 == 0 ? (index % 40 == 0 ? "plenary" : "quarterly") : "working_group"
                sessionKind.append(kind)
                sessionGroup.append(kind == "working_group" ? groups[index % groups.count].uuidString : "")
                let at = moment(&random)
                starts.append(at)
                status.append(at < now ? (random.chance(90) ? "held" : "cancelled") : "planned")
            }
            try await insert(connection, "sessions",
                             ["id", "kind", "working_group_id", "title", "starts_at", "ends_at", "timezone", "status", "created_at"],
                             "c0, c1, nullif(c2, '')::uuid, 'Session ' || c4, c3, c3 + interval '2 hours', 'Europe/Vilnius', c5, c3 - interval '30 days'",
                             [.uuid(sessions), .text(sessionKind), .text(sessionGroup), .time(starts), .text(sessions.indices.map(String.init)), .text(status)])
            let decided = sessions.indices.filter { status[$0] != "planned" }
            try await insert(connection, "session_transitions", ["session_id", "from_status", "to_status", "created_at"],
                             "c0, 'planned', c1, c2", [.uuid(decided.map { sessions[$0] }), .text(decided.map { status[$0] }), .time(decided.map { starts[$0] })])
            rows += [("sessions", sessions.count), ("session_transitions", decided.count)]
            progress("sessions: \(sessions.count)")

            // Agenda items: about ten a session, outcomes on held sessions.
            let itemTotal = count(200_000, minimum: 100)
            var itemIDs: [UUID] = [], itemSession: [UUID] = [], itemPosition: [Int] = [], itemOutcome: [String] = [], itemAt: [Date] = []
            var positions = [Int](repeating: 0, count: sessions.count)
            for index in 0..<itemTotal {
                let s = index % sessions.count
                positions[s] += 1
                itemIDs.append(random.uuid()); itemSession.append(sessions[s]); itemPosition.append(positions[s])
                itemOutcome.append(status[s] == "held" ? ["adopted", "rejected", "deferred", "noted"][random.int(0..<4)] : "")
                itemAt.append(starts[s].addingTimeInterval(3600))
            }
            for batch in stride(from: 0, to: itemIDs.count, by: 20_000) {
                let range = batch..<min(batch + 20_000, itemIDs.count)
                try await insert(connection, "agenda_items", ["id", "session_id", "position", "title", "duration_minutes", "outcome"],
                                 "c0, c1, c2, 'Item ' || c2, 15, nullif(c3, '')",
                                 [.uuid(Array(itemIDs[range])), .uuid(Array(itemSession[range])), .int(Array(itemPosition[range])), .text(Array(itemOutcome[range]))])
                let decidedItems = range.filter { !itemOutcome[$0].isEmpty }
                try await insert(connection, "agenda_outcome_history", ["agenda_item_id", "outcome", "created_at"], "c0, c1, c2",
                                 [.uuid(decidedItems.map { itemIDs[$0] }), .text(decidedItems.map { itemOutcome[$0] }), .time(decidedItems.map { itemAt[$0] })])
            }
            rows += [("agenda_items", itemIDs.count)]
            progress("agenda items: \(itemIDs.count)")

            // Proposals, each with the history that led to its state.
            let path = ["submitted", "under_review", "accepted", "scheduled", "adopted"]
            let proposals = (0..<count(50000, minimum: 20)).map { _ in random.uuid() }
            var proposalAt: [Date] = [], proposalStatus: [String] = []
            var tProposal: [UUID] = [], tFrom: [String] = [], tTo: [String] = [], tAt: [Date] = []
            for proposal in proposals {
                let created = moment(&random)
                let steps = random.int(1..<(path.count + 1))
                var from = "draft"
                for step in 0..<steps {
                    tProposal.append(proposal); tFrom.append(from); tTo.append(path[step])
                    tAt.append(created.addingTimeInterval(Double(step + 1) * 86400 * 7))
                    from = path[step]
                }
                proposalAt.append(created); proposalStatus.append(from)
            }
            let authors = proposals.indices.map { people[$0 % people.count] }
            try await insert(connection, "proposals", ["id", "working_group_id", "title", "summary", "kind", "scale", "author_id", "status", "created_at"],
                             "c0, c1, 'Proposal ' || c5, 'A concrete step', 'policy', 'small', c2, c3, c4",
                             [.uuid(proposals), .uuid(proposals.indices.map { groups[$0 % groups.count] }), .uuid(authors),
                              .text(proposalStatus), .time(proposalAt), .text(proposals.indices.map(String.init))])
            for batch in stride(from: 0, to: tProposal.count, by: 50_000) {
                let range = batch..<min(batch + 50_000, tProposal.count)
                try await insert(connection, "proposal_transitions", ["proposal_id", "automatic", "from_status", "to_status", "created_at"],
                                 "c0, false, c1, c2, c3",
                                 [.uuid(Array(tProposal[range])), .text(Array(tFrom[range])), .text(Array(tTo[range])), .time(Array(tAt[range]))])
            }
            rows += [("proposals", proposals.count), ("proposal_transitions", tProposal.count)]
            progress("proposals: \(proposals.count)")

            // Action items with their updates.
            let actionTotal = count(300_000, minimum: 50)
            for batch in stride(from: 0, to: actionTotal, by: 30_000) {
                let size = min(30_000, actionTotal - batch)
                var ids: [UUID] = [], due: [String] = [], created: [Date] = [], final: [String] = [], progressValues: [Int] = []
                for _ in 0..<size {
                    let at = moment(&random)
                    ids.append(random.uuid()); created.append(at)
                    due.append(RFC3339.dateString(from: at.addingTimeInterval(Double(random.int(7..<120)) * 86400)))
                    let state = ["open", "in_progress", "blocked", "done", "dropped"][random.int(0..<5)]
                    final.append(state); progressValues.append(state == "done" ? 100 : random.int(0..<100))
                }
                try await insert(connection, "action_items",
                                 ["id", "working_group_id", "title", "owner_id", "due_on", "status", "progress", "created_at"],
                                 "c0, c1, 'Follow-up ' || c0, c2, c3::date, c4, c5, c6",
                                 [.uuid(ids), .uuid(ids.indices.map { groups[($0 + batch) % groups.count] }),
                                  .uuid(ids.indices.map { people[($0 * 7 + batch) % people.count] }), .text(due), .text(final),
                                  .int(progressValues), .time(created)])
                try await insert(connection, "action_item_updates", ["action_item_id", "to_status", "to_progress", "created_at"],
                                 "c0, 'open', 0, c1", [.uuid(ids), .time(created)])
                let moved = ids.indices.filter { final[$0] != "open" }
                try await insert(connection, "action_item_updates", ["action_item_id", "from_status", "to_status", "to_progress", "note", "created_at"],
                                 "c0, 'open', c1, c2, 'progress report', c3",
                                 [.uuid(moved.map { ids[$0] }), .text(moved.map { final[$0] }), .int(moved.map { progressValues[$0] }),
                                  .time(moved.map { created[$0].addingTimeInterval(14 * 86400) })])
                rows += [("action_items", size), ("action_item_updates", size + moved.count)]
                progress("action items: \(batch + size)")
            }
            return rows
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var merged: [String: Int] = [:]
        var order: [String] = []
        for (table, count) in rows {
            if merged[table] == nil { order.append(table) }
            merged[table, default: 0] += count
        }
        return Report(rows: order.map { ($0, merged[$0, default: 0]) }, seconds: seconds)
    }
}
