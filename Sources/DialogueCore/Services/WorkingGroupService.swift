import Foundation
import PostgresNIO

public struct WorkingGroupInput: Sendable {
    public var direction: String?
    public var name: String?
    public var mandate: String?
    public var status: String?

    public init(direction: String? = nil, name: String? = nil, mandate: String? = nil, status: String? = nil) {
        self.direction = direction
        self.name = name
        self.mandate = mandate
        self.status = status
    }
}

extension Dialogue {
    static let groupColumns = "id, direction, name, mandate, status, version, created_at, updated_at"
    static let directionSlugs = ["political", "human_rights", "accountability", "media", "identity_culture", "private_sector"]

    func decodeGroup(_ row: PostgresRow) throws -> WorkingGroup { try decodeGroup(row.makeRandomAccess()) }

    /// A group from `groupColumns` starting at column `first`.
    func decodeGroup(_ cells: PostgresRandomAccessRow, from first: Int = 0) throws -> WorkingGroup {
        WorkingGroup(
            id: try cells[first].decode(UUID.self), direction: try cells[first + 1].decode(String.self),
            name: try cells[first + 2].decode(String.self), mandate: try cells[first + 3].decode(String.self),
            status: WorkingGroupStatus(rawValue: try cells[first + 4].decode(String.self)) ?? .archived,
            version: try cells[first + 5].decode(Int.self), createdAt: try cells[first + 6].decode(Date.self),
            updatedAt: try cells[first + 7].decode(Date.self))
    }

    private static func validatedGroup(_ input: WorkingGroupInput, over current: WorkingGroup?) throws -> WorkingGroup {
        var validator = Validator()
        var group = current ?? WorkingGroup(
            id: UUID(), direction: "", name: "", mandate: "", status: .active, version: 0, createdAt: Date(), updatedAt: Date())
        if input.direction != nil {
            if let direction = validator.direction(input.direction) { group.direction = direction }
        } else if current == nil {
            validator.fail("direction", "is required")
        }
        if let name = validator.text(input.name, "name", required: current == nil, max: 200) { group.name = name }
        if let mandate = validator.text(input.mandate, "mandate", required: false, max: 5000, min: 0) { group.mandate = mandate }
        if let status = validator.choice(input.status, "status", as: WorkingGroupStatus.self, required: false) {
            group.status = status
        }
        try validator.check()
        return group
    }

