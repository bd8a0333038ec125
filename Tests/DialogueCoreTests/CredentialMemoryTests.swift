@testable import DialogueCore
import Foundation
import Testing

/// What the process remembers of checked credentials stays bounded, and a refusal forgets.
@Suite("Credential memory")
struct CredentialMemoryTests {
    static func credential() throws -> (BearerCredential, CredentialRow) {
        let (secret, hash) = TokenSecret.generate()
        let row = CredentialRow(
            tokenID: UUID(), participantID: UUID(), role: "member", storedHash: hash, stale: false,
            facts: ViewerFacts(side: "movement", groups: [], contributing: []))
        return (try #require(BearerCredential(secret: secret)), row)
    }

    @Test("at most `capacity` credentials: one more starts the memory again; one it holds is kept; a forgotten one is gone")
    func bounded() throws {
        let memory = CredentialMemory()
        let held = try (0..<CredentialMemory.capacity).map { _ in try Self.credential() }
        for (credential, row) in held { memory.remember(credential.hash, row) }
        #expect(held.allSatisfy { memory.recall($0.0.hash)?.tokenID == $0.1.tokenID })

        // Remembering one it holds again, when full, keeps the others.
        let (first, firstRow) = held[0]
        memory.remember(first.hash, firstRow)
        #expect(memory.recall(held[1].0.hash) != nil)

        let (extra, extraRow) = try Self.credential()
        memory.remember(extra.hash, extraRow)
        #expect(memory.recall(extra.hash)?.tokenID == extraRow.tokenID)
        #expect(held.allSatisfy { memory.recall($0.0.hash) == nil })

        memory.forget(extra.hash)
        #expect(memory.recall(extra.hash) == nil)
    }
}
