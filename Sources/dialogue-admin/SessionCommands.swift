import ArgumentParser
import DialogueCore
import Foundation

struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "Sessions: plenary, quarterly and working-group meetings.",
        subcommands: [Add.self, List.self, Show.self, Transition.self, Invite.self, ScheduleQuarterly.self])

    static let header = ["ID", "KIND", "STATUS", "STARTS (UTC)", "LOCAL START", "TITLE"]

    static func row(_ session: Session) -> [String] {
        [session.id.lowercasedString, session.kind.rawValue, session.status.rawValue,
         CLI.timestamp(session.startsAt), localTime(session.startsAt, session.timezone), session.title]
    }

    static func localTime(_ date: Date, _ zone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: zone)
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return "\(formatter.string(from: date)) \(zone)"
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Create a session at a local wall time in its zone; prints its id.")
        @Option(help: "plenary, quarterly or working_group.") var kind: String
        @Option(help: "Title.") var title: String
        @Option(help: "Local start, e.g. 2027-03-28T10:00 (in --timezone).") var start: String
        @Option(help: "IANA zone the meeting is planned in.") var timezone: String
        @Option(help: "Length in minutes.") var duration: Int = 120
        @Option(help: "Working group id (working_group sessions only).") var group: String?
        @Option(help: "Place, or 'online'.") var location: String = ""
        @Option(help: "Level, e.g. 'deputy secretary'.") var level: String = ""

        func run() async throws {
            let groupID = try group.map { try CLI.uuid($0, "--group") }
            let session = try await CLI.run { dialogue in
                try await dialogue.createSession(.cli(), SessionInput(
                    kind: kind, workingGroupID: groupID, title: title, level: level, localStart: start,
                    durationMinutes: duration, timezone: timezone, location: location))
            }
            print(session.id.lowercasedString)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List sessions by start time.")
        @Option(help: "Quarter, e.g. 2026-Q4.") var quarter: String?
        @Option(help: "plenary, quarterly or working_group.") var kind: String?
        @Option(help: "planned, confirmed, held or cancelled.") var status: String?
        @Option(help: "Working group id.") var group: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let groupID = try group.map { try CLI.uuid($0, "--group") }
            let filter = SessionFilter(kind: kind, workingGroupID: groupID, quarter: quarter, status: status)
            let sessions = try await CLI.run { dialogue in
                try await CLI.all { cursor in
                    try await dialogue.listSessions(.cli(), page: try PageRequest(limit: PageRequest.maximumLimit, cursor: cursor), filter: filter)
                }
            }
            if json {
                CLI.printJSON(sessions.map { Dictionary(uniqueKeysWithValues: zip(
                    ["id", "kind", "status", "starts_at", "local_start", "title"], SessionCommand.row($0))) })
            } else {
                CLI.printTable(SessionCommand.header, sessions.map(SessionCommand.row))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a session, its agenda, attendees and conflicts.")
        @Argument(help: "Session id.") var id: String

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let (session, agenda, attendees, conflicts) = try await CLI.run { dialogue in
                (try await dialogue.getSession(.cli(), id: id), try await dialogue.getAgenda(.cli(), sessionID: id),
                 try await dialogue.listAttendees(.cli(), sessionID: id), try await dialogue.sessionConflicts(.cli(), sessionID: id))
            }
            CLI.printTable(SessionCommand.header, [SessionCommand.row(session)])
            print("\nagenda (version \(agenda.version)):")
            CLI.printTable(["#", "ID", "MIN", "OUTCOME", "TITLE"], agenda.items.map {
                [String($0.position), $0.id.lowercasedString, String($0.durationMinutes), $0.outcome?.rawValue ?? "-", $0.title]
            })
            print("\nattendees:")
            CLI.printTable(["PARTICIPANT", "NAME", "RSVP", "ATTENDED"], attendees.map {
                [$0.participantID.lowercasedString, $0.displayName, $0.rsvp.rawValue, $0.attended.map { String($0) } ?? "-"]
            })
            for conflict in conflicts {
                print("conflict: \(conflict.displayName) is also invited to '\(conflict.otherTitle)' at \(CLI.timestamp(conflict.otherStartsAt))")
            }
        }
    }

    struct Transition: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "transition", abstract: "Move a session to confirmed, held or cancelled.")
        @Argument(help: "Session id.") var id: String
        @Option(help: "confirmed, held or cancelled.") var to: String
        @Option(help: "Why.") var note: String?

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let session = try await CLI.run { dialogue in
                try await dialogue.transitionSession(.cli(), id: id, to: to, note: note, ifMatch: nil)
            }
            CLI.printTable(SessionCommand.header, [SessionCommand.row(session)])
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "invite", abstract: "Invite a participant; reports double-booking.")
        @Argument(help: "Session id.") var id: String
        @Option(help: "Participant id.") var participant: String
        @Option(help: "Whom the participant speaks for here.") var onBehalfOf: String?

        func run() async throws {
            let id = try CLI.uuid(id, "id")
            let participantID = try CLI.uuid(participant, "--participant")
            let (attendance, created, conflicts) = try await CLI.run { dialogue in
                try await dialogue.invite(.cli(), sessionID: id, participantID: participantID, onBehalfOf: onBehalfOf)
            }
            print("\(created ? "invited" : "already invited"): \(attendance.displayName)")
            for conflict in conflicts {
                print("conflict: also invited to '\(conflict.otherTitle)' at \(CLI.timestamp(conflict.otherStartsAt))")
            }
        }
    }

    struct ScheduleQuarterly: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schedule-quarterly",
            abstract: "Create the four quarterly meetings of a year; running it again creates nothing new.")
        @Option(help: "Year.") var year: Int
        @Option(help: "Local time, HH:MM.") var time: String = "10:00"
        @Option(help: "IANA zone.") var timezone: String = "Europe/Vilnius"
        @Option(help: "Month within each quarter (1-3).") var monthInQuarter: Int = 2
        @Option(help: "Day of that month (1-28).") var day: Int = 15
        @Option(help: "Length in minutes.") var duration: Int = 180
        @Option(help: "Title prefix.") var title: String = "Quarterly meeting"
        @Option(help: "Place.") var location: String = ""

        func run() async throws {
            let scheduled = try await CLI.run { dialogue in
                try await dialogue.scheduleQuarterly(
                    .cli(), year: year, monthInQuarter: monthInQuarter, day: day, localTime: time, timezone: timezone,
                    durationMinutes: duration, title: title, location: location)
            }
            CLI.printTable(["CREATED"] + SessionCommand.header, scheduled.map { [$0.created ? "new" : "existing"] + SessionCommand.row($0.session) })
        }
    }
}

