import ArgumentParser
import DialogueCore
import Foundation

extension Role: ExpressibleByArgument {}

/// `participant invite`: a one-time portal invitation, printed as a link (shown once).
struct InviteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite",
        abstract: "Invite a participant into the portal; prints a one-time link (72 hours, shown once) on stdout.")
    @Argument(help: "Participant id.") var id: String
    @Option(help: "The role the portal account gets.") var role: Role

    func run() async throws {
        let participantID = try CLI.uuid(id, "id")
        let role = self.role
        let base = (try? Configuration.fromEnvironment().publicURL) ?? nil
        let invitation = try await CLI.run { dialogue in
            try await dialogue.invitePortalUser(.cli(), participantID: participantID, role: role.rawValue)
        }
        FileHandle.standardError.write(Data(
            "portal invitation for \(participantID.lowercasedString) as \(role.rawValue), open until \(CLI.timestamp(invitation.expiresAt)); single use, shown once:\n".utf8))
        print(invitation.link(publicBaseURL: base ?? "http://127.0.0.1:8080"))
    }
}
