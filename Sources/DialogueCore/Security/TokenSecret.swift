import Crypto
import Foundation

/// API token secrets: 256 random bits, shown once, stored only as their SHA-256.
public enum TokenSecret {
    static let prefix = "dlg_"

    /// A new secret and the hash to store for it.
    public static func generate() -> (secret: String, hash: String) {
        let key = SymmetricKey(size: .bits256)
        let secret = prefix + key.withUnsafeBytes { Data($0) }.base64URLEncoded
        return (secret, hash(secret))
    }

    public static func hash(_ secret: String) -> String { Digest256.hex(secret) }

    /// A bearer value that cannot be one of ours is refused before touching the database.
    public static func looksValid(_ secret: String) -> Bool {
        secret.hasPrefix(prefix) && secret.utf8.count == prefix.utf8.count + 43
            && Data(base64URLEncoded: String(secret.dropFirst(prefix.count)))?.count == 32
    }

    /// Compares two hex digests in time independent of where they differ.
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8), right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
