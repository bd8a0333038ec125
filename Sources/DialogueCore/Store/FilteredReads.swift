import Logging
import PostgresNIO
import Synchronization

/// A list read whose WHERE clause holds only the filters a request gave, prepared once per
/// connection for each combination of them ("shape"). One catch-all statement with
/// `$n IS NULL OR …` for every filter had to be planned on every call, because no single plan
/// fits every combination; one statement per shape has a plan that fits, and PostgreSQL keeps
/// it. A list declares its parts in order; a request binds them in the same order.
protocol FilteredList {
    /// Names the list's prepared statements (with the shape appended).
    static var name: String { get }
    /// SELECT … WHERE <fixed conditions>: its parameters are written `$1`, `$2`, … and bound
    /// by `FilteredRead.init`; the filters may refer to them by number too.
    static var head: String { get }
    /// The optional conditions, each joined with AND when its filter is present. A `?`
    /// stands for the filter's next value, numbered when the statement is written.
    static var filters: [String] { get }
    /// The page's order, as ORDER BY takes it; plain columns of the head's select list,
    /// qualified or not (`x.created_at, x.id`). The page's size is bound by `FilteredRead.finish`.
    static var order: String { get }
    /// The head for a viewer who sees everything: the same parameters, each cast to the type
    /// it has in `head`, but with the condition on who may see a row replaced by one on the
    /// parameters alone (true for such a viewer, false for anyone else). Nil when the list has
    /// no such condition. See `FilteredRead.init(everyone:)`.
    static var headForEveryone: String? { get }
}

extension FilteredList {
    static var headForEveryone: String? { nil }

    /// The bit of a shape that says the read is for a viewer who sees everything.
    static var everyoneBit: UInt64 { 1 << UInt64(filters.count) }

    /// Where a shape's inner page size starts: three bits above `everyoneBit`, 0 for a read
    /// that takes its rows the plain way, n for `PageReads.sizes[n - 1]`.
    static var sizeShift: UInt64 { UInt64(filters.count) + 1 }
    static var sizeBits: UInt64 { 0b111 << sizeShift }

    /// The filter for keyset paging on `(time, id)` columns: rows after (`>`) or, newest
    /// first, before (`<`) a position given as microseconds since the epoch and an id.
    static func keyset(_ columns: String, _ comparison: String = ">") -> String {
        "(\(columns)) \(comparison) ('epoch'::timestamptz + ?::bigint * interval '1 microsecond', ?)"
    }

    /// The statement for one shape: bit `i` set means `filters[i]` is in it; `everyoneBit`,
    /// that it reads `headForEveryone`; `sizeBits`, the size of the inner read it takes its
    /// page from, if any.
    ///
    /// PostgreSQL keeps one plan for a prepared statement only when that plan is estimated no
    /// dearer than one made for the call's own values, and it guesses a tenth of all rows for
    /// a LIMIT it cannot see: with `LIMIT $n` alone, every read was planned again on every
    /// call (0.5-1.5 ms of a member's list on the portal's home page). A page is therefore
    /// taken from an inner read whose LIMIT is a constant no smaller than the page: then the
    /// kept plan costs what a fresh one would, and is kept. For a viewer who sees everything
    /// the head's condition is on the parameters alone as well, so nothing else varies.
    static func sql(shape: UInt64) -> String {
        let forEveryone = shape & everyoneBit != 0 ? headForEveryone : nil
        var parameter = highestParameter(in: head)
        func numbered(_ part: String) -> String {
            var text = ""
            for character in part {
                if character == "?" {
                    parameter += 1
                    text += "$\(parameter)"
                } else {
                    text.append(character)
                }
            }
            return text
        }
        var sql = forEveryone ?? head
        for (index, filter) in filters.enumerated() where shape & (1 << UInt64(index)) != 0 {
            sql += "\n  AND " + numbered(filter)
        }
        guard let size = PageReads.size(shape >> sizeShift & 0b111) else {
            return sql + "\nORDER BY \(order) LIMIT " + numbered("?")
        }
        // The inner read's columns, without their table's alias, in the same order.
        let pageOrder = order.replacingOccurrences(of: #"\b[a-z]+\."#, with: "", options: .regularExpression)
        return """
            SELECT * FROM (\(sql)
            ORDER BY \(order) LIMIT \(size)) page
            ORDER BY \(pageOrder) LIMIT \(numbered("?"))
            """
    }
}

/// The sizes of the inner reads pages are taken from (`FilteredList.sql(shape:)`): the
/// portal's and the API's usual pages, each with the row that tells whether another follows,
/// up to the largest page. Few, so that a connection prepares few statements per list.
enum PageReads {
    static let sizes = [11, 21, 51, 101, PageRequest.maximumLimit + 1]

    /// The size a shape's three size bits name; nil for a plain read.
    static func size(_ bits: UInt64) -> Int? {
        bits == 0 || bits > UInt64(sizes.count) ? nil : sizes[Int(bits) - 1]
    }

