import _CryptoExtras
import Crypto
import Foundation
import NIOPosix

/// Passphrases at rest (SECURITY.md 18, 24): scrypt with a fresh 16-byte salt, stored as
/// `scrypt$N$r$p$salt$hash` (base64) so the cost can be raised later without losing old hashes.
public enum Passphrase {
    /// scrypt's cost: N = 2^15, r = 8, p = 1 takes 32 MiB and about 0.1 s here, the common
    /// interactive setting. Tests may lower N through `cost`.
    public struct Cost: Sendable, Equatable {
        public var rounds: Int
        public var blockSize: Int
        public var parallelism: Int

        public static let interactive = Cost(rounds: 1 << 15, blockSize: 8, parallelism: 1)

        public init(rounds: Int, blockSize: Int, parallelism: Int) {
            self.rounds = rounds
            self.blockSize = blockSize
            self.parallelism = parallelism
        }
    }

    public static let minimumLength = 12
    public static let maximumLength = 1024

    public static func hash(_ passphrase: String, cost: Cost = .interactive) throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        let derived = try derive(passphrase, salt: salt, cost: cost)
        return "scrypt$\(cost.rounds)$\(cost.blockSize)$\(cost.parallelism)$\(salt.base64EncodedString())$\(derived.base64EncodedString())"
    }

    /// Compares in time independent of where the hashes differ. A malformed stored value
    /// never matches.
    public static func verify(_ passphrase: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let rounds = Int(parts[1]), let blockSize = Int(parts[2]),
            let parallelism = Int(parts[3]), let salt = Data(base64Encoded: String(parts[4])),
            let expected = Data(base64Encoded: String(parts[5])), !expected.isEmpty,
            (2...(1 << 20)).contains(rounds), (1...32).contains(blockSize), (1...16).contains(parallelism),
            let derived = try? derive(passphrase, salt: salt, cost: Cost(rounds: rounds, blockSize: blockSize, parallelism: parallelism))
        else { return false }
        guard derived.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(derived, expected) { difference |= left ^ right }
        return difference == 0
    }

    /// scrypt is 32 MiB and a tenth of a second of one core: it runs on NIO's blocking-work
    /// thread pool, never on the threads that serve requests, and the pool's size (one thread
    /// per core) bounds how many run at once.
    public static func hashOffloaded(_ passphrase: String, cost: Cost = .interactive) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { try hash(passphrase, cost: cost) }
    }

    public static func verifyOffloaded(_ passphrase: String, against stored: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { verify(passphrase, against: stored) }
    }

    /// A hash that matches nothing, verified against when a sign-in name is unknown, so that
    /// an unknown name costs the same time as a wrong passphrase.
    public static let decoy: String = (try? hash("decoy passphrase that no one has")) ?? "scrypt$2$1$1$AA==$AA=="

    private static func derive(_ passphrase: String, salt: Data, cost: Cost) throws -> Data {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(passphrase.utf8), salt: salt, outputByteCount: 32, rounds: cost.rounds, blockSize: cost.blockSize,
            parallelism: cost.parallelism)
        return key.withUnsafeBytes { Data($0) }
    }
}
