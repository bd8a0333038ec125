import ArgumentParser
import DialogueCore
import Foundation

struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Organizations on every side.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Create an organization; prints its id.")
        @Option(help: "The organization's name (unique, case-insensitive).") var name: String
        @Option(help: "government, movement or partner.") var side: String
        @Option(help: "ISO 3166-1 alpha-2 country code.") var country: String?

        func run() async throws {
            let organization = try await CLI.run { dialogue in
                try await dialogue.createOrganization(.cli(), OrganizationInput(name: name, side: side, country: country.map { .some($0) }))
            }
            print(organization.id.lowercasedString)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List organizations.")
        @Option(help: "Only this side.") var side: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let organizations = try await CLI.run { dialogue in
                try await CLI.all { cursor in
                    try await dialogue.listOrganizations(
                        .cli(), page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor), side: side)
                }
            }
            if json {
                CLI.printJSON(organizations.map {
                    ["id": $0.id.lowercasedString, "name": $0.name, "side": $0.side.rawValue, "country": $0.country ?? ""]
                })
            } else {
                CLI.printTable(
                    ["ID", "NAME", "SIDE", "COUNTRY"],
                    organizations.map { [$0.id.lowercasedString, $0.name, $0.side.rawValue, $0.country ?? "-"] })
            }
        }
    }
}

struct ParticipantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "participant", abstract: "Participants: diaspora, in-country proxies, officials.",
        subcommands: [Add.self, List.self, Show.self, Update.self, Import.self, InviteCommand.self, CompromiseCommand.self, EraseCommand.self])

    static func row(_ participant: Participant) -> [String] {
        [participant.id.lowercasedString, participant.displayName, participant.kind.rawValue,
         participant.status.rawValue, participant.organizationID?.lowercasedString ?? "-", participant.timezone]
    }

    static let header = ["ID", "NAME", "KIND", "STATUS", "ORGANIZATION", "TIMEZONE"]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List participants (public fields).")
        @Option(help: "diaspora, in_country_proxy or official.") var kind: String?
        @Option(help: "Organization id.") var organization: String?
        @Option(help: "active, inactive or compromised.") var status: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let organizationID = try organization.map { try CLI.uuid($0, "--organization") }
            let filter = ParticipantFilter(kind: kind, organizationID: organizationID, status: status)
            let participants = try await CLI.run { dialogue in
                try await CLI.all { cursor in
                    try await dialogue.listParticipants(
                        .cli(), page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor), filter: filter)
                }
            }
            if json {
                CLI.printJSON(participants.map { Dictionary(uniqueKeysWithValues: zip(
                    ["id", "display_name", "kind", "status", "organization_id", "timezone"], ParticipantCommand.row($0))) })
            } else {
                CLI.printTable(ParticipantCommand.header, participants.map(ParticipantCommand.row))
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Change a participant; an empty value clears an optional field.")
        @Argument(help: "Participant id.") var id: String
        @Option(help: "Display name.") var name: String?
        @Option(help: "diaspora, in_country_proxy or official.") var kind: String?
        @Option(help: "Organization id ('' clears).") var organization: String?
        @Option(help: "IANA time zone.") var timezone: String?
        @Option(help: "Email ('' clears).") var email: String?
        @Option(help: "Space-separated BCP 47 language tags.") var languages: String?
        @Option(help: "active or inactive (inactive revokes every token).") var status: String?
        @Option(help: "Expected version (fails if it changed).") var ifVersion: Int?

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let organizationID: UUID?? = try organization.map { $0.isEmpty ? nil : try CLI.uuid($0, "--organization") }
            let input = ParticipantInput(
                displayName: name, kind: kind, organizationID: organizationID, timezone: timezone,
                languages: languages.map { $0.split(separator: " ").map(String.init) },
                email: email.map { $0.isEmpty ? nil : $0 }, status: status)
            let participant = try await CLI.run { dialogue in
                try await dialogue.updateParticipant(.cli(), id: id, input, ifMatch: ifVersion)
            }
            CLI.printTable(ParticipantCommand.header, [ParticipantCommand.row(participant)])
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import participants from CSV (display_name, kind, organization, email, timezone, languages).",
            discussion: "A row whose display_name matches an existing participant of the same organization updates it.")
        @Argument(help: "The CSV file (UTF-8, header row).") var file: String
        @Flag(help: "Report what would happen; write nothing.") var dryRun = false
        @Flag(help: "Write nothing if any row is bad.") var allOrNothing = false
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(file) is not UTF-8") }
            let mode: ParticipantImport.Mode = dryRun ? .dryRun : (allOrNothing ? .allOrNothing : .validRows)
            let report = try await CLI.run { dialogue in
                try await dialogue.importParticipants(.cli(), csv: text, mode: mode) { message in
                    FileHandle.standardError.write(Data("\(message)\n".utf8))
                }
            }
            let rows = report.rows.map { row -> [String] in
                switch row.verdict {
                case .new: return [String(row.line), "new", row.displayName, ""]
                case .update(let id): return [String(row.line), "update", row.displayName, id.lowercasedString]
                case .error(let field, let message): return [String(row.line), "error", row.displayName, "\(field): \(message)"]
                }
            }
            if json {
                CLI.printJSON(rows.map { Dictionary(uniqueKeysWithValues: zip(["line", "verdict", "display_name", "detail"], $0)) })
            } else {
                CLI.printTable(["LINE", "VERDICT", "NAME", "DETAIL"], rows)
            }
            let summary = "\(report.created) new, \(report.updated) updated, \(report.failed) with errors; "
                + (report.applied ? "written" : "nothing written")
            FileHandle.standardError.write(Data("\(summary)\n".utf8))
            if report.failed > 0 { throw ExitCode(2) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a participant; prints its id.")
        @Option(help: "Display name; a pseudonym for an in_country_proxy.") var name: String
        @Option(help: "diaspora, in_country_proxy or official.") var kind: String
        @Option(help: "Organization id.") var organization: String?
        @Option(help: "IANA time zone, e.g. Europe/Vilnius.") var timezone: String?
        @Option(help: "Email (refused for an in_country_proxy).") var email: String?
        @Option(help: "Space-separated BCP 47 language tags.") var languages: String?

        func run() async throws {
            let organizationID = try organization.map { try CLI.uuid($0, "--organization") }
            let participant = try await CLI.run { dialogue in
                try await dialogue.createParticipant(.cli(), ParticipantInput(
                    displayName: name, kind: kind, organizationID: organizationID.map { .some($0) }, timezone: timezone,
                    languages: languages.map { $0.split(separator: " ").map(String.init) }, email: email.map { .some($0) }))
            }
            print(participant.id.lowercasedString)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a participant's public fields.")
        @Argument(help: "Participant id.") var id: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let participant = try await CLI.run { dialogue in try await dialogue.getParticipant(.cli(), id: id) }
            let fields: [(String, String)] = [
                ("id", participant.id.lowercasedString), ("display_name", participant.displayName),
                ("kind", participant.kind.rawValue), ("status", participant.status.rawValue),
                ("organization_id", participant.organizationID?.lowercasedString ?? ""),
                ("timezone", participant.timezone), ("languages", participant.languages.joined(separator: " ")),
                ("email", participant.email ?? ""), ("represents", participant.represents ?? ""),
                ("version", String(participant.version)),
            ]
            if json {
                CLI.printJSON(Dictionary(uniqueKeysWithValues: fields))
            } else {
                CLI.printTable(["FIELD", "VALUE"], fields.map { [$0.0, $0.1] })
            }
        }
    }
}
