import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Works the webhook outbox (issue 22): writes the deliveries now due and posts each, signed
/// in the Standard Webhooks headers. The `webhook-id` is the delivery's, the same on every
/// attempt, so a receiver can drop a repeat. Redirects are not followed (a redirect could lead
/// a delivery where its URL was refused to go). Logs name deliveries by number, never a URL.
public struct WebhookWorker: Sendable {
    public let dialogue: Dialogue
    public let logger: Logger

    /// One client for the process, never following redirects, with short timeouts.
    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10))))

    public init(dialogue: Dialogue, logger: Logger) {
        self.dialogue = dialogue
        self.logger = logger
    }

    @discardableResult
    public func runOnce() async throws -> (delivered: Int, failed: Int) {
        try await dialogue.queueWebhooks()
        var delivered = 0, failed = 0
        for delivery in try await dialogue.dueWebhooks() {
            let id = "msg_\(delivery.id)", timestamp = Int(Date().timeIntervalSince1970)
            var status: Int?
            if let signature = WebhookRules.signature(secret: delivery.secret, id: id, timestamp: timestamp, body: delivery.payload) {
                var request = HTTPClientRequest(url: delivery.url)
                request.method = .POST
                request.headers.add(name: "content-type", value: "application/json")
                request.headers.add(name: "user-agent", value: "dialogue-webhooks")
                request.headers.add(name: "webhook-id", value: id)
                request.headers.add(name: "webhook-timestamp", value: String(timestamp))
                request.headers.add(name: "webhook-signature", value: signature)
                request.body = .bytes(ByteBuffer(string: delivery.payload))
                do {
                    let response = try await Self.client.execute(request, timeout: .seconds(15))
                    status = Int(response.status.code)
                    _ = try? await response.body.collect(upTo: 64 * 1024)
                } catch {
                    status = nil
                }
            }
            if let status, (200..<300).contains(status) {
                try await dialogue.markWebhookDelivered(delivery, status: status)
                delivered += 1
            } else {
                logger.warning("webhook not delivered; will try again", metadata: ["delivery": "\(delivery.id)", "status": "\(status.map(String.init) ?? "no answer")"])
                try await dialogue.markWebhookFailed(delivery, status: status)
                failed += 1
            }
        }
        return (delivered, failed)
    }
}
