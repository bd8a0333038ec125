import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Testing

/// Every field a client can send is validated in Core (SECURITY.md 15, 19): walked from the
/// contract itself, so a property added to `openapi.yaml` is covered the day it is added.
@Suite("Every request-body field: over-long, NUL and control characters are 422 naming it")
struct FieldValidationTests {
    static let hostileValues: [(name: String, value: @Sendable (Int?) -> String)] = [
        ("over-long", { maxLength in String(repeating: "x", count: (maxLength ?? 1000) + 1) }),
        ("NUL", { _ in "a\u{0}b" }),
        ("control character", { _ in "a\u{7}b\u{1b}[2J" }),
    ]

    /// A body the operation accepts, so that the one hostile field is the only thing wrong.
    static func validBody(_ operationID: String, _ seeded: Seeded) -> [String: Any] {
        let group = seeded.group.uuidString.lowercased()
        switch operationID {
        case "createOrganization": return ["name": "Fund \(UUID().uuidString.prefix(8))", "side": "partner"]
        case "createParticipant": return ["display_name": "Someone", "kind": "diaspora"]
        case "createWorkingGroup": return ["direction": "media", "name": "Group \(UUID().uuidString.prefix(8))"]
        case "putWorkingGroupMember": return ["role": "member"]
        case "createSession":
            return ["kind": "plenary", "title": "Plenary", "starts_at": "2027-01-10T10:00:00Z",
                    "ends_at": "2027-01-10T11:00:00Z", "timezone": "UTC"]
        case "scheduleQuarterlySessions": return ["year": 2031, "timezone": "UTC", "local_time": "10:00"]
        case "transitionSession": return ["to": "confirmed"]
        case "addAgendaItem": return ["title": "Item", "duration_minutes": 5]
        case "reorderAgenda": return ["ids": [seeded.agendaItem.uuidString.lowercased()]]
        case "createProposal": return ["working_group_id": group, "title": "Proposal", "kind": "policy", "scale": "small"]
        case "transitionProposal": return ["to": "under_review"]
        case "createActionItem":
            return ["working_group_id": group, "title": "Action", "owner_id": seeded.member.participantID.uuidString.lowercased(),
                    "due_on": "2027-02-01"]
        case "compromiseParticipant": return ["reason": "device seized"]
        case "issueParticipantToken": return ["role": "observer"]
        case "createWebhook": return ["url": "https://hooks.example.org/dialogue"]
        case "createDocument": return ["working_group_id": group, "title": "Paper", "kind": "briefing"]
        case "createDocumentComment", "createProposalComment", "updateComment": return ["body": "A thought"]
        case "putDossier": return ["target_kind": "person", "names": ["Judge K."]]
        default: return [:]
        }
    }

    @Test("walks every string property of every request body in openapi.yaml")
    func everyField() async throws {
        try await API.run { api in
            let seeded = try await Seeded.make(api)
            let contract = try await Contract.load(api)
            var failures: [String] = []
            var checked = 0
            for operation in contract.operations {
                // A proposal is edited by its author, the rest by an admin.
                let byAuthor = ["updateProposal", "updateComment"].contains(operation.operationID)
                let caller = byAuthor ? seeded.member : api.admin
                var path = operation.operationID == "updateProposal"
                    ? "/v1/proposals/\(seeded.draft.uuidString.lowercased())" : seeded.path(operation.template)
                // A dossier is a sanctions proposal's, a case a prisoner case's.
                switch operation.template {
                case "/v1/proposals/{id}/dossier": path = "/v1/proposals/\(seeded.sanctions.lowercasedString)/dossier"
                case "/v1/proposals/{id}/case": path = "/v1/proposals/\(seeded.prisonerCase.lowercasedString)/case"
                case "/v1/proposals/{id}/case/dossier": path = "/v1/proposals/\(seeded.prisonerCase.lowercasedString)/case/dossier"
                default: break
                }
                for (field, property) in operation.bodyProperties.sorted(by: { $0.key < $1.key }) {
                    let isStrings = property.type == "string" || (property.type == "array" && property.items == "string")
                    guard isStrings else { continue }
                    for hostile in Self.hostileValues {
                        let raw = hostile.value(property.maxLength)
                        var body = Self.validBody(operation.operationID, seeded)
                        body[field] = property.type == "array" ? [raw] : raw
                        let encoded = try JSONSerialization.data(withJSONObject: body)
                        let reply = try await api.call(
                            HTTPRequest.Method(rawValue: operation.method.uppercased()) ?? .post, path,
                            as: caller, json: String(decoding: encoded, as: UTF8.self))
                        if reply.status != 422 || !reply.errorFields.contains(field) {
                            failures.append("\(operation.operationID).\(field) \(hostile.name): \(reply.status) \(reply.errorFields) \(reply["detail"] ?? "")")
                        }
                        checked += 1
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.count) of \(checked):\n\(failures.joined(separator: "\n"))")
            #expect(checked > 150, "the walk reached the contract's fields (\(checked) checks)")
        }
    }
}
