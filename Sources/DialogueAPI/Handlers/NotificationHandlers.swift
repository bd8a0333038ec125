import DialogueCore
import Foundation

/// `/v1/notifications` (the caller's own) and `/v1/webhooks` (admins): the same services the
/// portal's list and the outbox worker use.
extension APIHandlers {
    func listNotifications(_ input: Operations.ListNotifications.Input) async throws -> Operations.ListNotifications.Output {
        let context = try await RequestScope.callContext(dialogue)
        let items = try await dialogue.listNotifications(context).compactMap { notification -> Components.Schemas.Notification? in
            guard let event = Components.Schemas.NotificationEvent(rawValue: notification.event.rawValue),
                let objectType = Components.Schemas.Notification.ObjectTypePayload(rawValue: notification.event.object.rawValue)
            else { return nil }
            return .init(
                id: notification.id, event: event, objectType: objectType, objectId: notification.objectID.lowercasedString,
                title: notification.title, createdAt: notification.createdAt, read: notification.read)
        }
        return .ok(.init(body: .json(.init(items: items))))
    }

    func markNotificationsRead(_ input: Operations.MarkNotificationsRead.Input) async throws -> Operations.MarkNotificationsRead.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        try await dialogue.markNotificationsRead(context, ids: body.ids)
        return .noContent(.init())
    }

    func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        let context = try await RequestScope.callContext(dialogue)
        let items = try await dialogue.listWebhooks(context).map { subscription in
            Components.Schemas.Webhook(
                id: subscription.id.lowercasedString, url: subscription.url, events: Self.events(subscription.events),
                createdAt: subscription.createdAt, failures: subscription.failures, disabledAt: subscription.disabledAt)
        }
        return .ok(.init(body: .json(.init(items: items))))
    }

    func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        let context = try await RequestScope.callContext(dialogue)
        guard case .json(let body) = input.body else { throw DomainError.invalid("body", "must be JSON") }
        let (subscription, secret) = try await dialogue.createWebhook(context, url: body.url, events: body.events)
        return .created(.init(body: .json(.init(
            id: subscription.id.lowercasedString, url: subscription.url, events: Self.events(subscription.events),
            createdAt: subscription.createdAt, failures: subscription.failures, secret: secret))))
    }

    func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        let context = try await RequestScope.callContext(dialogue)
        try await dialogue.deleteWebhook(context, id: try pathID(input.path.id, "webhook"))
        return .noContent(.init())
    }

    static func events(_ events: [NotificationEvent]) -> [Components.Schemas.NotificationEvent] {
        events.compactMap { Components.Schemas.NotificationEvent(rawValue: $0.rawValue) }
    }
}
