import DialogueCore
import DialogueTestSupport
@testable import DialogueWeb
import Foundation
import HTTPTypes
import Testing

/// Notifications in the portal (issue 22): exactly one per event and recipient who may see the
/// object, none for anyone else, and each shown only while its reader may still see the object.
@Suite("Notifications: the outbox and the portal's list")
struct NotificationTests {
    static func events(_ dialogue: Dialogue, _ user: TestUser) async throws -> [NotificationEvent] {
        try await dialogue.listNotifications(user.context).map(\.event)
    }

    @Test("each event notifies once each recipient who may see its object, never the actor, never anyone else")
    func events() async throws {
        try await withDialogue { dialogue in
            let cli = CallContext.cli()
            let coordinator = try await dialogue.makeUser(.coordinator, name: "Envoy")
            let author = try await dialogue.makeUser(.member, name: "Author", kind: .diaspora)
            let endorser = try await dialogue.makeUser(.member, name: "Endorser", kind: .diaspora)
            let proxy = try await dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
            let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            for user in [author, endorser, proxy] {
                _ = try await dialogue.putMember(cli, groupID: group.id, participantID: user.participantID, role: "member")
            }
            let session = try await dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: group.id, title: "Media session", localStart: "2030-05-14T10:00",
                durationMinutes: 90, timezone: "Europe/Vilnius"))
            // Invitations: the invitee alone hears of theirs; inviting again changes nothing.
            for user in [author, proxy] {
                _ = try await dialogue.invite(coordinator.context, sessionID: session.id, participantID: user.participantID, onBehalfOf: nil)
            }
            _ = try await dialogue.invite(coordinator.context, sessionID: session.id, participantID: proxy.participantID, onBehalfOf: "again")
            #expect(try await Self.events(dialogue, author) == [.sessionInvited])
            #expect(try await Self.events(dialogue, proxy) == [.sessionInvited])
            #expect(try await Self.events(dialogue, endorser).isEmpty, "a proxy's invitation notifies no other member")
            // A move tells everyone invited, once per move; a cancellation too.
            _ = try await dialogue.updateSession(coordinator.context, id: session.id, SessionInput(localStart: "2030-05-14T11:00", durationMinutes: 90), ifMatch: nil)
            _ = try await dialogue.updateSession(coordinator.context, id: session.id, SessionInput(localStart: "2030-05-14T12:00", durationMinutes: 90), ifMatch: nil)
            #expect(try await Self.events(dialogue, proxy) == [.sessionChanged, .sessionChanged, .sessionInvited])
            _ = try await dialogue.transitionSession(coordinator.context, id: session.id, to: "cancelled", note: nil, ifMatch: nil)
            #expect(try await Self.events(dialogue, author).first == .sessionCancelled)
            #expect(try await Self.events(dialogue, coordinator).isEmpty, "the one who acted is not told")

            // A proposal: its author hears of moves others make, and of endorsements.
            let proposal = try await dialogue.createProposal(
                author.context, ProposalInput(workingGroupID: group.id, title: "Licensing", kind: "policy", scale: "small"))
            _ = try await dialogue.transitionProposal(author.context, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
            let before = try await Self.events(dialogue, author).count
            _ = try await dialogue.endorse(endorser.context, proposalID: proposal.id)
            _ = try await dialogue.endorse(endorser.context, proposalID: proposal.id, withdraw: true)
            _ = try await dialogue.endorse(endorser.context, proposalID: proposal.id)
            _ = try await dialogue.transitionProposal(coordinator.context, id: proposal.id, to: "under_review", note: nil, ifMatch: nil)
            let after = try await Self.events(dialogue, author)
            #expect(after.count == before + 2 && Array(after.prefix(2)) == [.proposalMoved, .proposalEndorsed],
                    "the author's own submission is not news; one endorsement, however often it is withdrawn and given again")

            // Action items: the owner hears it is theirs, and reminders once per due date.
            let calendar = Calendar(identifier: .gregorian)
            func day(_ offset: Int) -> String {
                RFC3339.dateString(from: calendar.date(byAdding: .day, value: offset, to: Date()) ?? Date())
            }
            let soon = try await dialogue.createActionItem(
                coordinator.context, ActionItemInput(workingGroupID: group.id, title: "Soon", ownerID: endorser.participantID, dueOn: day(2)))
            let late = try await dialogue.createActionItem(
                coordinator.context, ActionItemInput(workingGroupID: group.id, title: "Late", ownerID: endorser.participantID, dueOn: day(-1)))
            _ = try await dialogue.createActionItem(
                coordinator.context, ActionItemInput(workingGroupID: group.id, title: "Later", ownerID: endorser.participantID, dueOn: day(30)))
            #expect(try await dialogue.sweepReminders() == 1, "overdue now; 'due soon' would only repeat the unread assignment")
            try await dialogue.markNotificationsRead(endorser.context, ids: nil)
            #expect(try await dialogue.sweepReminders() == 1, "the assignment read, the reminder follows")
            #expect(try await dialogue.sweepReminders() == 0, "a reminder is written once")
            let owner = try await dialogue.listNotifications(endorser.context)
            #expect(owner.filter { $0.event == .actionAssigned }.count == 3)
            #expect(owner.filter { $0.event == .actionDueSoon }.map(\.objectID) == [soon.id])
            #expect(owner.filter { $0.event == .actionOverdue }.map(\.objectID) == [late.id])

