import Foundation
import Logging

/// Works the e-mail outbox (issue 22): writes the deliveries now due, then sends them one at a
/// time, each marked sent in its own commit before the next goes. A crash between sending and
/// marking sends that one again on restart, with the same Message-ID; a refusal is tried again
/// later and given up after `EmailRules.attempts`. Logs name deliveries by number, never an
/// address or what they are about.
public struct EmailWorker: Sendable {
    public let dialogue: Dialogue
    public let relay: SMTPConfiguration
    public let publicBaseURL: String
    public let logger: Logger

    public init(dialogue: Dialogue, relay: SMTPConfiguration, publicBaseURL: String, logger: Logger) {
        self.dialogue = dialogue
        self.relay = relay
        self.publicBaseURL = publicBaseURL
        self.logger = logger
    }

    /// One round; returns how many were sent and how many failed.
    @discardableResult
    public func runOnce() async throws -> (sent: Int, failed: Int) {
        try await dialogue.queueEmails()
        var sent = 0, failed = 0
        for delivery in try await dialogue.dueEmails() {
            let message = try await dialogue.composeEmail(delivery, from: relay.from, publicBaseURL: publicBaseURL)
            do {
                try await SMTPClient.send(message, relay)
            } catch {
                failed += 1
                let reason = (error as? SMTPError)?.description ?? "could not reach the relay"
                logger.warning("e-mail not sent; will try again", metadata: ["delivery": "\(delivery.id)", "reason": "\(reason)"])
                try await dialogue.markEmailFailed(delivery.id, attempts: delivery.attempts, reason: reason)
                continue
            }
            try await dialogue.markEmailSent(delivery.id)
            sent += 1
        }
        return (sent, failed)
    }
}
