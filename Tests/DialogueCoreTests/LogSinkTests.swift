import DialogueCore
import Foundation
import Logging
import Testing

/// The server's log lines: batched while it serves, never reordered, never held back when
/// they matter, and in `StreamLogHandler`'s format.
@Suite("Log sink")
struct LogSinkTests {
    /// A sink writing to a fresh file, and a way to read what reached the file.
    final class Target {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-sink-\(UUID().uuidString)").path
        let descriptor: Int32
        let sink: LogSink

        init() throws {
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
            sink = LogSink(descriptor: descriptor)
        }

        var written: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

        deinit {
            close(descriptor)
            unlink(path)
        }
    }

    @Test("without batching every line is written at once")
    func unbatched() throws {
        let target = try Target()
        target.sink.write("one\n", urgent: false)
        #expect(target.written == "one\n")
    }

    @Test("batching holds routine lines; a warning writes them and itself, in order")
    func urgentLinesFlushInOrder() throws {
        let target = try Target()
        target.sink.startBatching(every: nil)
        target.sink.write("first\n", urgent: false)
        target.sink.write("second\n", urgent: false)
        #expect(target.written == "", "routine lines wait for their batch")
        target.sink.write("a warning\n", urgent: true)
        #expect(target.written == "first\nsecond\na warning\n")
        target.sink.write("third\n", urgent: false)
        target.sink.flush()
        #expect(target.written == "first\nsecond\na warning\nthird\n")
    }

    @Test("a full batch is written without waiting")
    func fullBatch() throws {
        let target = try Target()
        target.sink.startBatching(every: nil)
        let line = String(repeating: "x", count: 1023) + "\n"
        for _ in 0..<63 { target.sink.write(line, urgent: false) }
        #expect(target.written.isEmpty)
        target.sink.write(line, urgent: false)
        #expect(target.written.utf8.count == 64 * 1024)
    }

    @Test("the sink's thread writes a waiting line within its interval")
    func thread() async throws {
        let target = try Target()
        target.sink.startBatching(every: .milliseconds(20))
        target.sink.write("routine\n", urgent: false)
        let deadline = ContinuousClock.now + .seconds(5)
        while target.written.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(target.written == "routine\n")
    }

    @Test("the text handler writes StreamLogHandler's format: time, level, label, sorted metadata, source, message")
    func textFormat() throws {
        let target = try Target()
        var logger = Logger(label: "dialogue") { TextLogHandler(label: $0, logLevel: .info, sink: target.sink) }
        logger[metadataKey: "zone"] = "kept"
        logger.info("request", metadata: ["status": "200", "method": "GET"], source: "DialogueAPI")
        logger.debug("not at this level")
        let line = target.written
        let pattern = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info dialogue: method=GET status=200 zone=kept \[DialogueAPI\] request\n$/#
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }
}
