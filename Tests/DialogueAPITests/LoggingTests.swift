import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Request logging")
struct LoggingTests {
    @Test("request lines carry the request id; client addresses only from a configured trusted proxy header")
    func clientAddresses() async throws {
        try await withDialogue { dialogue in
            for header in [nil, "X-Forwarded-For"] as [String?] {
                let capture = LogCapture()
                let router = try DialogueHTTP.buildRouter(APIDependencies(
                    dialogue: dialogue, migrator: try Migrator(directory: TestDatabases.sqlDirectory), logger: capture.logger(),
                    trustedProxyHeader: header))
                try await Application(router: router).test(.router) { client in
                    _ = try await client.executeRequest(
                        uri: "/healthz", method: .get,
                        headers: [HTTPField.Name("X-Forwarded-For")!: "203.0.113.9, 198.51.100.7", .userAgent: "Phone/1.0", .xRequestIDTest: "log-1"],
                        body: nil)
                }
                #expect(capture.text.contains("request_id=log-1"))
                #expect(!capture.text.contains("Phone/1.0"), "user agents are never logged")
                #expect(!capture.text.contains("203.0.113.9"), "client-supplied hops are never logged")
                if header == nil {
                    #expect(!capture.text.contains("198.51.100.7"), "no address by default")
                } else {
                    #expect(capture.text.contains("client=198.51.100.7"), "the trusted proxy's hop, when configured")
                }
            }
        }
    }

    @Test("a request without an id gets a fresh random one, returned and logged")
    func generatedRequestIDs() async throws {
        try await withDialogue { dialogue in
            let capture = LogCapture()
            let router = try DialogueHTTP.buildRouter(APIDependencies(
                dialogue: dialogue, migrator: try Migrator(directory: TestDatabases.sqlDirectory), logger: capture.logger()))
            let ids = try await Application(router: router).test(.router) { client in
                var ids: [String] = []
                for _ in 0..<50 {
                    let response = try await client.executeRequest(uri: "/healthz", method: .get, headers: [:], body: nil)
                    ids.append(response.headers[.xRequestIDTest] ?? "")
                }
                return ids
            }
            #expect(Set(ids).count == ids.count, "every id differs")
            for id in ids {
                // Version 4, RFC 4122 variant, lowercase as every id is written.
                let parsed = UUID(uuidString: id)
                #expect(parsed?.lowercasedString == id)
                #expect(id.count == 36 && id[id.index(id.startIndex, offsetBy: 14)] == "4")
                #expect("89ab".contains(id[id.index(id.startIndex, offsetBy: 19)]))
                #expect(capture.text.contains("request_id=\(id)"))
            }
        }
    }
}