            // The compromise drill drops everything pending for the participant.
            _ = try await dialogue.markCompromised(cli, participantID: proxy.participantID, reason: "seized")
            let left = try await dialogue.database.read { connection in
                try await connection.query("SELECT count(*)::int8 FROM notifications WHERE recipient_id = \(proxy.participantID)",
                                           logger: dialogue.database.logger).collect().first?.decode(Int.self)
            }
            #expect(left == 0)
        }
    }

    /// The operator's way to run the server's sweep (`make bench` runs it on each fresh
    /// dataset): through the real binary, against this database.
    @Test("dialogue-admin action remind writes the reminders owed, prints how many, and writes none twice")
    func remindCommand() async throws {
        let binary = TestDatabases.sqlDirectory.deletingLastPathComponent().appendingPathComponent(".build/debug/dialogue-admin").path
        try await withDialogue { dialogue in
            let cli = CallContext.cli()
            let owner = try await dialogue.makeUser(.member, name: "Owner", kind: .diaspora)
            let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
            let yesterday = RFC3339.dateString(from: Date().addingTimeInterval(-86_400))
            let late = try await dialogue.createActionItem(
                cli, ActionItemInput(workingGroupID: group.id, title: "Late", ownerID: owner.participantID, dueOn: yesterday))
            let environment = ["DATABASE_URL": dialogue.database.configuration.url, "DIALOGUE_LOG_LEVEL": "warning"]

            let (refused, refusal) = try runMergingStderr(binary, ["action", "remind", "--all"], environment: environment)
            #expect(refused != 0 && refusal.contains("--all"), "an unknown option is refused by name: \(refusal)")
            #expect(try await Self.events(dialogue, owner) == [.actionAssigned], "a refused command writes nothing")

            let (status, printed) = try run(binary, ["action", "remind"], environment: environment)
            #expect(status == 0)
            #expect(printed == "1\n", "the count alone, on stdout")
            let reminders = try await dialogue.listNotifications(owner.context).filter { $0.event == .actionOverdue }
            #expect(reminders.map(\.objectID) == [late.id])

            let (again, printedAgain) = try run(binary, ["action", "remind"], environment: environment)
            #expect(again == 0 && printedAgain == "0\n", "a reminder is written once")
        }
    }

    @Test("the portal lists them with a count in the header; a link marks one read; one the reader may no longer see is gone")
    func portal() async throws {
        try await Portal.run { portal in
            let dialogue = portal.dialogue
            let cli = CallContext.cli()
            let member = try await dialogue.makeUser(.member, name: "Member", kind: .diaspora)
            let other = try await dialogue.makeUser(.member, name: "Other", kind: .diaspora)
            let first = try await dialogue.createSession(cli, SessionInput(
                kind: "plenary", title: "First plenary", localStart: "2030-05-14T10:00", durationMinutes: 90, timezone: "Europe/Vilnius"))
            let second = try await dialogue.createSession(cli, SessionInput(
                kind: "plenary", title: "Second plenary", localStart: "2030-06-14T10:00", durationMinutes: 90, timezone: "Europe/Vilnius"))
            for session in [first, second] {
                _ = try await dialogue.invite(cli, sessionID: session.id, participantID: member.participantID, onBehalfOf: nil)
            }
            let (cookie, csrf) = try await portal.signedIn(member, name: "member")
            let home = try await portal.get("/", cookie: cookie)
            #expect(home.html.contains(">Notifications (2)</a>"), "the header counts the unread ones")
            let list = try await portal.get("/notifications", cookie: cookie)
            #expect(list.status == 200 && list.html.contains("First plenary") && list.html.contains("You are invited to a session"))
            PortalTests.checkPageRules(list, "notifications")
            let ids = try await dialogue.listNotifications(member.context).map(\.id)
            let opened = try await portal.get("/notifications/\(ids[0])", cookie: cookie)
            #expect(opened.status == 303 && opened.headers[.location]?.hasPrefix("/sessions/") == true)
            #expect(try await portal.get("/", cookie: cookie).html.contains(">Notifications (1)</a>"))
            let (otherCookie, _) = try await portal.signedIn(other, name: "other")
            #expect(try await portal.get("/notifications/\(ids[1])", cookie: otherCookie).status == 404, "someone else's is not there")
            #expect(!(try await portal.get("/notifications", cookie: otherCookie)).html.contains("plenary"))
            // Access to the second session ends (the attendance goes): its notification goes too.
            try await dialogue.database.autocommit { connection in
                try await connection.query(
                    "DELETE FROM attendances WHERE session_id = \(second.id) AND participant_id = \(member.participantID)", logger: dialogue.database.logger)
            }
            let after = try await portal.get("/notifications", cookie: cookie)
            #expect(!after.html.contains("Second plenary") && after.html.contains("First plenary"))
            #expect(try await portal.post("/notifications/read", [:], cookie: cookie).status == 403, "marking read needs the token")
            #expect(try await portal.post("/notifications/read", ["csrf": csrf], cookie: cookie).status == 303)
            #expect(try await portal.get("/", cookie: cookie).html.contains(">Notifications</a>"), "all read: no count")
        }
    }
}
