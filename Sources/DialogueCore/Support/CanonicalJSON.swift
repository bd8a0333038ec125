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
}
