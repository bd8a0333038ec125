import Foundation
import Logging
import PostgresNIO

/// The service layer: one value, shared by the API and the CLI, whose methods are the use
/// cases. Each write method is one transaction holding the access check, the validation, the
/// change and its audit row.
public struct Dialogue: Sendable {
    public let database: Database
    public let cursors: CursorCodec
    /// Keys the hashes under which failed sign-ins are counted.
    let throttleSecret: String
    /// scrypt's cost for new passphrases (tests lower it; stored hashes carry their own).
    public let passphraseCost: Passphrase.Cost
    /// Seals portal accounts' second factors; kept out of the database (`serve` loads it).
    /// Without it, nobody can set up or use a second factor, so coordinators cannot sign in.
    public var secondFactorKey: VaultKey?
    /// Webhooks may target this machine only in development (the embedded database, or
    /// `DIALOGUE_WEBHOOKS_ALLOW_LOOPBACK=1`): elsewhere a loopback URL would reach the
    /// service's own neighbours.
    public var webhooksMayTargetLoopback = false
    /// How much evidence is kept, per file and per object (`DIALOGUE_EVIDENCE_MAX_FILE_MB`, `…_MAX_TOTAL_MB`).
    public var evidenceLimits = EvidenceLimits()
    /// The credentials this process has checked, for writes to decide on (`RememberedCaller`).
    let credentialMemory = CredentialMemory()
    /// The web sessions this process has checked, for a page's reads (`readingAsWebSession`).
    let webSessionMemory = CheckedMemory<Viewer>()

    public init(database: Database, cursors: CursorCodec, throttleSecret: String, passphraseCost: Passphrase.Cost = .interactive) {
        self.database = database
        self.cursors = cursors
        self.throttleSecret = throttleSecret
        self.passphraseCost = passphraseCost
    }

    /// Loads the instance-independent secrets from the (migrated) database.
    public static func load(database: Database, passphraseCost: Passphrase.Cost = .interactive) async throws -> Dialogue {
        let secrets = try await database.read { connection in
            try await connection.query(
                "SELECT name, secret FROM server_secrets WHERE name IN ('cursor_signing', 'sign_in_throttle')", logger: database.logger
            ).collect().reduce(into: [String: String]()) { secrets, row in
                let (name, secret) = try row.decode((String, String).self)
                secrets[name] = secret
            }
        }
        guard let cursor = secrets["cursor_signing"], let throttle = secrets["sign_in_throttle"] else {
            throw DomainError.unavailable("the database is not migrated (its server secrets are missing)")
        }
        return Dialogue(
            database: database, cursors: CursorCodec(secret: cursor), throttleSecret: throttle, passphraseCost: passphraseCost)
    }

    var logger: Logger { database.logger }

    /// A column list with a table alias in front of each column, for joins.
    static func qualified(_ columns: String, _ alias: String) -> String {
        columns.split(separator: ",").map { "\(alias)." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
    }

    /// The caller with its side and group memberships: those its credential brought when it
    /// was checked at the start of this request (`authenticate`), else read now. Either way
    /// they are read committed, as a decision's other reads are; nothing here locks them.
    func viewer(_ context: CallContext, _ connection: PostgresConnection) async throws -> Viewer {
        if let viewer = context.viewer { return viewer }
        guard let participantID = context.actor.participantID else { return Viewer(actor: context.actor, groupIDs: []) }
        guard let row = try await connection.rows(Prepared.ViewerFacts(participantID: participantID), logger: logger).first
        else { return Viewer(actor: context.actor, groupIDs: []) }
        let (side, groups, contributing) = try row.decode((String, [UUID], [UUID]).self)
        return Self.viewer(context.actor, facts: ViewerFacts(side: side, groups: groups, contributing: contributing))
    }

    /// The same outside a transaction: a round trip only where the credential did not bring it.
    func viewer(_ context: CallContext) async throws -> Viewer {
        if let viewer = context.viewer { return viewer }
        return try await database.read { connection in try await viewer(context, connection) }
    }

    /// A viewer from its facts. Coordinators see every group whatever their memberships; only
    /// their side matters.
    static func viewer(_ actor: Actor, facts: ViewerFacts) -> Viewer {
        let everything = actor.isAtLeast(.coordinator)
        return Viewer(
            actor: actor, groupIDs: everything ? [] : Set(facts.groups),
            contributingGroupIDs: everything ? [] : Set(facts.contributing), side: OrganizationSide(rawValue: facts.side))
    }
}

/// What `Prepared.ViewerFacts.columns` reads of a participant: the side and the groups (all,
/// and those where they contribute), as the statement that checked a credential brought them.
public struct ViewerFacts: Sendable, Equatable {
    var side: String
    var groups: [UUID]
    var contributing: [UUID]
}

/// Shared steps of update use cases.
enum Rows {
    /// Locks the row for the rest of the transaction and checks `If-Match` against its version.
    /// Unknown ids and stale versions are told apart: 404 versus 412.
    static func lockVersion(
        _ connection: PostgresConnection, logger: Logger, table: StaticString, id: UUID, ifMatch: Int?, what: String
    ) async throws -> Int {
        let rows = try await connection.query(
            "SELECT version FROM \(unescaped: table.description) WHERE id = \(id) FOR UPDATE", logger: logger
        ).collect()
        guard let version = try rows.first?.decode(Int.self) else { throw DomainError.notFound("\(what) not found") }
        if let ifMatch, ifMatch != version { throw DomainError.preconditionFailed(currentVersion: version) }
        return version
    }

    static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}

extension KeysetPosition {
    init(createdAt: Date, id: UUID) {
        self.init(createdAtMicros: Rows.micros(createdAt), id: id)
    }
}

extension Array where Element == PostgresRow {
    /// The row a statement was expected to return. Between two statements another transaction
    /// may delete it; then the caller gets `missing` (a 404 or 409), never a crash.
    func single(or missing: @autoclosure () -> DomainError) throws -> PostgresRow {
        guard let row = first else { throw missing() }
        return row
    }
}
