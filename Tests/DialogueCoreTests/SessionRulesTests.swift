import DialogueCore
import Foundation
import Testing

@Suite("Session rules: time zones, quarters, life cycle")
struct SessionRulesTests {
    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("local wall time becomes the right instant across daylight-saving changes")
    func localTimes() throws {
        // 28 March 2027: Vilnius moves from UTC+2 to UTC+3 at 03:00 local.
        #expect(try SessionRules.instant(localStart: "2027-03-28T10:00", timezone: "Europe/Vilnius") == Self.utc("2027-03-28T07:00:00Z"))
        #expect(try SessionRules.instant(localStart: "2027-03-27T10:00", timezone: "Europe/Vilnius") == Self.utc("2027-03-27T08:00:00Z"))
        // Washington changed two weeks earlier (14 March 2027).
        #expect(try SessionRules.instant(localStart: "2027-03-20T09:00", timezone: "America/New_York") == Self.utc("2027-03-20T13:00:00Z"))
        // Minsk keeps UTC+3 all year.
        #expect(try SessionRules.instant(localStart: "2027-07-01T12:00", timezone: "Europe/Minsk") == Self.utc("2027-07-01T09:00:00Z"))
        // Clocks going back (31 October 2027, 04:00 → 03:00 in Vilnius): 03:30 happens twice; the first is taken.
        #expect(try SessionRules.instant(localStart: "2027-10-31T03:30", timezone: "Europe/Vilnius") == Self.utc("2027-10-31T00:30:00Z"))
    }

    @Test("a local time skipped by the clocks is refused with a message that says so")
    func skippedLocalTime() {
        #expect(throws: DomainError.invalid(
            "local_start", "2027-03-28T03:30 does not exist in Europe/Vilnius: the clocks skip that hour for daylight-saving time")) {
            try SessionRules.instant(localStart: "2027-03-28T03:30", timezone: "Europe/Vilnius")
        }
        #expect(throws: DomainError.self) { try SessionRules.instant(localStart: "2027-02-30T10:00", timezone: "Europe/Vilnius") }
        #expect(throws: DomainError.self) { try SessionRules.instant(localStart: "0000-01-01T10:00", timezone: "Europe/Vilnius") }
        #expect(throws: DomainError.self) { try SessionRules.instant(localStart: "2027-01-01T10:00", timezone: "Europe/Atlantis") }
        #expect(throws: DomainError.self) { try SessionRules.instant(localStart: "tomorrow", timezone: "UTC") }
    }

    @Test("quarters are UTC calendar quarters written 2026-Q4")
    func quarters() throws {
        let quarter = try Quarter(parsing: "2026-Q4")
        #expect(quarter.start == Self.utc("2026-10-01T00:00:00Z"))
        #expect(quarter.end == Self.utc("2027-01-01T00:00:00Z"))
        #expect(Quarter(containing: Self.utc("2026-12-31T23:59:59Z")).description == "2026-Q4")
        #expect(Quarter(containing: Self.utc("2027-01-01T00:00:00Z")).description == "2027-Q1")
        for bad in ["2026-Q5", "2026Q4", "26-Q1", "2026-Q0", "9999-Q1"] {
            #expect(throws: DomainError.self) { try Quarter(parsing: bad) }
        }
    }

    @Test("the session life cycle allows only its own moves and names them when refusing")
    func lifeCycle() throws {
        try SessionRules.checkTransition(from: .planned, to: .confirmed)
        try SessionRules.checkTransition(from: .confirmed, to: .held)
        try SessionRules.checkTransition(from: .planned, to: .cancelled)
        #expect(throws: DomainError.conflict("a planned session cannot become held", allowed: ["confirmed", "cancelled"])) {
            try SessionRules.checkTransition(from: .planned, to: .held)
        }
        #expect(throws: DomainError.conflict("a held session cannot become cancelled", allowed: [])) {
            try SessionRules.checkTransition(from: .held, to: .cancelled)
        }
    }
}
