import Foundation

/// Collects field errors so a client learns about every problem of a request at once.
public struct Validator: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field, message))
    }

    /// Trims, then checks the length bounds. Returns the trimmed text.
    ///
    /// Lengths are counted in Unicode code points, as PostgreSQL's `length()` in the CHECKs and
    /// JSON Schema's `maxLength` count them (SECURITY.md 19): a name written with decomposed
    /// accents is longer in code points than in what a reader sees, and the database is the
    /// one that must accept it. Control characters other than tab and line breaks are refused:
    /// they have no place in text a person wrote, and NUL cannot be stored at all.
    public mutating func text(_ value: String?, _ field: String, required: Bool = true, max: Int, min: Int = 1) -> String? {
        guard let value else {
            if required { fail(field, "is required") }
            return nil
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if let control = value.unicodeScalars.first(where: Validator.isForbiddenControl) {
            fail(field, control.value == 0 ? "must not contain NUL characters" : "must not contain control characters")
            return nil
        }
        // The upper bound holds for the text as sent, as the contract's maxLength does; the
        // lower one for the text once trimmed, so that blanks are not a name.
        if trimmed.unicodeScalars.count < min {
            fail(field, min == 1 ? "must not be empty" : "must be at least \(min) characters")
            return nil
        }
        if value.unicodeScalars.count > max {
            fail(field, "must be at most \(max) characters")
            return nil
        }
        return trimmed
    }

    /// C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
    static func isForbiddenControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x00...0x1F, 0x7F...0x9F: return true
        default: return false
        }
    }

    public mutating func choice<T: RawRepresentable & CaseIterable>(_ raw: String?, _ field: String, as type: T.Type, required: Bool = true) -> T?
    where T.RawValue == String {
        guard let raw else {
            if required { fail(field, "is required") }
            return nil
        }
        guard let value = T(rawValue: raw) else {
            fail(field, "must be one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    public mutating func timezone(_ value: String?, _ field: String) -> String? {
        guard let value else { return nil }
        guard Validator.isIANATimeZone(value) else {
            fail(field, "'\(value.prefix(64))' is not an IANA time zone name (e.g. Europe/Vilnius)")
            return nil
        }
        return value
    }

    /// One of the six direction slugs (DOMAIN.md); nil passes (an absent filter).
    public mutating func direction(_ value: String?, _ field: String = "direction") -> String? {
        guard let value else { return nil }
        guard Dialogue.directionSlugs.contains(value) else {
            fail(field, "must be one of: \(Dialogue.directionSlugs.joined(separator: ", "))")
            return nil
        }
        return value
    }

    public mutating func countryCode(_ value: String?, _ field: String) -> String? {
        guard let value else { return nil }
        guard value.count == 2, value.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            fail(field, "must be an ISO 3166-1 alpha-2 code such as BY or US")
            return nil
        }
        return value
    }

    public mutating func languages(_ values: [String]?, _ field: String) -> [String]? {
        guard let values else { return nil }
        if values.count > 20 { fail(field, "at most 20 languages"); return nil }
        for value in values where !Validator.isLanguageTag(value) {
            fail(field, "'\(value.prefix(32))' is not a BCP 47 language tag (e.g. be, ru, en-US)")
            return nil
        }
        return values
    }

    public mutating func email(_ value: String?, _ field: String) -> String? {
        guard let value = text(value, field, required: false, max: 254) else { return nil }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !value.contains(where: \.isWhitespace) else {
            fail(field, "is not an email address")
            return nil
        }
        return value
    }

    /// A value the checks above have vouched for. After `check()` it is always present; were a
    /// rule ever to let a nil through, the client still gets a 422, not a crash.
    public static func required<T>(_ value: T?, _ field: String) throws -> T {
        guard let value else { throw DomainError.invalid(field, "is required") }
        return value
    }

    /// Throws the collected errors, if any.
    public func check() throws {
        if !errors.isEmpty { throw DomainError.validation(errors) }
    }

    static let knownTimeZones = Set(TimeZone.knownTimeZoneIdentifiers)

    public static func isIANATimeZone(_ name: String) -> Bool {
        name == "UTC" || knownTimeZones.contains(name)
    }

    static func isLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter })
        else { return false }
        return parts.dropFirst().allSatisfy { part in
            (1...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }
}
