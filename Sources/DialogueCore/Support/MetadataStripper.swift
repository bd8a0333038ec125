import Foundation

/// What a file is, decided by its first bytes (never by its name), and how its working copy is
/// made: JPEG and PNG lose the segments and chunks that identify people, places and devices;
/// PDF and text pass through (a PDF is flagged: it may carry metadata).
public enum EvidenceType: String, Sendable, CaseIterable {
    case jpeg = "image/jpeg"
    case png = "image/png"
    case pdf = "application/pdf"
    case text = "text/plain"

    public var fileExtension: String {
        switch self {
        case .jpeg: return "jpg"
        case .png: return "png"
        case .pdf: return "pdf"
        case .text: return "txt"
        }
    }

    /// Bytes needed to decide.
    static let sniffLength = 16

    /// The type of a file starting with `head`; nil for anything not accepted. Text is UTF-8 that
    /// does not open like markup (a renamed HTML or SVG file is not text); its whole body is
    /// checked as it streams (`UTF8Check`).
    static func sniff(_ head: [UInt8]) -> EvidenceType? {
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: Array("%PDF-".utf8)) { return .pdf }
        var text = head[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        guard let first = text.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return head.isEmpty ? nil : .text }
        if first == UInt8(ascii: "<") { return nil }
        return .text
    }
}

/// Removes identifying metadata from a JPEG or PNG as it streams: `feed` takes the original's
/// bytes in any pieces and returns the working copy's; `finish` says whether the file was whole.
/// JPEG: APP1 (EXIF, XMP), APP13 (IPTC) and COM segments go; the image data after SOS passes
/// untouched. PNG: eXIf, tEXt, iTXt, zTXt and tIME chunks go. Neither decodes the image.
struct MetadataStripper {
    enum Failure: Error { case malformed }

    private enum State {
        case jpegMarker
        case jpegLength(marker: UInt8)
        /// `scan`: the start-of-scan header, after which the image data follows.
        case jpegSegment(remaining: Int, keep: Bool, scan: Bool)
        case jpegImage
        case pngChunkHeader
        case pngChunk(remaining: Int, keep: Bool)
        case passthrough
    }

    private var state: State
    private var pending: [UInt8] = []
    private var started = false
    private let type: EvidenceType
    private(set) var removed: [String] = []

    init(_ type: EvidenceType) {
        self.type = type
        switch type {
        case .jpeg: state = .jpegMarker
        case .png: state = .pngChunkHeader
        case .pdf, .text: state = .passthrough
        }
    }

    static let droppedJPEG: [UInt8: String] = [0xE1: "JPEG APP1 (EXIF/XMP)", 0xED: "JPEG APP13 (IPTC)", 0xFE: "JPEG comment"]
    static let droppedPNG: Set<String> = ["eXIf", "tEXt", "iTXt", "zTXt", "tIME"]

    mutating func feed(_ bytes: some Collection<UInt8>) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var input = pending + bytes
        pending = []
        if !started {
            // The signature passes as it is: SOI for JPEG, the 8 bytes for PNG.
            let signature = type == .jpeg ? 2 : type == .png ? 8 : 0
            guard input.count >= signature else { pending = input; return [] }
            output += input.prefix(signature)
            input.removeFirst(signature)
            started = true
        }
        var index = 0
        loop: while index < input.count {
            switch state {
            case .passthrough, .jpegImage:
                output += input[index...]
                index = input.count
            case .jpegMarker:
                // Fill bytes (0xFF runs) before a marker are allowed; keep them out.
                guard input.count - index >= 2 else { break loop }
                guard input[index] == 0xFF else { throw Failure.malformed }
                let marker = input[index + 1]
                if marker == 0xFF { index += 1; continue }
                if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) {
                    output += [0xFF, marker]
                    index += 2
                    continue
                }
                if marker == 0xD9 { output += [0xFF, marker]; index += 2; state = .jpegImage; continue }
                state = .jpegLength(marker: marker)
                index += 2
            case .jpegLength(let marker):
                guard input.count - index >= 2 else { break loop }
                let length = Int(input[index]) << 8 | Int(input[index + 1])
                guard length >= 2 else { throw Failure.malformed }
                let dropped = Self.droppedJPEG[marker]
                if let dropped {
                    if !removed.contains(dropped) { removed.append(dropped) }
                } else {
                    output += [0xFF, marker, input[index], input[index + 1]]
                }
                index += 2
                state = .jpegSegment(remaining: length - 2, keep: dropped == nil, scan: marker == 0xDA)
            case .jpegSegment(let remaining, let keep, let scan):
                let take = min(remaining, input.count - index)
                if keep { output += input[index..<(index + take)] }
                index += take
                if take == remaining {
                    // After the start-of-scan header comes the image itself, passed as it is.
                    state = scan ? .jpegImage : .jpegMarker
                } else {
                    state = .jpegSegment(remaining: remaining - take, keep: keep, scan: scan)
                }
            case .pngChunkHeader:
                guard input.count - index >= 8 else { break loop }
                let length = input[index..<(index + 4)].reduce(0) { $0 << 8 | Int($1) }
                let name = String(decoding: input[(index + 4)..<(index + 8)], as: UTF8.self)
                guard length >= 0, length <= 0x7FFF_FFFF else { throw Failure.malformed }
                let keep = !Self.droppedPNG.contains(name)
                if keep { output += input[index..<(index + 8)] } else if !removed.contains("PNG \(name)") { removed.append("PNG \(name)") }
                index += 8
                // The data and its CRC.
                state = .pngChunk(remaining: length + 4, keep: keep)
            case .pngChunk(let remaining, let keep):
                let take = min(remaining, input.count - index)
                if keep { output += input[index..<(index + take)] }
                index += take
                state = take == remaining ? .pngChunkHeader : .pngChunk(remaining: remaining - take, keep: keep)
            }
        }
        if index < input.count { pending = Array(input[index...]) }
        return output
    }

    /// The file ended: a JPEG inside its image data, a PNG between chunks, nothing left over.
    func finish() throws {
        guard started, pending.isEmpty else { throw Failure.malformed }
        switch state {
        case .passthrough, .jpegImage, .pngChunkHeader: return
        default: throw Failure.malformed
        }
    }
}
