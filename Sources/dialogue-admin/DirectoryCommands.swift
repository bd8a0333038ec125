import ArgumentParser
import DialogueCore
import Foundation

struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Organizations on every side.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organization; prints its id.")
        @Option(help: "The organization's name (unique, case-insensitive).") var name: String
        @Option(help: "government, movement or partner.") var side: String
        @Option(help: "ISO 3166-1 alpha-2 country code.") var country: String?

        func run() async throws {
            let organization = try await CLI.run { dialogue in
                try await dialogue.createOrganization(.cli(), OrganizationInput(name: name, side: side, country: country.map { .some($0) }))
            }
            print(organization.id.uuidString.lowercased())
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organizations.")
        @Option(help: "Only this side.") var side: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let organizations = try await CLI.run { dialogue in
                var all: [Organization] = []
                var cursor: String?
                repeat {
                    let page = try await dialogue.listOrganizations(
                        .cli(), page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor), side: side)
                    all += page.items
                    cursor = page.nextCursor
                } while cursor != nil
                return all
            }
            if json {
                CLI.printJSON(organizations.map {
                    ["id": $0.id.uuidString.lowercased(), "name": $0.name, "side": $0.side.rawValue, "country": $0.country ?? ""]
                })
            } else {
                CLI.printTable(
                    ["ID", "NAME", "SIDE", "COUNTRY"],
                    organizations.map { [$0.id.uuidString.lowercased(), $0.name, $0.side.rawValue, $0.country ?? "-"] })
            }
        }
    }
}

struct ParticipantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "participant", abstract: "Participants: diaspora, in-country proxies, officials.",
        subcommands: [Add.self, Show.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a participant; prints its id.")
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
            print(participant.id.uuidString.lowercased())
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a participant's public fields.")
        @Argument(help: "Participant id.") var id: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let participant = try await CLI.run { dialogue in try await dialogue.getParticipant(.cli(), id: id) }
            let fields: [(String, String)] = [
                ("id", participant.id.uuidString.lowercased()), ("display_name", participant.displayName),
                ("kind", participant.kind.rawValue), ("status", participant.status.rawValue),
                ("organization_id", participant.organizationID?.uuidString.lowercased() ?? ""),
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
