import DialogueCore
import Foundation
import Hummingbird

/// The coordinators' directory (console, part of issue 17): participants by kind and status,
/// and a portal invitation for any of them, with a role no higher than the coordinator's own
/// (Core decides), its one-time link shown once.
extension PortalPages {
    func directoryPage(_ request: Request) async -> Response {
        await visit(request) { visit in
            let (session, language) = (visit.session, visit.language)
            let query = request.uri.queryParameters
            let kind = query["kind"].map(String.init) ?? "", status = query["status"].map(String.init) ?? "active"
            let t = renderer.catalog(language)
            do {
                try AccessPolicy.requireCoordinator(context(session).actor, "see the directory")
                var problems: [FieldError] = []
                var found: Page<Participant>?
                do {
                    found = try await dialogue.listParticipants(
                        context(session), page: try PageRequest(limit: 50, cursor: query["cursor"].map(String.init)),
                        filter: ParticipantFilter(kind: kind.nonEmpty, status: status.nonEmpty))
                } catch DomainError.validation(let errors) {
                    problems = errors
                }
                let next = found?.nextCursor.map { Self.link("/console/participants", [("kind", kind), ("status", status), ("cursor", $0)]) }
                return renderer.page("directory", DirectoryPage(
                    chrome: renderer.chrome(language, title: "directory_title", session: session, path: "/console/participants"),
                    kinds: choices(ParticipantKind.allCases.map(\.rawValue), prefix: "participant_kind_", selected: kind, any: true, t),
                    statuses: choices(ParticipantStatus.allCases.map(\.rawValue), prefix: "participant_status_", selected: status, any: true, t),
                    problems: FormProblems(problems, fields: ["kind", "status"], t),
                    roles: Role.allCases.filter { $0 <= session.role }.reversed().map {
                        LanguageChoice(code: $0.rawValue, name: t["account_role_" + $0.rawValue] ?? $0.rawValue, selected: $0 == .member)
                    },
                    participants: (found?.items ?? []).map { participant in
                        DirectoryRow(
                            id: participant.id.uuidString.lowercased(), name: participant.displayName,
                            kind: t["participant_kind_" + participant.kind.rawValue] ?? participant.kind.rawValue,
                            status: t["participant_status_" + participant.status.rawValue] ?? participant.status.rawValue,
                            active: participant.status == .active)
                    },
                    next: next), status: problems.isEmpty ? .ok : .unprocessableContent)
            } catch {
                return failure(error, language, session)
            }
        }
    }

    /// Issues a portal invitation; the page that answers is the only place its link appears.
    func invitePortalUser(_ request: Request, id rawID: String) async -> Response {
        await action(request) { visit in
            await object(rawID, visit) { id in
                let (session, language) = (visit.session, visit.language)
                do {
                    let invitation = try await dialogue.invitePortalUser(context(session), participantID: id, role: visit.form["role"])
                    let participant = try await dialogue.getParticipant(context(session), id: id)
                    let zone = try await viewerZone(context(session), session)
                    return renderer.page("invitation-issued", InvitationIssuedPage(
                        chrome: renderer.chrome(language, title: "invitation_issued_title", session: session, path: "/console/participants"),
                        invitedName: participant.displayName, link: invitation.link(publicBaseURL: dependencies.publicBaseURL),
                        expires: Written.moment(invitation.expiresAt, zone, language)), status: .created)
                } catch {
                    return failure(error, language, session)
                }
            }
        }
    }
}

struct DirectoryRow: Sendable {
    var id: String
    var name: String
    var kind: String
    var status: String
    var active: Bool
}

struct DirectoryPage: Sendable {
    var chrome: Chrome
    var kinds: [LanguageChoice]
    var statuses: [LanguageChoice]
    var problems: FormProblems
    var roles: [LanguageChoice]
    var participants: [DirectoryRow]
    var next: String?
}

struct InvitationIssuedPage: Sendable {
    var chrome: Chrome
    /// Not `name`: the layout's chrome has one (the signed-in person's), found first.
    var invitedName: String
    var link: String
    var expires: String
}
