import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import PostgresNIO
import Testing

@Suite("Quarterly export")
struct ExportTests {
    /// A quarter's worth of work, made now and then moved back 90 days into 2026-Q3, as if it
    /// had happened then. Returns the proxy's pseudonym, the draft's title and a canary.
    static func pastQuarter(_ api: API) async throws -> (proxy: TestUser, draftTitle: String, canary: String, proposal: UUID) {
        let cli = CallContext.cli()
        let dialogue = api.dialogue
        let canary = "CANARY-\(UUID().uuidString.prefix(8))"
        let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "Media"))
        let proxy = try await dialogue.makeUser(.member, name: "Zubr", kind: .inCountryProxy)
        let member = try await dialogue.makeUser(.member, name: "Hanna Named")
        for user in [proxy, member] {
            _ = try await dialogue.putMember(cli, groupID: group.id, participantID: user.participantID, role: "member")
        }
        try await dialogue.sealIdentity(cli, participantID: proxy.participantID, json: Data(#"{"legal_name":"\#(canary)"}"#.utf8),
                                        key: try VaultKey(base64: VaultKey.generate()))
        let draftTitle = "Secret draft \(UUID().uuidString.prefix(6))"
        _ = try await dialogue.createProposal(member.context, ProposalInput(workingGroupID: group.id, title: draftTitle, kind: "other", scale: "small"))
        let proposal = try await dialogue.createProposal(proxy.context, ProposalInput(
            workingGroupID: group.id, title: "=HYPERLINK(\"http://x\") <b>media fund</b>", kind: "programme", scale: "large",
            audience: "public"))
        _ = try await dialogue.transitionProposal(proxy.context, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
        _ = try await dialogue.transitionProposal(cli, id: proposal.id, to: "under_review", note: nil, ifMatch: nil)
        let session = try await dialogue.createSession(cli, SessionInput(
            kind: "working_group", workingGroupID: group.id, title: "Media WG", startsAt: Self.date("2026-11-20T10:00:00Z"),
            endsAt: Self.date("2026-11-20T12:00:00Z"), timezone: "Europe/Vilnius"))
        let cancelled = try await dialogue.createSession(cli, SessionInput(
            kind: "working_group", workingGroupID: group.id, title: "Cancelled WG", startsAt: Self.date("2026-11-21T10:00:00Z"),
            endsAt: Self.date("2026-11-21T12:00:00Z"), timezone: "Europe/Vilnius"))
        _ = try await dialogue.transitionSession(cli, id: cancelled.id, to: "cancelled", note: nil, ifMatch: nil)
        let (item, _) = try await dialogue.addAgendaItem(cli, sessionID: session.id, AgendaItemInput(title: "Fund", durationMinutes: 30), ifMatch: nil)
        _ = try await dialogue.transitionSession(cli, id: session.id, to: "confirmed", note: nil, ifMatch: nil)
        _ = try await dialogue.transitionSession(cli, id: session.id, to: "held", note: nil, ifMatch: nil)
        _ = try await dialogue.updateAgendaItem(cli, id: item.id, AgendaItemInput(outcome: .some("adopted")), ifMatch: nil)
        let late = try await dialogue.createActionItem(cli, ActionItemInput(workingGroupID: group.id, title: "Late one", ownerID: proxy.participantID, dueOn: "2026-09-01"))
        let done = try await dialogue.createActionItem(cli, ActionItemInput(workingGroupID: group.id, title: "Done one", ownerID: member.participantID, dueOn: "2026-09-15"))
        _ = try await dialogue.updateActionItem(cli, id: done.id, ActionItemInput(status: "done", note: "finished"), ifMatch: nil)
        _ = late
        // Back to the third quarter: every timestamp the export reads moves 90 days earlier.
        for statement: PostgresQuery in [
            "UPDATE sessions SET starts_at = starts_at - interval '90 days', ends_at = ends_at - interval '90 days', created_at = created_at - interval '90 days'",
            "UPDATE session_transitions SET created_at = created_at - interval '90 days'",
            "UPDATE agenda_outcome_history SET created_at = created_at - interval '90 days'",
            "UPDATE proposals SET created_at = created_at - interval '90 days'",
            "UPDATE proposal_transitions SET created_at = created_at - interval '90 days'",
            "UPDATE action_items SET created_at = created_at - interval '90 days'",
            "UPDATE action_item_updates SET created_at = created_at - interval '90 days'",
        ] {
            try await sql(dialogue, statement)
        }
        return (proxy, draftTitle, canary, proposal.id)
    }

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("figures are as of quarter end, and later edits leave a past quarter's hash unchanged")
    func asOfQuarterEnd() async throws {
        try await API.run { api in
            let scene = try await Self.pastQuarter(api)
            let first = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3", as: api.admin)
            #expect(first.status == 200)
            let report = try #require(first.json["report"] as? [String: Any])
            let total = try #require(report["total"] as? [String: Any])
            #expect(total["sessions_held"] as? Int == 1)
            #expect(total["sessions_cancelled"] as? Int == 1)
            #expect((total["agenda_outcomes"] as? [String: Int])?["adopted"] == 1)
            #expect(total["proposals_by_state"] as? [String: Int] == ["under_review": 1])
            #expect(total["proposal_transitions"] as? [String: Int] == ["submitted": 1, "under_review": 1])
            #expect(total["actions_opened"] as? Int == 2)
            #expect(total["actions_closed"] as? Int == 1)
            #expect(total["actions_overdue_at_end"] as? Int == 1)
            #expect(total["completion_per_mille"] as? Int == 500)
            let hash = try #require(first["sha256"])
            #expect(first.trailers[HTTPField.Name("X-Content-SHA256")!] == hash, "the hash also comes as a trailer")

            // Later work (in the fourth quarter) does not rewrite the third.
            _ = try await api.dialogue.transitionProposal(.cli(), id: scene.proposal, to: "accepted", note: nil, ifMatch: nil)
            let items = try await api.dialogue.listActionItems(.cli(), page: try PageRequest(limit: 10, cursor: nil), filter: .init(status: "open"))
            for item in items.items {
                _ = try await api.dialogue.updateActionItem(.cli(), id: item.id, ActionItemInput(status: "dropped", note: "superseded"), ifMatch: nil)
            }
            let again = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3", as: api.admin)
            #expect(again["sha256"] == hash)
            #expect(again.text == first.text, "byte for byte")
            let now = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q4", as: api.admin)
            #expect(now["sha256"] != hash)
        }
    }

    @Test("no canary, no draft, and for the public no person in any format; CSV is safe and parses; HTML is self-contained")
    func redactionAndFormats() async throws {
        try await API.run { api in
            let scene = try await Self.pastQuarter(api)
            for audience in ["internal", "public"] {
                var outputs: [String] = []
                for format in ["json", "html"] {
                    let reply = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=\(format)&audience=\(audience)", as: api.admin)
                    #expect(reply.status == 200)
                    outputs.append(reply.text)
                }
                for table in ReportCSV.tables {
                    let reply = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=csv&table=\(table)&audience=\(audience)", as: api.admin)
                    #expect(reply.status == 200)
                    #expect(reply.headers[.contentType] == "text/csv; charset=utf-8")
                    let records = try CSV.parse(reply.text)
                    #expect(records.count >= 2, "\(table): a header and at least one row")
                    #expect(Set(records.map(\.fields.count)).count == 1, "\(table): every row has the header's columns")
                    outputs.append(reply.text)
                }
                let text = outputs.joined()
                #expect(!text.contains(scene.canary))
                #expect(!text.contains(scene.draftTitle), "drafts never appear")
                if audience == "public" {
                    #expect(!text.contains("Zubr") && !text.contains("Hanna Named"), "public reports name no person")
                    #expect(text.contains("in-country participant"))
                } else {
                    #expect(text.contains("Zubr"), "internal reports name proxies by pseudonym")
                }
            }
            let proposals = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=csv&table=proposals", as: api.admin)
            #expect(proposals.text.contains("\"'=HYPERLINK(\"\"http://x\"\")"), "formula cells are defused: \(proposals.text)")
            let html = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=html&detail=full", as: api.admin).text
            #expect(html.contains("<svg") && html.contains("At a glance"))
            #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("<link"))
            #expect(html.contains("&lt;b&gt;media fund&lt;/b&gt;") && !html.contains("<b>media fund</b>"))
        }
    }

    @Test("the HTML report leads with the summary against the previous quarter, what was decided and what is late; the lists only in the appendix")
    func leadershipReport() async throws {
        try await API.run { api in
            _ = try await Self.pastQuarter(api)
            let json = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3", as: api.admin)
            let report = try #require(json.json["report"] as? [String: Any])
            let decisions = try #require(report["decisions"] as? [[String: Any]])
            #expect(decisions.map { $0["title"] as? String } == ["Fund"], "the adopted outcome is in the canonical content")
            let trend = try #require(report["trend"] as? [[String: Any]])
            #expect(trend.map { $0["quarter"] as? String } == ["2025-Q4", "2026-Q1", "2026-Q2"], "three earlier quarters, oldest first")

            let summary = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=html", as: api.admin)
            #expect(summary.headers[.contentLanguage] == "en")
            let html = summary.text
            #expect(html.contains(try #require(json["sha256"])), "the page carries the hash of the same content")
            for heading in ["At a glance", "What was decided", "What is late"] {
                #expect(html.contains(">\(heading)</h2>"), "\(heading)")
            }
            #expect(html.contains("<main>") && html.contains("<caption>") && html.contains(#"<th scope="col">"#))
            #expect(html.contains("▲ 1") && html.contains("up 1 since 2026-Q2"), "the change, as an arrow and in words")
            #expect(html.contains("<strong>Fund</strong>") && html.contains("Media WG"), "the decision, and where it was taken")
            #expect(html.contains("<dt>Zubr</dt>") && html.contains("Late one"), "late items by owner, a proxy by pseudonym")
            #expect(!html.contains("media fund") && !html.contains("Done one"), "the complete lists wait for the appendix")
            #expect(html.contains("@bottom-right") && html.contains("counter(page)"), "printed pages are numbered")

            let public_ = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=html&audience=public", as: api.admin).text
            #expect(!public_.contains("Zubr") && !public_.contains("Hanna Named") && public_.contains("in-country participant"))

            let belarusian = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=html&lang=be", as: api.admin)
            #expect(belarusian.headers[.contentLanguage] == "be")
            #expect(belarusian.text.contains(#"<html lang="be">"#) && belarusian.text.contains("Што вырашана"))
            #expect(belarusian.text.contains("ліпеня 2026"), "dates the Belarusian way: \(belarusian.text.prefix(1200))")
            #expect(belarusian.text.contains("<strong>Fund</strong>"), "content as written")

            let full = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=html&detail=full", as: api.admin).text
            #expect(full.contains("Appendix: the complete lists") && full.contains("Done one") && full.contains("media fund"))
        }
    }

    @Test("exports are for coordinators; bad parameters are 422 naming them")
    func exportAccess() async throws {
        try await API.run { api in
            let member = try await api.dialogue.makeUser(.member)
            #expect(try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3", as: member).status == 403)
            #expect(try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3").status == 401)
            #expect(try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q9", as: api.admin).errorFields == ["quarter"])
            #expect(try await api.call(.get, "/v1/exports/quarterly", as: api.admin).errorFields == ["quarter"])
            #expect(try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=pdf", as: api.admin).errorFields == ["format"])
            #expect(try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=csv&table=people", as: api.admin).errorFields == ["table"])
            #expect(try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&direction=sports", as: api.admin).errorFields == ["direction"])
            #expect(try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&colour=red", as: api.admin).errorFields == ["colour"])
            #expect(try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=html&detail=all", as: api.admin).errorFields == ["detail"])
            #expect(try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q3&format=html&lang=de", as: api.admin).errorFields == ["lang"])
        }
    }

    @Test("the streamed canonical JSON is JSONEncoder's, byte for byte, whatever a title holds; a plenary counts once")
    func streamedCanonicalMatchesEncoder() async throws {
        try await API.run { api in
            let cli = CallContext.cli()
            let dialogue = api.dialogue
            let hostile = "q\" b\\ s/ nl\n tab\t cr\r bs\u{8} ff\u{c} soh\u{1} us\u{1f} del\u{7f} ä € 😀 \u{2028} é"
            let group = try await dialogue.createWorkingGroup(cli, WorkingGroupInput(direction: "media", name: "hostile group"))
            let member = try await dialogue.makeUser(.member, name: "hostile member")
            _ = try await dialogue.putMember(cli, groupID: group.id, participantID: member.participantID, role: "member")
            let proposal = try await dialogue.createProposal(member.context, ProposalInput(
                workingGroupID: group.id, title: "hostile proposal", kind: "programme", scale: "large"))
            _ = try await dialogue.transitionProposal(member.context, id: proposal.id, to: "submitted", note: nil, ifMatch: nil)
            let action = try await dialogue.createActionItem(cli, ActionItemInput(
                workingGroupID: group.id, title: "hostile action", ownerID: member.participantID, dueOn: "2026-12-01"))
            let plenary = try await dialogue.createSession(cli, SessionInput(
                kind: "plenary", title: "hostile plenary", startsAt: Self.date("2026-11-02T10:00:00Z"),
                endsAt: Self.date("2026-11-02T12:00:00Z"), timezone: "Europe/Vilnius"))
            // The service now refuses control characters, but rows written before that rule (or
            // by hand in SQL) hold them, and the export must still encode them exactly.
            let stored = "x " + hostile.trimmingCharacters(in: .whitespacesAndNewlines)
            try await dialogue.database.transaction { connection in
                let logger = dialogue.database.logger
                try await connection.query("UPDATE working_groups SET name = \(stored) WHERE id = \(group.id)", logger: logger)
                try await connection.query("UPDATE participants SET display_name = \(stored) WHERE id = \(member.participantID)", logger: logger)
                try await connection.query("UPDATE proposals SET title = \(stored) WHERE id = \(proposal.id)", logger: logger)
                try await connection.query("UPDATE action_items SET title = \(stored) WHERE id = \(action.id)", logger: logger)
                try await connection.query("UPDATE sessions SET title = \(stored) WHERE id = \(plenary.id)", logger: logger)
            }
            _ = try await dialogue.transitionSession(cli, id: plenary.id, to: "confirmed", note: nil, ifMatch: nil)
            _ = try await dialogue.transitionSession(cli, id: plenary.id, to: "held", note: nil, ifMatch: nil)

            // The admin's view, as the API call below exports it.
            let exported = try await dialogue.quarterlyReport(api.admin.context, quarter: "2026-Q4", direction: nil, audience: nil)
            #expect(exported.canonical == (try exported.report.canonicalJSON()), "streamed bytes and the encoder's are one")
            #expect(QuarterlyReport.sha256(exported.canonical) == exported.sha256)
            #expect(exported.report.actionItems.map(\.title) == [stored])
            #expect(exported.report.total.sessionsHeld == 1, "a plenary belongs to no direction and counts once in the total")
            #expect(exported.report.directions.map(\.figures.sessionsHeld).reduce(0, +) == 0)

            let reply = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q4&format=csv&table=action_items", as: api.admin)
            let records = try CSV.parse(reply.text)
            #expect(records.count == 2 && records[1].fields[2] == exported.report.actionItems[0].title, "CSV keeps the title intact")
            let json = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q4", as: api.admin)
            #expect(json.text == exported.jsonDocument, "the API streams the same document")
        }
    }

    @Test("a frozen snapshot re-issues byte for byte")
    func freeze() async throws {
        try await API.run { api in
            _ = try await Self.pastQuarter(api)
            let report = try await api.dialogue.quarterlyReport(.cli(), quarter: "2026-Q3", direction: nil, audience: nil)
            let frozen = try await api.dialogue.freezeReport(.cli(), report)
            #expect(frozen.sha256 == report.sha256)
            let reissued = try #require(try await api.dialogue.frozenReport(.cli(), quarter: "2026-Q3", direction: nil, audience: nil))
            #expect(reissued.canonical == report.canonical)
            #expect(reissued.fromSnapshot)
            #expect(QuarterlyReport.sha256(reissued.canonical) == report.sha256)
            // A frozen report is its exporter's view: a coordinator finds none of theirs yet.
            #expect(try await api.dialogue.frozenReport(api.admin.context, quarter: "2026-Q3", direction: nil, audience: nil) == nil)
        }
    }
}
