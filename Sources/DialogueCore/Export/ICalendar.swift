import Foundation

/// RFC 5545 writer for session calendars. A feed carries only what a calendar needs and a
/// leaked phone may show: title, time, place, kind and group name. Never attendees, never
/// presenters, never anything about in-country proxies.
public enum ICalendar {
    public struct Event: Sendable {
        public var session: Session
        public var groupName: String?

        public init(session: Session, groupName: String?) {
            self.session = session
            self.groupName = groupName
        }
    }

    public static func document(name: String, events: [Event]) -> String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//dialogue//sessions//EN", "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH", "X-WR-CALNAME:\(escape(name))",
        ]
        // One VTIMEZONE per zone used, covering the years of its events.
        var years: [String: ClosedRange<Int>] = [:]
        for event in events where event.session.timezone != "UTC" {
            let zone = event.session.timezone
            let year = Quarter(containing: event.session.startsAt).year
            let endYear = Quarter(containing: event.session.endsAt).year
            let existing = years[zone]
            years[zone] = min(existing?.lowerBound ?? year, year)...max(existing?.upperBound ?? endYear, endYear)
        }
        for zone in years.keys.sorted() {
            if let timeZone = TimeZone(identifier: zone), let range = years[zone] {
                lines += vtimezone(timeZone, years: range)
            }
        }
        for event in events { lines += vevent(event) }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    static func vevent(_ event: Event) -> [String] {
        let session = event.session
        let kind: String
        switch session.kind {
        case .plenary: kind = "Plenary"
        case .quarterly: kind = "Quarterly meeting"
        case .workingGroup: kind = "Working group session"
        }
        let status: String
        switch session.status {
        case .planned: status = "TENTATIVE"
        case .confirmed, .held: status = "CONFIRMED"
        case .cancelled: status = "CANCELLED"
        }
        var lines = [
            "BEGIN:VEVENT",
            "UID:\(session.id.lowercasedString)@dialogue",
            "DTSTAMP:\(utcStamp(session.updatedAt))",
            "LAST-MODIFIED:\(utcStamp(session.updatedAt))",
            "SEQUENCE:\(session.sequence)",
        ]
        if session.timezone != "UTC", let zone = TimeZone(identifier: session.timezone) {
            lines.append("DTSTART;TZID=\(session.timezone):\(localStamp(session.startsAt, zone))")
            lines.append("DTEND;TZID=\(session.timezone):\(localStamp(session.endsAt, zone))")
        } else {
            lines.append("DTSTART:\(utcStamp(session.startsAt))")
            lines.append("DTEND:\(utcStamp(session.endsAt))")
        }
        lines.append("SUMMARY:\(escape(session.title))")
        if !session.location.isEmpty { lines.append("LOCATION:\(escape(session.location))") }
        let description = [kind, event.groupName].compactMap { $0 }.joined(separator: " — ")
        lines.append("DESCRIPTION:\(escape(description))")
        lines.append("CATEGORIES:\(escape(kind))")
        lines.append("STATUS:\(status)")
        lines.append("END:VEVENT")
        return lines
    }

    /// The zone's real transitions in the years covered (one observance per transition), plus
    /// the offset in force at the start, so every event time resolves to the right instant.
    static func vtimezone(_ zone: TimeZone, years: ClosedRange<Int>) -> [String] {
        var lines = ["BEGIN:VTIMEZONE", "TZID:\(zone.identifier)"]
        let start = Quarter(year: years.lowerBound, number: 1).start
        let end = Quarter(year: years.upperBound + 1, number: 1).start
        let initialOffset = zone.secondsFromGMT(for: start)
        lines += observance(
            daylight: zone.isDaylightSavingTime(for: start), localStart: start.addingTimeInterval(TimeInterval(initialOffset)),
            from: initialOffset, to: initialOffset, name: zone.abbreviation(for: start))
        var cursor = start
        while let transition = zone.nextDaylightSavingTimeTransition(after: cursor), transition < end {
            let before = zone.secondsFromGMT(for: transition.addingTimeInterval(-1))
            let after = zone.secondsFromGMT(for: transition)
            lines += observance(
                daylight: zone.isDaylightSavingTime(for: transition),
                localStart: transition.addingTimeInterval(TimeInterval(before)), from: before, to: after,
                name: zone.abbreviation(for: transition))
            cursor = transition.addingTimeInterval(1)
        }
        lines.append("END:VTIMEZONE")
        return lines
    }

    static func observance(daylight: Bool, localStart: Date, from: Int, to: Int, name: String?) -> [String] {
        let kind = daylight ? "DAYLIGHT" : "STANDARD"
        var lines = [
            "BEGIN:\(kind)", "DTSTART:\(floatingStamp(localStart))", "TZOFFSETFROM:\(offset(from))", "TZOFFSETTO:\(offset(to))",
        ]
        if let name, !name.isEmpty { lines.append("TZNAME:\(escape(name))") }
        lines.append("END:\(kind)")
        return lines
    }

    static func offset(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let value = abs(seconds)
        let base = String(format: "%@%02d%02d", sign, value / 3600, (value % 3600) / 60)
        return value % 60 == 0 ? base : base + String(format: "%02d", value % 60)
    }

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()

    static func components(_ date: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    static func utcStamp(_ date: Date) -> String { components(date, .gmt) + "Z" }
    static func localStamp(_ date: Date, _ zone: TimeZone) -> String { components(date, zone) }
    /// A wall time already shifted into local time, written without a zone.
    static func floatingStamp(_ shifted: Date) -> String { components(shifted, .gmt) }

    /// TEXT escaping (RFC 5545 3.3.11).
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n", "\r\n": out += "\\n"
            case "\r": continue
            default:
                if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
                    scalar.value < 0x20 || scalar.value == 0x7f
                {
                    continue
                }
                out.append(character)
            }
        }
        return out
    }

    /// Folds a content line at 75 octets without splitting a UTF-8 sequence (RFC 5545 3.1).
    static func fold(_ line: String) -> String {
        var result: [String] = []
        var current = ""
        var octets = 0
        var limit = 75
        for character in line {
            let size = String(character).utf8.count
            if octets + size > limit {
                result.append(current)
                current = ""
                octets = 0
                limit = 74
            }
            current.append(character)
            octets += size
        }
        result.append(current)
        return result.joined(separator: "\r\n ")
    }
}
