import DialogueCore
import Foundation
import NIOCore

/// Reads a `multipart/form-data` body as it arrives (RFC 7578): the fields before the file, then
/// the file's bytes, handed on piece by piece, never collected. The parts must come as the
/// contract lists them - the small fields first, the file last - and nothing may follow the file.
final class MultipartStream<Base: AsyncSequence & Sendable>: @unchecked Sendable where Base.Element == ByteBuffer {
    private var source: Base.AsyncIterator
    private var buffer: [UInt8] = []
    private var finished = false
    /// `\r\n--boundary`: what ends a part's body.
    private let delimiter: [UInt8]
    /// Refuses a field or a part's headers larger than this (they are held whole).
    static var fieldLimit: Int { 8 << 10 }

    init(_ body: Base, contentType: String?) throws {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = contentType.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.lowercased().hasPrefix("boundary=") })?.dropFirst("boundary=".count)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"")),
            (1...70).contains(boundary.utf8.count)
        else { throw DomainError.invalid("body", "must be multipart/form-data with a boundary") }
        source = body.makeAsyncIterator()
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    struct Part {
        var name: String
        var contentType: String?
    }

    private func fill() async throws -> Bool {
        guard !finished else { return false }
        guard let chunk = try await source.next() else {
            finished = true
            return false
        }
        buffer += chunk.readableBytesView
        return true
    }

    private func index(of pattern: [UInt8], from start: Int = 0) -> Int? {
        guard buffer.count >= pattern.count + start else { return nil }
        var position = start
        while position + pattern.count <= buffer.count {
            if buffer[position] == pattern[0], buffer[position..<(position + pattern.count)].elementsEqual(pattern) { return position }
            position += 1
        }
        return nil
    }

    private var started = false

    /// The next part's headers, or nil after the closing boundary.
    func nextPart() async throws -> Part? {
        if !started {
            // The body opens with the boundary line (a preamble before it is ignored).
            let opening = Array(delimiter.dropFirst(2))
            while index(of: opening) == nil {
                guard buffer.count < Self.fieldLimit, try await fill() else { throw Self.malformed }
            }
            if let at = index(of: opening) { buffer.removeFirst(at + opening.count) }
            started = true
        }
        // After a boundary: `--` ends the body, CRLF starts a part.
        while buffer.count < 2 { guard try await fill() else { throw Self.malformed } }
        if buffer[0] == UInt8(ascii: "-"), buffer[1] == UInt8(ascii: "-") { return nil }
        let headersEnd = Array("\r\n\r\n".utf8)
        while index(of: headersEnd) == nil {
            guard buffer.count < Self.fieldLimit, try await fill() else { throw Self.malformed }
        }
        guard let end = index(of: headersEnd) else { throw Self.malformed }
        let text = String(decoding: buffer[0..<end], as: UTF8.self)
        buffer.removeFirst(end + headersEnd.count)
        var name: String?, contentType: String?
        for line in text.split(separator: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            switch pair[0].lowercased() {
            case "content-disposition":
                name = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    .first { $0.hasPrefix("name=") }.map { String($0.dropFirst(5)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            case "content-type":
                contentType = value
            default:
                continue
            }
        }
        guard let name else { throw DomainError.invalid("body", "a part has no name") }
        return Part(name: name, contentType: contentType)
    }

    /// The next piece of the current part's body; nil at its end (the boundary is consumed).
    func nextPiece() async throws -> ArraySlice<UInt8>? {
        while true {
            if let at = index(of: delimiter) {
                if at == 0 {
                    buffer.removeFirst(delimiter.count)
                    return nil
                }
                let piece = buffer[0..<at]
                buffer.removeFirst(at)
                return ArraySlice(piece)
            }
            // Keep what could be the start of the delimiter; hand on the rest.
            let safe = buffer.count - (delimiter.count - 1)
            if safe > 0 {
                let piece = buffer[0..<safe]
                buffer.removeFirst(safe)
                return ArraySlice(piece)
            }
            guard try await fill() else { throw Self.malformed }
        }
    }

    /// A small field's whole value.
    func field() async throws -> String {
        var bytes: [UInt8] = []
        while let piece = try await nextPiece() {
            bytes += piece
            guard bytes.count <= Self.fieldLimit else { throw DomainError.invalid("body", "a field is longer than 8 KiB") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static var malformed: DomainError { DomainError.invalid("body", "is not a complete multipart/form-data body") }

    /// The current part's body as a sequence, which ends after checking that no part follows.
    func fileBytes() -> FileBytes { FileBytes(stream: self) }

    struct FileBytes: AsyncSequence, Sendable {
        typealias Element = ArraySlice<UInt8>
        let stream: MultipartStream

        struct AsyncIterator: AsyncIteratorProtocol {
            let stream: MultipartStream
            var done = false

            mutating func next() async throws -> ArraySlice<UInt8>? {
                guard !done else { return nil }
                if let piece = try await stream.nextPiece() { return piece }
                done = true
                if try await stream.nextPart() != nil {
                    throw DomainError.invalid("body", "the file must be the last part (send source_url and captured_at before it)")
                }
                return nil
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: stream) }
    }
}
