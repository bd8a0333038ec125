import Foundation

extension UUID {
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
