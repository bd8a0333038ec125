import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Testing

/// SECURITY.md 7: object-level authorization for every operation of the contract. The rows
/// are keyed by operationId and the test fails when `openapi.yaml` has an operation without
/// one, so a new endpoint cannot ship unexamined. Each caller gets a fresh world, so what one
/// caller's write changes cannot decide another's answer.
@Suite("Access matrix: every operation of the contract, every kind of caller")
struct OperationMatrixTests {
    enum Caller: String, CaseIterable, Sendable {
        case admin, coordinator
        /// A member of the world's group: author of its draft and proposal, owner of its action
        /// item, invited to its session, holder of a calendar feed.
        case member
        /// A member of another group only.
        case outsider
        /// An observer token in no group.
        case observer
        case noToken, revokedToken
    }

    struct Users: Sendable {
        var coordinator: TestUser, member: TestUser, outsider: TestUser, observer: TestUser, revoked: TestUser
    }

    /// The objects one caller's row acts on, all in group A.
    struct World: Sendable {
        var organization: UUID, group: UUID, otherGroup: UUID, session: UUID, agendaItem: UUID, proposal: UUID
        var draft: UUID, actionItem: UUID, memberToken: UUID, feed: UUID, feedSecret: String, extra: UUID, webhook: UUID, users: Users
        /// The member's briefing in the group and their comment on the proposal; a text file
        /// attached to the proposal.
        var document: UUID, comment: UUID, evidence: UUID
        /// The member's submitted sanctions proposal and political-prisoner case (naming a judge).
        var sanctions: UUID, prisonerCase: UUID

