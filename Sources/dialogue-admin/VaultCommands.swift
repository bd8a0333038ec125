import ArgumentParser
import DialogueCore
import Foundation

struct VaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "The sealed vault of identifying data (key from DIALOGUE_VAULT_KEY or DIALOGUE_VAULT_KEY_FILE).",
        subcommands: [Keygen.self, Seal.self, Reveal.self, RotateKey.self])

    static func key() throws -> VaultKey {
        do { return try VaultKey.fromEnvironment() } catch { CLI.fail(error) }
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Print a new random key (store it outside the database and its backups, e.g. in a 0600 file).")
        func run() async throws { print(VaultKey.generate()) }
    }

    struct Seal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seal",
            abstract: "Seal identifying fields for a participant: a JSON object read from stdin.")
        @Option(help: "Participant id.") var participant: String

        func run() async throws {
            let id = try CLI.uuid(participant, "--participant")
            let key = try VaultCommand.key()
            let input = FileHandle.standardInput.readDataToEndOfFile()
            try await CLI.run { dialogue in try await dialogue.sealIdentity(.cli(), participantID: id, json: input, key: key) }
            FileHandle.standardError.write(Data("sealed (key \(key.fingerprint))\n".utf8))
        }
    }

    struct Reveal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reveal",
            abstract: "Print a participant's sealed record; the reason goes into the audit trail.")
        @Option(help: "Participant id.") var participant: String
        @Option(help: "Why it must be read (recorded).") var reason: String

        func run() async throws {
            let id = try CLI.uuid(participant, "--participant")
            let key = try VaultCommand.key()
            let plaintext = try await CLI.run { dialogue in
                try await dialogue.revealIdentity(.cli(), participantID: id, reason: reason, key: key)
            }
            FileHandle.standardOutput.write(plaintext)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Re-encrypt every record under a new key, in one transaction, checking each before commit.")
        @Option(help: "File holding the new key (mode 0600).") var newKeyFile: String

        func run() async throws {
            let old = try VaultCommand.key()
            let new: VaultKey
            do { new = try VaultKey.fromFile(newKeyFile) } catch { CLI.fail(error) }
            let count = try await CLI.run { dialogue in try await dialogue.rotateVaultKey(.cli(), from: old, to: new) }
            print("re-encrypted \(count) records under key \(new.fingerprint); now point DIALOGUE_VAULT_KEY_FILE at the new key")
        }
    }
}

struct CompromiseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compromise",
        abstract: "The compromise drill: revoke every token and feed of a participant and mark it compromised, at once.")
    @Argument(help: "Participant id.") var id: String
    @Option(help: "What happened (recorded in the audit trail).") var reason: String = ""

    func run() async throws {
        let id = try CLI.uuid(id, "id")
        let participant = try await CLI.run { dialogue in try await dialogue.markCompromised(.cli(), participantID: id, reason: reason) }
        print("\(participant.id.lowercasedString) is \(participant.status.rawValue); all its tokens and feeds are revoked")
    }
}

struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase an at-risk participant: identifying data and vault record removed, authorship kept as 'withdrawn participant'.")
    @Argument(help: "Participant id.") var id: String
    @Flag(help: "Confirm: this cannot be undone.") var yes = false

    func run() async throws {
        guard yes else { throw ValidationError("erasure cannot be undone; repeat with --yes") }
        let id = try CLI.uuid(id, "id")
        try await CLI.run { dialogue in try await dialogue.eraseParticipant(.cli(), participantID: id) }
        print("erased \(id.lowercasedString)")
    }
}
