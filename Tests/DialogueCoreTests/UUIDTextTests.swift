import DialogueCore
import Foundation
import Testing

@Suite("Ids: random and time-ordered, written lowercase")
struct UUIDTextTests {
    @Test("a time-ordered id is version 7, carries its millisecond, and sorts after the ones made before it")
    func timeOrdered() throws {
        let moment = Date(timeIntervalSince1970: 1_795_000_000.123)
        let id = UUID.timeOrdered(at: moment)
        let text = id.lowercasedString
        #expect(text == id.uuidString.lowercased())
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        #expect(bytes[6] >> 4 == 7, "version 7")
        #expect(bytes[8] >> 6 == 0b10, "RFC 9562 variant")
        let milliseconds = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(milliseconds == 1_795_000_000_123)

        // Later ids sort after earlier ones, as text and as PostgreSQL compares uuids (bytewise);
        // within one millisecond the rest is random, so no two are alike.
        let earlier = (0..<500).map { _ in UUID.timeOrdered(at: moment) }
        let later = (0..<500).map { _ in UUID.timeOrdered(at: moment.addingTimeInterval(0.001)) }
        #expect(Set(earlier + later).count == 1_000)
        let lastEarlier = try #require(earlier.map(\.lowercasedString).max())
        let firstLater = try #require(later.map(\.lowercasedString).min())
        #expect(lastEarlier < firstLater)
        #expect(UUID.timeOrdered() > UUID.timeOrdered(at: Date().addingTimeInterval(-1)))
    }

    @Test("a random id is version 4 and unlike the next")
    func random() {
        let ids = (0..<1_000).map { _ in UUID.random() }
        #expect(Set(ids).count == 1_000)
        #expect(ids.allSatisfy { id in withUnsafeBytes(of: id.uuid) { $0[6] >> 4 == 4 && $0[8] >> 6 == 0b10 } })
    }
}
