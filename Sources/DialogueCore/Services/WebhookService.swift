import Crypto
import Foundation
import PostgresNIO

/// A webhook subscription as an admin sees it; its secret is shown once, when created.
public struct WebhookSubscription: Sendable, Equatable {
    public var id: UUID
    public var url: String
    public var events: [NotificationEvent]
    public var createdAt: Date
    public var failures: Int
    public var disabledAt: Date?
}

/// One delivery waiting to go, with what signs it.
public struct WebhookDelivery: Sendable, Equatable {
    public var id: Int64
    public var subscriptionID: UUID
    public var url: String
    public var secret: String
    public var payload: String
    public var attempts: Int
}

public enum WebhookRules {
    /// Failed deliveries in a row before a subscription is disabled.
    public static let failuresAllowed = 10
    /// Attempts of one delivery before it is given up.
    public static let attempts = 8

    /// The Standard Webhooks headers' signature: `v1,` and the base64 HMAC-SHA256, keyed by the
    /// secret's bytes (after `whsec_`), of `id.timestamp.body`.
    public static func signature(secret: String, id: String, timestamp: Int, body: String) -> String? {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) else { return nil }
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Whether a URL may receive webhooks: http(s) with a host; a loopback or link-local host
    /// only in development.
    static func check(_ text: String?, loopbackAllowed: Bool, validator: inout Validator) -> String? {
        guard let text = validator.text(text, "url", max: 2000) else { return nil }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = components.host?.lowercased(), !host.isEmpty, components.user == nil, components.password == nil
        else {
            validator.fail("url", "must be an http or https address with a host")
            return nil
        }
        let local = host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
            || host == "0.0.0.0" || host.hasPrefix("169.254.")
        if local, !loopbackAllowed {
            validator.fail("url", "may not point at this machine outside development")
            return nil
        }
        return text
    }
}

