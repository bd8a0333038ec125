import Foundation
import PostgresNIO

/// A session as a client describes it: either `startsAt` + `endsAt`, or `localStart` (wall
/// time in `timezone`) + `durationMinutes`. For updates, nil means unchanged.
public struct SessionInput: Sendable {
    public var kind: String?
    public var workingGroupID: UUID?
    public var title: String?
    public var level: String?
    public var startsAt: Date?
    public var endsAt: Date?
    public var localStart: String?
    public var durationMinutes: Int?
    public var timezone: String?
    public var location: String?

    public init(
        kind: String? = nil, workingGroupID: UUID? = nil, title: String? = nil, level: String? = nil,
        startsAt: Date? = nil, endsAt: Date? = nil, localStart: String? = nil, durationMinutes: Int? = nil,
        timezone: String? = nil, location: String? = nil
    ) {
        self.kind = kind
        self.workingGroupID = workingGroupID
        self.title = title
        self.level = level
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.localStart = localStart
        self.durationMinutes = durationMinutes
        self.timezone = timezone
        self.location = location
    }
}

public struct SessionFilter: Sendable {
    public var from: Date?
    public var to: Date?
    public var kind: String?
    public var workingGroupID: UUID?
    public var quarter: String?
    public var status: String?

    public init(
        from: Date? = nil, to: Date? = nil, kind: String? = nil, workingGroupID: UUID? = nil, quarter: String? = nil,
        status: String? = nil
    ) {
        self.from = from
        self.to = to
        self.kind = kind
        self.workingGroupID = workingGroupID
        self.quarter = quarter
        self.status = status
    }
}

extension Dialogue {
    static let sessionColumns = """
        id, kind, working_group_id, title, level, starts_at, ends_at, timezone, location, status, agenda_version, \
        sequence, version, created_at, updated_at
        """

    func decodeSession(_ row: PostgresRow) throws -> Session { try decodeSession(row.makeRandomAccess()) }

    /// A session from `sessionColumns` starting at column `first`.
    func decodeSession(_ cells: PostgresRandomAccessRow, from first: Int = 0) throws -> Session {
        Session(
            id: try cells[first].decode(UUID.self),
            kind: SessionKind(rawValue: try cells[first + 1].decode(String.self)) ?? .plenary,
            workingGroupID: try cells[first + 2].decode(UUID?.self), title: try cells[first + 3].decode(String.self),
            level: try cells[first + 4].decode(String.self), startsAt: try cells[first + 5].decode(Date.self),
            endsAt: try cells[first + 6].decode(Date.self), timezone: try cells[first + 7].decode(String.self),
            location: try cells[first + 8].decode(String.self),
            status: SessionStatus(rawValue: try cells[first + 9].decode(String.self)) ?? .planned,
            agendaVersion: try cells[first + 10].decode(Int.self), sequence: try cells[first + 11].decode(Int.self),
            version: try cells[first + 12].decode(Int.self), createdAt: try cells[first + 13].decode(Date.self),
            updatedAt: try cells[first + 14].decode(Date.self))
    }

