import DialogueCore
import Foundation
import Hummingbird
import Logging

/// What the portal needs from `serve`.
public struct PortalDependencies: Sendable {
    public var dialogue: Dialogue
    /// The address people reach the portal at; its scheme decides the cookie's protections.
    public var publicBaseURL: String
    /// The header a trusted reverse proxy sets with the client address (sign-in throttling).
    public var trustedProxyHeader: String?
    public var logger: Logger

    public init(dialogue: Dialogue, publicBaseURL: String, trustedProxyHeader: String? = nil, logger: Logger) {
        self.dialogue = dialogue
        self.publicBaseURL = publicBaseURL
        self.trustedProxyHeader = trustedProxyHeader
        self.logger = logger
    }

    /// Over https the cookie is `__Host-` prefixed and `Secure`; the embedded default on
    /// http://127.0.0.1 cannot be, and `serve` says so at start-up.
    public var secureCookies: Bool { publicBaseURL.lowercased().hasPrefix("https://") }
}

/// The participants' portal: server-rendered HTML over the same services as the JSON API
/// (STYLE.md "DialogueWeb"). No script, no font, nothing from another origin; every flow is
/// a link or a form that posts and redirects.
public enum DialoguePortal {
    public static func addRoutes(to router: Router<BasicRequestContext>, _ dependencies: PortalDependencies) throws {
        let portal = PortalPages(dependencies: dependencies, renderer: try PortalRenderer.load())
        router.get("/portal.css") { _, _ in portal.stylesheet() }
        router.get("/") { request, _ in await portal.home(request) }
        router.get("/signin") { request, _ in await portal.signInPage(request) }
        router.post("/signin") { request, _ in await portal.signIn(request) }
        router.post("/signout") { request, _ in await portal.signOut(request) }
        router.get("/signin/code") { request, _ in await portal.secondFactorPage(request) }
        router.post("/signin/code") { request, _ in await portal.confirmSecondFactor(request) }
        router.get("/second-factor") { request, _ in await portal.secondFactorPage(request) }
        router.post("/second-factor") { request, _ in await portal.confirmSecondFactor(request) }
        router.post("/second-factor/start") { request, _ in await portal.startSecondFactor(request) }
        router.post("/second-factor/remove") { request, _ in await portal.removeSecondFactor(request) }
        router.post("/language") { request, _ in await portal.chooseLanguage(request) }
        router.get("/action-items") { request, _ in await portal.actionItemsPage(request) }
        router.get("/action-items/{id}") { request, context in
            await portal.actionItemPage(request, id: context.objectID)
        }
        router.post("/action-items/{id}") { request, context in
            await portal.updateActionItem(request, id: context.objectID)
        }
        router.get("/groups") { request, _ in await portal.groupsPage(request) }
        router.get("/groups/{id}") { request, context in await portal.groupPage(request, id: context.objectID) }
        router.get("/sessions/{id}") { request, context in await portal.sessionPage(request, id: context.objectID) }
        router.post("/sessions/{id}/rsvp") { request, context in
            await portal.answerInvitation(request, id: context.objectID)
        }
        router.post("/sessions/{id}/sign-off") { request, context in await portal.signOffSession(request, id: context.objectID) }
        router.get("/sessions/{id}/session.ics") { request, context in
            await portal.sessionCalendar(request, id: context.objectID)
        }
        router.post("/calendar-feeds") { request, _ in await portal.issueCalendarFeed(request) }
        router.post("/calendar-feeds/{id}/revoke") { request, context in
            await portal.revokeCalendarFeed(request, id: context.objectID)
        }
        router.get("/proposals") { request, _ in await portal.proposalsPage(request) }
        router.post("/proposals") { request, _ in await portal.createProposal(request) }
        router.get("/proposals/new") { request, _ in await portal.newProposalPage(request) }
        router.get("/proposals/{id}") { request, context in await portal.proposalPage(request, id: context.objectID) }
        router.get("/proposals/{id}/edit") { request, context in
            await portal.editProposalPage(request, id: context.objectID)
        }
        router.post("/proposals/{id}/edit") { request, context in
            await portal.updateProposal(request, id: context.objectID)
        }
        router.post("/proposals/{id}/move") { request, context in
            await portal.moveProposal(request, id: context.objectID)
        }
        router.post("/proposals/{id}/endorsement") { request, context in
            await portal.endorseProposal(request, id: context.objectID)
        }
        addConsoleRoutes(to: router, portal)
        router.get("/proposals/{id}/audience") { request, context in await portal.proposalAudiencePage(request, id: context.objectID) }
        router.post("/proposals/{id}/audience") { request, context in await portal.changeProposalAudience(request, id: context.objectID) }
        router.post("/proposals/{id}/comments") { request, context in
            await portal.postComment(request, on: { .proposal($0) }, id: context.objectID)
        }
        router.get("/documents") { request, _ in await portal.documentsPage(request) }
        router.post("/documents") { request, _ in await portal.createDocument(request) }
        router.get("/documents/new") { request, _ in await portal.newDocumentPage(request) }
        router.get("/documents/{id}") { request, context in await portal.documentPage(request, id: context.objectID) }
        router.get("/documents/{id}/edit") { request, context in await portal.editDocumentPage(request, id: context.objectID) }
        router.post("/documents/{id}/edit") { request, context in await portal.updateDocument(request, id: context.objectID) }
        router.post("/documents/{id}/final") { request, context in await portal.finaliseDocument(request, id: context.objectID) }
        router.post("/documents/{id}/signoff") { request, context in await portal.signOffMinutes(request, id: context.objectID) }
        router.get("/documents/{id}/versions") { request, context in await portal.documentVersionsPage(request, id: context.objectID) }
        router.get("/documents/{id}/versions/{number}") { request, context in
            await portal.documentVersionPage(request, id: context.objectID, number: context.parameters.get("number") ?? "")
        }
        router.get("/documents/{id}/diff") { request, context in await portal.documentDiffPage(request, id: context.objectID) }
        router.get("/documents/{id}/audience") { request, context in await portal.documentAudiencePage(request, id: context.objectID) }
        router.post("/documents/{id}/audience") { request, context in await portal.changeDocumentAudience(request, id: context.objectID) }
        router.post("/documents/{id}/comments") { request, context in
            await portal.postComment(request, on: { .document($0) }, id: context.objectID)
        }
        router.post("/proposals/{id}/evidence") { request, context in
            await portal.uploadEvidence(request, on: { .proposal($0) }, id: context.objectID)
        }
        router.post("/documents/{id}/evidence") { request, context in
            await portal.uploadEvidence(request, on: { .document($0) }, id: context.objectID)
        }
        router.get("/evidence/{id}") { request, context in await portal.downloadEvidence(request, id: context.objectID) }
        router.post("/comments/{id}/edit") { request, context in await portal.editComment(request, id: context.objectID) }
        router.post("/comments/{id}/remove") { request, context in await portal.removeComment(request, id: context.objectID) }
        router.get("/notifications") { request, _ in await portal.notificationsPage(request) }
        router.post("/notifications/read") { request, _ in await portal.markNotificationsRead(request) }
        router.get("/notifications/{id}") { request, context in await portal.openNotification(request, id: context.objectID) }
        router.get("/profile") { request, _ in await portal.profilePage(request) }
        router.post("/profile") { request, _ in await portal.updateProfile(request) }
        router.get("/profile/notifications") { request, _ in await portal.notificationPreferencesPage(request) }
        router.post("/profile/notifications") { request, _ in await portal.updateNotificationPreferences(request) }
        router.get("/invitation/{secret}") { request, context in
            await portal.invitationPage(request, secret: context.parameters.get("secret") ?? "")
        }
        router.post("/invitation/{secret}") { request, context in
            await portal.acceptInvitation(request, secret: context.parameters.get("secret") ?? "")
        }
    }