extension Dialogue {
    /// An admin subscribes a URL: the secret that signs its deliveries is returned this once.
    public func createWebhook(_ context: CallContext, url: String?, events: [String]?) async throws -> (WebhookSubscription, secret: String) {
        guard context.actor.role == .admin else { throw DomainError.forbidden("only an admin manages webhooks") }
        var validator = Validator()
        let url = WebhookRules.check(url, loopbackAllowed: webhooksMayTargetLoopback, validator: &validator)
        let chosen = (events ?? NotificationEvent.allCases.map(\.rawValue)).compactMap { raw -> NotificationEvent? in
            guard let event = NotificationEvent(rawValue: raw) else {
                validator.fail("events", "'\(raw.prefix(40))' is not an event")
                return nil
            }
            return event
        }
        if chosen.isEmpty { validator.fail("events", "name at least one event") }
        try validator.check()
        var key = [UInt8](repeating: 0, count: 24)
        var generator = SystemRandomNumberGenerator()
        for index in key.indices { key[index] = UInt8.random(in: .min ... .max, using: &generator) }
        let secret = "whsec_" + Data(key).base64EncodedString()
        IdempotentRequest.responseCarriesSecret()
        return try await database.transaction { connection in
            let row = try await connection.rows(
                try Prepared.NewWebhookSubscription(url ?? "", secret, chosen.map(\.rawValue), context.actor.participantID), logger: logger
            ).single(or: .conflict("the subscription could not be created"))
            let (id, createdAt) = try row.decode((UUID, Date).self)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "webhook.create", objectType: "webhook",
                objectID: id.lowercasedString, diff: ["events": chosen.map(\.rawValue).joined(separator: ",")])
            return (WebhookSubscription(id: id, url: url ?? "", events: chosen, createdAt: createdAt, failures: 0, disabledAt: nil), secret)
        }
    }

    public func listWebhooks(_ context: CallContext) async throws -> [WebhookSubscription] {
        guard context.actor.role == .admin else { throw DomainError.forbidden("only an admin manages webhooks") }
        return try await database.read { connection in
            try await connection.query("""
                SELECT id, url, events, created_at, failures, disabled_at FROM webhook_subscriptions
                WHERE deleted_at IS NULL ORDER BY created_at, id
                """, logger: logger).collect().map { row in
                let (id, url, events, createdAt, failures, disabledAt) = try row.decode((UUID, String, [String], Date, Int, Date?).self)
                return WebhookSubscription(
                    id: id, url: url, events: events.compactMap(NotificationEvent.init(rawValue:)), createdAt: createdAt, failures: failures,
                    disabledAt: disabledAt)
            }
        }
    }

    /// Ends a subscription; deliveries not yet made are dropped with it.
    public func deleteWebhook(_ context: CallContext, id: UUID) async throws {
        guard context.actor.role == .admin else { throw DomainError.forbidden("only an admin manages webhooks") }
        try await database.transaction { connection in
            let ended = try await connection.query(
                "UPDATE webhook_subscriptions SET deleted_at = now() WHERE id = \(id) AND deleted_at IS NULL RETURNING 1", logger: logger
            ).collect()
            guard !ended.isEmpty else { throw DomainError.notFound("webhook not found") }
            try await connection.query(
                "UPDATE webhook_deliveries SET given_up_at = now() WHERE subscription_id = \(id) AND delivered_at IS NULL AND given_up_at IS NULL",
                logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "webhook.delete", objectType: "webhook", objectID: id.lowercasedString,
                diff: [:])
        }
    }

    /// Writes the deliveries now due: for each live subscription, one counting the new
    /// notifications of its events by kind. The counts and the mark of what they cover commit
    /// together. Returns how many.
    @discardableResult
    public func queueWebhooks() async throws -> Int {
        try await database.autocommit { connection in
            try await connection.rows(try Prepared.QueueWebhooks(), logger: logger).first?.decode(Int.self) ?? 0
        }
    }

    public func dueWebhooks(limit: Int = 50) async throws -> [WebhookDelivery] {
        try await database.read { connection in
            try await connection.query("""
                SELECT d.id, w.id, w.url, w.secret, d.payload, d.attempts
                FROM webhook_deliveries d JOIN webhook_subscriptions w ON w.id = d.subscription_id
                WHERE d.delivered_at IS NULL AND d.given_up_at IS NULL AND d.next_attempt_at <= now()
                  AND w.deleted_at IS NULL AND w.disabled_at IS NULL
                ORDER BY d.id LIMIT \(limit)
                """, logger: logger).collect().map { row in
                let (id, subscription, url, secret, payload, attempts) = try row.decode((Int64, UUID, String, String, String, Int).self)
                return WebhookDelivery(id: id, subscriptionID: subscription, url: url, secret: secret, payload: payload, attempts: attempts)
            }
        }
    }

    /// Delivered (a 2xx answer): marked, and the subscription's run of failures ends.
    public func markWebhookDelivered(_ delivery: WebhookDelivery, status: Int) async throws {
        try await database.transaction { connection in
            try await connection.query(
                "UPDATE webhook_deliveries SET delivered_at = now(), attempts = attempts + 1, last_status = \(status) WHERE id = \(delivery.id)",
                logger: logger)
            try await connection.query("UPDATE webhook_subscriptions SET failures = 0 WHERE id = \(delivery.subscriptionID)", logger: logger)
        }
    }

    /// Not delivered: tried again after a growing pause; the subscription is disabled after
    /// `WebhookRules.failuresAllowed` failures in a row.
    public func markWebhookFailed(_ delivery: WebhookDelivery, status: Int?) async throws {
        let attempt = delivery.attempts + 1
        let minutes = EmailRules.backoffMinutes(afterAttempt: attempt)
        try await database.transaction { connection in
            try await connection.query("""
                UPDATE webhook_deliveries SET attempts = \(attempt), last_status = \(status),
                    next_attempt_at = now() + \(minutes) * interval '1 minute',
                    given_up_at = CASE WHEN \(attempt >= WebhookRules.attempts) THEN now() END
                WHERE id = \(delivery.id)
                """, logger: logger)
            try await connection.query("""
                UPDATE webhook_subscriptions SET failures = failures + 1,
                    disabled_at = CASE WHEN failures + 1 >= \(WebhookRules.failuresAllowed) THEN now() ELSE disabled_at END
                WHERE id = \(delivery.subscriptionID)
                """, logger: logger)
        }
    }
}

extension Prepared {
    /// A subscription; it hears of the notifications made after it.
    struct NewWebhookSubscription: PreparedWrite {
        static let sql = """
            INSERT INTO webhook_subscriptions (url, secret, events, created_by, delivered_through)
            VALUES ($1::text, $2::text, $3::text[], $4::uuid, coalesce((SELECT max(id) FROM notifications), 0))
            RETURNING id, created_at
            """
        let bindings: PostgresBindings
    }

    /// The webhook deliveries now due, written with the marks of what they cover
    /// (`queueWebhooks`), every few seconds: its count of deliveries.
    struct QueueWebhooks: PreparedWrite {
        static let sql = """
            WITH counted AS (
                SELECT w.id, n.event, count(*) AS n, max(n.id) AS newest
                FROM webhook_subscriptions w
                JOIN notifications n ON n.id > w.delivered_through AND n.event = ANY(w.events)
                WHERE w.deleted_at IS NULL AND w.disabled_at IS NULL
                GROUP BY w.id, n.event
            ), due AS (
                SELECT id, jsonb_object_agg(event, n) AS events, sum(n) AS total, max(newest) AS newest FROM counted GROUP BY id
            ), marked AS (
                UPDATE webhook_subscriptions w SET delivered_through = due.newest FROM due WHERE w.id = due.id
            ), queued AS (
                INSERT INTO webhook_deliveries (subscription_id, payload)
                SELECT id, jsonb_build_object(
                    'type', 'dialogue.notifications',
                    'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                    'data', jsonb_build_object('count', total, 'events', events))::text
                FROM due RETURNING 1
            )
            SELECT count(*)::int8 FROM queued
            """
        let bindings: PostgresBindings
    }
}
