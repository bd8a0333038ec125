import DialogueCore
import Foundation
import Logging

/// `DIALOGUE_LOG_FORMAT=json`: one JSON object per line on stderr, for log shippers.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "time": RFC3339.string(from: Date()), "level": event.level.rawValue, "label": label,
            "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) where object[key] == nil {
            object[key] = value.description
        }
        // The canonical encoder is made once: a server logs a line per request.
        guard var line = try? CanonicalJSON.encode(object) else { return }
        line.append(0x0a)
        LogSink.standardError.write(bytes: line, urgent: event.level >= .warning)
    }
}