    /// Applies `input` over `current` and checks the whole: kind and group rules, time zone,
    /// one of the two time forms, the window. Group existence is checked by the caller.
    static func validatedSession(_ input: SessionInput, over current: Session?) throws -> Session {
        var validator = Validator()
        var session = current ?? Session(
            id: UUID(), kind: .plenary, workingGroupID: nil, title: "", level: "", startsAt: Date(), endsAt: Date(),
            timezone: "UTC", location: "", status: .planned, agendaVersion: 1, sequence: 0, version: 0,
            createdAt: Date(), updatedAt: Date())
        if let kind = validator.choice(input.kind, "kind", as: SessionKind.self, required: current == nil) { session.kind = kind }
        if current != nil, input.kind != nil { validator.fail("kind", "cannot be changed; create another session") }
        if let groupID = input.workingGroupID { session.workingGroupID = groupID }
        if current == nil {
            if session.kind == .workingGroup, session.workingGroupID == nil {
                validator.fail("working_group_id", "is required for a working_group session")
            }
            if session.kind != .workingGroup, session.workingGroupID != nil {
                validator.fail("working_group_id", "is only for working_group sessions")
            }
        } else if input.workingGroupID != nil {
            validator.fail("working_group_id", "cannot be changed; create another session")
        }
        if let title = validator.text(input.title, "title", required: current == nil, max: 200) { session.title = title }
        if let level = validator.text(input.level, "level", required: false, max: 100, min: 0) { session.level = level }
        if let location = validator.text(input.location, "location", required: false, max: 300, min: 0) { session.location = location }
        if let timezone = input.timezone {
            if Validator.isIANATimeZone(timezone) { session.timezone = timezone } else {
                validator.fail("timezone", "'\(timezone.prefix(64))' is not an IANA time zone name (e.g. Europe/Vilnius)")
            }
        } else if current == nil {
            validator.fail("timezone", "is required: the IANA zone the meeting is planned in")
        }
        let absolute = input.startsAt != nil || input.endsAt != nil
        let local = input.localStart != nil || input.durationMinutes != nil
        if absolute && local {
            validator.fail("local_start", "give either starts_at and ends_at, or local_start and duration_minutes")
        } else if local {
            let text = validator.text(input.localStart, "local_start", required: false, max: 19)
            if input.localStart == nil { validator.fail("local_start", "is required with duration_minutes") }
            if input.durationMinutes == nil { validator.fail("duration_minutes", "is required with local_start") }
            if let minutes = input.durationMinutes, !(1...(14 * 24 * 60)).contains(minutes) {
                validator.fail("duration_minutes", "must be between 1 and 20160 (14 days)")
            }
            // The wall time is read whatever else is wrong, so every problem is reported at once;
            // it needs a valid zone to be read in.
            if let text, !validator.errors.contains(where: { $0.field == "timezone" }) {
                do {
                    let startsAt = try SessionRules.instant(localStart: text, timezone: session.timezone)
                    if let minutes = input.durationMinutes {
                        session.startsAt = startsAt
                        session.endsAt = startsAt.addingTimeInterval(TimeInterval(minutes * 60))
                    }
                } catch DomainError.validation(let errors) {
                    errors.forEach { validator.fail($0.field, $0.message) }
                }
            }
        } else if absolute {
            if let startsAt = input.startsAt { session.startsAt = startsAt } else if current == nil {
                validator.fail("starts_at", "is required with ends_at")
            }
            if let endsAt = input.endsAt { session.endsAt = endsAt } else if current == nil {
                validator.fail("ends_at", "is required with starts_at")
            }
        } else if current == nil {
            validator.fail("starts_at", "give starts_at and ends_at, or local_start and duration_minutes")
        }
        if validator.errors.isEmpty {
            SessionRules.checkWindow(startsAt: session.startsAt, endsAt: session.endsAt, validator: &validator)
        }
        try validator.check()
        return session
    }

    func requireActiveGroup(_ connection: PostgresConnection, _ groupID: UUID?) async throws {
        guard let groupID else { return }
        let status = try await connection.query(
            "SELECT status FROM working_groups WHERE id = \(groupID)", logger: logger
        ).collect().first?.decode(String.self)
        guard let status else { throw DomainError.invalid("working_group_id", "no such working group") }
        guard status == WorkingGroupStatus.active.rawValue else {
            throw DomainError.invalid("working_group_id", "the working group is archived")
        }
    }

    /// The session `createSession` would make of this input, checked by the same rules but not
    /// saved: the console previews its moment in the participants' zones before saving.
    public func previewSession(_ context: CallContext, _ input: SessionInput) throws -> Session {
        try AccessPolicy.requireCoordinator(context.actor, "create sessions")
        return try Dialogue.validatedSession(input, over: nil)
    }

    public func createSession(_ context: CallContext, _ input: SessionInput, scheduleKey: String? = nil) async throws -> Session {
        try AccessPolicy.requireCoordinator(context.actor, "create sessions")
        let session = try Dialogue.validatedSession(input, over: nil)
        return try await database.transaction { connection in
            try await requireActiveGroup(connection, session.workingGroupID)
            return try await insertSession(connection, context, session, scheduleKey: scheduleKey)
        }
    }

    func insertSession(_ connection: PostgresConnection, _ context: CallContext, _ session: Session, scheduleKey: String?) async throws -> Session {
        let rows = try await connection.rows(
            try Prepared.NewSession(
                session.kind, session.workingGroupID, session.title, session.level, session.startsAt, session.endsAt,
                session.timezone, session.location, scheduleKey),
            logger: logger)
        let created = try decodeSession(rows.single(or: .conflict("the session could not be created")))
        try await AuditLog.append(
            connection, logger: logger, context: context, action: "session.create", objectType: "session",
            objectID: created.id.lowercasedString,
            diff: ["kind": created.kind.rawValue, "title": created.title, "starts_at": RFC3339.string(from: created.startsAt)])
        return created
    }

