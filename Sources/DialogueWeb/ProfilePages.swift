import DialogueCore
import Foundation
import Hummingbird

/// My profile: the time zone my times are written in, the portal's language, my web sessions
/// (sign out the others), and my private calendar feeds.
extension PortalPages {
    static let profileFields = ["timezone", "language"]

    func profilePage(_ request: Request) async -> Response {
        await visit(request) { visit in
            let notice = request.uri.queryParameters["notice"].flatMap { renderer.catalog(visit.language)["profile_notice_" + $0] }
            return await profileResponse(visit, notice: notice, zoneValue: nil, problems: [])
        }
    }

    func updateProfile(_ request: Request) async -> Response {
        await action(request) { visit in
            let zone = (visit.form["timezone"] ?? "").trimmingCharacters(in: .whitespaces)
            let chosen = visit.form["language"].flatMap(PortalLanguage.init(rawValue:))
            do {
                try await dialogue.updateProfile(
                    visit.session, requestID: context(visit.session).requestID, timezone: zone.nonEmpty, language: chosen)
                return redirect("/profile?notice=saved")
            } catch DomainError.validation(let problems) {
                return await profileResponse(visit, notice: nil, zoneValue: zone, problems: problems)
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    /// The profile again, the second factor's passphrase refused beside it.
    func profileFactorRefused(_ visit: Visit) async -> Response {
        await profileResponse(
            visit, notice: nil, zoneValue: nil, problems: [], factorProblem: renderer.catalog(visit.language)["error_drill_passphrase"])
    }

    private func profileResponse(
        _ visit: Visit, notice: String?, zoneValue: String?, problems: [FieldError], factorProblem: String? = nil
    ) async -> Response {
        let (session, language) = (visit.session, visit.language)
        let context = context(session)
        let t = renderer.catalog(language)
        do {
            let me = try await dialogue.getParticipant(context, id: session.participantID)
            let zone = TimeZone(identifier: me.timezone) ?? .gmt
            let sessions = try await dialogue.listWebSessions(session)
            let hasFactor = try await dialogue.hasSecondFactor(session)
            let feeds = try await dialogue.listCalendarFeeds(context)
            return renderer.page("profile", ProfilePage(
                chrome: renderer.chrome(language, title: "profile_title", session: session, path: "/profile"),
                notice: notice, name: session.signInName, role: t["account_role_" + session.role.rawValue] ?? session.role.rawValue,
                zoneValue: zoneValue ?? me.timezone,
                problems: FormProblems(problems, fields: Self.profileFields, t),
                sessions: sessions.map {
                    WebSessionView(
                        started: Written.moment($0.createdAt, zone, language),
                        lastSeen: Written.moment($0.lastSeenAt, zone, language), current: $0.current)
                },
                others: sessions.contains { !$0.current },
                factorOn: hasFactor, factorRequired: AccountRules.requiresSecondFactor(session.role),
                feeds: feeds.map { FeedView(id: $0.id.lowercasedString, created: Written.moment($0.createdAt, zone, language)) },
                factorProblem: factorProblem),
                status: problems.isEmpty && factorProblem == nil ? .ok : .unprocessableContent)
        } catch {
            return failure(error, language, session)
        }
    }
}

struct WebSessionView: Sendable {
    var started: String
    var lastSeen: String
    var current: Bool
}

struct FeedView: Sendable {
    var id: String
    var created: String
}

struct ProfilePage: Sendable {
    var chrome: Chrome
    var notice: String?
    var name: String
    var role: String
    var zoneValue: String
    var problems: FormProblems
    var sessions: [WebSessionView]
    var others: Bool
    var factorOn: Bool
    var factorRequired: Bool
    var feeds: [FeedView]
    /// The passphrase or code that moving or dropping the second factor asked for was wrong.
    var factorProblem: String?
}