        static func make(_ api: API, _ users: Users, tag: String) async throws -> World {
            let cli = CallContext.cli()
            let dialogue = api.dialogue
            let organization = try await dialogue.createOrganization(cli, OrganizationInput(name: "Org \(tag)", side: "partner"))
            let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Group \(tag)"))
            let otherGroup = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "political", name: "Other \(tag)"))
            let extra = try await dialogue.createParticipant(cli, ParticipantInput(displayName: "Extra \(tag)", kind: "diaspora"))
            for (participant, groupID) in [
                (users.member.participantID, group.id), (extra.id, group.id), (users.outsider.participantID, otherGroup.id),
            ] {
                _ = try await dialogue.putMember(cli, groupID: groupID, participantID: participant, role: "member")
            }
            let session = try await dialogue.createSession(cli, SessionInput(
                kind: "working_group", workingGroupID: group.id, title: "Session \(tag)",
                startsAt: Date(timeIntervalSince1970: 1_900_000_000), endsAt: Date(timeIntervalSince1970: 1_900_003_600), timezone: "UTC"))
            _ = try await dialogue.invite(cli, sessionID: session.id, participantID: users.member.participantID, onBehalfOf: nil)
            let (item, _) = try await dialogue.addAgendaItem(
                cli, sessionID: session.id, AgendaItemInput(title: "Item \(tag)", durationMinutes: 10), ifMatch: nil)
            let member = users.member.context
            let proposal = try await dialogue.createProposal(
                member, ProposalInput(workingGroupID: group.id, title: "Proposal \(tag)", kind: "policy", scale: "small"))
            _ = try await dialogue.transitionProposal(member, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
            let draft = try await dialogue.createProposal(
                member, ProposalInput(workingGroupID: group.id, title: "Draft \(tag)", kind: "policy", scale: "small"))
            let action = try await dialogue.createActionItem(cli, ActionItemInput(
                workingGroupID: group.id, title: "Action \(tag)", ownerID: users.member.participantID, dueOn: "2027-06-01"))
            let token = try await dialogue.issueToken(
                cli, participantID: users.member.participantID, role: "observer", label: tag, expiresInDays: 5)
            let (feed, secret) = try await dialogue.createCalendarFeed(member)
            let (webhook, _) = try await dialogue.createWebhook(cli, url: "https://hooks.example.org/\(tag)", events: nil)
            let document = try await dialogue.createDocument(
                member, DocumentInput(workingGroupID: group.id, kind: "briefing", title: "Briefing \(tag)", body: "Text"))
            let comment = try await dialogue.createComment(member, on: .proposal(proposal.id), body: "Comment \(tag)")
            let evidence = try await dialogue.receiveEvidence(
                member, on: .proposal(proposal.id), EvidenceIntake(declaredType: "text/plain"),
                bytes: AsyncStream { continuation in
                    continuation.yield(ArraySlice("Testimony \(tag)".utf8))
                    continuation.finish()
                })
            var structured: [UUID] = []
            for kind in ["sanctions", "prisoner_case"] {
                let made = try await dialogue.createProposal(
                    member, ProposalInput(workingGroupID: group.id, title: "\(kind) \(tag)", kind: kind, scale: "small"))
                _ = try await dialogue.transitionProposal(member, id: made.id, to: "submitted", note: nil, ifMatch: nil)
                structured.append(made.id)
            }
            _ = try await dialogue.putCase(member, proposalID: structured[1], PrisonerCaseInput(judge: "Judge \(tag)"), ifMatch: nil)
            return World(
                organization: organization.id, group: group.id, otherGroup: otherGroup.id, session: session.id, agendaItem: item.id,
                proposal: proposal.id, draft: draft.id, actionItem: action.id, memberToken: token.info.id, feed: feed,
                feedSecret: secret, extra: extra.id, webhook: webhook.id, users: users, document: document.id, comment: comment.id,
                evidence: evidence.id, sanctions: structured[0], prisonerCase: structured[1])
        }
    }

    struct Row: Sendable {
        var method: HTTPRequest.Method
        var path: @Sendable (World) -> String
        var body: @Sendable (World, String) -> String?
        /// Expected status for admin, coordinator, member, outsider, observer; no token and a
        /// revoked one get 401 on every /v1 operation but the calendar feed.
        var expected: [Caller: Int]

        init(
            _ method: HTTPRequest.Method, _ path: @escaping @Sendable (World) -> String,
            body: @escaping @Sendable (World, String) -> String? = { _, _ in nil },
            admin: Int, coordinator: Int, member: Int, outsider: Int, observer: Int, anonymous: Int = 401
        ) {
            self.method = method
            self.path = path
            self.body = body
            expected = [.admin: admin, .coordinator: coordinator, .member: member, .outsider: outsider, .observer: observer,
                        .noToken: anonymous, .revokedToken: anonymous]
        }

        func with(body: @escaping @Sendable (World, String) -> String?) -> Row {
            var row = self
            row.body = body
            return row
        }

        /// One answer for everyone with a token.
        static func all(_ method: HTTPRequest.Method, _ path: @escaping @Sendable (World) -> String, _ status: Int, anonymous: Int = 401) -> Row {
            Row(method, path, admin: status, coordinator: status, member: status, outsider: status, observer: status, anonymous: anonymous)
        }
    }

    static func id(_ value: UUID) -> String { value.uuidString.lowercased() }

    /// Who may do what (API.md's table, SECURITY.md 4 and 7), one row per operationId.
    static let rows: [String: Row] = {
        let s: @Sendable (World) -> String = { w in "/v1/sessions/\(id(w.session))" }
        let p: @Sendable (World) -> String = { w in "/v1/proposals/\(id(w.proposal))" }
        let m: @Sendable (World) -> String = { w in "/v1/participants/\(id(w.users.member.participantID))" }
        let g: @Sendable (World) -> String = { w in "/v1/working-groups/\(id(w.group))" }
        let x: @Sendable (World) -> String = { w in "/v1/action-items/\(id(w.actionItem))" }
        let d: @Sendable (World) -> String = { w in "/v1/documents/\(id(w.document))" }
        let c: @Sendable (World) -> String = { w in "/v1/comments/\(id(w.comment))" }
        let readers: (HTTPRequest.Method, @escaping @Sendable (World) -> String, Int) -> Row = { method, path, status in
            Row(method, path, admin: status, coordinator: status, member: status, outsider: 404, observer: 404)
        }
        return [
            "getHealth": .all(.get, { _ in "/healthz" }, 200, anonymous: 200),
            "getReadiness": .all(.get, { _ in "/readyz" }, 200, anonymous: 200),
            "getMetrics": .all(.get, { _ in "/metrics" }, 200, anonymous: 200),
            "getOpenAPIDocument": .all(.get, { _ in "/openapi.json" }, 200, anonymous: 200),
            "getMe": .all(.get, { _ in "/v1/me" }, 200),
            "listDirections": .all(.get, { _ in "/v1/directions" }, 200),

            "listOrganizations": .all(.get, { _ in "/v1/organizations" }, 200),
            "getOrganization": .all(.get, { "/v1/organizations/\(id($0.organization))" }, 200),
            "createOrganization": Row(.post, { _ in "/v1/organizations" }, body: { _, t in #"{"name":"New \#(t)","side":"partner"}"# },
                                      admin: 201, coordinator: 201, member: 403, outsider: 403, observer: 403),
            "updateOrganization": Row(.patch, { "/v1/organizations/\(id($0.organization))" }, body: { _, _ in #"{"country":"LT"}"# },
                                      admin: 200, coordinator: 200, member: 403, outsider: 403, observer: 403),

            "listParticipants": .all(.get, { _ in "/v1/participants" }, 200),
            "createParticipant": Row(.post, { _ in "/v1/participants" }, body: { _, t in #"{"display_name":"P \#(t)","kind":"diaspora"}"# },
                                     admin: 201, coordinator: 201, member: 403, outsider: 403, observer: 403),
            "getParticipant": Row(.get, { "/v1/participants/\(id($0.extra))" }, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "updateParticipant": Row(.patch, { "/v1/participants/\(id($0.extra))" }, body: { _, _ in #"{"timezone":"Europe/Vilnius"}"# },
                                     admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            "compromiseParticipant": Row(.post, { "/v1/participants/\(id($0.extra))/compromise" }, body: { _, _ in #"{"reason":"drill"}"# },
                                         admin: 200, coordinator: 403, member: 403, outsider: 403, observer: 403),
            // The member's own tokens: an admin manages anyone's; the member its own; a
            // coordinator sees the member but may not touch them; the rest do not see it.
            "listParticipantTokens": Row(.get, { "\(m($0))/tokens" }, admin: 200, coordinator: 403, member: 200, outsider: 404, observer: 404),
            "issueParticipantToken": Row(.post, { "\(m($0))/tokens" }, body: { _, _ in #"{"role":"observer"}"# },
                                         admin: 201, coordinator: 403, member: 201, outsider: 404, observer: 404),
            "revokeParticipantToken": Row(.delete, { "\(m($0))/tokens/\(id($0.memberToken))" },
                                          admin: 204, coordinator: 403, member: 204, outsider: 404, observer: 404),

            "listWorkingGroups": .all(.get, { _ in "/v1/working-groups" }, 200),
            "createWorkingGroup": Row(.post, { _ in "/v1/working-groups" }, body: { _, t in #"{"direction":"media","name":"WG \#(t)"}"# },
                                      admin: 201, coordinator: 201, member: 403, outsider: 403, observer: 403),
            "getWorkingGroup": Row(.get, g, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "updateWorkingGroup": Row(.patch, g, body: { _, _ in #"{"mandate":"changed"}"# },
                                      admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            "listWorkingGroupMembers": Row(.get, { "\(g($0))/members" }, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "putWorkingGroupMember": Row(.put, { "\(g($0))/members/\(id($0.extra))" }, body: { _, _ in #"{"role":"chair"}"# },
                                         admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            "removeWorkingGroupMember": Row(.delete, { "\(g($0))/members/\(id($0.extra))" },
                                            admin: 204, coordinator: 204, member: 403, outsider: 404, observer: 404),

            "listSessions": .all(.get, { _ in "/v1/sessions" }, 200),
            "createSession": Row(.post, { _ in "/v1/sessions" }, body: { _, t in
                #"{"kind":"plenary","title":"S \#(t)","starts_at":"2027-02-01T10:00:00Z","ends_at":"2027-02-01T11:00:00Z","timezone":"UTC"}"# },
                admin: 201, coordinator: 201, member: 403, outsider: 403, observer: 403),
            "scheduleQuarterlySessions": Row(.post, { _ in "/v1/sessions/schedule-quarterly" }, body: { _, _ in
                #"{"year":2031,"local_time":"10:00","timezone":"Europe/Vilnius"}"# },
                admin: 200, coordinator: 200, member: 403, outsider: 403, observer: 403),
            "getSession": Row(.get, s, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "getSessionCalendar": Row(.get, { "\(s($0)).ics" }, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "updateSession": Row(.patch, s, body: { _, _ in #"{"location":"Vilnius"}"# },
                                 admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            "transitionSession": Row(.post, { "\(s($0))/transition" }, body: { _, _ in #"{"to":"confirmed"}"# },
                                     admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            // Attendee lists and conflicts are the coordinators' (membership is evidence).
            "listSessionAttendees": Row(.get, { "\(s($0))/attendees" }, admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            "listSessionConflicts": Row(.get, { "\(s($0))/conflicts" }, admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            "inviteSessionAttendee": Row(.put, { "\(s($0))/attendees/\(id($0.extra))" }, body: { _, _ in "{}" },
                                         admin: 201, coordinator: 201, member: 403, outsider: 404, observer: 404),
            // An RSVP is the attendee's own answer.
            "updateSessionAttendee": Row(.patch, { "\(s($0))/attendees/\(id($0.users.member.participantID))" }, body: { _, _ in #"{"rsvp":"yes"}"# },
                                         admin: 403, coordinator: 403, member: 200, outsider: 404, observer: 404),
            "getSessionAgenda": Row(.get, { "\(s($0))/agenda" }, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "addAgendaItem": Row(.post, { "\(s($0))/agenda" }, body: { _, _ in #"{"title":"Added","duration_minutes":5}"# },
                                 admin: 201, coordinator: 201, member: 403, outsider: 404, observer: 404),
            "reorderAgenda": Row(.put, { "\(s($0))/agenda/order" }, body: { w, _ in #"{"ids":["\#(id(w.agendaItem))"]}"# },
                                 admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            "getAgendaItem": Row(.get, { "/v1/agenda-items/\(id($0.agendaItem))" }, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "updateAgendaItem": Row(.patch, { "/v1/agenda-items/\(id($0.agendaItem))" }, body: { _, _ in #"{"title":"Renamed"}"# },
                                    admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            "deleteAgendaItem": Row(.delete, { "/v1/agenda-items/\(id($0.agendaItem))" },
                                    admin: 204, coordinator: 204, member: 403, outsider: 404, observer: 404),
            "getSessionSignOff": Row(.get, { "\(s($0))/signoff" }, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            // Sign-off is a chair's, with a token of member rank or above, once the session is
            // held: this one is planned, so whoever may try is told so (409); an observer may not.
            "signOffSession": Row(.post, { "\(s($0))/signoff" }, admin: 409, coordinator: 409, member: 409, outsider: 404, observer: 403),

            "createCalendarFeed": .all(.post, { _ in "/v1/calendar/feed-url" }, 201),
            // The member's feed: its own, or an admin's to revoke; to anyone else it does not exist.
            "revokeCalendarFeed": Row(.delete, { "/v1/calendar/feed-url/\(id($0.feed))" },
                                      admin: 204, coordinator: 404, member: 204, outsider: 404, observer: 404),
            // The feed's secret is its credential (calendar clients send no token).
            "getCalendarFeed": .all(.get, { "/v1/calendar/\($0.feedSecret).ics" }, 200, anonymous: 200),

            "listProposals": .all(.get, { _ in "/v1/proposals" }, 200),
            "createProposal": Row(.post, { _ in "/v1/proposals" }, body: { w, t in
                #"{"working_group_id":"\#(id(w.group))","title":"P \#(t)","kind":"policy","scale":"small"}"# },
                admin: 201, coordinator: 201, member: 201, outsider: 404, observer: 404),
            "getProposal": Row(.get, p, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            // A draft exists for its author alone.
            "updateProposal": Row(.patch, { "/v1/proposals/\(id($0.draft))" }, body: { _, _ in #"{"summary":"Sharper"}"# },
                                  admin: 404, coordinator: 404, member: 200, outsider: 404, observer: 404),
            "transitionProposal": Row(.post, { "\(p($0))/transition" }, body: { _, _ in #"{"to":"under_review"}"# },
                                      admin: 200, coordinator: 200, member: 403, outsider: 404, observer: 404),
            "listEndorsements": Row(.get, { "\(p($0))/endorsements" }, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            // Endorsing is a member's; the member here is the author, who may not.
            "endorseProposal": Row(.put, { "\(p($0))/endorsements" }, admin: 403, coordinator: 403, member: 403, outsider: 404, observer: 404),
            "withdrawEndorsement": Row(.delete, { "\(p($0))/endorsements" }, admin: 403, coordinator: 403, member: 403, outsider: 404, observer: 404),

            "listActionItems": .all(.get, { _ in "/v1/action-items" }, 200),
            "createActionItem": Row(.post, { _ in "/v1/action-items" }, body: { w, _ in
                #"{"working_group_id":"\#(id(w.group))","title":"A","owner_id":"\#(id(w.users.member.participantID))","due_on":"2027-07-01"}"# },
                admin: 201, coordinator: 201, member: 403, outsider: 403, observer: 403),
            "getActionItem": Row(.get, x, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "updateActionItem": Row(.patch, x, body: { _, _ in #"{"progress":30,"status":"in_progress"}"# },
                                    admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "listActionItemUpdates": Row(.get, { "\(x($0))/updates" }, admin: 200, coordinator: 200, member: 200, outsider: 404, observer: 404),
            "addActionItemUpdate": Row(.post, { "\(x($0))/updates" }, body: { _, _ in #"{"status":"blocked","note":"waiting"}"# },
                                       admin: 201, coordinator: 201, member: 201, outsider: 404, observer: 404),

            // Documents and comments: their group's members and the coordinators (audience `dialogue`).
            "listDocuments": .all(.get, { _ in "/v1/documents" }, 200),
            "createDocument": readers(.post, { _ in "/v1/documents" }, 201).with(body: { w, t in
                #"{"working_group_id":"\#(id(w.group))","title":"D \#(t)","kind":"briefing"}"# }),
            "getDocument": readers(.get, d, 200),
            "updateDocument": readers(.patch, d, 200).with(body: { _, _ in #"{"body":"Revised"}"# }),
            "listDocumentVersions": readers(.get, { "\(d($0))/versions" }, 200),
            "getDocumentVersion": readers(.get, { "\(d($0))/versions/1" }, 200),
            "diffDocument": readers(.get, { "\(d($0))/diff?from=1&to=1" }, 200),
            "getMinutesSignOff": readers(.get, { "\(d($0))/signoff" }, 200),
            // A briefing is not minutes: nothing to sign.
            "signOffMinutes": readers(.post, { "\(d($0))/signoff" }, 409),
            "listDocumentComments": readers(.get, { "\(d($0))/comments" }, 200),
            "createDocumentComment": readers(.post, { "\(d($0))/comments" }, 201).with(body: { _, _ in #"{"body":"Agreed"}"# }),
            "listProposalComments": readers(.get, { "\(p($0))/comments" }, 200),
            "createProposalComment": readers(.post, { "\(p($0))/comments" }, 201).with(body: { _, _ in #"{"body":"Agreed"}"# }),
            "getComment": readers(.get, c, 200),
            // The member wrote it: only they edit it; a coordinator may remove it.
            "updateComment": Row(.patch, c, body: { _, _ in #"{"body":"Rephrased"}"# },
                                 admin: 403, coordinator: 403, member: 200, outsider: 404, observer: 404),
            "deleteComment": readers(.delete, c, 204),
            // Evidence: whoever may read the object; an upload that is not multipart is 422 for
            // them, and 404 (before the body is read) for the rest.
            "listProposalEvidence": readers(.get, { "\(p($0))/evidence" }, 200),
            "listDocumentEvidence": readers(.get, { "\(d($0))/evidence" }, 200),
            "uploadProposalEvidence": readers(.post, { "\(p($0))/evidence" }, 422).with(body: { _, _ in "{}" }),
            "uploadDocumentEvidence": readers(.post, { "\(d($0))/evidence" }, 422).with(body: { _, _ in "{}" }),
            "getEvidence": readers(.get, { "/v1/evidence/\(id($0.evidence))" }, 200),
            "getEvidenceContent": readers(.get, { "/v1/evidence/\(id($0.evidence))/content" }, 200),
            // Dossiers and cases: read with their proposal, kept by its author or a coordinator.
            "getDossier": readers(.get, { "/v1/proposals/\(id($0.sanctions))/dossier" }, 200),
            "putDossier": readers(.put, { "/v1/proposals/\(id($0.sanctions))/dossier" }, 200)
                .with(body: { _, t in #"{"target_kind":"person","names":["Target \#(t)"]}"# }),
            "listDossierMatches": readers(.get, { "/v1/proposals/\(id($0.sanctions))/dossier/matches" }, 200),
            "getDossierGaps": readers(.get, { "/v1/proposals/\(id($0.sanctions))/dossier/gaps" }, 200),
            // Deciding a match is a coordinator's; there is none to decide here.
            "decideDossierMatch": Row(.post, { "/v1/proposals/\(id($0.sanctions))/dossier/matches/none" },
                                      body: { _, _ in #"{"decision":"confirmed"}"# },
                                      admin: 404, coordinator: 404, member: 403, outsider: 403, observer: 403),
            "getPrisonerCase": readers(.get, { "/v1/proposals/\(id($0.prisonerCase))/case" }, 200),
            "putPrisonerCase": readers(.put, { "/v1/proposals/\(id($0.prisonerCase))/case" }, 200)
                .with(body: { _, t in #"{"status":"sentenced","judge":"Judge \#(t)"}"# }),
            "openDossierFromCase": readers(.post, { "/v1/proposals/\(id($0.prisonerCase))/case/dossier" }, 201)
                .with(body: { _, _ in #"{"role":"judge"}"# }),
            "exportDossiers": Row(.get, { _ in "/v1/dossiers/export.ftm" }, admin: 200, coordinator: 200, member: 403, outsider: 403, observer: 403),
            "exportCustodyManifest": Row(.get, { _ in "/v1/dossiers/custody.json" }, admin: 200, coordinator: 200, member: 403, outsider: 403, observer: 403),

            "listAudit": Row(.get, { _ in "/v1/audit" }, admin: 200, coordinator: 403, member: 403, outsider: 403, observer: 403),
            // Everyone's own notifications; webhooks are an admin's.
            "listNotifications": .all(.get, { _ in "/v1/notifications" }, 200),
            "markNotificationsRead": .all(.post, { _ in "/v1/notifications/read" }, 204).with(body: { _, _ in "{}" }),
            "listWebhooks": Row(.get, { _ in "/v1/webhooks" }, admin: 200, coordinator: 403, member: 403, outsider: 403, observer: 403),
            "createWebhook": Row(.post, { _ in "/v1/webhooks" }, body: { _, t in #"{"url":"https://hooks.example.org/\#(t)"}"# },
                                 admin: 201, coordinator: 403, member: 403, outsider: 403, observer: 403),
            "deleteWebhook": Row(.delete, { "/v1/webhooks/\(id($0.webhook))" }, admin: 204, coordinator: 403, member: 403, outsider: 403, observer: 403),
            "exportQuarterly": Row(.get, { _ in "/v1/exports/quarterly?quarter=2027-Q1" }, admin: 200, coordinator: 200, member: 403, outsider: 403, observer: 403),
        ]
    }()

    /// Rows that change what later rows act on run after the others, in this order.
    static let runLast = [
        "addAgendaItem", "deleteAgendaItem", "removeWorkingGroupMember", "revokeParticipantToken", "revokeCalendarFeed",
        "deleteComment", "compromiseParticipant",
    ]

    static var ordered: [(String, Row)] {
        let first = rows.filter { !runLast.contains($0.key) }.sorted { $0.key < $1.key }
        return first + runLast.compactMap { name in rows[name].map { (name, $0) } }
    }

    @Test("every operation of openapi.yaml has a row, and every caller gets exactly its status")
    func everyOperation() async throws {
        try await API.run { api in
            let contract = try await Contract.load(api)
            let operations = Set(contract.operations.map(\.operationID))
            #expect(operations.subtracting(Self.rows.keys).isEmpty, "operations without a row: \(operations.subtracting(Self.rows.keys).sorted())")
            #expect(Set(Self.rows.keys).subtracting(operations).isEmpty, "rows for no operation: \(Set(Self.rows.keys).subtracting(operations).sorted())")

            let dialogue = api.dialogue
            let revoked = try await dialogue.makeUser(.member)
            _ = try await dialogue.revokeToken(.cli(), tokenID: revoked.tokenID)
            let users = Users(
                coordinator: try await dialogue.makeUser(.coordinator), member: try await dialogue.makeUser(.member, kind: .diaspora),
                outsider: try await dialogue.makeUser(.member, kind: .diaspora), observer: try await dialogue.makeUser(.observer),
                revoked: revoked)
            var mismatches: [String] = []
            for caller in Caller.allCases {
                let world = try await World.make(api, users, tag: caller.rawValue)
                let user: TestUser? = switch caller {
                case .admin: api.admin
                case .coordinator: users.coordinator
                case .member: users.member
                case .outsider: users.outsider
                case .observer: users.observer
                case .revokedToken: users.revoked
                case .noToken: nil
                }
                for (operationID, row) in Self.ordered {
                    let expected = row.expected[caller] ?? 0
                    let reply = try await api.call(row.method, row.path(world), as: user, json: row.body(world, "\(caller.rawValue)-\(operationID)"))
                    if reply.status != expected {
                        mismatches.append("\(caller) \(operationID): \(reply.status), expected \(expected) \(reply["detail"] ?? "")")
                    }
                    if reply.status >= 400, reply.headers[.contentType] != "application/problem+json" {
                        mismatches.append("\(caller) \(operationID): \(reply.status) without a problem document")
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
        }
    }
}