    func loadSession(_ connection: PostgresConnection, id: UUID, lock: Bool) async throws -> Session {
        let rows = lock
            ? try await connection.query(
                "SELECT \(unescaped: Dialogue.sessionColumns) FROM sessions WHERE id = \(id) FOR UPDATE", logger: logger
            ).collect()
            : try await connection.rows(Prepared.SessionByID(id: id), logger: logger)
        guard let row = rows.first else { throw DomainError.notFound("session not found") }
        return try decodeSession(row)
    }

    /// Loads a session and checks the caller's right to `operation` on it (or on its
    /// attendance); unknown and invisible sessions answer alike. Unlocked, the session and the
    /// invitation come in one round trip.
    func authorizedSession(
        _ connection: PostgresConnection, _ context: CallContext, id: UUID, _ operation: AccessOperation,
        attendance: Bool = false, lock: Bool = false
    ) async throws -> (Session, Viewer) {
        let viewer = try await viewer(context, connection)
        guard lock else {
            let row = try await connection.rows(
                Prepared.SessionForViewer(sessionID: id, viewerID: viewer.actor.participantID), logger: logger
            ).first
            return (try authorizedSession(row?.makeRandomAccess(), from: 0, viewer, operation, attendance: attendance), viewer)
        }
        let session = try await loadSession(connection, id: id, lock: true)
        let invited = try await connection.rows(
            Prepared.Invited(sessionID: id, participantID: viewer.actor.participantID ?? Prepared.nobody), logger: logger
        ).first?.decode(Bool.self) ?? false
        try authorize(session, viewer, operation, invited: invited, attendance: attendance)
        return (session, viewer)
    }

    /// The session in `SessionForViewer`'s columns from `first` (404 where there is none, or
    /// its columns are empty), once the viewer may do `operation` on it.
    func authorizedSession(
        _ cells: PostgresRandomAccessRow?, from first: Int, _ viewer: Viewer, _ operation: AccessOperation, attendance: Bool = false
    ) throws -> Session {
        guard let cells, try cells[first].decode(UUID?.self) != nil else { throw DomainError.notFound("session not found") }
        let session = try decodeSession(cells, from: first)
        let invited = try cells[first + Prepared.SessionForViewer.invitedColumn].decode(Bool.self)
        try authorize(session, viewer, operation, invited: invited, attendance: attendance)
        return session
    }

    /// The access decision on a session read with its invitation fact.
    func authorize(_ session: Session, _ viewer: Viewer, _ operation: AccessOperation, invited: Bool, attendance: Bool = false) throws {
        let object: AccessObject = attendance
            ? .attendance(groupID: session.workingGroupID, invited: invited)
            : .session(groupID: session.workingGroupID, invited: invited)
        try AccessPolicy.require(viewer, operation, object, notFound: "session not found")
    }

    public func getSession(_ context: CallContext, id: UUID) async throws -> Session {
        try await database.read { connection in
            try await authorizedSession(connection, context, id: id, .read).0
        }
    }

    /// A session for a caller; a bearer is checked in the session's own statement (one round
    /// trip): 401 for any failure first, then 404, then AccessPolicy.
    public func getSession(_ caller: Caller, id: UUID) async throws -> Session {
        try await read(
            as: caller, authenticated: { try await getSession($0, id: id) },
            checkingIn: { try Prepared.SessionForBearer(hash: $0.hash, sessionID: id) }
        ) { viewer, rows, _ in
            try authorizedSession(rows.first, from: Prepared.SessionForBearer.sessionOffset, viewer, .read)
        }
    }

    /// Sessions the caller may see, by start time.
    public func listSessions(_ context: CallContext, page: PageRequest, filter: SessionFilter) async throws -> Page<Session> {
        var validator = Validator()
        let kind = validator.choice(filter.kind, "kind", as: SessionKind.self, required: false)
        let status = validator.choice(filter.status, "status", as: SessionStatus.self, required: false)
        var quarter: Quarter?
        if let text = filter.quarter {
            do { quarter = try Quarter(parsing: text) } catch DomainError.validation(let errors) {
                errors.forEach { validator.fail($0.field, $0.message) }
            }
        }
        try validator.check()
        let from = [filter.from, quarter?.start].compactMap { $0 }.max()
        let to = [filter.to, quarter?.end].compactMap { $0 }.min()
        let scope = "sessions|\(from.map { Rows.micros($0) } ?? 0)|\(to.map { Rows.micros($0) } ?? 0)|\(kind?.rawValue ?? "")|"
            + "\(filter.workingGroupID?.uuidString ?? "")|\(status?.rawValue ?? "")"
        let after = try page.cursor.map { try cursors.decode($0, scope: scope) }
        return try await database.read { connection in
            let viewer = try await viewer(context, connection)
            let groups = Array(viewer.groupIDs)
            let selfID = context.actor.participantID
            var read = try FilteredRead<SessionList>(everyone: viewer.seesEverything, viewer.seesEverything, groups, selfID ?? Prepared.nobody)
            try read.filter(from)
            try read.filter(to)
            try read.filter(kind)
            try read.filter(filter.workingGroupID)
            try read.filter(status)
            try read.filter(after: after)
            try read.finish(limit: page.limit + 1)
            let rows = try await connection.rows(read, logger: logger)
            return pageOf(try rows.map(decodeSession), limit: page.limit, scope: scope) {
                KeysetPosition(createdAt: $0.startsAt, id: $0.id)
            }
        }
    }

