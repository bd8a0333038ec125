/// Text placed in HTML, escaped once for every writer of HTML: the report and the portal's
/// Markdown both use it, so a character one of them escaped and the other forgot cannot differ.
public enum HTMLText {
    /// `&`, `<`, `>`, `"` and `'` as entities; text without them is returned as it is.
    public static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { [UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'")].contains($0) }) else {
            return text
        }
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
