import Foundation

/// The proposal life cycle (DOMAIN.md). One function decides every transition, for the API,
/// the CLI and the automatic moves made by agendas.
public enum ProposalRules {
    public enum Mover: Sendable, Equatable {
        case author
        case coordinator
        /// The service itself, as a consequence of an agenda change.
        case automatic
    }

    /// Who may make each move.
    static let table: [(from: [ProposalStatus], to: ProposalStatus, by: Mover)] = [
        ([.draft], .submitted, .author),
        ([.draft, .submitted], .withdrawn, .author),
        ([.submitted], .underReview, .coordinator),
        ([.underReview], .accepted, .coordinator),
        ([.underReview], .declined, .coordinator),
        ([.accepted, .deferred], .scheduled, .automatic),
        ([.scheduled], .adopted, .automatic),
        ([.scheduled], .rejected, .automatic),
        ([.scheduled], .deferred, .automatic),
    ]

    /// The moves that exist from a status, whoever makes them.
    public static func allowed(from status: ProposalStatus) -> [ProposalStatus] {
        table.filter { $0.from.contains(status) }.map(\.to)
    }

    /// Checks a move: 409 naming the allowed moves when it does not exist from here, 403 when
    /// it exists but is not this caller's to make.
    public static func check(from: ProposalStatus, to: ProposalStatus, movers: Set<Mover>) throws {
        guard let rule = table.first(where: { $0.from.contains(from) && $0.to == to }) else {
            throw DomainError.conflict(
                "a \(from.rawValue) proposal cannot become \(to.rawValue)", allowed: allowed(from: from).map(\.rawValue))
        }
        guard movers.contains(rule.by) else {
            switch rule.by {
            case .author: throw DomainError.forbidden("only the author may make a proposal \(to.rawValue)")
            case .coordinator: throw DomainError.forbidden("only a coordinator may make a proposal \(to.rawValue)")
            case .automatic:
                throw DomainError.conflict(
                    "a proposal becomes \(to.rawValue) through the agenda, not by request",
                    allowed: allowed(from: from).filter { target in
                        table.contains { $0.from.contains(from) && $0.to == target && $0.by != .automatic }
                    }.map(\.rawValue))
            }
        }
    }

    /// The proposal status an agenda outcome leads to.
    public static func status(for outcome: AgendaOutcome) -> ProposalStatus? {
        switch outcome {
        case .adopted: return .adopted
        case .rejected: return .rejected
        case .deferred: return .deferred
        case .noted: return nil
        }
    }

    /// Endorsing makes sense while the proposal is alive and public.
    public static let endorsable: Set<ProposalStatus> = [.submitted, .underReview, .accepted, .scheduled, .deferred]
}

public enum ActionRules {
    /// Applies a status/progress change: `done` forces 100; `done` and `dropped` need a note.
    public static func apply(
        status: ActionStatus?, progress: Int?, note: String?, to current: (status: ActionStatus, progress: Int)
    ) throws -> (status: ActionStatus, progress: Int) {
        var validator = Validator()
        if let progress, !(0...100).contains(progress) { validator.fail("progress", "must be between 0 and 100") }
        try validator.check()
        var next = (status: status ?? current.status, progress: progress ?? current.progress)
        if next.status == .done { next.progress = 100 }
        if let status, status.isClosed, status != current.status, (note ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw DomainError.invalid("note", "closing an action item as \(status.rawValue) needs a note saying why")
        }
        if current.status.isClosed, status == nil, progress != nil {
            throw DomainError.conflict("the action item is \(current.status.rawValue); reopen it to report progress")
        }
        return next
    }

    /// `YYYY-MM-DD`, years 2000..2100.
    public static func checkDate(_ text: String?, field: String, validator: inout Validator) -> String? {
        guard let text else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (2000...2100).contains(year), (1...12).contains(month), (1...31).contains(day),
            let date = Quarter.utc.date(from: DateComponents(year: year, month: month, day: day)),
            Quarter.utc.component(.day, from: date) == day
        else {
            validator.fail(field, "must be a date such as 2027-03-31 (years 2000 to 2100)")
            return nil
        }
        return text
    }
}
