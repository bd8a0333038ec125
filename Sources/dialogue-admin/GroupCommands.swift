import ArgumentParser
import DialogueCore
import Foundation

struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group", abstract: "Working groups and their members.",
        subcommands: [Add.self, List.self, Show.self, Member.self])

    static func row(_ group: WorkingGroup) -> [String] {
        [group.id.lowercasedString, group.direction, group.name, group.status.rawValue]
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a working group; prints its id.")
        @Option(help: "Direction slug: political, human_rights, accountability, media, identity_culture, private_sector.")
        var direction: String
        @Option(help: "Name, unique within the direction.") var name: String
        @Option(help: "What the group is for.") var mandate: String = ""

        func run() async throws {
            let group = try await CLI.run { dialogue in
                try await dialogue.createWorkingGroup(.cli(), WorkingGroupInput(direction: direction, name: name, mandate: mandate))
            }
            print(group.id.lowercasedString)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List working groups.")
        @Option(help: "Only this direction.") var direction: String?
        @Option(help: "active or archived.") var status: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let groups = try await CLI.run { dialogue in
                try await CLI.all { cursor in
                    try await dialogue.listWorkingGroups(
                        .cli(), page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor), direction: direction,
                        status: status)
                }
            }
            let header = ["ID", "DIRECTION", "NAME", "STATUS"]
            if json {
                CLI.printJSON(groups.map { Dictionary(uniqueKeysWithValues: zip(header.map { $0.lowercased() }, GroupCommand.row($0))) })
            } else {
                CLI.printTable(header, groups.map(GroupCommand.row))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a working group, its warnings and members.")
        @Argument(help: "Working group id.") var id: String

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let (group, members) = try await CLI.run { dialogue in
                let group = try await dialogue.getWorkingGroup(.cli(), id: id)
                let members = try await CLI.all { cursor in
                    try await dialogue.listMembers(
                        .cli(), groupID: id, page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor))
                }
                return (group, members)
            }
            CLI.printTable(["FIELD", "VALUE"], [
                ["id", group.id.lowercasedString], ["direction", group.direction], ["name", group.name],
                ["status", group.status.rawValue], ["mandate", group.mandate], ["version", String(group.version)],
            ])
            for warning in group.warnings { print("warning: \(warning)") }
            print("")
            CLI.printTable(["PARTICIPANT", "NAME", "KIND", "ROLE"], members.map(Member.row))
        }
    }

    struct Member: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "member",
            abstract: "Add, remove or list the members of a group.", subcommands: [AddMember.self, RemoveMember.self, ListMembers.self])

        static func row(_ membership: Membership) -> [String] {
            [membership.participantID.lowercasedString, membership.displayName, membership.kind.rawValue,
             membership.role.rawValue]
        }

        struct AddMember: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Add a participant to a group, or change their role.")
            @Option(help: "Working group id.") var group: String
            @Option(help: "Participant id.") var participant: String
            @Option(help: "chair, member or observer.") var role: String = "member"

            func run() async throws {
                let groupID = try CLI.uuid(group, "--group")
                let participantID = try CLI.uuid(participant, "--participant")
                let (membership, created) = try await CLI.run { dialogue in
                    try await dialogue.putMember(.cli(), groupID: groupID, participantID: participantID, role: role)
                }
                print("\(created ? "added" : "updated"): \(membership.displayName) as \(membership.role.rawValue)")
            }
        }

        struct RemoveMember: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a participant from a group.")
            @Option(help: "Working group id.") var group: String
            @Option(help: "Participant id.") var participant: String

            func run() async throws {
                let groupID = try CLI.uuid(group, "--group")
                let participantID = try CLI.uuid(participant, "--participant")
                try await CLI.run { dialogue in
                    try await dialogue.removeMember(.cli(), groupID: groupID, participantID: participantID)
                }
                print("removed")
            }
        }

        struct ListMembers: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List a group's members.")
            @Option(help: "Working group id.") var group: String
            @Flag(help: "Print JSON instead of a table.") var json = false

            func run() async throws {
                let groupID = try CLI.uuid(group, "--group")
                let members = try await CLI.run { dialogue in
                    try await CLI.all { cursor in
                        try await dialogue.listMembers(
                            .cli(), groupID: groupID, page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor))
                    }
                }
                let header = ["participant_id", "display_name", "kind", "role"]
                if json {
                    CLI.printJSON(members.map { Dictionary(uniqueKeysWithValues: zip(header, Member.row($0))) })
                } else {
                    CLI.printTable(header.map { $0.uppercased() }, members.map(Member.row))
                }
            }
        }
    }
}
