import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Serving: health, readiness, metrics, the contract")
struct ServingTests {
    @Test("healthz and readyz answer without a token; directions need one and list all six")
    func healthAndDirections() async throws {
        try await API.run { api in
            #expect(try await api.call(.get, "/healthz").status == 200)
            // Readiness answers within 2 s or says 503; on a loaded test machine a probe may
            // need asking again, as an orchestrator would.
            var ready = try await api.call(.get, "/readyz")
            for _ in 0..<5 where ready.status == 503 {
                try await Task.sleep(for: .seconds(1))
                ready = try await api.call(.get, "/readyz")
            }
            #expect(ready.status == 200)
            #expect(ready["status"] == "ready")
            let directions = try await api.call(.get, "/v1/directions", as: api.admin)
            #expect(directions.status == 200)
            #expect(directions.items.compactMap { $0["slug"] as? String } == [
                "political", "human_rights", "accountability", "media", "identity_culture", "private_sector",
            ])
        }
    }

    @Test("/openapi.json is an OpenAPI 3.1 document and every operation in it is routed")
    func contractIsServedAndRouted() async throws {
        try await API.run { api in
            let reply = try await api.call(.get, "/openapi.json")
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "application/json")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            #expect(paths.count >= 10)
            for (template, item) in paths {
                let path = template.replacingOccurrences(
                    of: #"\{[^}]+\}"#, with: "00000000-0000-0000-0000-000000000000", options: .regularExpression)
                for method in item.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                    let response = try await api.call(
                        HTTPRequest.Method(rawValue: method.uppercased())!, path, as: api.admin, json: method == "get" || method == "delete" ? nil : "{}")
                    #expect(response.status != 405, "\(method) \(template) is in the spec but not routed")
                    #expect(response.status < 500, "\(method) \(template) answered \(response.status)")
                }
            }
        }
    }

    @Test("metrics are Prometheus text, labelled by route template, never by id nor a client's own method")
    func metrics() async throws {
        try await API.run { api in
            for _ in 0..<3 { try await api.call(.get, "/v1/organizations/5b3a8f0e-0000-0000-0000-000000000000", as: api.admin) }
            try await api.call(HTTPRequest.Method("BREWCOFFEE")!, "/healthz")
            let metrics = try await api.call(.get, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("dialogue_http_requests_total"))
            #expect(metrics.text.contains("dialogue_http_request_duration_seconds"))
            #expect(!metrics.text.contains("5b3a8f0e"))
            #expect(!metrics.text.contains("BREWCOFFEE"))
            #expect(metrics.text.contains(#"method="other""#))
            // The three reads count in one series, however they were recorded.
            let counted = metrics.text.split(separator: "\n").first {
                $0.hasPrefix("dialogue_http_requests_total") && $0.contains(#"route="/v1/organizations/{id}""#)
                    && $0.contains(#"status="404""#)
            }
            #expect(counted.map { $0.hasSuffix(" 3") } == true, "\(counted ?? "no series")")
        }
    }

    @Test("with the database down: healthz 200, readyz and API calls 503 problems with Retry-After")
    func databaseDown() async throws {
        // Nothing listens on port 1: every connection attempt is refused at once.
        let unreachable = DatabaseConfiguration(
            host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: "none", tls: .disable)
        try await withDatabase(unreachable) { database in
            try await Self.bareRouter(database) { client in
                let health = try await client.executeRequest(uri: "/healthz", method: .get, headers: [:], body: nil)
                #expect(health.status == .ok)
                let ready = try await client.executeRequest(uri: "/readyz", method: .get, headers: [:], body: nil)
                #expect(ready.status == .serviceUnavailable)
                #expect(ready.headers[.retryAfter] != nil)
                #expect(ready.headers[.contentType] == "application/problem+json")
                let token = "Bearer dlg_" + String(repeating: "A", count: 43)
                let call = try await client.executeRequest(
                    uri: "/v1/directions", method: .get, headers: [.authorization: token], body: nil)
                #expect(call.status == .serviceUnavailable)
                #expect(call.headers[.retryAfter] == "5")
            }
        }
    }

    @Test("readyz is 503 while migrations are pending")
    func pendingMigrations() async throws {
        try await withTestDatabase(.empty) { empty in
            try await withDatabase(empty) { database in
                try await Self.bareRouter(database) { client in
                    let ready = try await client.executeRequest(uri: "/readyz", method: .get, headers: [:], body: nil)
                    #expect(ready.status == .serviceUnavailable)
                    #expect(String(buffer: ready.body).contains("migrations are not current"))
                }
            }
        }
    }

    /// The API's router on a database the services cannot load from (down, or not migrated):
    /// a `Dialogue` made directly, with fixed secrets, driven in-process.
    static func bareRouter(_ database: Database, _ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let dialogue = Dialogue(database: database, cursors: CursorCodec(secret: "test"), throttleSecret: "test")
        let router = try DialogueHTTP.buildRouter(APIDependencies(
            dialogue: dialogue, migrator: try Migrator(directory: TestDatabases.sqlDirectory), logger: TestDatabases.logger))
        try await Application(router: router).test(.router, test)
    }
}
