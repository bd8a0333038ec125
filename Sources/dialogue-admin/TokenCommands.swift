import ArgumentParser
import DialogueCore
import Foundation

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "API tokens: issue, revoke, list.", subcommands: [Issue.self, Revoke.self, List.self])

    /// `90d`, `12w`, or a bare number of days.
    static func days(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let multiplier: Int
        var number = Substring(trimmed)
        switch trimmed.last {
        case "d": multiplier = 1; number = number.dropLast()
        case "w": multiplier = 7; number = number.dropLast()
        case "y": multiplier = 365; number = number.dropLast()
        default: multiplier = 1
        }
        guard let value = Int(number), value > 0 else {
            throw ValidationError("--expires-in: '\(text)' is not a duration such as 90d, 12w or 1y")
        }
        return value * multiplier
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue",
            abstract: "Mint a token for a participant; prints the secret alone on stdout (shown once).")
        @Option(help: "Participant id.") var participant: String
        @Option(help: "admin, coordinator, member or observer.") var role: String
        @Option(help: "Lifetime, e.g. 90d (default), 12w, 1y.") var expiresIn: String = "90d"
        @Option(help: "A label to recognise the token by.") var label: String = ""

        func run() async throws {
            let participantID = try CLI.uuid(participant, "--participant")
            let days = try TokenCommand.days(expiresIn)
            let issued = try await CLI.run { dialogue in
                try await dialogue.issueToken(.cli(), participantID: participantID, role: role, label: label, expiresInDays: days)
            }
            FileHandle.standardError.write(Data(
                "token \(issued.info.id.lowercasedString) (\(issued.info.role.rawValue)) expires \(CLI.timestamp(issued.info.expiresAt))\n".utf8))
            print(issued.secret)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token; its next request gets 401.")
        @Argument(help: "Token id.") var id: String

        func run() async throws {
            let tokenID = try CLI.uuid(id, "id")
            let token = try await CLI.run { dialogue in try await dialogue.revokeToken(.cli(), tokenID: tokenID) }
            print("revoked \(token.id.lowercasedString)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")
        @Option(help: "Only this participant's tokens.") var participant: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let participantID = try participant.map { try CLI.uuid($0, "--participant") }
            let tokens = try await CLI.run { dialogue in
                try await CLI.all { cursor in
                    try await dialogue.listTokens(
                        .cli(), participantID: participantID, page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor))
                }
            }
            let rows = tokens.map { token in
                [token.id.lowercasedString, token.participantID.lowercasedString, token.role.rawValue,
                 token.label, CLI.timestamp(token.expiresAt), CLI.timestamp(token.revokedAt), CLI.timestamp(token.lastUsedAt)]
            }
            let header = ["ID", "PARTICIPANT", "ROLE", "LABEL", "EXPIRES", "REVOKED", "LAST USED"]
            if json {
                CLI.printJSON(rows.map { Dictionary(uniqueKeysWithValues: zip(header.map { $0.lowercased().replacingOccurrences(of: " ", with: "_") }, $0)) })
            } else {
                CLI.printTable(header, rows)
            }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The tamper-evident audit trail.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every link of the audit chain; print the head hash, or the first broken row.")

        func run() async throws {
            let result = try await CLI.run { dialogue in try await AuditLog.verify(dialogue.database) }
            if let broken = result.firstBroken {
                print("BROKEN at row \(broken.seq): \(broken.reason)")
                print("rows verified before it: \(result.rowsChecked - 1)")
                throw ExitCode(3)
            }
            print("ok: \(result.rowsChecked) rows, head \(result.headHash)")
        }
    }
}

struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence", abstract: "Evidence files and their chain of custody.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash every stored evidence file against its record; list any that no longer match.")

        func run() async throws {
            let result = try await CLI.run { dialogue in try await dialogue.verifyEvidence(.cli()) }
            for (id, number) in result.mismatched {
                print("MISMATCH evidence-\(number) \(id.lowercasedString)")
            }
            if !result.mismatched.isEmpty { throw ExitCode(3) }
            print("ok: \(result.checked) files match their records")
        }
    }
}

struct ReferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference", abstract: "Offline lists of who is already sanctioned.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Load an OpenSanctions-format entities file (JSON lines); record its SHA-256 and date; match every dossier again.")
        @Argument(help: "The entities file.") var file: String
        @Option(help: "The date the file was published, e.g. 2026-11-20.") var date: String = ""

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
            let sha256 = Dialogue.fileHash(data)
            let imported = try await CLI.run { dialogue in
                try await dialogue.importReference(.cli(), lines: lines, sha256: sha256, fileDate: date)
            }
            print("imported \(imported.entities) entities, sha256 \(imported.sha256)")
        }
    }
}

struct DossierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier", abstract: "Sanctions dossiers and prisoner cases, for exchange.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write FollowTheMoney entities as JSON lines to stdout; the evidence hashes to a custody manifest.")
        @Option(help: "internal or public.") var audience: QuarterlyReport.Audience = .internal
        @Option(help: "Where to write the custody manifest (JSON).") var manifest: String?

        func run() async throws {
            let entries = try await CLI.run { dialogue in
                try await dialogue.writeFollowTheMoney(.cli(), audience: audience, to: { chunk in
                    FileHandle.standardOutput.write(Data(chunk.readableBytesView))
                })
            }
            if let manifest {
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                try encoder.encode(["items": entries]).write(to: URL(fileURLWithPath: manifest))
            }
        }
    }
}
