import Crypto
import Foundation

extension Sequence where Element == UInt8 {
    /// Lowercase hex, two digits a byte: digests and keys as they are stored and compared.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

enum Digest256 {
    static func hex(_ text: String) -> String { SHA256.hash(data: Data(text.utf8)).hexString }
    static func hex(_ data: Data) -> String { SHA256.hash(data: data).hexString }
}

extension Data {
    private static let base64URLDigits = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let base64URLValues: [UInt8] = {
        var values = [UInt8](repeating: 0xff, count: 256)
        for (value, digit) in base64URLDigits.enumerated() { values[Int(digit)] = UInt8(value) }
        return values
    }()

    /// RFC 4648 section 5, without padding: safe in URLs, headers and file names. Written
    /// byte by byte: every API request decodes a token with it, and Foundation's base64 with
    /// three string replacements cost 1% of an agenda read.
    var base64URLEncoded: String {
        let digits = Self.base64URLDigits
        var out: [UInt8] = []
        out.reserveCapacity((count * 4 + 2) / 3)
        var bits: UInt32 = 0, pending = 0
        for byte in self {
            bits = bits << 8 | UInt32(byte)
            pending += 8
            while pending >= 6 {
                pending -= 6
                out.append(digits[Int(bits >> UInt32(pending) & 0x3f)])
            }
        }
        if pending > 0 { out.append(digits[Int(bits << UInt32(6 - pending) & 0x3f)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The inverse, for unpadded text of the URL alphabet only; nil for anything else.
    init?(base64URLEncoded text: String) {
        let values = Self.base64URLValues
        guard text.utf8.count % 4 != 1 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 3 / 4)
        var bits: UInt32 = 0, pending = 0
        for digit in text.utf8 {
            let value = values[Int(digit)]
            guard value != 0xff else { return nil }
            bits = bits << 6 | UInt32(value)
            pending += 6
            if pending >= 8 {
                pending -= 8
                bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(pending)))
            }
        }
        self.init(bytes)
    }
}
