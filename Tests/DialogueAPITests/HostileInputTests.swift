import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import NIOCore
import Testing

/// SECURITY.md 15: bad input of any shape is a 4xx problem document, nothing is stored, and
/// the server keeps serving.
@Suite("Hostile input")
struct HostileInputTests {
    @Test("deep nesting, huge arrays, invalid UTF-8, NUL bytes, odd dates and limits: 4xx each, nothing stored")
    func hostileBodies() async throws {
        try await API.run { api in
            let nested = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
            let hugeArray = "[" + Array(repeating: "\"be\"", count: 100_000).joined(separator: ",") + "]"
            var invalidUTF8 = ByteBuffer(string: #"{"name":""#)
            invalidUTF8.writeBytes([0xff, 0xfe, 0xc3, 0x28])
            invalidUTF8.writeString(#"","side":"movement"}"#)
            let cases: [(String, String, String?, ByteBuffer?)] = [
                ("/v1/organizations", "deep nesting", #"{"name":\#(nested),"side":"movement"}"#, nil),
                ("/v1/participants", "huge array", #"{"display_name":"x","kind":"diaspora","languages":\#(hugeArray)}"#, nil),
                ("/v1/organizations", "invalid UTF-8", nil, invalidUTF8),
                ("/v1/organizations", "NUL byte", #"{"name":"a\u0000b","side":"movement"}"#, nil),
                ("/v1/participants", "bad zone", #"{"display_name":"x","kind":"diaspora","timezone":"Europe/Atlantis"}"#, nil),
                ("/v1/sessions", "year 0", #"{"kind":"plenary","title":"x","timezone":"UTC","starts_at":"0000-01-01T10:00:00Z","ends_at":"0000-01-01T11:00:00Z"}"#, nil),
                ("/v1/sessions", "year 9999", #"{"kind":"plenary","title":"x","timezone":"UTC","local_start":"9999-12-31T10:00","duration_minutes":60}"#, nil),
                ("/v1/sessions", "huge duration", #"{"kind":"plenary","title":"x","timezone":"UTC","local_start":"2027-01-01T10:00","duration_minutes":99999999999999999999}"#, nil),
                ("/v1/organizations", "not an object", #"["name","side"]"#, nil),
                ("/v1/organizations", "empty body", "", nil),
            ]
            for (path, label, json, raw) in cases {
                let reply = try await api.call(.post, path, as: api.admin, json: json, headers: [.contentType: "application/json"], rawBody: raw)
                #expect((400..<500).contains(reply.status), "\(label): \(reply.status) \(reply.text.prefix(200))")
                #expect(reply.isProblem, "\(label) answered without a problem document")
            }
            for query in ["limit=-1", "limit=0", "limit=99999999999999999999", "limit=201", "cursor=%00%00", "cursor=" + String(repeating: "A", count: 600)] {
                let reply = try await api.call(.get, "/v1/organizations?\(query)", as: api.admin)
                #expect((400..<500).contains(reply.status), "\(query): \(reply.status)")
            }
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM organizations") == 0)
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM sessions") == 0)
            #expect(try await api.call(.get, "/healthz").status == 200, "the server is unharmed")
        }
    }

    @Test("SQL and HTML metacharacters are stored and returned verbatim, and escaped in HTML exports")
    func metacharacters() async throws {
        try await API.run { api in
            let nasty = #"Robert'); DROP TABLE participants;-- <script>alert(1)</script> & "quotes" \ ${x} %s"#
            let escaped = nasty.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            let created = try await api.call(.post, "/v1/organizations", as: api.admin, json: #"{"name":"\#(escaped)","side":"movement"}"#)
            #expect(created.status == 201)
            #expect(created["name"] == nasty)
            let fetched = try await api.call(.get, "/v1/organizations/\(created["id"]!)", as: api.admin)
            #expect(fetched["name"] == nasty)
            let group = try await api.call(.post, "/v1/working-groups", as: api.admin, json: #"{"direction":"media","name":"\#(escaped)"}"#)
            #expect(group.status == 201)
            let session = try await api.call(.post, "/v1/sessions", as: api.admin, json: #"{"kind":"working_group","working_group_id":"\#(group["id"]!)","title":"\#(escaped)","starts_at":"2026-11-02T10:00:00Z","ends_at":"2026-11-02T11:00:00Z","timezone":"UTC"}"#)
            #expect(session.status == 201)
            let html = try await api.call(.get, "/v1/exports/quarterly?quarter=2026-Q4&format=html&detail=full", as: api.admin).text
            #expect(!html.contains("<script>alert(1)</script>"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(try await sqlInt(api.dialogue, "SELECT count(*)::bigint FROM participants") >= 1, "nothing was dropped")
        }
    }
}