    public func createWorkingGroup(_ context: CallContext, _ input: WorkingGroupInput) async throws -> WorkingGroup {
        try AccessPolicy.requireCoordinator(context.actor, "create working groups")
        let group = try Dialogue.validatedGroup(input, over: nil)
        return try await database.transaction { connection in
            let rows = try await connection.rows(
                try Prepared.NewWorkingGroup(group.direction, group.name, group.mandate, group.status.rawValue), logger: logger)
            var created = try decodeGroup(rows.single(or: .conflict("the working group could not be created")))
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "working_group.create", objectType: "working_group",
                objectID: created.id.lowercasedString, diff: ["direction": created.direction, "name": created.name])
            created.warnings = try await groupWarnings(connection, created.id)
            return created
        }
    }

    public func getWorkingGroup(_ context: CallContext, id: UUID) async throws -> WorkingGroup {
        try await database.read { connection in
            let viewer = try await viewer(context, connection)
            try AccessPolicy.require(viewer, .read, .workingGroup(id: id), notFound: "working group not found")
            return try await withWarnings(try await loadGroup(connection, id: id, lock: false), for: viewer, connection)
        }
    }

    /// A group for a caller; a bearer is checked in the group's own statement (one round trip;
    /// a coordinator's warnings are a second): 401 for any failure first, then 404.
    public func getWorkingGroup(_ caller: Caller, id: UUID) async throws -> WorkingGroup {
        try await read(
            as: caller, authenticated: { try await getWorkingGroup($0, id: id) },
            checkingIn: { try Prepared.GroupForBearer(hash: $0.hash, groupID: id) }
        ) { viewer, rows, connection in
            try AccessPolicy.require(viewer, .read, .workingGroup(id: id), notFound: "working group not found")
            let first = Prepared.GroupForBearer.groupOffset
            guard let row = rows.first, try row[first].decode(UUID?.self) != nil else {
                throw DomainError.notFound("working group not found")
            }
            return try await withWarnings(try decodeGroup(row, from: first), for: viewer, connection)
        }
    }

    /// A group should have a chair from each side: coordinators are told where it has not.
    private func withWarnings(_ group: WorkingGroup, for viewer: Viewer, _ connection: PostgresConnection) async throws -> WorkingGroup {
        guard viewer.seesEverything else { return group }
        var group = group
        group.warnings = try await groupWarnings(connection, group.id)
        return group
    }

    func loadGroup(_ connection: PostgresConnection, id: UUID, lock: Bool) async throws -> WorkingGroup {
        let rows = lock
            ? try await connection.query(
                "SELECT \(unescaped: Dialogue.groupColumns) FROM working_groups WHERE id = \(id) FOR UPDATE", logger: logger
            ).collect()
            : try await connection.rows(Prepared.GroupByID(id: id), logger: logger)
        guard let row = rows.first else { throw DomainError.notFound("working group not found") }
        return try decodeGroup(row)
    }

    /// A group should have a chair from each side. Sides come from the chair's organization;
    /// without one, officials count as government and everyone else as movement. Shown to
    /// coordinators only: for a member, a warning that is absent could betray a hidden chair.
    func groupWarnings(_ connection: PostgresConnection, _ id: UUID) async throws -> [String] {
        try await groupWarnings(connection, [id])[id] ?? []
    }

    /// The warnings of many groups from one statement (the console's lists).
    func groupWarnings(_ connection: PostgresConnection, _ ids: [UUID]) async throws -> [UUID: [String]] {
        let rows = try await connection.query("""
            SELECT DISTINCT m.working_group_id, \(unescaped: Dialogue.sideExpression)
            FROM memberships m
            JOIN participants p ON p.id = m.participant_id
            LEFT JOIN organizations o ON o.id = p.organization_id
            WHERE m.working_group_id = ANY(\(ids)) AND m.role = 'chair' AND p.status = 'active'
            """, logger: logger).collect()
        var sides: [UUID: Set<String>] = [:]
        for row in rows {
            let (group, side) = try row.decode((UUID, String).self)
            sides[group, default: []].insert(side)
        }
        return Dictionary(uniqueKeysWithValues: ids.map { id in
            let chairs = sides[id] ?? []
            var warnings: [String] = []
            if !chairs.contains("government") { warnings.append("no chair from the government side") }
            if !chairs.contains("movement") { warnings.append("no chair from the movement side") }
            return (id, warnings)
        })
    }

    public func listWorkingGroups(
        _ context: CallContext, page: PageRequest, direction: String? = nil, status: String? = nil
    ) async throws -> Page<WorkingGroup> {
        var validator = Validator()
        _ = validator.direction(direction)
        let status = validator.choice(status, "status", as: WorkingGroupStatus.self, required: false)
        try validator.check()
        let scope = "working_groups|\(direction ?? "")|\(status?.rawValue ?? "")"
        let after = try page.cursor.map { try cursors.decode($0, scope: scope) }
        return try await database.read { connection in
            let viewer = try await viewer(context, connection)
            let groups = Array(viewer.groupIDs)
            let afterMicros = after?.createdAtMicros, afterID = after?.id
            let rows = try await connection.query("""
                SELECT \(unescaped: Dialogue.groupColumns) FROM working_groups
                WHERE (\(viewer.seesEverything) OR id = ANY(\(groups)))
                  AND (\(direction)::text IS NULL OR direction = \(direction))
                  AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                  AND (\(afterMicros)::bigint IS NULL
                       OR (created_at, id) > ('epoch'::timestamptz + \(afterMicros) * interval '1 microsecond', \(afterID)))
                ORDER BY created_at, id
                LIMIT \(page.limit + 1)
                """, logger: logger).collect()
            var found = try rows.map(decodeGroup)
            // As for one group: coordinators see the warnings, members never learn of them.
            if viewer.seesEverything {
                let warnings = try await groupWarnings(connection, found.map(\.id))
                for index in found.indices { found[index].warnings = warnings[found[index].id] ?? [] }
            }
            return pageOf(found, limit: page.limit, scope: scope) {
                KeysetPosition(createdAt: $0.createdAt, id: $0.id)
            }
        }
    }

    public func updateWorkingGroup(_ context: CallContext, id: UUID, _ input: WorkingGroupInput, ifMatch: Int?) async throws -> WorkingGroup {
        try await database.transaction { connection in
            let viewer = try await viewer(context, connection)
            try AccessPolicy.require(viewer, .update, .workingGroup(id: id), notFound: "working group not found")
            let current = try await loadGroup(connection, id: id, lock: true)
            // What was sent is judged before whether it is stale: a bad field is 422 either way.
            let next = try Dialogue.validatedGroup(input, over: current)
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            let rows = try await connection.query("""
                UPDATE working_groups SET direction = \(next.direction), name = \(next.name), mandate = \(next.mandate),
                    status = \(next.status.rawValue), version = version + 1, updated_at = now()
                WHERE id = \(id) RETURNING \(unescaped: Dialogue.groupColumns)
                """, logger: logger).collect()
            var updated = try decodeGroup(rows.single(or: .notFound("working group not found")))
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "working_group.update", objectType: "working_group",
                objectID: id.lowercasedString,
                diff: ["direction": updated.direction, "name": updated.name, "status": updated.status.rawValue])
            updated.warnings = try await groupWarnings(connection, id)
            return updated
        }
    }
}

extension Prepared {
    /// A working group in its direction.
    struct NewWorkingGroup: PreparedWrite {
        static let sql = """
            INSERT INTO working_groups (direction, name, mandate, status) VALUES ($1::text, $2::text, $3::text, $4::text)
            RETURNING \(Dialogue.groupColumns)
            """
        let bindings: PostgresBindings
    }
}
