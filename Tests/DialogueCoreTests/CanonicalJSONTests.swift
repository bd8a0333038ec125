@testable import DialogueCore
import Foundation
import Testing

/// The shapes `CanonicalJSON` writes directly must be the encoder's bytes exactly: the audit
/// chain hashes them, and rows written before and after must verify alike.
@Suite("Canonical JSON written directly matches the encoder byte for byte")
struct CanonicalJSONTests {
    /// Every ASCII character, some beyond (accents, line and paragraph separators, a byte
    /// order mark, an emoji, a flag), and strings mixing them.
    static let strings: [String] = {
        var strings = (0..<0x80).map { String(UnicodeScalar(UInt8($0))) }
        strings += ["", "é", "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{7F}", "🙂", "🇧🇾", "Жыве Беларусь", "a/b", "</script>"]
        strings += ["quote \" and \\ back\nslash\t\u{1}\u{1F}", "\r\n", "null", "{\"x\":1}"]
        return strings
    }()

    static func encoded<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try CanonicalJSON.encode(value), as: UTF8.self)
    }

    @Test("strings and arrays of strings: every character escaped as the encoder escapes it")
    func arrays() throws {
        for string in Self.strings {
            #expect(CanonicalJSON.array([string]) == (try Self.encoded([string])), "\(Array(string.unicodeScalars))")
        }
        #expect(CanonicalJSON.array(Self.strings) == (try Self.encoded(Self.strings)))
        #expect(CanonicalJSON.array([]) == (try Self.encoded([String]())))
        let rows = [["content-type", "application/json"], ["etag", "\"1\""], [], ["location", "/v1/action-items/x"]]
        #expect(CanonicalJSON.arrays(rows) == (try Self.encoded(rows)))
        #expect(CanonicalJSON.arrays([]) == (try Self.encoded([[String]]())))
    }

    @Test("flat objects: keys in the encoder's order, nil as null, any value; keys it might order otherwise left to it")
    func objects() throws {
        var generator = SystemRandomNumberGenerator()
        let keys = ["title", "due_on", "working_group_id", "a", "b_", "_b", "status", "owner_id", "z", "aa", "a_b", "ab"]
        for _ in 0..<500 {
            var fields: [String: String?] = [:]
            for key in keys.shuffled(using: &generator).prefix(Int.random(in: 0...keys.count, using: &generator)) {
                fields[key] = Bool.random(using: &generator) ? nil : Self.strings.randomElement(using: &generator)
            }
            #expect(CanonicalJSON.object(fields) == (try Self.encoded(fields)), "\(fields)")
        }
        // Keys with capitals, digits or other characters go through the encoder itself.
        let mixed: [String: String?] = ["B": "1", "a": nil, "a10": "x", "a9": "y", "é": "z", "A_b": "w"]
        #expect(CanonicalJSON.object(mixed) == (try Self.encoded(mixed)))
    }
}
