import Foundation

/// A calendar quarter in UTC, written `2026-Q4`.
public struct Quarter: Sendable, Equatable, CustomStringConvertible {
    public var year: Int
    public var number: Int

    public init(year: Int, number: Int) {
        self.year = year
        self.number = number
    }

    public init(containing date: Date) {
        let components = Quarter.utc.dateComponents([.year, .month], from: date)
        self.init(year: components.year ?? 1970, number: ((components.month ?? 1) - 1) / 3 + 1)
    }

    /// Parses `2026-Q4`; throws a validation error naming `field`.
    public init(parsing text: String, field: String = "quarter") throws {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), (2000...2100).contains(year),
            parts[1].count == 2, parts[1].first == "Q", let number = Int(parts[1].dropFirst()), (1...4).contains(number)
        else { throw DomainError.invalid(field, "must look like 2026-Q4 (years 2000 to 2100)") }
        self.init(year: year, number: number)
    }

    public var description: String { "\(year)-Q\(number)" }

    /// The `count` quarters before this one, oldest first.
    public func preceding(_ count: Int) -> [Quarter] {
        (1...max(1, count)).reversed().map { back in
            let index = year * 4 + (number - 1) - back
            return Quarter(year: index / 4, number: index % 4 + 1)
        }
    }

    public var start: Date {
        // Midnight UTC of the quarter's first day: seconds from the epoch, counted in days.
        let days = Quarter.daysFromEpoch(year: year, month: (number - 1) * 3 + 1)
        return Date(timeIntervalSince1970: TimeInterval(days) * 86_400)
    }

    /// The first instant after the quarter.
    public var end: Date {
        number == 4 ? Quarter(year: year + 1, number: 1).start : Quarter(year: year, number: number + 1).start
    }

    /// Days from 1970-01-01 to the first of a month (proleptic Gregorian; Howard Hinnant's
    /// days_from_civil), so a quarter's bounds need no optional from a calendar.
    static func daysFromEpoch(year: Int, month: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()
}

/// The session life cycle (DOMAIN.md): planned → confirmed → held, or → cancelled from
/// planned or confirmed. Anything else is refused with the allowed moves.
public enum SessionRules {
    public static func allowedTransitions(from status: SessionStatus) -> [SessionStatus] {
        switch status {
        case .planned: return [.confirmed, .cancelled]
        case .confirmed: return [.held, .cancelled]
        case .held, .cancelled: return []
        }
    }

    public static func checkTransition(from: SessionStatus, to: SessionStatus) throws {
        let allowed = allowedTransitions(from: from)
        guard allowed.contains(to) else {
            throw DomainError.conflict(
                "a \(from.rawValue) session cannot become \(to.rawValue)", allowed: allowed.map(\.rawValue))
        }
    }

    /// Agendas change only before the session is held (DOMAIN.md).
    public static func checkAgendaEditable(_ status: SessionStatus) throws {
        guard status == .planned || status == .confirmed else {
            throw DomainError.conflict("the agenda of a \(status.rawValue) session cannot be changed")
        }
    }

    /// Outcomes are recorded only once the session is held.
    public static func checkOutcomeRecordable(_ status: SessionStatus) throws {
        guard status == .held else {
            throw DomainError.conflict("outcomes are recorded once the session is held; it is \(status.rawValue)")
        }
    }

    public static let maximumLength: TimeInterval = 14 * 24 * 3600

    /// `HH:MM` on a 24-hour clock.
    static func isWallClockTime(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
            let hour = Int(parts[0]), let minute = Int(parts[1])
        else { return false }
        return (0...23).contains(hour) && (0...59).contains(minute)
    }

    /// Converts a wall-clock time in a zone to an instant. A time skipped by a daylight-saving
    /// jump does not exist and is refused; a repeated one (clocks going back) takes the first.
    public static func instant(localStart text: String, timezone: String, field: String = "local_start") throws -> Date {
        guard let zone = TimeZone(identifier: timezone), Validator.isIANATimeZone(timezone) else {
            throw DomainError.invalid("timezone", "is not an IANA time zone name (e.g. Europe/Vilnius)")
        }
        let parts = text.split(separator: "T")
        let dateParts = parts.first?.split(separator: "-").compactMap { Int($0) } ?? []
        let timeParts = parts.count == 2 ? parts[1].split(separator: ":").compactMap { Int($0) } : []
        guard parts.count == 2, dateParts.count == 3, (2...3).contains(timeParts.count),
            (2000...2100).contains(dateParts[0]), (1...12).contains(dateParts[1]), (1...31).contains(dateParts[2]),
            (0...23).contains(timeParts[0]), (0...59).contains(timeParts[1]), timeParts.count == 2 || (0...59).contains(timeParts[2])
        else { throw DomainError.invalid(field, "must be a local date and time such as 2027-03-28T10:00 (years 2000 to 2100)") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let wanted = DateComponents(
            year: dateParts[0], month: dateParts[1], day: dateParts[2], hour: timeParts[0], minute: timeParts[1],
            second: timeParts.count == 3 ? timeParts[2] : 0)
        guard let date = calendar.date(from: wanted) else { throw DomainError.invalid(field, "is not a valid date") }
        let back = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard back.year == wanted.year, back.month == wanted.month, back.day == wanted.day else {
            throw DomainError.invalid(field, "is not a valid date")
        }
        guard back.hour == wanted.hour, back.minute == wanted.minute else {
            throw DomainError.invalid(
                field, "\(text) does not exist in \(timezone): the clocks skip that hour for daylight-saving time")
        }
        // Of two instants with this wall time (clocks going back), prefer the earlier.
        let hourEarlier = date.addingTimeInterval(-3600)
        let earlier = calendar.dateComponents([.hour, .minute, .second, .day], from: hourEarlier)
        if earlier.hour == wanted.hour, earlier.minute == wanted.minute, earlier.day == wanted.day {
            return hourEarlier
        }
        return date
    }

    /// Checks the time window of a session: ends after it starts, lasts at most 14 days, and
    /// falls in years a calendar can sensibly hold.
    public static func checkWindow(startsAt: Date, endsAt: Date, validator: inout Validator) {
        let low = Quarter(year: 2000, number: 1).start, high = Quarter(year: 2101, number: 1).start
        if startsAt < low || startsAt >= high { validator.fail("starts_at", "must be between the years 2000 and 2100") }
        if endsAt <= startsAt { validator.fail("ends_at", "must be after starts_at") }
        if endsAt.timeIntervalSince(startsAt) > maximumLength { validator.fail("ends_at", "a session lasts at most 14 days") }
    }
}