    /// The coordinators' console (issue 17).
    static func addConsoleRoutes(to router: Router<BasicRequestContext>, _ portal: PortalPages) {
        router.get("/console") { request, _ in await portal.consoleHome(request) }
        router.get("/console/organizations") { request, _ in await portal.organizationsPage(request) }
        router.post("/console/organizations") { request, _ in await portal.createOrganization(request) }
        router.get("/console/organizations/{id}") { request, context in await portal.organizationPage(request, id: context.objectID) }
        router.post("/console/organizations/{id}") { request, context in await portal.updateOrganization(request, id: context.objectID) }
        router.get("/console/participants") { request, _ in await portal.directoryPage(request) }
        router.post("/console/participants") { request, _ in await portal.createParticipant(request) }
        router.get("/console/participants/new") { request, _ in await portal.newParticipantPage(request) }
        router.get("/console/participants/import") { request, _ in await portal.importPage(request) }
        router.post("/console/participants/import") { request, _ in await portal.importParticipants(request) }
        router.get("/console/participants/{id}") { request, context in await portal.participantPage(request, id: context.objectID) }
        router.post("/console/participants/{id}") { request, context in await portal.updateParticipant(request, id: context.objectID) }
        router.post("/console/participants/{id}/invitation") { request, context in await portal.invitePortalUser(request, id: context.objectID) }
        router.post("/console/participants/{id}/compromise") { request, context in
            await portal.compromiseParticipant(request, id: context.objectID)
        }
        router.get("/console/groups") { request, _ in await portal.consoleGroupsPage(request) }
        router.post("/console/groups") { request, _ in await portal.createGroup(request) }
        router.get("/console/groups/{id}") { request, context in await portal.consoleGroupPage(request, id: context.objectID) }
        router.post("/console/groups/{id}") { request, context in await portal.updateGroup(request, id: context.objectID) }
        router.post("/console/groups/{id}/members") { request, context in await portal.putGroupMember(request, id: context.objectID) }
        router.post("/console/groups/{id}/members/remove") { request, context in await portal.removeGroupMember(request, id: context.objectID) }
        router.get("/console/sessions") { request, _ in await portal.consoleSessionsPage(request) }
        router.post("/console/sessions") { request, _ in await portal.createSession(request) }
        router.get("/console/sessions/new") { request, _ in await portal.newSessionPage(request) }
        router.get("/console/sessions/quarterly") { request, _ in await portal.quarterlyPage(request) }
        router.post("/console/sessions/quarterly") { request, _ in await portal.scheduleQuarterly(request) }
        router.get("/console/sessions/{id}") { request, context in await portal.consoleSessionPage(request, id: context.objectID) }
        router.post("/console/sessions/{id}") { request, context in await portal.updateSession(request, id: context.objectID) }
        router.post("/console/sessions/{id}/move") { request, context in await portal.moveSession(request, id: context.objectID) }
        router.post("/console/sessions/{id}/invitations") { request, context in await portal.inviteToSession(request, id: context.objectID) }
        router.post("/console/sessions/{id}/agenda") { request, context in await portal.addAgendaItem(request, id: context.objectID) }
        router.get("/console/agenda-items/{id}") { request, context in await portal.agendaItemPage(request, id: context.objectID) }
        router.post("/console/agenda-items/{id}") { request, context in await portal.updateAgendaItem(request, id: context.objectID) }
        router.post("/console/agenda-items/{id}/move") { request, context in await portal.moveAgendaItem(request, id: context.objectID) }
        router.post("/console/agenda-items/{id}/remove") { request, context in await portal.removeAgendaItem(request, id: context.objectID) }
        router.post("/console/agenda-items/{id}/action-items") { request, context in
            await portal.createActionFromAgenda(request, id: context.objectID)
        }
        router.get("/console/review") { request, _ in await portal.reviewPage(request) }
        router.post("/console/review/place") { request, _ in await portal.placeProposal(request) }
        router.get("/console/action-items") { request, _ in await portal.consoleActionItemsPage(request) }
        router.get("/console/report") { request, _ in await portal.consoleReportPage(request) }
        router.get("/console/report/view") { request, _ in await portal.reportDocument(request, attachment: false) }
        router.get("/console/report/download") { request, _ in await portal.reportDocument(request, attachment: true) }
        router.post("/console/report/freeze") { request, _ in await portal.freezeReport(request) }
        router.get("/console/audit") { request, _ in await portal.auditPage(request) }
        router.get("/console/webhooks") { request, _ in await portal.webhooksPage(request) }
        router.post("/console/webhooks") { request, _ in await portal.createWebhook(request) }
        router.post("/console/webhooks/{id}/remove") { request, context in await portal.deleteWebhook(request, id: context.objectID) }
    }
}

extension BasicRequestContext {
    /// The `{id}` of the path; empty when absent (the page then answers as for an unknown one).
    var objectID: String { parameters.get("id") ?? "" }
}
