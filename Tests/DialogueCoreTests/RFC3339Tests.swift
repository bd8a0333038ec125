import DialogueCore
import Foundation
import Testing

@Suite("RFC 3339 by hand")
struct RFC3339Tests {
    @Test("writes what ISO8601DateFormatter writes, over two centuries and before 1970")
    func matchesFoundation() {
        let foundation = ISO8601DateFormatter()
        var state: UInt64 = 20261124
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // 1900-01-01 to 2100-01-01, with milliseconds: Foundation rounds to the millisecond
            // before it drops the fraction, so 08.9996 is 09 there and 08 here (never later
            // than the instant itself).
            let seconds = ((-2_208_988_800 + Double(state >> 11) / Double(1 << 53) * 6_311_433_600) * 1000).rounded(.down) / 1000
            let date = Date(timeIntervalSince1970: seconds)
            let text = RFC3339.string(from: date)
            #expect(text == foundation.string(from: date))
            #expect(RFC3339.date(from: text) == Date(timeIntervalSince1970: seconds.rounded(.down)))
        }
        #expect(RFC3339.dateString(from: Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 8.9996)) == "1970-01-01T00:00:08Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
    }

    @Test("reads offsets and fractions; refuses dates that do not exist and anything else")
    func parsing() {
        let base = RFC3339.date(from: "2026-03-29T01:00:00Z")!
        #expect(RFC3339.date(from: "2026-03-29T04:00:00+03:00") == base)
        #expect(RFC3339.date(from: "2026-03-28T20:30:00-04:30") == base)
        #expect(RFC3339.date(from: "2026-03-29T01:00:00.250Z") == base.addingTimeInterval(0.25))
        #expect(RFC3339.date(from: "2024-02-29T00:00:00Z") != nil)
        for bad in ["2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z",
                    "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z", "2026-01-01T00:00:00", "2026-01-01t00:00:00z",
                    "2026-01-01 00:00:00Z", "2026-01-01T00:00:00Zjunk", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+0300",
                    "0000-01-01T00:00:00Z", "+2026-01-01T00:00:00Z", "2026-01-01T00:00:00.1234567890Z", "", "2026-01-01",
                    "２０２６-01-01T00:00:00Z"] {
            #expect(RFC3339.date(from: bad) == nil, "\(bad)")
        }
    }
}
