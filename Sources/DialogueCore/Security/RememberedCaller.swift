import Foundation
import PostgresNIO
import Synchronization

/// What this process read at its last check of a credential or a web session, by the
/// secret's hash: what a request may decide on before the check it makes anyway confirms it
/// (`RememberedCaller`, `Dialogue.readingAsWebSession`). Nothing here is a check: a check
/// that refuses forgets, and one that is remembered is still checked by every request.
final class CheckedMemory<Value: Sendable>: Sendable {
    /// Beyond this many the memory starts again: a check a few requests later brings each
    /// live one back.
    static var capacity: Int { 4_096 }
    private let values = Mutex<[String: Value]>([:])

    func recall(_ hash: String) -> Value? {
        values.withLock { $0[hash] }
    }

    func remember(_ hash: String, _ value: Value) {
        values.withLock { values in
            if values.count >= Self.capacity, values[hash] == nil { values.removeAll(keepingCapacity: true) }
            values[hash] = value
        }
    }

    func forget(_ hash: String) {
        _ = values.withLock { $0.removeValue(forKey: hash) }
    }
}

/// The credentials this process has checked, with what the check read: the token, its
/// participant, its role and the participant's viewer facts.
typealias CredentialMemory = CheckedMemory<CredentialRow>

/// A write's caller as this process last checked its credential, not yet confirmed by this
/// request. The write decides on its viewer (`AccessPolicy`, in Swift, as always), and its
/// statement writes only where the credential is still live and still names that viewer
/// (`AuditLog.SingleStatement`): a revoked token fails on its very next request, on every
/// instance, and writes nothing. Whatever else the request answers, the credential is
/// confirmed before the answer leaves (`isConfirmed`; the API checks it otherwise).
public final class RememberedCaller: Sendable {
    public let credential: BearerCredential
    public let requestID: String
    let row: CredentialRow
    let viewer: Viewer
    private let confirmed = Atomic<Bool>(false)

    init?(_ credential: BearerCredential, _ row: CredentialRow, requestID: String) {
        guard let viewer = Dialogue.viewer(of: row) else { return nil }
        self.credential = credential
        self.row = row
        self.viewer = viewer
        self.requestID = requestID
    }

    /// The participant the token belongs to (a token never changes hands).
    public var participantID: UUID { row.participantID }

    /// Whether this request has checked the credential: in its write's statement, or with a
    /// statement of its own.
    public var isConfirmed: Bool { confirmed.load(ordering: .acquiring) }

    func confirm() { confirmed.store(true, ordering: .releasing) }

    /// The context a write decides in: the remembered viewer, to be confirmed by the write.
    var context: CallContext {
        var context = CallContext(viewer: viewer, requestID: requestID)
        context.unconfirmed = self
        return context
    }

    /// The statement found the credential live but naming another viewer than the one
    /// remembered (a membership or the organisation's side changed): nothing was written,
    /// and the write is decided again on the viewer as it is now.
    struct Outdated: Error {
        var context: CallContext
    }

    /// The values of the statement's parameters that confirm the credential: its hash, and the
    /// token, role, side, groups and contributing groups the decision was taken on. All NULL
    /// for a caller checked already.
    static func values(_ context: CallContext?) -> [(any PostgresEncodable & Sendable)?] {
        guard let remembered = context?.unconfirmed else { return Array(repeating: nil, count: 6) }
        let row = remembered.row
        return [remembered.credential.hash, row.tokenID, row.role, row.facts.side, row.facts.groups, row.facts.contributing]
    }

    /// The conditions on the credential table `c` (`Prepared.Credential.table`) under which a
    /// write decided on the remembered caller may proceed, the parameters from `first` on
    /// (`values`): none remembered, or the token live and naming the same viewer. Equality of
    /// facts only: which facts allow what stays `AccessPolicy`'s.
    static func holds(parametersFrom first: Int) -> String {
        let (hash, token, role, side, groups, contributing) =
            ("$\(first)", "$\(first + 1)", "$\(first + 2)", "$\(first + 3)", "$\(first + 4)", "$\(first + 5)")
        return """
            \(hash)::text IS NULL OR EXISTS (
                SELECT 1 FROM c WHERE c.token_id = \(token)::uuid AND c.role = \(role)::text AND c.side = \(side)::text
                  AND c.groups @> \(groups)::uuid[] AND c.groups <@ \(groups)::uuid[]
                  AND c.contributing @> \(contributing)::uuid[] AND c.contributing <@ \(contributing)::uuid[])
            """
    }
}

