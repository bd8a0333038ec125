import Foundation
import Logging
import Synchronization

/// Where the server's log lines go (standard error), written in batches while it serves.
///
/// A server logs a line per request. Written one `write(2)` each, the lines cost a kept agenda
/// read ~9 % of its server CPU (deploy/README, "Eleventh round"). While batching, lines wait
/// here and go out together: when a warning or worse arrives (it goes out at once, after the
/// lines before it, so the order stays), when the batch reaches `batchBytes`, every
/// `interval` from a thread of the sink's own, and when the process exits normally. A process
/// killed outright loses at most `interval` of routine lines; an error is never held back.
/// Before `startBatching` (which only `serve` calls), every line is written at once.
public final class LogSink: Sendable {
    public static let standardError = LogSink(descriptor: STDERR_FILENO)

    /// How long a routine line may wait.
    public static let interval = Duration.milliseconds(50)
    /// How many bytes may wait before they are written without waiting for the thread.
    static let batchBytes = 64 * 1024

    private struct Pending {
        var bytes: [UInt8] = []
        var batching = false
    }

    private let descriptor: Int32
    private let pending = Mutex(Pending())
    /// Held while writing, so batches leave in the order they were taken.
    private let writing = Mutex(())

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Appends one line (with its newline). `urgent` lines, and every line when not batching,
    /// are written before this returns, with whatever waited before them.
    public func write(_ line: String, urgent: Bool) {
        write(bytes: line.utf8, urgent: urgent)
    }

    /// The same for a line already encoded as UTF-8.
    public func write(bytes line: some Collection<UInt8>, urgent: Bool) {
        var full = false
        let batching = pending.withLock { pending in
            pending.bytes.append(contentsOf: line)
            full = pending.bytes.count >= Self.batchBytes
            return pending.batching
        }
        if urgent || full || !batching { flush() }
    }

    /// Writes whatever waits.
    public func flush() {
        writing.withLock { _ in
            let bytes = pending.withLock { pending in
                defer { pending.bytes.removeAll(keepingCapacity: true) }
                return pending.bytes
            }
            Self.writeAll(bytes, to: descriptor)
        }
    }

    /// From now on routine lines wait for the next batch, which a thread of the sink's own
    /// writes every `interval` (nil: no thread, the caller flushes); the process's normal exit
    /// writes the last. The first call decides.
    public func startBatching(every interval: Duration? = LogSink.interval) {
        let started = pending.withLock { pending in
            defer { pending.batching = true }
            return pending.batching
        }
        guard !started else { return }
        if self === LogSink.standardError { atexit { LogSink.standardError.flush() } }
        guard let interval else { return }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let thread = Thread { [self] in
            Thread.current.name = "log-sink"  // set from inside, so the OS thread bears it too
            while true {
                Thread.sleep(forTimeInterval: seconds)
                flush()
            }
        }
        thread.start()
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let written = Foundation.write(descriptor, base + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return  // Nowhere to log that logging failed; the lines are dropped.
                }
            }
        }
    }
}

/// The text log format of swift-log's `StreamLogHandler`, line for line
/// (`2026-11-27T06:01:02+0000 info dialogue: method=GET route=/v1/me [DialogueAPI] request`),
/// written through a `LogSink`. The time is formatted once a second.
public struct TextLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let sink: LogSink

    public init(label: String, logLevel: Logger.Level, sink: LogSink = .standardError) {
        self.label = label
        self.logLevel = logLevel
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var line = LogTime.now()
        line += " \(event.level)"
        if !label.isEmpty { line += " \(label)" }
        line += ":"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " [\(event.source)] \(event.message)\n"
        sink.write(line, urgent: event.level >= .warning)
    }
}

/// The local time as `StreamLogHandler` writes it (`%Y-%m-%dT%H:%M:%S%z`), kept for the
/// second it names.
enum LogTime {
    private static let last = Mutex<(second: time_t, text: String)>((-1, ""))

    static func now() -> String {
        var second = time(nil)
        if let kept = last.withLock({ $0.second == second ? $0.text : nil }) { return kept }
        var local = tm()
        guard localtime_r(&second, &local) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        let text = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        last.withLock { $0 = (second, text) }
        return text
    }
}
