import DialogueCore
import Foundation
import Ink

/// Markdown as the portal shows it (SECURITY.md 25): Ink renders the structure; raw HTML in the
/// source is shown as the text it is, never passed through; a link keeps only an http(s),
/// mailto or same-site address that cannot leave its attribute (anything else - `javascript:`,
/// `data:`, a quote - leaves the words as plain text); images become their description,
/// since the portal fetches nothing from elsewhere.
enum Markdown {
    static func html(_ source: String) -> String {
        parser.html(from: neutralized(source))
    }

    /// The source with every `<` outside code written as `&lt;`, so Ink never reads markup:
    /// it would pass it through, and an unclosed tag would swallow the rest of the text. In
    /// fenced code and code spans Ink escapes it itself. (The `.html` modifier below stays as
    /// a second guard.)
    static func neutralized(_ source: String) -> String {
        var lines: [String] = []
        var fence: String?
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil }
                lines.append(String(line))
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = String(trimmed.prefix(3))
                lines.append(String(line))
                continue
            }
            lines.append(escapingOutsideCodeSpans(line))
        }
        return lines.joined(separator: "\n")
    }

    /// A line with `<` escaped except inside code spans (a run of backticks closed by a run of
    /// the same length); an unclosed run is plain text.
    static func escapingOutsideCodeSpans(_ line: Substring) -> String {
        let characters = Array(line)
        var runs: [(start: Int, length: Int)] = []
        var index = 0
        while index < characters.count {
            if characters[index] == "`" {
                var end = index
                while end < characters.count, characters[end] == "`" { end += 1 }
                runs.append((index, end - index))
                index = end
            } else {
                index += 1
            }
        }
        var code: [Range<Int>] = []
        var open: (start: Int, length: Int)?
        for run in runs {
            if let opened = open {
                if opened.length == run.length {
                    code.append(opened.start..<(run.start + run.length))
                    open = nil
                }
            } else {
                open = run
            }
        }
        var result = ""
        for (offset, character) in characters.enumerated() {
            if character == "<", !code.contains(where: { $0.contains(offset) }) { result += "&lt;" } else { result.append(character) }
        }
        return result
    }

    /// Built once and only read after (`html(from:)` does not mutate it); Ink does not mark
    /// its parser Sendable.
    nonisolated(unsafe) private static let parser: MarkdownParser = {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .html) { HTMLText.escaped(String($0.markdown)) })
        parser.addModifier(Modifier(target: .images) { input in
            "<span class=\"image\">" + HTMLText.escaped(String(input.markdown)) + "</span>"
        })
        parser.addModifier(Modifier(target: .links) { input in
            let prefix = "<a href=\"", suffix = "</a>"
            guard input.html.hasPrefix(prefix), input.html.hasSuffix(suffix),
                let close = input.html.range(of: "\">", range: input.html.index(input.html.startIndex, offsetBy: prefix.count)..<input.html.endIndex)
            else { return HTMLText.escaped(String(input.markdown)) }
            let url = String(input.html[input.html.index(input.html.startIndex, offsetBy: prefix.count)..<close.lowerBound])
            guard isSafe(url) else { return HTMLText.escaped(String(input.markdown)) }
            return input.html.replacingOccurrences(of: prefix, with: "<a rel=\"noreferrer noopener\" href=\"", options: .anchored)
        })
        return parser
    }()

    /// An address a link may keep: http(s), mailto, or a path or anchor on this site, with no
    /// character that could end the attribute or start markup.
    static func isSafe(_ url: String) -> Bool {
        guard !url.isEmpty, !url.contains(where: { "\"'<>`\\".contains($0) || $0.isWhitespace || $0.isNewline }),
            !url.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return false }
        let lower = url.lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:") { return true }
        // Same site: a path (not `//host`) or an anchor.
        return (lower.hasPrefix("/") && !lower.hasPrefix("//")) || lower.hasPrefix("#")
    }
}
