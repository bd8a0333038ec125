import Foundation

/// Dates and numbers as a language writes them, for the portal's pages and the report alike.
/// Format styles are values: nothing is built that a later call could share.
public enum Written {
    /// A moment in a zone, e.g. "Saturday, 28 March 2030 at 10:00" in English.
    public static func moment(_ date: Date, _ zone: TimeZone, _ language: PortalLanguage) -> String {
        var style = Date.FormatStyle(date: .complete, time: .shortened, locale: Locale(identifier: language.rawValue), timeZone: zone)
        style.calendar = Calendar(identifier: .gregorian)
        return date.formatted(style)
    }

    /// A calendar day given as `YYYY-MM-DD` (a due date), written out; as given when malformed.
    public static func day(_ isoDay: String, _ language: PortalLanguage, style dateStyle: Date.FormatStyle.DateStyle = .long) -> String {
        guard let date = RFC3339.date(from: isoDay + "T00:00:00Z") else { return isoDay }
        var style = Date.FormatStyle(date: dateStyle, time: .omitted, locale: Locale(identifier: language.rawValue), timeZone: .gmt)
        style.calendar = Calendar(identifier: .gregorian)
        return date.formatted(style)
    }

    public static func number(_ value: Int, _ language: PortalLanguage) -> String {
        value.formatted(IntegerFormatStyle<Int>(locale: Locale(identifier: language.rawValue)))
    }
}
