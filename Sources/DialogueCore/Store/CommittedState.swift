import PostgresNIO

/// What a statement saw of the database besides its parameters: PostgreSQL's snapshot of
/// committed transactions, and today's date in UTC (the only clock a cached read may depend
/// on: an action item is overdue from the day after its due date).
///
/// A snapshot names the set of transactions whose writes a statement sees. That set only
/// grows: once any transaction commits or aborts, no later statement takes an equal snapshot
/// again. So a statement that sees the snapshot it saw before knows that nothing at all was
/// written in between, by any client, audited or not, on any instance. A read is a function of
/// its caller's credential, its arguments, the rows and the date; under an equal
/// `CommittedState` it gives the same answer, access decision included. That is what lets a
/// response be reused (the API's `ReadMemo`) while its credential is still checked on every
/// request.
public struct CommittedState: Hashable, Sendable {
    /// `pg_current_snapshot()` as text: xmin:xmax:running xids.
    let snapshot: String
    /// YYYY-MM-DD, in UTC.
    let date: String

    init(snapshot: String, date: String) {
        self.snapshot = snapshot
        self.date = date
    }

    init(_ cells: PostgresRandomAccessRow, from first: Int) throws {
        snapshot = try cells[first].decode(String.self)
        date = try cells[first + 1].decode(String.self)
    }
}
