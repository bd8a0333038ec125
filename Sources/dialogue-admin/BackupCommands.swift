import ArgumentParser
import DialogueCore
import Foundation

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a pg_dump archive of the database and a manifest (migration version, SHA-256) beside it.",
        discussion: "The vault key is not in the backup: keep it separately, or sealed records cannot be read after a restore.")
    @Option(help: "The archive to write; FILE.manifest.json is written beside it.") var out: String

    func run() async throws {
        do {
            let configuration = try Configuration.fromEnvironment()
            let migrator = try Migrator(directory: configuration.sqlDirectory)
            let version = try await CLI.withDatabase(configuration.migrationDatabase, logger: CLI.logger()) { database in
                try await migrator.status(database).filter { $0.state == .applied }.map(\.version).max() ?? 0
            }
            let manifest = try Backup.create(configuration.migrationDatabase, migrationVersion: version, to: out)
            print("backup \(out): \(manifest.sizeBytes) bytes, migration \(manifest.migrationVersion), sha256 \(manifest.sha256)")
        } catch {
            CLI.fail(error)
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into an empty database (DATABASE_URL, as its owner), then verify the audit chain.")
    @Argument(help: "The archive written by `dialogue-admin backup`.") var file: String

    func run() async throws {
        do {
            let configuration = try Configuration.fromEnvironment()
            let (manifest, verification) = try await CLI.withDatabase(configuration.migrationDatabase, logger: CLI.logger()) { database in
                let manifest = try await Backup.restore(file, into: database)
                return (manifest, try await AuditLog.verify(database))
            }
            if let broken = verification.firstBroken {
                CLI.fail(DomainError.conflict("restored, but the audit chain does not verify at row \(broken.seq)"))
            }
            print("restored migration \(manifest.migrationVersion); audit chain ok: \(verification.rowsChecked) rows, head \(verification.headHash)")
        } catch {
            CLI.fail(error)
        }
    }
}
