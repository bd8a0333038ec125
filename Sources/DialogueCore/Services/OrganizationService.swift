import Foundation
import PostgresNIO

public struct OrganizationInput: Sendable {
    public var name: String?
    public var side: String?
    public var country: String??

    public init(name: String? = nil, side: String? = nil, country: String?? = nil) {
        self.name = name
        self.side = side
        self.country = country
    }
}

extension Dialogue {
    static let organizationColumns = "id, name, side, country, version, created_at, updated_at"

    private func decodeOrganization(_ row: PostgresRow) throws -> Organization {
        let (id, name, side, country, version, createdAt, updatedAt) =
            try row.decode((UUID, String, String, String?, Int, Date, Date).self)
        return Organization(
            id: id, name: name, side: OrganizationSide(rawValue: side) ?? .partner, country: country,
            version: version, createdAt: createdAt, updatedAt: updatedAt)
    }

    public func listOrganizations(_ context: CallContext, page: PageRequest, side: String? = nil) async throws -> Page<Organization> {
        var validator = Validator()
        let side = validator.choice(side, "side", as: OrganizationSide.self, required: false)
        try validator.check()
        let scope = "organizations|\(side?.rawValue ?? "")"
        let after = try page.cursor.map { try cursors.decode($0, scope: scope) }
        return try await database.read { connection in
            var read = try FilteredRead<OrganizationList>()
            try read.filter(side)
            try read.filter(after: after)
            try read.finish(limit: page.limit + 1)
            let rows = try await connection.rows(read, logger: logger)
            let items = try rows.map(decodeOrganization)
            return pageOf(items, limit: page.limit, scope: scope) { KeysetPosition(createdAt: $0.createdAt, id: $0.id) }
        }
    }

    /// Cuts the extra row fetched to learn whether another page exists, and signs its cursor.
    func pageOf<Item: Sendable>(_ items: [Item], limit: Int, scope: String, position: (Item) -> KeysetPosition) -> Page<Item> {
        guard items.count > limit else { return Page(items: items, nextCursor: nil) }
        let shown = Array(items.prefix(limit))
        return Page(items: shown, nextCursor: shown.last.map { cursors.encode(position($0), scope: scope) })
    }

    /// Reads a keyset-ordered list in batches and keeps the rows `visible` admits until there
    /// is one more than a page (so `pageOf` knows a next page exists) or the list ends. The
    /// access decision stays in Swift (`AccessPolicy`); SQL only narrows what is read.
    func visibleRows<Row>(
        limit: Int, after: KeysetPosition?, fetch: (KeysetPosition?, Int) async throws -> [Row],
        position: (Row) -> KeysetPosition, visible: (Row) -> Bool
    ) async throws -> [Row] {
        var kept: [Row] = [], after = after
        let batch = limit + 1
        while kept.count <= limit {
            let rows = try await fetch(after, batch)
            kept += rows.filter(visible)
            guard rows.count == batch, let last = rows.last else { break }
            after = position(last)
        }
        return Array(kept.prefix(batch))
    }

    public func getOrganization(_ context: CallContext, id: UUID) async throws -> Organization {
        try await database.read { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Dialogue.organizationColumns) FROM organizations WHERE id = \(id)", logger: logger
            ).collect()
            guard let row = rows.first else { throw DomainError.notFound("organization not found") }
            return try decodeOrganization(row)
        }
    }

    public func createOrganization(_ context: CallContext, _ input: OrganizationInput) async throws -> Organization {
        try AccessPolicy.requireCoordinator(context.actor, "create organizations")
        var validator = Validator()
        let name = validator.text(input.name, "name", max: 200)
        let side = validator.choice(input.side, "side", as: OrganizationSide.self)
        let country = validator.countryCode(input.country ?? nil, "country")
        try validator.check()
        let (validName, validSide) = (try Validator.required(name, "name"), try Validator.required(side, "side"))
        return try await database.transaction { connection in
            let rows = try await connection.rows(try Prepared.NewOrganization(validName, validSide.rawValue, country), logger: logger)
            let organization = try decodeOrganization(rows.single(or: .conflict("the organization could not be created")))
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "organization.create",
                objectType: "organization", objectID: organization.id.lowercasedString,
                diff: ["name": organization.name, "side": organization.side.rawValue, "country": organization.country])
            return organization
        }
    }

    public func updateOrganization(_ context: CallContext, id: UUID, _ input: OrganizationInput, ifMatch: Int?) async throws -> Organization {
        try AccessPolicy.requireCoordinator(context.actor, "change organizations")
        var validator = Validator()
        let name = validator.text(input.name, "name", required: false, max: 200)
        let side = validator.choice(input.side, "side", as: OrganizationSide.self, required: false)
        let country = validator.countryCode(input.country ?? nil, "country")
        try validator.check()
        return try await database.transaction { connection in
            _ = try await Rows.lockVersion(
                connection, logger: logger, table: "organizations", id: id, ifMatch: ifMatch, what: "organization")
            let clearCountry = input.country != nil && country == nil
            let rows = try await connection.query("""
                UPDATE organizations SET
                    name = coalesce(\(name), name),
                    side = coalesce(\(side?.rawValue), side),
                    country = CASE WHEN \(clearCountry) THEN NULL ELSE coalesce(\(country), country) END,
                    version = version + 1, updated_at = now()
                WHERE id = \(id)
                RETURNING \(unescaped: Dialogue.organizationColumns)
                """, logger: logger).collect()
            let organization = try decodeOrganization(rows.single(or: .notFound("organization not found")))
            var diff: AuditLog.Diff = [:]
            if let name { diff["name"] = name }
            if let side { diff["side"] = side.rawValue }
            if input.country != nil { diff["country"] = country }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "organization.update",
                objectType: "organization", objectID: id.lowercasedString, diff: diff)
            return organization
        }
    }
}

/// Organizations, of one side or both, oldest first.
enum OrganizationList: FilteredList {
    static let name = "organizations.list"
    static let head = "SELECT \(Dialogue.organizationColumns) FROM organizations WHERE true"
    static let filters = [
        "side = ?",
        keyset("created_at, id"),
    ]
    static let order = "created_at, id"
}

extension Prepared {
    /// An organization, on its side.
    struct NewOrganization: PreparedWrite {
        static let sql = """
            INSERT INTO organizations (name, side, country) VALUES ($1::text, $2::text, $3::text)
            RETURNING \(Dialogue.organizationColumns)
            """
        let bindings: PostgresBindings
    }
}
