import DialogueCore
import DialogueTestSupport
import Foundation
import Testing

@Suite("Participant CSV import")
struct ImportTests {
    static let header = "display_name,kind,organization,email,timezone,languages\n"

    /// 200 rows, three of them bad (lines 12, 101 and 190 of the file).
    static func twoHundredRows() -> String {
        var text = header
        for index in 1...200 {
            let line = index + 1
            switch line {
            case 12: text += "Bad kind \(index),spy,,,,\n"
            case 101: text += "Proxy with email \(index),in_country_proxy,,p\(index)@example.org,,\n"
            case 190: text += "Bad zone \(index),diaspora,,,Mars/Olympus,\n"
            default: text += "\"Удзельнік \(index), Łacinka Žmitar\",diaspora,Rada,,Europe/Vilnius,be ru\n"
            }
        }
        return text
    }

    @Test("a dry run names the bad rows and writes nothing; a real run writes the rest in one go")
    func dryRunThenImport() async throws {
        try await withDialogue { dialogue in
            _ = try await dialogue.createOrganization(.cli(), OrganizationInput(name: "Rada", side: "movement"))
            let before = try await sqlInt(dialogue, "SELECT count(*)::bigint FROM participants")
            let auditBefore = try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log")

            let dry = try await dialogue.importParticipants(.cli(), csv: Self.twoHundredRows(), mode: .dryRun)
            #expect(!dry.applied)
            #expect(dry.created == 197)
            let bad = dry.rows.compactMap { row -> (Int, String)? in
                if case .error(let field, _) = row.verdict { return (row.line, field) } else { return nil }
            }
            #expect(bad.map(\.0) == [12, 101, 190])
            #expect(bad.map(\.1) == ["kind", "email", "timezone"])
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM participants") == before)

            let strict = try await dialogue.importParticipants(.cli(), csv: Self.twoHundredRows(), mode: .allOrNothing)
            #expect(!strict.applied)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM participants") == before)

            let applied = try await dialogue.importParticipants(.cli(), csv: Self.twoHundredRows(), mode: .validRows)
            #expect(applied.applied)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM participants") == before + 197)
            #expect(try await sqlInt(dialogue, "SELECT count(*)::bigint FROM audit_log") == auditBefore + 197)
            #expect(try await AuditLog.verify(dialogue.database).isIntact)
            let stored = try await sqlInt(dialogue, """
                SELECT count(*)::bigint FROM participants
                WHERE display_name = 'Удзельнік 5, Łacinka Žmitar' AND languages = '{be,ru}' AND timezone = 'Europe/Vilnius'
                """)
            #expect(stored == 1, "quoted fields with commas and UTF-8 names survive intact")

            // The same file again: every good row now matches, so it updates instead of duplicating.
            let again = try await dialogue.importParticipants(.cli(), csv: Self.twoHundredRows(), mode: .dryRun)
            #expect(again.created == 0)
            #expect(again.updated == 197)
        }
    }

    @Test("structural problems: missing columns, ragged rows, unknown organizations, unclosed quotes, repeats")
    func structuralProblems() async throws {
        try await withDialogue { dialogue in
            await #expect(throws: DomainError.self) {
                _ = try await dialogue.importParticipants(.cli(), csv: "name,kind\nA,diaspora\n", mode: .dryRun)
            }
            await #expect(throws: DomainError.self) {
                _ = try await dialogue.importParticipants(.cli(), csv: Self.header + "\"Unclosed,diaspora,,,,\n", mode: .dryRun)
            }
            let report = try await dialogue.importParticipants(
                .cli(),
                csv: Self.header + "Ragged,diaspora\nNobody,official,No Such Org,,,\nTwice,official,,,,\nTwice,official,,,,\r\n"
                    + "\"Multi\nline\",official,,,,\n",
                mode: .dryRun)
            let verdicts = report.rows.map(\.verdict)
            #expect(verdicts.count == 5)
            if case .error(let field, _) = verdicts[0] { #expect(field == "row") } else { Issue.record("ragged row accepted") }
            if case .error(let field, _) = verdicts[1] { #expect(field == "organization") } else { Issue.record("unknown organization accepted") }
            #expect(verdicts[2] == .new)
            if case .error(let field, _) = verdicts[3] { #expect(field == "display_name") } else { Issue.record("repeat accepted") }
            #expect(verdicts[4] == .new)
            #expect(report.rows[4].line == 6)
        }
    }

    @Test("imports are for coordinators")
    func importNeedsCoordinator() async throws {
        try await withDialogue { dialogue in
            let member = try await dialogue.makeUser(.member)
            await #expect(throws: DomainError.forbidden("only a coordinator may import participants")) {
                _ = try await dialogue.importParticipants(member.context, csv: Self.header, mode: .dryRun)
            }
        }
    }
}
