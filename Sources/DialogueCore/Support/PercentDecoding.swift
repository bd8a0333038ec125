/// Percent-decoding (RFC 3986) over UTF-8 bytes. Foundation's `removingPercentEncoding`
/// bridges every string through CoreFoundation: with that bridging it was ~2-3 % of a kept
/// agenda read's server CPU, spent on the ETag the OpenAPI runtime percent-encodes.
public enum PercentDecoding {
    /// The decoded text, or nil when a `%` is not followed by two hex digits or the bytes are
    /// not UTF-8 (as Foundation answers). With `plusIsSpace`, `+` is a space, as in
    /// `application/x-www-form-urlencoded`.
    public static func decode(_ text: some StringProtocol, plusIsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