struct AgendaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agenda", abstract: "A session's agenda.", subcommands: [Add.self, List.self, Move.self, Remove.self])

    static func print(_ agenda: Agenda) {
        CLI.printTable(["#", "ID", "MIN", "OUTCOME", "TITLE"], agenda.items.map {
            [String($0.position), $0.id.lowercasedString, String($0.durationMinutes), $0.outcome?.rawValue ?? "-", $0.title]
        })
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an item (at the end, or at --position).")
        @Option(help: "Session id.") var session: String
        @Option(help: "Title.") var title: String
        @Option(help: "Minutes (1-480).") var duration: Int = 15
        @Option(help: "Position (1 = first).") var position: Int?
        @Option(help: "Presenter (participant id).") var presenter: String?

        func run() async throws {
            let sessionID = try CLI.uuid(session, "--session")
            let presenterID = try presenter.map { try CLI.uuid($0, "--presenter") }
            let (_, agenda) = try await CLI.run { dialogue in
                try await dialogue.addAgendaItem(
                    .cli(), sessionID: sessionID,
                    AgendaItemInput(title: title, durationMinutes: duration, presenterID: presenterID.map { .some($0) }, position: position),
                    ifMatch: nil)
            }
            AgendaCommand.print(agenda)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Show the agenda in order.")
        @Option(help: "Session id.") var session: String

        func run() async throws {
            let sessionID = try CLI.uuid(session, "--session")
            AgendaCommand.print(try await CLI.run { dialogue in try await dialogue.getAgenda(.cli(), sessionID: sessionID) })
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "move", abstract: "Move an item to a position.")
        @Argument(help: "Agenda item id.") var item: String
        @Option(help: "New position (1 = first).") var to: Int

        func run() async throws {
            let itemID = try CLI.uuid(item, "item")
            AgendaCommand.print(try await CLI.run { dialogue in try await dialogue.moveAgendaItem(.cli(), itemID: itemID, to: to) })
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an item; the rest close up.")
        @Argument(help: "Agenda item id.") var item: String

        func run() async throws {
            let itemID = try CLI.uuid(item, "item")
            try await CLI.run { dialogue in try await dialogue.deleteAgendaItem(.cli(), id: itemID, ifMatch: nil) }
            Swift.print("removed")
        }
    }
}
