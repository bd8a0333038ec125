import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import NIOCore
import Testing

/// Issue 19, part 2: political-prisoner cases, sanctions dossiers, FollowTheMoney and the
/// offline reference lists, through the real router.
@Suite("Dossiers and cases: structured, exchanged as FollowTheMoney, matched offline, gated by consent")
struct DossierTests {
    @Test("a Cyrillic name meets its Latin spelling, whichever order and transliteration")
    func nameForms() {
        #expect(NameForms.fold("Віктар Кавалёў") == NameForms.fold("Viktar Kavaliou"))
        #expect(NameForms.fold("Виктор Ковалёв") == NameForms.fold("Kovalev Viktor"))
        #expect(NameForms.fold("Аляксандр Лукашэнка") == NameForms.fold("Alyaksandr Lukashenka"))
        #expect(NameForms.fold("Александр Лукашенко") == NameForms.fold("Aleksandr Lukashenko"))
        #expect(NameForms.fold("Евгений Петров") == NameForms.fold("Yevgeniy Petrov"))
        #expect(NameForms.fold("Віктар Кавалёў") != NameForms.fold("Viktar Kavalenka"))
    }

    @Test("a case names a judge; a dossier on the judge in one step; the reference list shows the EU listing and the US not; consent gates every export")
    func scenario() async throws {
        try await API.run { api in
            let dialogue = api.dialogue
            let cast = try await AudienceTests.cast(dialogue)
            let member = cast.movMember
            func proposal(_ kind: String, _ title: String) async throws -> UUID {
                let made = try await dialogue.createProposal(member.context, ProposalInput(
                    workingGroupID: cast.group, title: title, kind: kind, scale: "small"))
                _ = try await dialogue.transitionProposal(member.context, id: made.id, to: "submitted", note: nil, ifMatch: nil)
                return made.id
            }
            let caseID = try await proposal("prisoner_case", "The case of M.")
            let casePath = "/v1/proposals/\(caseID.lowercasedString)/case"
            let written = try await api.call(.put, casePath, as: member, json: """
                {"person_name":"Mikalai Statkevich","detained_on":"2020-05-31","articles":["342","293"],"court":"Homel regional court",
                 "judge":"Віктар Кавалёў","prosecutor":"Ігар Петрык","status":"sentenced","consent":"internal",
                 "external_reference":"https://prisoners.example.org/1"}
                """)
            #expect(written.status == 200 && written["consent"] == "internal")
            #expect(try await api.call(.put, casePath, as: cast.govMember, json: #"{"consent":"public"}"#).status == 403,
                    "another member reads the case but does not keep it")
            #expect(try await api.call(.get, "/v1/proposals/\(caseID.lowercasedString)/dossier", as: member).status == 409,
                    "a case is not a dossier")

