import Foundation

extension UUID {
    /// A random (version 4) id from the system's generator. Foundation's `UUID()` opens and
    /// reads `/dev/urandom` on every call here; a request id is made for every request.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = (raw[6] & 0x0f) | 0x40
            raw[8] = (raw[8] & 0x3f) | 0x80
            return UUID(uuid: raw.load(as: uuid_t.self))
        }
    }

    /// A time-ordered (version 7, RFC 9562) id for an object the server names before it writes
    /// it: the first 48 bits are the Unix time in milliseconds, 74 of the rest random. Ids made
    /// later sort after, so the object's entries in every index on its id (its key, its
    /// notification's, its audit row's, its timeline's) land beside the last ones written,
    /// where a random id would land on a page of its own. It tells when the object was made,
    /// to the millisecond, which its `created_at` already tells whoever may see it; it is not
    /// a secret (access is decided, never guessed).
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        return withUnsafeMutableBytes(of: &bytes) { raw in
            for index in 0..<6 { raw[index] = UInt8(truncatingIfNeeded: milliseconds >> UInt64(40 - 8 * index)) }
            raw[6] = (raw[6] & 0x0f) | 0x70
            raw[8] = (raw[8] & 0x3f) | 0x80
            return UUID(uuid: raw.load(as: uuid_t.self))
        }
    }

    /// An id as every response, page, link and audit row writes it: lowercase.
    /// Written from the bytes: Foundation's `uuidString` formats through `snprintf`, then
    /// `lowercased()` copies it again, and every response writes ids.
    public var lowercasedString: String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var at = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    out[at] = digits.utf8Start[Int(byte >> 4)]
                    out[at + 1] = digits.utf8Start[Int(byte & 0x0f)]
                    at += 2
                }
                return at
            }
        }
    }
}
