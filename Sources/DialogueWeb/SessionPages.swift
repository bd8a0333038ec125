import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird

/// A session's page (PRODUCT.md workflow 3): when and where, in the reader's zone and the
/// meeting's; the agenda with presenters, linked proposals and outcomes; the reader's answer to
/// the invitation; the session as a calendar file; the reader's private calendar feed.
extension PortalPages {
    func sessionPage(_ request: Request, id rawID: String) async -> Response {
        await visit(request) { visit in
            await object(rawID, visit) { id in
                let saved = request.uri.queryParameters["saved"]
                let notice = saved.map { renderer.catalog(visit.language)[$0 == "signed" ? "sign_off_done" : "rsvp_saved"] ?? "" }
                return await sessionResponse(visit.session, id: id, language: visit.language, notice: notice, rsvpError: nil)
            }
        }
    }

    private func sessionResponse(
        _ session: WebSession, id: UUID, language: PortalLanguage, notice: String?, rsvpError: String?,
        status: HTTPResponse.Status = .ok
    ) async -> Response {
        let context = context(session)
        let t = renderer.catalog(language)
        do {
            let meeting = try await dialogue.getSession(context, id: id)
            let agenda = try await dialogue.getAgenda(context, sessionID: id)
            let attendance = try await dialogue.myAttendance(context, sessionID: id)
            let zone = try await viewerZone(context, session)
            var signOff: SignOffView?
            if meeting.status == .held {
                let (side, signed) = try await dialogue.signOffChoice(context, sessionID: id)
                signOff = SignOffView(
                    signed: signed.map { "\(t["side_" + $0.side] ?? $0.side): \(Written.moment($0.signedAt, zone, language))" },
                    none: signed.isEmpty, offer: side.map { Self.filled(t["sign_off_for"], t["side_" + $0] ?? $0) })
            }
            var names: [UUID: String] = [:]
            var proposals: [UUID: Proposal] = [:]
            for item in agenda.items {
                // Only what this reader may read is named; a presenter or proposal they may not
                // see leaves no trace on the page (not even "someone").
                if let presenter = item.presenterID, names[presenter] == nil,
                    let participant = try? await dialogue.getParticipant(context, id: presenter)
                {
                    names[presenter] = participant.displayName
                }
                if let proposalID = item.proposalID, proposals[proposalID] == nil,
                    let proposal = try? await dialogue.getProposal(context, id: proposalID)
                {
                    proposals[proposalID] = proposal
                }
            }
            var group: GroupLink?
            if let groupID = meeting.workingGroupID, let found = try? await dialogue.getWorkingGroup(context, id: groupID) {
                group = GroupLink(id: groupID.lowercasedString, name: found.name)
            }
            let open = meeting.status == .planned || meeting.status == .confirmed
            let card = SessionCard(meeting, viewerZone: zone, language, status: renderer.statusLabel("session_" + meeting.status.rawValue, language))
            let minutes = agenda.items.reduce(0) { $0 + $1.durationMinutes }
            return renderer.page("session", SessionPage(
                chrome: renderer.chrome(language, title: "session_title", titleText: meeting.title, session: session, path: "/sessions/\(card.id)"),
                session: card, group: group,
                ends: Written.moment(meeting.endsAt, zone, language),
                kind: t["session_kind_" + meeting.kind.rawValue] ?? meeting.kind.rawValue,
                totalMinutes: Written.number(minutes, language),
                agenda: agenda.items.map { item in
                    AgendaItemView(
                        position: Written.number(item.position, language), title: item.title,
                        minutes: Written.number(item.durationMinutes, language),
                        presenter: item.presenterID.flatMap { names[$0] },
                        proposal: item.proposalID.flatMap { proposals[$0] }.map { ProposalCard($0, renderer, language) },
                        outcome: item.outcome.map { t["outcome_" + $0.rawValue] ?? $0.rawValue }, outcomeNote: item.outcomeNote)
                },
                notice: notice, invited: attendance != nil, mayAnswer: attendance != nil && open,
                answer: attendance.map { t["rsvp_" + $0.rsvp.rawValue] ?? $0.rsvp.rawValue },
                answers: [RSVP.yes, .maybe, .no].map {
                    LanguageChoice(code: $0.rawValue, name: t["rsvp_" + $0.rawValue] ?? $0.rawValue, selected: attendance?.rsvp == $0)
                },
                rsvpError: rsvpError, signOff: signOff), status: status)
        } catch {
            return failure(error, language, session)
        }
    }

