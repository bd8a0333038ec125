import DialogueAPI
import DialogueCore
import DialogueTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// One test's world: a fresh migrated database, the real router over it, and an admin.
struct API: Sendable {
    let client: any TestClientProtocol
    let dialogue: Dialogue
    let admin: TestUser

    /// Runs `body` against the real router (all middleware, generated handlers, services).
    static func run(_ body: @Sendable (API) async throws -> Void) async throws {
        try await withDialogue { dialogue in
            let admin = try await dialogue.makeUser(.admin)
            let router = try DialogueHTTP.buildRouter(APIDependencies(
                dialogue: dialogue, migrator: try Migrator(directory: TestDatabases.sqlDirectory),
                logger: TestDatabases.logger))
            let app = Application(router: router)
            try await app.test(.router) { client in
                try await body(API(client: client, dialogue: dialogue, admin: admin))
            }
        }
    }

    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ path: String, as user: TestUser? = nil, json: String? = nil,
        headers: HTTPFields = [:], rawBody: ByteBuffer? = nil
    ) async throws -> Reply {
        var headers = headers
        if let user, headers[.authorization] == nil { headers[.authorization] = user.bearer }
        var body = rawBody
        if let json {
            body = ByteBuffer(string: json)
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        }
        let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: body)
        return Reply(response: response)
    }
}

/// A response with its JSON body parsed.
struct Reply: Sendable {
    let response: TestResponse

    var status: Int { response.status.code }
    var headers: HTTPFields { response.headers }
    var trailers: HTTPFields { response.trailerHeaders ?? [:] }
    var text: String { String(buffer: response.body) }
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    subscript(key: String) -> String? { json[key].map { "\($0)" } }

    /// The items of a list that was answered 200, nil otherwise: a 403 or a 500 has no items
    /// either, and a check that nothing is visible must not pass on one.
    var listed: [[String: Any]]? { status == 200 ? items : nil }

    var items: [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? [] }

    /// The `field` names of a validation problem.
    var errorFields: [String] {
        ((try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["errors"] as? [[String: Any]] ?? [])
            .compactMap { $0["field"] as? String }
    }

    var isProblem: Bool { headers[.contentType] == "application/problem+json" && json["status"] as? Int == status }
}
