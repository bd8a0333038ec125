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