            // The judge becomes a dossier's target in one step.
            let opened = try await api.call(.post, casePath + "/dossier", as: member, json: #"{"role":"judge"}"#)
            #expect(opened.status == 201 && opened["kind"] == "sanctions" && opened["status"] == "draft")
            #expect(!opened.text.contains("Statkevich"), "the new dossier does not carry the prisoner's name")
            let dossierID = try #require(opened["id"])
            let dossierPath = "/v1/proposals/\(dossierID)/dossier"
            let seeded = try await api.call(.get, dossierPath, as: member)
            #expect(seeded.json["names"] as? [String] == ["Віктар Кавалёў"] && seeded["from_case"] == caseID.lowercasedString)

            // Evidence, and claims that cite it (only this proposal's own).
            let photo = try await api.call(
                .post, dossierPath.replacingOccurrences(of: "/dossier", with: "/evidence"), as: member,
                headers: [.contentType: "multipart/form-data; boundary=\(EvidenceTests.boundary)"],
                rawBody: EvidenceTests.multipart(EvidenceTests.jpegWithGPS, type: "image/jpeg"))
            let photoID = try #require(photo["id"])
            let foreign = try await api.call(.put, dossierPath, as: member, json: """
                {"target_kind":"person","names":["Віктар Кавалёў"],"claims":[{"claim":"x","evidence_ids":["\(UUID().uuidString.lowercased())"]}]}
                """)
            #expect(foreign.status == 422 && foreign.errorFields == ["claims"])
            let full = try await api.call(.put, dossierPath, as: member, json: """
                {"target_kind":"person","names":["Віктар Кавалёў","Виктор Ковалёв"],"birth_date":"1968-04-12","nationalities":["BY"],
                 "identifiers":[{"scheme":"BY personal number","value":"3120468A001PB1"}],
                 "positions":[{"title":"Judge","organization":"Homel regional court"}],
                 "links":[{"relation":"acted_under","name":"Chairman of the Homel regional court"},{"relation":"family","name":"Alena Kavaliova"}],
                 "authorities":[{"authority":"eu","programme":"Belarus regime"},{"authority":"us","programme":"BELARUS-EO14038"}],
                 "reason":"Sentenced peaceful protesters to long terms.",
                 "claims":[{"claim":"Presided over the trial","evidence_ids":["\(photoID)"]}]}
                """)
            #expect(full.status == 200, "\(full.text)")
            _ = try await dialogue.transitionProposal(member.context, id: try #require(UUID(uuidString: dossierID)), to: "submitted", note: nil, ifMatch: nil)

            // Offline reference: the EU lists him, under a Latin spelling only.
            let reference = [
                #"{"id":"eu-fsf-kavaliou","schema":"Person","caption":"Viktar Kavaliou","properties":{"name":["Viktar Kavaliou"],"alias":["Viktor Kovalev"],"birthDate":["1968-04-12"]},"datasets":["eu_fsf"]}"#,
                #"{"id":"us-ofac-other","schema":"Person","caption":"Viktar Kavalenka","properties":{"name":["Viktar Kavalenka"]},"datasets":["us_ofac_sdn"]}"#,
            ]
            let imported = try await dialogue.importReference(.cli(), lines: reference, sha256: String(repeating: "a", count: 64), fileDate: "2026-11-20")
            #expect(imported.entities == 2)
            let matches = try await api.call(.get, dossierPath + "/matches", as: member)
            #expect(matches.items.count == 1 && matches.items.first?["reference_id"] as? String == "eu-fsf-kavaliou")
            #expect((matches.items.first?["score"] as? Int ?? 0) >= 85 && (matches.items.first?["reasons"] as? [String])?.contains { $0.hasPrefix("birth date") } == true)
            let gaps = try await api.call(.get, dossierPath + "/gaps", as: member)
            let rows = Dictionary(uniqueKeysWithValues: gaps.items.compactMap { row in (row["authority"] as? String).map { ($0, row) } })
            #expect(rows["eu"]?["listed"] as? Bool == true && rows["us"]?["listed"] as? Bool == false, "\(gaps.text)")
            // That an authority acted is a coordinator's record.
            let designated = #"{"target_kind":"person","names":["Віктар Кавалёў"],"authorities":[{"authority":"eu","programme":"Belarus regime","designated_on":"2026-11-02"},{"authority":"us","programme":"BELARUS-EO14038"}]}"#
            #expect(try await api.call(.put, dossierPath, as: member, json: designated).status == 403)
            // A coordinator decides; a member may not.
            #expect(try await api.call(.post, dossierPath + "/matches/eu-fsf-kavaliou", as: member, json: #"{"decision":"rejected"}"#).status == 403)
            #expect(try await api.call(.post, dossierPath + "/matches/eu-fsf-kavaliou", as: cast.movCoord, json: #"{"decision":"confirmed"}"#).status == 204)

            // FollowTheMoney: the target, its positions and links, a Note (never a Sanction), the
            // evidence as a Document whose hashes are only in the custody manifest.
            let ftm = try await api.call(.get, "/v1/dossiers/export.ftm", as: cast.movCoord)
            #expect(ftm.status == 200)
            let entities = ftm.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let schemata = Set(entities.compactMap { $0["schema"] as? String })
            #expect(schemata.isSuperset(of: ["Person", "Position", "Occupancy", "UnknownLink", "Family", "Note", "Document", "Documentation", "CourtCase", "CourtCaseParty"]))
            #expect(!schemata.contains("Sanction"))
            #expect(ftm.text.contains("Mikalai Statkevich"), "consent internal: the internal export names the prisoner")
            #expect(!ftm.text.contains(photo["original_sha256"] ?? "-"), "hashes stay out of the entities")
            let again = try await api.call(.get, "/v1/dossiers/export.ftm", as: cast.movCoord)
            #expect(again.text == ftm.text, "stable ids: the same export twice is the same bytes")
            let custody = try await api.call(.get, "/v1/dossiers/custody.json", as: cast.movCoord)
            #expect(custody.items.first?["original_sha256"] as? String == photo["original_sha256"])
            let publicExport = try await api.call(.get, "/v1/dossiers/export.ftm?audience=public", as: cast.movCoord)
            #expect(publicExport.status == 200 && !publicExport.text.contains("Statkevich") && !publicExport.text.contains("Кавалёў"),
                    "nothing public: neither the internal-consent case nor the dialogue-audience dossier")

            // The quarterly report: counted within audience and consent.
            let quarter = Quarter(containing: Date()).description
            let inside = try await api.call(.get, "/v1/exports/quarterly?quarter=\(quarter)", as: cast.movCoord)
            let total = ((inside.json["report"] as? [String: Any])?["total"] as? [String: Any]) ?? [:]
            #expect(total["dossiers_submitted"] as? Int == 1 && (total["cases_by_status"] as? [String: Int]) == ["sentenced": 1])
            for format in ["json", "html", "csv&table=proposals"] {
                let variant = try await api.call(.get, "/v1/exports/quarterly?quarter=\(quarter)&audience=public&format=\(format)", as: cast.movCoord)
                #expect(variant.status == 200 && !variant.text.contains("Statkevich") && !variant.text.contains("\"sentenced\":1"),
                        "the public \(format) report never shows an internal-consent case")
            }
            // Consent none: not even the internal report counts it.
            _ = try await api.call(.put, casePath, as: member, json: #"{"person_name":"Mikalai Statkevich","status":"sentenced","consent":"none"}"#)
            let withheld = try await api.call(.get, "/v1/exports/quarterly?quarter=\(quarter)", as: cast.movCoord)
            #expect(((withheld.json["report"] as? [String: Any])?["total"] as? [String: Any])?["cases_by_status"] as? [String: Int] == [:])
            #expect(!(try await api.call(.get, "/v1/dossiers/export.ftm", as: cast.movCoord)).text.contains("CourtCase"))
        }
    }
}
