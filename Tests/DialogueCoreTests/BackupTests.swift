import DialogueCore
import DialogueTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite("Backups that restore")
struct BackupTests {
    @Test("backup, restore into a fresh database: every object back, the audit chain verifying, a damaged archive refused")
    func roundTrip() async throws {
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("dialogue-\(UUID().uuidString).dump").path
        defer {
            try? FileManager.default.removeItem(atPath: archive)
            try? FileManager.default.removeItem(atPath: Backup.manifestPath(archive))
        }
        try await withTestDatabase { source in
            let counts: [String: Int] = try await withDatabase(source) { database in
                let dialogue = try await Dialogue.load(database: database)
                let coordinator = try await dialogue.makeUser(.coordinator)
                let group = try await dialogue.createWorkingGroup(coordinator.context, WorkingGroupInput(direction: "media", name: "Media"))
                _ = try await dialogue.putMember(.cli(), groupID: group.id, participantID: coordinator.participantID, role: "chair")
                _ = try await dialogue.createProposal(
                    coordinator.context, ProposalInput(workingGroupID: group.id, title: "Fund", kind: "programme", scale: "large"))
                var counts: [String: Int] = [:]
                for table in ["participants", "tokens", "working_groups", "memberships", "proposals", "audit_log"] {
                    counts[table] = try await sqlInt(dialogue, "SELECT count(*)::bigint FROM \(unescaped: table)")
                }
                return counts
            }
            let manifest = try Backup.create(source, migrationVersion: 8, to: archive)
            #expect(manifest.sha256.count == 64)
            for file in [archive, Backup.manifestPath(archive)] {
                let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
                #expect(mode == 0o600, "a backup holds the whole database: \(file) is readable by its owner alone")
            }

            try await withTestDatabase(.empty) { target in
                try await withDatabase(target) { database in
                    _ = try await Backup.restore(archive, into: database)
                    let dialogue = try await Dialogue.load(database: database)
                    for (table, count) in counts {
                        #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM \(unescaped: table)") == count, "\(table)")
                    }
                    let verification = try await AuditLog.verify(database)
                    #expect(verification.isIntact)
                    #expect(verification.rowsChecked == counts["audit_log"])
                    #expect(try await Migrator(directory: TestDatabases.sqlDirectory).isCurrent(database))
                    await #expect(throws: Backup.Failure.notEmpty(target.database)) { _ = try await Backup.restore(archive, into: database) }
                }

                var data = try Data(contentsOf: URL(fileURLWithPath: archive))
                data[data.count / 2] ^= 0xff
                try data.write(to: URL(fileURLWithPath: archive))
                try await withTestDatabase(.empty) { other in
                    try await withDatabase(other) { database in
                        await #expect(throws: Backup.Failure.self) { _ = try await Backup.restore(archive, into: database) }
                    }
                }
            }
        }
    }
}
