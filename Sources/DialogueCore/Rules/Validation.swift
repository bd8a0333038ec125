import Foundation

/// Collects field errors so a client learns about every problem of a request at once.
public struct Validator: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field, message))
    }

    /// Trims, then checks the length bounds in characters. Returns the trimmed text.
    public mutating func text(_ value: String?, _ field: String, required: Bool = true, max: Int, min: Int = 1) -> String? {
        guard let value else {
            if required { fail(field, "is required") }
            return nil
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.unicodeScalars.contains(where: { $0.value == 0 }) {
            fail(field, "must not contain NUL characters")
            return nil
        }
        if trimmed.count < min {
            fail(field, min == 1 ? "must not be empty" : "must be at least \(min) characters")
            return nil
        }
        if trimmed.count > max {
            fail(field, "must be at most \(max) characters")
            return nil
        }
        return trimmed
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