extension Dialogue {
    /// Checks a remembered caller's credential with a statement of its own (the refusal if it
    /// is no longer live) and counts it confirmed: the viewer as it is now.
    public func authenticate(_ remembered: RememberedCaller) async throws -> Viewer {
        let viewer = try await authenticate(remembered.credential)
        remembered.confirm()
        return viewer
    }

    /// The caller a write's credential named at this process's last check of it, if any.
    public func rememberedCaller(_ credential: BearerCredential, requestID: String) -> RememberedCaller? {
        credentialMemory.recall(credential.hash).flatMap { RememberedCaller(credential, $0, requestID: requestID) }
    }

    /// A viewer from a checked credential's row; nil for a role this build does not know.
    static func viewer(of row: CredentialRow) -> Viewer? {
        guard let role = Role(rawValue: row.role) else { return nil }
        return viewer(.participant(id: row.participantID, role: role, tokenID: row.tokenID), facts: row.facts)
    }

    /// Runs a write for `caller`, in a context `body` decides in. A remembered caller's
    /// write confirms its credential in its statement; where that statement found the
    /// viewer changed, or where the write failed before it was confirmed, the credential is
    /// checked now (a refusal answers instead of the failure) and the write decided again on
    /// the viewer as it is, if that differs. `body` writes only once it is confirmed, so
    /// running it again writes nothing twice.
    func decidingWrite<Result: Sendable>(
        as caller: Caller, _ body: (CallContext) async throws -> Result
    ) async throws -> Result {
        let remembered: RememberedCaller
        switch caller {
        case .authenticated(let context):
            return try await body(context)
        case .bearer(let credential):
            // Not what the API passes for a write (it remembers or checks a write's caller
            // first), but a caller still: checked with a statement of its own.
            return try await body(CallContext(viewer: try await authenticate(credential), requestID: UUID.random().lowercasedString))
        case .remembered(let caller):
            remembered = caller
        }
        do {
            return try await body(remembered.context)
        } catch let outdated as RememberedCaller.Outdated {
            return try await body(outdated.context)
        } catch {
            guard !remembered.isConfirmed else { throw error }
            let current = try await authenticate(remembered)
            guard current.sameFacts(as: remembered.viewer) else {
                return try await body(CallContext(viewer: current, requestID: remembered.requestID))
            }
            throw error
        }
    }

    /// After a statement that confirms `context`'s remembered caller (`AuditLog.SingleStatement`),
    /// from the credential's columns at `offset`: nothing to do for a caller checked already;
    /// the refusal (401) for a token no longer live; `Outdated` for one that names another
    /// viewer now. Otherwise the caller is confirmed, and the token's use noted if due.
    func confirm(_ context: CallContext, from row: PostgresRandomAccessRow, at offset: Int) async throws {
        guard let remembered = context.unconfirmed else { return }
        let current = try row[offset].decode(UUID?.self) == nil ? nil : try CredentialRow(row, from: offset)
        let viewer = try checked(remembered.credential, row: current)
        remembered.confirm()
        guard let current, current.namesSameCaller(as: remembered.row) else {
            throw RememberedCaller.Outdated(context: CallContext(viewer: viewer, requestID: remembered.requestID))
        }
        if current.stale { try await database.read { connection in try await touch(current.tokenID, connection) } }
    }
}

extension CredentialRow {
    /// Whether two checks of a credential read the same caller: token, role and facts, the
    /// groups as sets. The statement's `holds` compares the same.
    func namesSameCaller(as other: CredentialRow) -> Bool {
        tokenID == other.tokenID && role == other.role && facts.side == other.facts.side
            && Set(facts.groups) == Set(other.facts.groups) && Set(facts.contributing) == Set(other.facts.contributing)
    }
}

extension Viewer {
    /// Whether two viewers are the same caller with the same facts: decisions on either agree.
    func sameFacts(as other: Viewer) -> Bool {
        actor == other.actor && side == other.side && groupIDs == other.groupIDs
            && contributingGroupIDs == other.contributingGroupIDs
    }
}
