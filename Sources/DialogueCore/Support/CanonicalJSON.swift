import Foundation

/// JSON written the same way byte for byte every time: keys sorted, slashes as they are. The
/// audit chain hashes it, problem documents and kept responses carry it. One encoder, made once
/// with its options and never changed after, serves every request.
public enum CanonicalJSON {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static func encode<Value: Encodable>(_ value: Value) throws -> Data { try encoder.encode(value) }

    // Every write encodes its audit diff, and every keyed write its kept headers: through
    // `encode` that was ~3 % of a create's server CPU (a Codable container per value). The
    // shapes below are written directly, to the same bytes (`CanonicalJSONTests` compares
    // them with `encode` over every ASCII character and beyond).

    /// `encode` of a flat object of strings, nil as null.
    public static func object(_ fields: [String: String?]) -> String {
        // Keys of lowercase letters and underscores sort the same by their bytes as the
        // encoder sorts them; any other key is left to the encoder.
        guard fields.keys.allSatisfy({ key in key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x5f } }) else {
            return String(decoding: (try? encode(fields)) ?? Data("{}".utf8), as: UTF8.self)
        }
        var out: [UInt8] = [0x7b]
        for (index, key) in fields.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { out.append(0x2c) }
            append(key, to: &out)
            out.append(0x3a)
            if let value = fields[key] ?? nil { append(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
        }
        out.append(0x7d)
        return String(decoding: out, as: UTF8.self)
    }

    /// `encode` of an array of strings.
    public static func array(_ strings: [String]) -> String {
        var out: [UInt8] = []
        append(strings, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `encode` of an array of arrays of strings.
    public static func arrays(_ rows: [[String]]) -> String {
        var out: [UInt8] = [0x5b]
        for (index, row) in rows.enumerated() {
            if index > 0 { out.append(0x2c) }
            append(row, to: &out)
        }
        out.append(0x5d)
        return String(decoding: out, as: UTF8.self)
    }

    private static func append(_ strings: [String], to out: inout [UInt8]) {
        out.append(0x5b)
        for (index, string) in strings.enumerated() {
            if index > 0 { out.append(0x2c) }
            append(string, to: &out)
        }
        out.append(0x5d)
    }

    /// A string as the encoder writes it: quote, backslash and control characters escaped,
    /// everything else (slashes, non-ASCII) as it is.
    private static func append(_ string: String, to out: inout [UInt8]) {
        out.append(0x22)
        for byte in string.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5c, 0x22])
            case 0x5c: out.append(contentsOf: [0x5c, 0x5c])
            case 0x08: out.append(contentsOf: [0x5c, 0x62])
            case 0x0c: out.append(contentsOf: [0x5c, 0x66])
            case 0x0a: out.append(contentsOf: [0x5c, 0x6e])
            case 0x0d: out.append(contentsOf: [0x5c, 0x72])
            case 0x09: out.append(contentsOf: [0x5c, 0x74])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5c, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xf)]])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }
}
