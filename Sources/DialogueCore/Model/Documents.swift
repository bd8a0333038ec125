import Foundation

public enum DocumentKind: String, Sendable, CaseIterable {
    case briefing, position, roadmap, statement, minutes, other
}

public enum DocumentStatus: String, Sendable, CaseIterable {
    case draft, final
}

/// A paper of a working group or a session; its body is Markdown (rendered safely by the
/// portal, kept as written here). Minutes are the `minutes` document of a held session.
public struct Document: Sendable, Equatable {
    public var id: UUID
    public var workingGroupID: UUID?
    public var sessionID: UUID?
    public var kind: DocumentKind
    public var title: String
    public var body: String
    /// Nil when the caller may not know the author (an in-country proxy, to non-coordinators).
    public var authorID: UUID?
    public var audience: Audience
    public var namedParticipantIDs: [UUID]
    public var status: DocumentStatus
    /// Minutes signed off by both sides: the text changes only by corrections.
    public var frozenAt: Date?
    /// The number of the latest version (every edit makes one).
    public var versionCount: Int
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
}

/// A document and what its reader may do with it (`Dialogue.documentChoices`).
public struct DocumentChoices: Sendable, Equatable {
    public var document: Document
    /// A new version (a correction, once signed-off minutes are frozen).
    public var mayEdit: Bool
    public var mayFinalise: Bool
    public var mayChangeAudience: Bool
    /// Minutes: the side the reader may sign for now, and who signed.
    public var signOffSide: String?
    public var signOffs: [SignOff]
}

/// One text a document had.
public struct DocumentVersion: Sendable, Equatable {
    public var number: Int
    public var title: String
    public var body: String
    public var authorID: UUID?
    /// A correction of signed-off minutes.
    public var correction: Bool
    public var note: String
    public var createdAt: Date
}

public struct DocumentInput: Sendable {
    public var workingGroupID: UUID?
    public var sessionID: UUID?
    public var kind: String?
    public var title: String?
    public var body: String?
    public var status: String?
    /// Why the text changed: required for a correction of signed-off minutes.
    public var note: String?
    public var audience: String?
    public var namedParticipantIDs: [UUID]?
    public var confirmWidening: Bool

    public init(
        workingGroupID: UUID? = nil, sessionID: UUID? = nil, kind: String? = nil, title: String? = nil, body: String? = nil,
        status: String? = nil, note: String? = nil, audience: String? = nil, namedParticipantIDs: [UUID]? = nil,
        confirmWidening: Bool = false
    ) {
        self.workingGroupID = workingGroupID
        self.sessionID = sessionID
        self.kind = kind
        self.title = title
        self.body = body
        self.status = status
        self.note = note
        self.audience = audience
        self.namedParticipantIDs = namedParticipantIDs
        self.confirmWidening = confirmWidening
    }
}

public struct DocumentFilter: Sendable {
    public var query: String?
    public var workingGroupID: UUID?
    public var sessionID: UUID?
    public var kind: String?

    public init(query: String? = nil, workingGroupID: UUID? = nil, sessionID: UUID? = nil, kind: String? = nil) {
        self.query = query
        self.workingGroupID = workingGroupID
        self.sessionID = sessionID
        self.kind = kind
    }
}

/// A line of the difference between two versions of a text.
public struct DiffLine: Sendable, Equatable {
    public enum Change: String, Sendable { case same, added, removed }
    public var change: Change
    public var text: String
}

public enum TextDiff {
    /// The lines of `new` against `old`, in reading order: kept lines once, a changed line as
    /// the old one removed, then the new one added.
    public static func lines(from old: String, to new: String) -> [DiffLine] {
        let before = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let after = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let difference = after.difference(from: before)
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var result: [DiffLine] = []
        var oldIndex = 0, newIndex = 0
        while oldIndex < before.count || newIndex < after.count {
            if oldIndex < before.count, removed.contains(oldIndex) {
                result.append(DiffLine(change: .removed, text: before[oldIndex]))
                oldIndex += 1
            } else if newIndex < after.count, inserted.contains(newIndex) {
                result.append(DiffLine(change: .added, text: after[newIndex]))
                newIndex += 1
            } else if oldIndex < before.count, newIndex < after.count {
                result.append(DiffLine(change: .same, text: after[newIndex]))
                oldIndex += 1
                newIndex += 1
            } else {
                break
            }
        }
        return result
    }
}
