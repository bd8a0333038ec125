import ArgumentParser
import DialogueCore
import Foundation

struct ProposalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposal", abstract: "Proposals (drafts are visible to their authors only, so never here).",
        subcommands: [List.self, Show.self, Transition.self])

    static let header = ["ID", "STATUS", "KIND", "ENDORSED", "TITLE"]
    static func row(_ proposal: Proposal) -> [String] {
        [proposal.id.lowercasedString, proposal.status.rawValue, proposal.kind.rawValue,
         String(proposal.endorsementCount), proposal.title]
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List or search proposals.")
        @Option(help: "Full-text search over title, summary and body.") var query: String?
        @Option(help: "Direction slug.") var direction: String?
        @Option(help: "Status.") var status: String?
        @Option(help: "Working group id.") var group: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let groupID = try group.map { try CLI.uuid($0, "--group") }
            let filter = ProposalFilter(query: query, workingGroupID: groupID, direction: direction, status: status)
            let proposals = try await CLI.run { dialogue in
                try await CLI.all { cursor in
                    try await dialogue.listProposals(.cli(), page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor), filter: filter)
                }
            }
            if json {
                CLI.printJSON(proposals.map { Dictionary(uniqueKeysWithValues: zip(
                    ["id", "status", "kind", "endorsements", "title"], ProposalCommand.row($0))) })
            } else {
                CLI.printTable(ProposalCommand.header, proposals.map(ProposalCommand.row))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a proposal and its history.")
        @Argument(help: "Proposal id.") var id: String

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let proposal = try await CLI.run { dialogue in try await dialogue.getProposal(.cli(), id: id) }
            CLI.printTable(ProposalCommand.header, [ProposalCommand.row(proposal)])
            print("\n\(proposal.summary)\n")
            CLI.printTable(["WHEN", "FROM", "TO", "BY", "NOTE"], proposal.history.map {
                [CLI.timestamp($0.at), $0.from.rawValue, $0.to.rawValue,
                 $0.automatic ? "agenda" : ($0.actorID?.lowercasedString ?? "operator"), $0.note]
            })
        }
    }

    struct Transition: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transition",
            abstract: "Take under review, accept or decline (the operator acts as a coordinator).")
        @Argument(help: "Proposal id.") var id: String
        @Option(help: "under_review, accepted or declined.") var to: String
        @Option(help: "Why.") var note: String?

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let proposal = try await CLI.run { dialogue in
                try await dialogue.transitionProposal(.cli(), id: id, to: to, note: note, ifMatch: nil)
            }
            CLI.printTable(ProposalCommand.header, [ProposalCommand.row(proposal)])
        }
    }
}

struct ActionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "action", abstract: "Action items: who does what by when.",
        subcommands: [List.self, Add.self, Update.self, Overdue.self, Remind.self])

    static let header = ["ID", "STATUS", "%", "DUE", "OVERDUE", "TITLE"]
    static func row(_ item: ActionItem) -> [String] {
        [item.id.lowercasedString, item.status.rawValue, String(item.progress), item.dueOn, item.overdue ? "yes" : "",
         item.title]
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List action items.")
        @Option(help: "Status.") var status: String?
        @Option(help: "Direction slug.") var direction: String?
        @Option(help: "Owner (participant id).") var owner: String?
        @Flag(help: "Only overdue items.") var overdue = false
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let ownerID = try owner.map { try CLI.uuid($0, "--owner") }
            let filter = ActionItemFilter(status: status, ownerID: ownerID, direction: direction, overdue: overdue ? true : nil)
            let items = try await CLI.run { dialogue in
                try await CLI.all { cursor in
                    try await dialogue.listActionItems(.cli(), page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor), filter: filter)
                }
            }
            if json {
                CLI.printJSON(items.map { Dictionary(uniqueKeysWithValues: zip(
                    ["id", "status", "progress", "due_on", "overdue", "title"], ActionCommand.row($0))) })
            } else {
                CLI.printTable(ActionCommand.header, items.map(ActionCommand.row))
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Assign an action item; prints its id.")
        @Option(help: "Title.") var title: String
        @Option(help: "Owner (participant id).") var owner: String
        @Option(help: "Due date, YYYY-MM-DD.") var due: String
        @Option(help: "Working group id (optional with --agenda-item).") var group: String?
        @Option(help: "The adopted agenda item it follows from.") var agendaItem: String?

        func run() async throws {
            let input = ActionItemInput(
                workingGroupID: try group.map { try CLI.uuid($0, "--group") },
                agendaItemID: try agendaItem.map { try CLI.uuid($0, "--agenda-item") }, title: title,
                ownerID: try CLI.uuid(owner, "--owner"), dueOn: due)
            let item = try await CLI.run { dialogue in try await dialogue.createActionItem(.cli(), input) }
            print(item.id.lowercasedString)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update", abstract: "Report status or progress (done and dropped need --note).")
        @Argument(help: "Action item id.") var id: String
        @Option(help: "open, in_progress, blocked, done or dropped.") var status: String?
        @Option(help: "0-100.") var progress: Int?
        @Option(help: "What happened.") var note: String?
        @Option(help: "New due date, YYYY-MM-DD.") var due: String?

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let item = try await CLI.run { dialogue in
                try await dialogue.updateActionItem(
                    .cli(), id: id, ActionItemInput(dueOn: due, status: status, progress: progress, note: note), ifMatch: nil)
            }
            CLI.printTable(ActionCommand.header, [ActionCommand.row(item)])
        }
    }

    /// The server's periodic sweep, run once now: after loading or restoring data, so that
    /// the reminders owed are written before the server starts rather than by its first sweep.
    struct Remind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remind",
            abstract: "Write the reminders owed for action items coming due or overdue; prints how many (the server does this every 15 minutes).")

        func run() async throws {
            print(try await CLI.run { dialogue in try await dialogue.sweepReminders() })
        }
    }

    struct Overdue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "overdue", abstract: "Overdue action items per direction, for the weekly look.")

        func run() async throws {
            let (groups, items) = try await CLI.run { dialogue in
                let groups = try await CLI.all { cursor in
                    try await dialogue.listWorkingGroups(.cli(), page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor))
                }
                let items = try await CLI.all { cursor in
                    try await dialogue.listActionItems(
                        .cli(), page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor),
                        filter: ActionItemFilter(overdue: true))
                }
                return (groups, items)
            }
            let direction = Dictionary(uniqueKeysWithValues: groups.map { ($0.id, $0.direction) })
            let byDirection = Dictionary(grouping: items) { direction[$0.workingGroupID] ?? "?" }
            for slug in ["political", "human_rights", "accountability", "media", "identity_culture", "private_sector"] {
                let list = (byDirection[slug] ?? []).sorted { $0.dueOn < $1.dueOn }
                print("\(slug): \(list.count) overdue")
                if !list.isEmpty { CLI.printTable(ActionCommand.header, list.map(ActionCommand.row)) }
            }
        }
    }
}
