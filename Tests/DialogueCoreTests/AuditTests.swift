import DialogueCore
import DialogueTestSupport
import Foundation
import Testing

@Suite("Audit chain")
struct AuditTests {
    @Test("every write appends a chained row and the chain verifies")
    func writesAreChained() async throws {
        try await withDialogue { dialogue in
            let coordinator = try await dialogue.makeUser(.coordinator)
            let organization = try await dialogue.createOrganization(
                coordinator.context, OrganizationInput(name: "Ministry", side: "government"))
            _ = try await dialogue.updateOrganization(
                coordinator.context, id: organization.id, OrganizationInput(name: "Ministry of Foreign Affairs"), ifMatch: 1)
            let actions = try await dialogue.database.read { connection in
                try await connection.query("SELECT action FROM audit_log ORDER BY seq", logger: dialogue.database.logger)
                    .collect().map { try $0.decode(String.self) }
            }
            #expect(actions == ["participant.create", "token.issue", "organization.create", "organization.update"])
            let verification = try await AuditLog.verify(dialogue.database)
            #expect(verification.isIntact)
            #expect(verification.rowsChecked == 4)
            #expect(verification.headHash.count == 64)
        }
    }

    @Test("an edited, deleted or reordered row is found, at the right place")
    func tamperingIsFound() async throws {
        try await withDialogue { dialogue in
            let coordinator = try await dialogue.makeUser(.coordinator)
            for name in ["A", "B", "C"] {
                _ = try await dialogue.createOrganization(coordinator.context, OrganizationInput(name: name, side: "movement"))
            }
            // The append-only trigger refuses the service's own attempts.
            await #expect(throws: (any Error).self) { try await sql(dialogue, "UPDATE audit_log SET actor = 'x' WHERE seq = 3") }
            await #expect(throws: (any Error).self) { try await sql(dialogue, "DELETE FROM audit_log WHERE seq = 3") }
            #expect(try await AuditLog.verify(dialogue.database).isIntact)

            // An intruder with superuser rights bypasses triggers; the chain still tells.
            try await dialogue.database.transaction { connection in
                try await connection.query("SET LOCAL session_replication_role = replica", logger: dialogue.database.logger)
                try await connection.query(
                    "UPDATE audit_log SET diff = replace(diff, 'B', 'X') WHERE seq = 4", logger: dialogue.database.logger)
            }
            let edited = try await AuditLog.verify(dialogue.database)
            #expect(edited.firstBroken?.seq == 4)
            #expect(edited.firstBroken?.reason.contains("edited") == true)

            try await dialogue.database.transaction { connection in
                try await connection.query("SET LOCAL session_replication_role = replica", logger: dialogue.database.logger)
                try await connection.query("DELETE FROM audit_log WHERE seq = 4", logger: dialogue.database.logger)
            }
            let deleted = try await AuditLog.verify(dialogue.database)
            #expect(deleted.firstBroken?.seq == 5)
        }
    }

    @Test("concurrent writers still produce one unbroken chain")
    func concurrentAppends() async throws {
        try await withDialogue { dialogue in
            let coordinator = try await dialogue.makeUser(.coordinator)
            // Eight waves of eight writers racing for the chain: enough to interleave every
            // append. A wave is no larger than the test's pool of eight, so no writer waits for
            // a connection: on a loaded machine that wait, not the chain, timed out.
            for wave in 0..<8 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            _ = try await dialogue.createOrganization(
                                coordinator.context, OrganizationInput(name: "Org \(wave)-\(index)", side: "partner"))
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let verification = try await AuditLog.verify(dialogue.database)
            #expect(verification.isIntact)
            #expect(verification.rowsChecked == 66)
        }
    }

    @Test("the database links and hashes the rows exactly as the verifier recomputes them, whatever their text holds")
    func databaseHashesAsSwiftVerifies() async throws {
        try await withDialogue { dialogue in
            // Every character JSON escapes, the ones it need not, and text beyond ASCII.
            let ascii = String(String.UnicodeScalarView((1..<0x80).compactMap(UnicodeScalar.init)))
            let texts = [ascii, "é 日本 😀 \u{2028}\u{2029} \u{FEFF}\u{85}\u{A0}", #"a "quoted" \ back/slash"#, "line\nbreak\ttab", ""]
            let entries = texts.enumerated().map { index, text in
                AuditLog.Entry(action: "test.append", objectType: "text \(index)", objectID: text, diff: ["text": text, "none": nil])
            }
            // Several rows in one transaction are linked to each other in order.
            try await dialogue.database.transaction { connection in
                try await AuditLog.appendMany(connection, logger: dialogue.database.logger, context: .cli(), entries: entries)
            }
            let verification = try await AuditLog.verify(dialogue.database)
            #expect(verification.isIntact, "\(verification.firstBroken?.reason ?? "")")
            #expect(verification.rowsChecked == texts.count)
            let stored = try await dialogue.database.read { connection in
                try await connection.query("SELECT object_id FROM audit_log ORDER BY seq", logger: dialogue.database.logger)
                    .collect().map { try $0.decode(String.self) }
            }
            #expect(stored == texts)
        }
    }
}
