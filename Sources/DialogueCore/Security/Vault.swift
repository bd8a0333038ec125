import Crypto
import Foundation

/// The sealed vault's key and cipher (SECURITY.md 2). The key comes from the environment
/// (`DIALOGUE_VAULT_KEY`, base64 of 32 bytes) or a file readable by its owner only
/// (`DIALOGUE_VAULT_KEY_FILE`, mode 0600); it is never stored in the database, logged or
/// shown. Without a key the service runs; only vault operations refuse.
public struct VaultKey: Sendable {
    let key: SymmetricKey

    public init(base64 text: String) throws {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw VaultError.badKey("a vault key is 32 random bytes, base64-encoded (dialogue-admin vault keygen makes one)")
        }
        key = SymmetricKey(data: data)
    }

    public static func generate() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }

    /// The key from the environment: `<prefix>`, else the file named by `<prefix>_FILE`
    /// (the vault's by default; `DIALOGUE_FACTOR_KEY` seals second factors).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, variable: String = "DIALOGUE_VAULT_KEY"
    ) throws -> VaultKey {
        if let text = environment[variable], !text.isEmpty { return try VaultKey(base64: text) }
        if let path = environment[variable + "_FILE"], !path.isEmpty { return try fromFile(path) }
        throw VaultError.noKey
    }

    /// Reads a key file, refusing one that others could read.
    public static func fromFile(_ path: String) throws -> VaultKey {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let permissions = attributes[.posixPermissions] as? NSNumber
        else { throw VaultError.badKey("cannot read the key file \(path)") }
        guard permissions.intValue & 0o077 == 0 else {
            throw VaultError.badKey(
                "the key file \(path) is readable by others (mode \(String(permissions.intValue, radix: 8))); chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw VaultError.badKey("cannot read the key file \(path)")
        }
        return try VaultKey(base64: text)
    }

    /// Identifies the key without revealing it (the first 8 bytes of its SHA-256).
    public var fingerprint: String {
        key.withUnsafeBytes { SHA256.hash(data: Data($0)) }.prefix(8).hexString
    }

    /// Encrypts with a fresh random nonce, binding the record to its participant and purpose
    /// (a sealed identity cannot be passed off as a second factor, nor the reverse).
    func seal(_ plaintext: Data, participantID: UUID, purpose: String = "dialogue-vault") throws -> String {
        let box = try AES.GCM.seal(
            plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: Self.associatedData(participantID, purpose))
        guard let combined = box.combined else { throw VaultError.corrupt }
        return combined.base64EncodedString()
    }

    func open(_ sealed: String, participantID: UUID, purpose: String = "dialogue-vault") throws -> Data {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data) else {
            throw VaultError.corrupt
        }
        do {
            return try AES.GCM.open(box, using: key, authenticating: Self.associatedData(participantID, purpose))
        } catch {
            throw VaultError.corrupt
        }
    }

    static func associatedData(_ participantID: UUID, _ purpose: String = "dialogue-vault") -> Data {
        Data("\(purpose):\(participantID.lowercasedString)".utf8)
    }
}

public enum VaultError: Error, Equatable, CustomStringConvertible {
    case noKey
    case badKey(String)
    case wrongKey
    /// The record does not decrypt: altered, or moved from another participant.
    case corrupt

    public var description: String {
        switch self {
        case .noKey: return "no vault key: set DIALOGUE_VAULT_KEY or DIALOGUE_VAULT_KEY_FILE (vault commands only need it)"
        case .badKey(let message): return message
        case .wrongKey: return "the record was sealed under another key"
        case .corrupt: return "the sealed record does not decrypt: it was altered or does not belong to this participant"
        }
    }
}
