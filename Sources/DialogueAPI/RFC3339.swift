import DialogueCore
import Foundation
import OpenAPIRuntime

/// Dates on the wire: RFC 3339 with an offset, fractional seconds accepted on input, years
/// 0001..9999 only. Writes whole seconds in UTC (`2026-12-03T09:00:00Z`).
struct RFC3339Transcoder: DateTranscoder {
    /// Prefix of the error a bad date raises; Problems turns it into a 422.
    static let errorPrefix = "not an RFC 3339 date-time: "

    func encode(_ date: Date) throws -> String {
        RFC3339.string(from: date)
    }

    func decode(_ text: String) throws -> Date {
        guard let date = RFC3339.date(from: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: [], debugDescription: Self.errorPrefix + "'\(text.prefix(40))' (expected e.g. 2026-12-03T09:00:00Z)"))
        }
        return date
    }
}