    /// Changes title, level, place or time (coordinator, while planned or confirmed). A change
    /// of time or place bumps the calendar SEQUENCE so clients update their copy.
    public func updateSession(_ context: CallContext, id: UUID, _ input: SessionInput, ifMatch: Int?) async throws -> Session {
        try await database.transaction { connection in
            let (current, _) = try await authorizedSession(connection, context, id: id, .update, lock: true)
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            guard current.status == .planned || current.status == .confirmed else {
                throw DomainError.conflict("a \(current.status.rawValue) session cannot be changed")
            }
            let next = try Dialogue.validatedSession(input, over: current)
            let moved = next.startsAt != current.startsAt || next.endsAt != current.endsAt
                || next.location != current.location || next.timezone != current.timezone || next.title != current.title
            let rows = try await connection.query("""
                UPDATE sessions SET title = \(next.title), level = \(next.level), starts_at = \(next.startsAt),
                    ends_at = \(next.endsAt), timezone = \(next.timezone), location = \(next.location),
                    sequence = sequence + \(moved ? 1 : 0), version = version + 1, updated_at = now()
                WHERE id = \(id) RETURNING \(unescaped: Dialogue.sessionColumns)
                """, logger: logger).collect()
            let updated = try decodeSession(rows.single(or: .notFound("session not found")))
            if moved {
                // Each move bumps the calendar sequence: one notice per move, to everyone invited.
                try await notify(
                    connection, context, .sessionChanged, objectID: id, recipients: try await attendeeIDs(connection, sessionID: id),
                    occasion: String(updated.sequence))
            }
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "session.update", objectType: "session",
                objectID: id.lowercasedString,
                diff: ["title": updated.title, "starts_at": RFC3339.string(from: updated.startsAt),
                       "ends_at": RFC3339.string(from: updated.endsAt), "location": updated.location])
            return updated
        }
    }

    public func transitionSession(
        _ context: CallContext, id: UUID, to rawStatus: String?, note: String?, ifMatch: Int?
    ) async throws -> Session {
        var validator = Validator()
        let targetChoice = validator.choice(rawStatus, "to", as: SessionStatus.self)
        let note = validator.text(note, "note", required: false, max: 2000, min: 0)
        try validator.check()
        let target = try Validator.required(targetChoice, "to")
        return try await database.transaction { connection in
            let (current, _) = try await authorizedSession(connection, context, id: id, .update, lock: true)
            if let ifMatch, ifMatch != current.version { throw DomainError.preconditionFailed(currentVersion: current.version) }
            try SessionRules.checkTransition(from: current.status, to: target)
            if target == .cancelled {
                let waiting = try await connection.query(
                    "SELECT proposal_id FROM agenda_items WHERE session_id = \(id) AND proposal_id IS NOT NULL", logger: logger
                ).collect().map { try $0.decode(UUID.self) }
                for proposalID in waiting {
                    try await unscheduleProposal(connection, context, proposalID: proposalID, reason: "the session was cancelled")
                }
            }
            let rows = try await connection.query("""
                UPDATE sessions SET status = \(target.rawValue), sequence = sequence + 1, version = version + 1,
                    updated_at = now()
                WHERE id = \(id) RETURNING \(unescaped: Dialogue.sessionColumns)
                """, logger: logger).collect()
            if target == .cancelled {
                try await notify(connection, context, .sessionCancelled, objectID: id, recipients: try await attendeeIDs(connection, sessionID: id))
            }
            try await connection.run(try Prepared.NewSessionTransition(id, current.status, target), logger: logger)
            try await AuditLog.append(
                connection, logger: logger, context: context, action: "session.transition", objectType: "session",
                objectID: id.lowercasedString,
                diff: ["from": current.status.rawValue, "to": target.rawValue, "note": note])
            return try decodeSession(rows.single(or: .notFound("session not found")))
        }
    }

    /// The four quarterly meetings of a year in one transaction. Each carries the key
    /// `quarterly:YYYY-Qn`: running it again returns the existing ones and creates nothing.
    public func scheduleQuarterly(
        _ context: CallContext, year: Int, monthInQuarter: Int, day: Int, localTime: String, timezone: String,
        durationMinutes: Int, title: String?, location: String?
    ) async throws -> [(session: Session, created: Bool)] {
        try AccessPolicy.requireCoordinator(context.actor, "schedule sessions")
        var validator = Validator()
        if !(2000...2100).contains(year) { validator.fail("year", "must be between 2000 and 2100") }
        if !(1...3).contains(monthInQuarter) { validator.fail("month_in_quarter", "must be 1, 2 or 3") }
        if !(1...28).contains(day) { validator.fail("day", "must be between 1 and 28 (every month has it)") }
        let time = validator.text(localTime, "local_time", max: 5)
        if let time, !SessionRules.isWallClockTime(time) { validator.fail("local_time", "must be a time of day such as 10:00") }
        // Each title gets " YYYY-Qn" appended; the stored title allows 200.
        let title = validator.text(title, "title", required: false, max: 180)
        try validator.check()
        var planned: [(key: String, session: Session)] = []
        for quarter in 1...4 {
            let month = (quarter - 1) * 3 + monthInQuarter
            let local = String(format: "%04d-%02d-%02dT%@", year, month, day, time ?? "")
            let input = SessionInput(
                kind: SessionKind.quarterly.rawValue, title: (title ?? "Quarterly meeting") + " \(year)-Q\(quarter)",
                localStart: local, durationMinutes: durationMinutes, timezone: timezone, location: location)
            do {
                planned.append(("quarterly:\(year)-Q\(quarter)", try Dialogue.validatedSession(input, over: nil)))
            } catch DomainError.validation(let errors) {
                // The wall time the client gave is local_time here (a skipped hour, say).
                throw DomainError.validation(errors.map { $0.field == "local_start" ? FieldError("local_time", $0.message) : $0 })
            }
        }
        let schedule = planned
        return try await database.transaction { connection in
            var result: [(session: Session, created: Bool)] = []
            for (key, session) in schedule {
                let existing = try await connection.query(
                    "SELECT \(unescaped: Dialogue.sessionColumns) FROM sessions WHERE schedule_key = \(key) FOR UPDATE",
                    logger: logger
                ).collect()
                if let row = existing.first {
                    result.append((try decodeSession(row), false))
                } else {
                    result.append((try await insertSession(connection, context, session, scheduleKey: key), true))
                }
            }
            return result
        }
    }
}

