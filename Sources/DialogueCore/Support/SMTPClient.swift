import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The relay e-mail goes through (issue 22), from the environment: `DIALOGUE_SMTP_HOST`,
/// `_PORT`, `_FROM`, `_USER`, `_PASSWORD_FILE`, `_CA_FILE`.
public struct SMTPConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var from: String
    public var username: String?
    public var password: String?
    /// A PEM file of certificate authorities to trust besides the system's (a relay with a
    /// private certificate).
    public var caFile: String?

    public init(host: String, port: Int, from: String, username: String? = nil, password: String? = nil, caFile: String? = nil) {
        self.host = host
        self.port = port
        self.from = from
        self.username = username
        self.password = password
        self.caFile = caFile
    }

    /// STARTTLS is required of any relay not on this machine; one on loopback may do without
    /// (it is still used when offered).
    public var requiresTLS: Bool { !["localhost", "127.0.0.1", "::1"].contains(host.lowercased()) }
}

public enum SMTPError: Error, CustomStringConvertible, Sendable {
    case reply(code: Int, text: String, during: String)
    case tlsNotOffered
    case closed
    case timedOut

    public var description: String {
        switch self {
        case .reply(let code, let text, let during): "the relay answered \(code) to \(during): \(text.prefix(200))"
        case .tlsNotOffered: "the relay does not offer STARTTLS, and one not on this machine must"
        case .closed: "the relay closed the connection"
        case .timedOut: "the relay did not answer in time"
        }
    }
}

/// A small SMTP client (RFC 5321) on SwiftNIO: EHLO, STARTTLS (RFC 3207), AUTH PLAIN (RFC
/// 4616) over TLS only, one message, QUIT. No pooling: the worker sends one message at a time
/// and marks it sent before the next.
public enum SMTPClient {
    public static func send(
        _ message: EmailMessage, _ configuration: SMTPConfiguration, timeout: Duration = .seconds(30),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await conversation(message, configuration, group: group) }
            tasks.addTask {
                try await Task.sleep(for: timeout)
                throw SMTPError.timedOut
            }
            defer { tasks.cancelAll() }
            try await tasks.next()
        }
    }

    private static func conversation(_ message: EmailMessage, _ configuration: SMTPConfiguration, group: any EventLoopGroup) async throws {
        let (replies, continuation) = AsyncThrowingStream.makeStream(of: SMTPReply.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler(continuation)) }
            }
            .connect(host: configuration.host, port: configuration.port).get()
        defer { channel.close(promise: nil) }
        var next = replies.makeAsyncIterator()
        func expect(_ codes: ClosedRange<Int>, _ during: String) async throws -> SMTPReply {
            guard let reply = try await next.next() else { throw SMTPError.closed }
            guard codes.contains(reply.code) else { throw SMTPError.reply(code: reply.code, text: reply.lines.joined(separator: " "), during: during) }
            return reply
        }
        func say(_ line: String) async throws { try await channel.writeAndFlush(ByteBuffer(string: line + "\r\n")).get() }

        _ = try await expect(220...220, "the greeting")
        let helo = "dialogue.invalid"
        try await say("EHLO \(helo)")
        var features = try await expect(250...250, "EHLO")
        var secured = false
        if features.lines.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) {
            try await say("STARTTLS")
            _ = try await expect(220...220, "STARTTLS")
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = configuration.caFile { tls.additionalTrustRoots = [.file(caFile)] }
            let isAddress = configuration.host.contains(":") || configuration.host.allSatisfy { $0.isNumber || $0 == "." }
            let context = try NIOSSLContext(configuration: tls)
            let hostname = isAddress ? nil : configuration.host
            // The TLS handler is made and added on the channel's own event loop (it is not Sendable).
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: hostname), position: .first)
            }.get()
            try await say("EHLO \(helo)")
            features = try await expect(250...250, "EHLO after STARTTLS")
            secured = true
        } else if configuration.requiresTLS {
            throw SMTPError.tlsNotOffered
        }
        if let username = configuration.username, let password = configuration.password, secured || !configuration.requiresTLS {
            let credentials = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
            try await say("AUTH PLAIN \(credentials)")
            _ = try await expect(235...235, "AUTH")
        }
        try await say("MAIL FROM:<\(message.from)>")
        _ = try await expect(250...250, "MAIL FROM")
        try await say("RCPT TO:<\(message.to)>")
        _ = try await expect(250...251, "RCPT TO")
        try await say("DATA")
        _ = try await expect(354...354, "DATA")
        try await channel.writeAndFlush(ByteBuffer(string: Self.data(message))).get()
        _ = try await expect(250...250, "the message")
        try? await say("QUIT")
    }

    /// The message as sent after DATA: headers, a base64 body (UTF-8), dot-stuffed, ended.
    static func data(_ message: EmailMessage, date: Date = Date()) -> String {
        let body = Data(message.body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let subject = "=?UTF-8?B?\(Data(message.subject.utf8).base64EncodedString())?="
        let lines = [
            "From: \(message.from)", "To: \(message.to)", "Subject: \(subject)", "Date: \(rfc5322(date))", "Message-ID: \(message.messageID)",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", body,
        ]
        return lines.map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n") + "\r\n.\r\n"
    }

    /// `Thu, 26 Nov 2026 01:02:03 +0000`, written out without a formatter.
    static func rfc5322(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let day = days[((c.weekday ?? 1) - 1) % 7], month = months[((c.month ?? 1) - 1) % 12]
        func two(_ value: Int?) -> String { let text = String(value ?? 0); return text.count < 2 ? "0" + text : text }
        return "\(day), \(two(c.day)) \(month) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}

struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
}

/// Gathers the relay's reply lines (`250-…` continued, `250 …` last) into replies.
final class SMTPReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation
    private var pending = ""
    private var lines: [String] = []

    init(_ continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        pending += bytes.readString(length: bytes.readableBytes) ?? ""
        while let end = pending.range(of: "\r\n") {
            let line = String(pending[..<end.lowerBound])
            pending.removeSubrange(..<end.upperBound)
            let code = Int(line.prefix(3)) ?? 0
            lines.append(String(line.dropFirst(4)))
            // The last line of a reply has a space (or nothing) after its code.
            if line.count == 3 || line.dropFirst(3).first == " " {
                continuation.yield(SMTPReply(code: code, lines: lines))
                lines = []
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish(throwing: SMTPError.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