    /// The size bits for a read of `limit` rows: the smallest inner read that holds them, or 0.
    static func bits(for limit: Int) -> UInt64 {
        sizes.firstIndex { $0 >= limit }.map { UInt64($0 + 1) } ?? 0
    }
}

/// The head parameters of a list read as a viewer: `$1` whether they see everything, `$2`
/// their groups, `$3` themselves (the nil UUID for the operator).
enum ViewerParameters {
    /// The condition of a `headForEveryone` with these parameters: true for a viewer who sees
    /// everything, and it keeps the three parameters typed as the head's condition does.
    static let seesEverything = "$1::boolean AND $2::uuid[] IS NOT NULL AND $3::uuid IS NOT NULL"
}

/// The highest `$n` that `sql` refers to.
private func highestParameter(in sql: String) -> Int {
    var highest = 0
    var digits: Int?
    for character in sql + " " {
        if let digit = character.wholeNumberValue, let number = digits {
            digits = number * 10 + digit
        } else {
            if let number = digits { highest = max(highest, number) }
            digits = character == "$" ? 0 : nil
        }
    }
    return highest
}

/// The values of one read of a `FilteredList`, and which filters it has.
struct FilteredRead<List: FilteredList> {
    private(set) var shape: UInt64 = 0
    private(set) var bindings = PostgresBindings()
    private var nextFilter = 0

    /// Binds the head's parameters, `$1` onwards. `everyone`: the viewer sees everything, so
    /// the list's `headForEveryone` serves, if it has one.
    init(everyone: Bool = false, _ values: any PostgresEncodable & Sendable...) throws {
        if everyone, List.headForEveryone != nil { shape = List.everyoneBit }
        for value in values { try bindings.append(value) }
    }

    /// The next filter of `List.filters`: present with its values, or absent (nil).
    mutating func filter(_ values: [any PostgresEncodable & Sendable]?) throws {
        defer { nextFilter += 1 }
        guard let values else { return }
        shape |= 1 << UInt64(nextFilter)
        for value in values { try bindings.append(value) }
    }

    /// A filter with one value, present when the value is.
    mutating func filter<Value: PostgresEncodable & Sendable>(_ value: Value?) throws {
        try filter(value.map { [$0] })
    }

    /// The keyset filter (`FilteredList.keyset`): rows after the page's last one, if any.
    mutating func filter(after position: KeysetPosition?) throws {
        try filter(position.map { [$0.createdAtMicros, $0.id] })
    }

    /// Binds how many rows to read, after every filter has been given.
    mutating func finish(limit: Int) throws {
        // A list whose reads do not give every filter is a mistake in this code; it fails the
        // request (500), never the process.
        guard nextFilter == List.filters.count else {
            throw FilteredListMismatch(list: List.name, given: nextFilter, declared: List.filters.count)
        }
        // The smallest inner read that holds the page; more rows than the largest holds are
        // read the plain way, with the head every viewer's read has.
        let size = PageReads.bits(for: limit)
        if size == 0 { shape &= ~List.everyoneBit }
        shape |= size << List.sizeShift
        try bindings.append(limit)
    }
}

struct FilteredListMismatch: Error, CustomStringConvertible {
    let list: String, given: Int, declared: Int
    var description: String { "\(list): \(given) filters given, \(declared) declared" }
}

extension PostgresConnection {
    /// Runs the read as the prepared statement of its shape.
    func rows<List: FilteredList>(_ read: FilteredRead<List>, logger: Logger) async throws -> [PostgresRow] {
        func run<Shape: ShapeBits>(_: Shape.Type) async throws -> [PostgresRow] {
            try await rows(ShapedStatement<List, Shape>(bindings: read.bindings), logger: logger)
        }
        return try await run(shapeType(read.shape))
    }
}

/// A shape as a type, one generic layer per bit, because PostgresNIO names a prepared
/// statement after its type: `Bit1<Bit0<NoBits>>` is shape 0b10.
protocol ShapeBits: SendableMetatype { static var bits: UInt64 { get } }
enum NoBits: ShapeBits { static var bits: UInt64 { 0 } }
enum Bit0<Higher: ShapeBits>: ShapeBits { static var bits: UInt64 { Higher.bits << 1 } }
enum Bit1<Higher: ShapeBits>: ShapeBits { static var bits: UInt64 { Higher.bits << 1 | 1 } }

/// The type of a shape, made once per shape: each layer is a generic-metadata lookup.
private func shapeType(_ shape: UInt64) -> any ShapeBits.Type {
    if let type = ShapeTypes.made.withLock({ $0[shape] }) { return type }
    func zero<Higher: ShapeBits>(_: Higher.Type) -> any ShapeBits.Type { Bit0<Higher>.self }
    func one<Higher: ShapeBits>(_: Higher.Type) -> any ShapeBits.Type { Bit1<Higher>.self }
    var type: any ShapeBits.Type = NoBits.self
    var bit = UInt64.bitWidth - shape.leadingZeroBitCount
    while bit > 0 {
        bit -= 1
        type = shape & (1 << UInt64(bit)) != 0 ? one(type) : zero(type)
    }
    ShapeTypes.made.withLock { $0[shape] = type }
    return type
}

private enum ShapeTypes {
    static let made = Mutex<[UInt64: any ShapeBits.Type]>([:])
}

private struct ShapedStatement<List: FilteredList, Shape: ShapeBits>: PreparedRead {
    static var name: String { Statements.text(of: self).name }
    static var sql: String { Statements.text(of: self).sql }
    let bindings: PostgresBindings
}

/// Each shape's name and SQL, written once: PostgresNIO asks for both on every execution.
private enum Statements {
    static let written = Mutex<[ObjectIdentifier: (name: String, sql: String)]>([:])

    static func text<List, Shape>(of statement: ShapedStatement<List, Shape>.Type) -> (name: String, sql: String) {
        let key = ObjectIdentifier(statement)
        if let text = written.withLock({ $0[key] }) { return text }
        let text = (name: "\(List.name)#\(Shape.bits)", sql: List.sql(shape: Shape.bits))
        written.withLock { $0[key] = text }
        return text
    }
}