/// The sessions a viewer ($1 sees everything, $2 their groups, $3 themselves, invited) may
/// see, filtered, in order of time.
enum SessionList: FilteredList {
    static let name = "sessions.list"
    static let select = "SELECT \(Dialogue.sessionColumns) FROM sessions s"
    static let head = """
        \(select)
        WHERE ($1 OR s.working_group_id = ANY($2)
               OR EXISTS (SELECT 1 FROM attendances a WHERE a.session_id = s.id AND a.participant_id = $3))
        """
    static let headForEveryone: String? = "\(select)\nWHERE \(ViewerParameters.seesEverything)"
    static let filters = [
        "s.starts_at >= ?",
        "s.starts_at < ?",
        "s.kind = ?",
        "s.working_group_id = ?",
        "s.status = ?",
        keyset("s.starts_at, s.id"),
    ]
    static let order = "s.starts_at, s.id"
}

extension Prepared {
    /// A session, planned.
    struct NewSession: PreparedWrite {
        static let sql = """
            INSERT INTO sessions (kind, working_group_id, title, level, starts_at, ends_at, timezone, location, schedule_key)
            VALUES ($1::text, $2::uuid, $3::text, $4::text, $5::timestamptz, $6::timestamptz, $7::text, $8::text, $9::text)
            RETURNING \(Dialogue.sessionColumns)
            """
        let bindings: PostgresBindings
    }

    /// A row of a session's history.
    struct NewSessionTransition: PreparedWrite {
        static let sql = "INSERT INTO session_transitions (session_id, from_status, to_status) VALUES ($1::uuid, $2::text, $3::text)"
        let bindings: PostgresBindings
    }
}
