@testable import DialogueCore
import DialogueTestSupport
import Foundation
import Testing

/// A notification for one recipient is written by its transaction's last statement, with the
/// audit rows: it commits with the write or not at all, and none is lost when a transaction
/// makes two, or writes no audit row.
@Suite("Notifications left to the transaction's last statement")
struct DeferredNotificationTests {
    static func count(_ dialogue: Dialogue, _ user: TestUser) async throws -> Int {
        try await sqlInt(dialogue, "SELECT count(*)::bigint FROM notifications WHERE recipient_id = \(user.participantID)")
    }

    @Test("two in one transaction, one without an audit row, and one in a transaction that fails")
    func deferred() async throws {
        try await withDialogue { dialogue in
            let actor = try await dialogue.makeUser(.coordinator, name: "Envoy")
            let first = try await dialogue.makeUser(.member, name: "First", kind: .diaspora)
            let second = try await dialogue.makeUser(.member, name: "Second", kind: .diaspora)
            let object = UUID.random()
            let audit = try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log")

            // Two single-recipient notifications and an audit row: the first rides on the last
            // statement, the second is written at once; both commit with the row.
            try await dialogue.database.transaction { connection in
                try await dialogue.notify(connection, actor.context, .proposalMoved, objectID: object, recipients: [first.participantID])
                try await dialogue.notify(connection, actor.context, .proposalMoved, objectID: object, recipients: [second.participantID])
                try await AuditLog.append(
                    connection, logger: dialogue.database.logger, context: actor.context, action: "test.notify",
                    objectType: "proposal", objectID: object.lowercasedString)
            }
            #expect(try await Self.count(dialogue, first) == 1)
            #expect(try await Self.count(dialogue, second) == 1)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log") == audit + 1)
            #expect(try await AuditLog.verify(dialogue.database).isIntact)

            // No audit row: the notification is written alone before COMMIT.
            try await dialogue.database.transaction { connection in
                try await dialogue.notify(connection, actor.context, .documentShared, objectID: object, recipients: [first.participantID])
            }
            #expect(try await Self.count(dialogue, first) == 2)

            // The body fails after notifying: nothing is written.
            await #expect(throws: DomainError.self) {
                try await dialogue.database.transaction { connection in
                    try await dialogue.notify(connection, actor.context, .sessionCancelled, objectID: object, recipients: [second.participantID])
                    throw DomainError.conflict("changed my mind")
                }
            }
            #expect(try await Self.count(dialogue, second) == 1)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log") == audit + 1)
        }
    }
}
