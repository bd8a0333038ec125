import Foundation

extension UUID {
    /// An id as every response, page, link and audit row writes it: lowercase.
    public var lowercasedString: String { uuidString.lowercased() }
}
