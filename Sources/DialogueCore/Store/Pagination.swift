import Crypto
import Foundation

/// What a client asked of a list: how many, and after which item.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let maximumLimit = 200

    public var limit: Int
    public var cursor: String?

    /// Validates the `limit` query parameter (1...200, default 50).
    public init(limit: Int?, cursor: String?) throws {
        let limit = limit ?? PageRequest.defaultLimit
        guard (1...PageRequest.maximumLimit).contains(limit) else {
            throw DomainError.invalid("limit", "must be between 1 and \(PageRequest.maximumLimit)")
        }
        self.limit = limit
        self.cursor = cursor
    }
}

public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    public func map<Other: Sendable>(_ transform: (Item) throws -> Other) rethrows -> Page<Other> {
        Page<Other>(items: try items.map(transform), nextCursor: nextCursor)
    }
}

/// The position of an item in a list ordered by (created_at, id): the keyset every list uses.
public struct KeysetPosition: Sendable, Equatable {
    public var createdAtMicros: Int64
    public var id: UUID
}

/// Opaque, tamper-checked cursors. A cursor is the keyset position of the last item served,
/// bound to the list (and its filters) it came from and signed with a key all instances share,
/// so it works on any instance and cannot be forged or moved to another list.
public struct CursorCodec: Sendable {
    private let key: SymmetricKey

    public init(secret: String) {
        key = SymmetricKey(data: SHA256.hash(data: Data(("cursor:" + secret).utf8)))
    }

    public func encode(_ position: KeysetPosition, scope: String) -> String {
        let payload = "\(position.createdAtMicros).\(position.id.lowercasedString)"
        return Data(payload.utf8).base64URLEncoded + "." + signature(payload: payload, scope: scope)
    }

    public func decode(_ cursor: String, scope: String) throws -> KeysetPosition {
        let invalid = DomainError.invalid("cursor", "is not a cursor issued for this list; start again without one")
        let parts = cursor.split(separator: ".", omittingEmptySubsequences: false)
        guard cursor.utf8.count <= 512, parts.count == 2,
            let payloadData = Data(base64URLEncoded: String(parts[0])),
            let payload = String(data: payloadData, encoding: .utf8),
            TokenSecret.constantTimeEquals(signature(payload: payload, scope: scope), String(parts[1]))
        else { throw invalid }
        let fields = payload.split(separator: ".")
        guard fields.count == 2, let micros = Int64(fields[0]), let id = UUID(uuidString: String(fields[1])) else {
            throw invalid
        }
        return KeysetPosition(createdAtMicros: micros, id: id)
    }

    private func signature(payload: String, scope: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data((scope + "\n" + payload).utf8), using: key)
        return Data(mac).prefix(16).base64URLEncoded
    }
}
