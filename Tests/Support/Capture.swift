import DialogueCore
import Foundation
import Logging
import Synchronization

/// Keeps every log line in memory, so a test can search what the server would have logged.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public var text: String { lines.withLock { $0.joined(separator: "\n") } }

    public func logger(label: String = "dialogue") -> Logger {
        var logger = Logger(label: label) { label in CapturingHandler(label: label, capture: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }
}

private struct CapturingHandler: LogHandler {
    let label: String
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        capture.append("\(event.level) \(label): \(event.message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
    }
}

/// Runs one of this package's tools, or any program, and returns its exit status and stdout.
public func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
    let wrapped = ["/usr/bin/env"] + environment.map { "\($0)=\($1)" } + [executable] + arguments
    let (status, data) = try EmbeddedCluster.runCapturingStdout(wrapped[0], Array(wrapped.dropFirst()))
    return (status, String(decoding: data, as: UTF8.self))
}

/// The same, with the program's stderr folded into what is returned (what an operator sees).
public func runMergingStderr(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
    try run("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>&1", executable] + arguments, environment: environment)
}

extension DatabaseConfiguration {
    public var url: String {
        let password = (self.password ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return "postgres://\(username):\(password)@\(host):\(port)/\(database)?sslmode=disable"
    }
}