    func answerInvitation(_ request: Request, id rawID: String) async -> Response {
        await action(request) { visit in
            await object(rawID, visit) { id in
                let (session, language) = (visit.session, visit.language)
                do {
                    _ = try await dialogue.updateAttendance(
                        context(session), sessionID: id, participantID: session.participantID, AttendanceInput(rsvp: visit.form["rsvp"] ?? ""))
                    return redirect("/sessions/\(id.lowercasedString)?saved=1")
                } catch DomainError.validation {
                    return await sessionResponse(
                        session, id: id, language: language, notice: nil, rsvpError: renderer.catalog(language)["error_rsvp"],
                        status: .unprocessableContent)
                } catch DomainError.conflict {
                    return await sessionResponse(
                        session, id: id, language: language, notice: nil, rsvpError: renderer.catalog(language)["error_rsvp_closed"],
                        status: .conflict)
                } catch {
                    return failure(error, language, session)
                }
            }
        }
    }

    /// A chair signs the held session's outcomes for their side (Core decides who may).
    func signOffSession(_ request: Request, id rawID: String) async -> Response {
        await action(request) { visit in
            await object(rawID, visit) { id in
                do {
                    _ = try await dialogue.signOff(context(visit.session), sessionID: id)
                    return redirect("/sessions/\(id.lowercasedString)?saved=signed")
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            }
        }
    }

    /// The session as an RFC 5545 file, for anyone who may see it.
    func sessionCalendar(_ request: Request, id rawID: String) async -> Response {
        await visit(request) { visit in
            await object(rawID, visit) { id in
                do {
                    let text = try await dialogue.sessionCalendar(context(visit.session), sessionID: id)
                    var headers = PortalHeaders.page
                    headers[.contentType] = "text/calendar; charset=utf-8"
                    headers[.contentDisposition] = "attachment; filename=\"session.ics\""
                    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            }
        }
    }

    /// Issues a private feed; its address is shown once, on the page this answers with.
    func issueCalendarFeed(_ request: Request) async -> Response {
        await action(request) { visit in
            do {
                let (_, secret) = try await dialogue.createCalendarFeed(context(visit.session))
                return renderer.page("feed", FeedPage(
                    chrome: renderer.chrome(visit.language, title: "feed_title", session: visit.session, path: "/profile"),
                    url: CalendarFeed.url(publicBaseURL: dependencies.publicBaseURL, secret: secret)), status: .created)
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    func revokeCalendarFeed(_ request: Request, id rawID: String) async -> Response {
        await action(request) { visit in
            await object(rawID, visit) { id in
                do {
                    try await dialogue.revokeCalendarFeed(context(visit.session), id: id)
                    return redirect("/profile?notice=feed")
                } catch {
                    return failure(error, visit.language, visit.session)
                }
            }
        }
    }
}

struct GroupLink: Sendable {
    var id: String
    var name: String
}

struct AgendaItemView: Sendable {
    var position: String
    var title: String
    var minutes: String
    var presenter: String?
    var proposal: ProposalCard?
    var outcome: String?
    var outcomeNote: String?
}

struct SessionPage: Sendable {
    var chrome: Chrome
    var session: SessionCard
    var group: GroupLink?
    var ends: String
    var kind: String
    var totalMinutes: String
    var agenda: [AgendaItemView]
    var notice: String?
    var invited: Bool
    var mayAnswer: Bool
    var answer: String?
    var answers: [LanguageChoice]
    var rsvpError: String?
    /// Once the session is held: which sides signed its outcomes, and the reader's own button.
    var signOff: SignOffView?
}

struct SignOffView: Sendable {
    var signed: [String]
    var none: Bool
    /// The button's words when the reader is a chair whose side has not signed yet.
    var offer: String?
}

struct FeedPage: Sendable {
    var chrome: Chrome
    var url: String
}
