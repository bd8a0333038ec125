import DialogueCore
import Foundation
import Hummingbird

/// Notifications in the portal (issue 22): unread first, each a link that marks it read and
/// leads to its object; only those whose object the reader may still see (Core checks, as the
/// reader, when the list is read). The header's count comes with the session.
extension PortalPages {
    func notificationsPage(_ request: Request) async -> Response {
        await visit(request) { visit in
            let t = renderer.catalog(visit.language)
            do {
                let context = context(visit.session)
                let notifications = try await dialogue.listNotifications(context)
                let zone = try await viewerZone(context, visit.session)
                let columns = [t["notifications_what"] ?? "", t["notifications_about"] ?? "", t["notifications_when"] ?? "", t["notifications_read"] ?? ""]
                let unread = notifications.filter { !$0.read }.count
                // The count in the header was read before this page dropped any it may not show.
                var chrome = chrome(visit, "notifications_title", "/notifications")
                chrome.nav = chrome.nav.map { link in
                    guard link.href == "/notifications" else { return link }
                    var updated = link
                    updated.label = (t["nav_notifications"] ?? "") + (unread > 0 ? " (\(Written.number(unread, visit.language)))" : "")
                    return updated
                }
                return consolePage(ConsolePage(
                    chrome, heading: t["notifications_title"] ?? "", intro: t["notifications_intro"],
                    notice: request.uri.queryParameters["read"] != nil ? t["notifications_marked"] : nil,
                    sections: [
                        ConsoleSection(
                            "list",
                            table: ConsoleTable(
                                caption: t["notifications_title"] ?? "", columns: columns,
                                rows: notifications.map { notification in
                                    let event = t["notify_" + notification.event.rawValue] ?? notification.event.rawValue
                                    return ConsoleRow(cells: [
                                        ConsoleCell(columns[0], notification.read ? event : "\(event) · \(t["notifications_new"] ?? "")", strong: !notification.read),
                                        ConsoleCell(
                                            columns[1], notification.title.nonEmpty ?? (t["notifications_portal"] ?? ""),
                                            href: "/notifications/\(notification.id)"),
                                        ConsoleCell(columns[2], Written.moment(notification.createdAt, zone, visit.language)),
                                        ConsoleCell(columns[3], "", forms: notification.read ? [] : [.button(
                                            "/notifications/read", t["notifications_read"] ?? "", [("id", String(notification.id))],
                                            name: "\(t["notifications_read"] ?? ""): \(notification.title)", secondary: true)]),
                                    ])
                                }, none: t["notifications_none"] ?? ""),
                            forms: unread == 0 ? [] : [.button("/notifications/read", t["notifications_read_all"] ?? "")]),
                    ]))
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    /// Marks one notification read (`id`), or all of them.
    func markNotificationsRead(_ request: Request) async -> Response {
        await action(request) { visit in
            do {
                let id = visit.form["id"].flatMap { Int64($0) }
                if visit.form["id"] != nil, id == nil { throw DomainError.notFound("") }
                try await dialogue.markNotificationsRead(context(visit.session), ids: id.map { [$0] })
                return redirect("/notifications?read=1")
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }

    /// A notification's link: marked read, then on to its object (a 404 page when it is not
    /// the reader's, or gone).
    func openNotification(_ request: Request, id rawID: String) async -> Response {
        await visit(request) { visit in
            do {
                guard let id = Int64(rawID), let (event, objectID) = try await dialogue.openNotification(context(visit.session), id: id) else {
                    throw DomainError.notFound("")
                }
                let object = objectID.lowercasedString
                switch event.object {
                case .session: return redirect("/sessions/\(object)")
                case .proposal: return redirect("/proposals/\(object)")
                case .actionItem: return redirect("/action-items/\(object)")
                case .account: return redirect("/profile")
                case .document: return redirect("/documents/\(object)")
                case .comment:
                    let (comment, _) = try await dialogue.getComment(context(visit.session), id: objectID)
                    switch comment.parent {
                    case .proposal(let id): return redirect("/proposals/\(id.lowercasedString)#comment-\(object)")
                    case .document(let id): return redirect("/documents/\(id.lowercasedString)#comment-\(object)")
                    }
                }
            } catch {
                return failure(error, visit.language, visit.session)
            }
        }
    }
}

/// What reaches me by e-mail (issue 22): nothing unless I ask; a daily or immediate note that
/// says only how many new items wait, or, if I opt in, their titles too. Never for an
/// in-country participant, whom the page tells why.
extension PortalPages {
    func notificationPreferencesPage(_ request: Request) async -> Response {
        await console(request, least: .observer) { visit in
            try await preferencesPage(visit, state: nil, saved: request.uri.queryParameters["saved"] != nil)
        }
    }

    func updateNotificationPreferences(_ request: Request) async -> Response {
        await consoleAction(request, least: .observer) { visit in
            let form = visit.form
            _ = try await dialogue.updateNotificationPreferences(
                context(visit.session),
                PreferencesInput(
                    email: form["email_mode"], events: NotificationEvent.allCases.map(\.rawValue).filter { form["event_" + $0] == "1" },
                    fullText: form["full_text"] == "1", quiet: form["quiet"] == "1"),
                ifMatch: try Self.version(form))
            return redirect("/profile/notifications?saved=1")
        } redraw: { visit, state in
            try await preferencesPage(visit, state: state, saved: false)
        }
    }

    private func preferencesPage(_ visit: Visit, state: FormState?, saved: Bool) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let preferences = try await dialogue.notificationPreferences(context(visit.session))
        var now = [
            "email_mode": preferences.email.rawValue, "full_text": preferences.fullText ? "1" : "", "quiet": preferences.quiet ? "1" : "",
            "version": String(preferences.version),
        ]
        for event in NotificationEvent.allCases { now["event_" + event.rawValue] = preferences.events.contains(event) ? "1" : "" }
        // Core names the choice `email`, as the API does; here it is `email_mode`, beside the address's own field.
        let problems = FormProblems(
            (state?.problems ?? []).map { $0.field == "email" ? FieldError("email_mode", $0.message) : $0 }, fields: ["email_mode", "events"], t)
        let fields = FieldBuilder(t, values: state?.values ?? now, problems: problems)
        var section = ConsoleSection("email", links: [ConsoleLink(href: "/notifications", label: t["notifications_title"] ?? "")])
        if preferences.emailPossible {
            section.forms = [ConsoleForm(
                "/profile/notifications", submit: t["preferences_save"] ?? "", hidden: [Hidden(key: "version", value: versionValue(state, now))],
                fields: [fields.select("email_mode", values: EmailMode.allCases.map(\.rawValue), prefix: "email_mode_")]
                    + NotificationEvent.allCases.map { fields.checkbox("event_" + $0.rawValue, label: t["notify_" + $0.rawValue]) }
                    + [fields.checkbox("full_text"), fields.checkbox("quiet")])]
        } else {
            section.sectionIntro = t["preferences_no_email"]
        }
        return consolePage(ConsolePage(
            chrome(visit, "preferences_title", "/profile/notifications"), heading: t["preferences_title"] ?? "", intro: t["preferences_intro"],
            notice: saved ? t["console_saved"] : nil, conflict: state?.conflict ?? false, problems: problems, sections: [section]),
            status: state == nil ? .ok : .unprocessableContent)
    }
}

/// Webhook subscriptions in the console (admins): the list with each one's failures, a new one
/// (its secret shown once, on the page that answers), and ending one.
extension PortalPages {
    func webhooksPage(_ request: Request) async -> Response {
        await console(request, admin: true) { visit in try await webhooks(visit, state: nil, created: nil) }
    }

    func createWebhook(_ request: Request) async -> Response {
        await consoleAction(request, admin: true) { visit in
            let events = NotificationEvent.allCases.map(\.rawValue).filter { visit.form["event_" + $0] == "1" }
            let (subscription, secret) = try await dialogue.createWebhook(context(visit.session), url: visit.form["url"], events: events)
            return try await webhooks(visit, state: nil, created: (subscription, secret)).withStatus(.created)
        } redraw: { visit, state in
            try await webhooks(visit, state: state, created: nil)
        }
    }

    func deleteWebhook(_ request: Request, id rawID: String) async -> Response {
        await consoleAction(request, admin: true) { visit in
            try await dialogue.deleteWebhook(context(visit.session), id: try Self.objectID(rawID))
            return redirect("/console/webhooks?ended=1")
        }
    }

    private func webhooks(_ visit: Visit, state: FormState?, created: (WebhookSubscription, String)?) async throws -> Response {
        let t = renderer.catalog(visit.language)
        let zone = try await viewerZone(context(visit.session), visit.session)
        let subscriptions = try await dialogue.listWebhooks(context(visit.session))
        let problems = FormProblems(state?.problems ?? [], fields: ["url", "events"], t)
        var defaults = ["url": ""]
        for event in NotificationEvent.allCases { defaults["event_" + event.rawValue] = "1" }
        let fields = FieldBuilder(t, values: state?.values ?? defaults, problems: problems)
        let columns = [t["field_url"] ?? "", t["label_status"] ?? "", t["console_created"] ?? "", t["console_remove"] ?? ""]
        var sections: [ConsoleSection] = []
        if let (subscription, secret) = created {
            sections.append(ConsoleSection(
                "secret", heading: t["webhook_secret_heading"], intro: t["webhook_secret_once"],
                facts: [Fact(label: t["field_url"] ?? "", value: subscription.url), Fact(label: t["webhook_secret"] ?? "", value: secret)]))
        }
        sections.append(ConsoleSection(
            "list",
            table: ConsoleTable(
                caption: t["console_webhooks"] ?? "", columns: columns,
                rows: subscriptions.map { subscription in
                    let status = subscription.disabledAt != nil ? t["webhook_disabled"] ?? ""
                        : subscription.failures > 0 ? Self.filled(t["webhook_failing"], Written.number(subscription.failures, visit.language))
                        : t["webhook_live"] ?? ""
                    return ConsoleRow(cells: [
                        ConsoleCell(columns[0], subscription.url),
                        ConsoleCell(columns[1], status, flag: subscription.disabledAt != nil || subscription.failures > 0),
                        ConsoleCell(columns[2], Written.moment(subscription.createdAt, zone, visit.language)),
                        ConsoleCell(columns[3], "", forms: [.button(
                            "/console/webhooks/\(subscription.id.lowercasedString)/remove", t["console_remove"] ?? "",
                            name: "\(t["console_remove"] ?? ""): \(subscription.url)", secondary: true)]),
                    ])
                }, none: t["console_none"] ?? "")))
        sections.append(ConsoleSection(
            "new", heading: t["webhook_new"],
            forms: [ConsoleForm(
                "/console/webhooks", submit: t["console_create"] ?? "",
                fields: [fields.text("url", type: "url", required: true)]
                    + NotificationEvent.allCases.map { fields.checkbox("event_" + $0.rawValue, label: t["notify_" + $0.rawValue]) })]))
        return consolePage(ConsolePage(
            chrome(visit, "console_webhooks", "/console/webhooks"), heading: t["console_webhooks"] ?? "", intro: t["console_webhooks_intro"],
            problems: problems, sections: sections), status: state == nil ? .ok : .unprocessableContent)
    }
}
