import AsyncAlgorithms
import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIHummingbird
import OpenAPIRuntime
import Prometheus

/// Everything the HTTP layer needs, built once per process (or per test).
public struct APIDependencies: Sendable {
    public var dialogue: Dialogue
    public var migrator: Migrator
    public var logger: Logger
    public var registry: PrometheusCollectorRegistry
    /// The URL clients use to reach this service (calendar feed links are absolute).
    public var publicBaseURL: String
    /// The header a trusted reverse proxy sets with the client address; nil logs no address.
    public var trustedProxyHeader: String?
    /// An export whose client has not taken a chunk for this long is abandoned, so a download
    /// that stops reading cannot hold a database connection (and its snapshot) indefinitely.
    public var exportStallLimit: Duration = .seconds(30)
    /// How many bytes of read answers the router keeps for reuse (`ReadMemo`); 0 keeps none.
    public var readMemoBytes = Configuration.defaultReadMemoBytes

    public init(
        dialogue: Dialogue, migrator: Migrator, logger: Logger, registry: PrometheusCollectorRegistry = .init(),
        publicBaseURL: String = "http://127.0.0.1:8080", trustedProxyHeader: String? = nil
    ) {
        self.publicBaseURL = publicBaseURL
        self.trustedProxyHeader = trustedProxyHeader
        self.dialogue = dialogue
        self.migrator = migrator
        self.logger = logger
        self.registry = registry
    }
}

public enum DialogueHTTP {
    /// The router with every route and middleware; tests drive it directly.
    public static func buildRouter(_ dependencies: APIDependencies) throws -> Router<BasicRequestContext> {
        let document = try OpenAPIDocument.bundled()
        let metrics = HTTPMetrics(registry: dependencies.registry)
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ObservationMiddleware(
            metrics: metrics, document: document, logger: dependencies.logger,
            clientAddressHeader: dependencies.trustedProxyHeader.flatMap { HTTPField.Name($0) }))
        router.add(middleware: BodyLimitMiddleware())
        router.add(middleware: AuthenticationMiddleware(
            dialogue: dependencies.dialogue, memo: ReadMemo(capacity: dependencies.readMemoBytes, registry: dependencies.registry)))
        router.add(middleware: ExplicitNullMiddleware(document: document))
        router.add(middleware: IdempotencyMiddleware(store: IdempotencyStore(database: dependencies.dialogue.database)))

        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: healthy))
        }
        router.get("/readyz") { _, _ in
            try await readiness(dependencies)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: document.json)))
        }
        router.get("/v1/calendar/{secret}.ics") { _, context in
            let secret = context.parameters.get("secret") ?? ""
            return calendarResponse(try await dependencies.dialogue.calendarFeed(secret: secret))
        }
        router.get("/v1/sessions/{id}.ics") { _, context in
            let callContext = try await RequestScope.callContext(dependencies.dialogue)
            let id = try pathID(context.parameters.get("id") ?? "", "session")
            return calendarResponse(try await dependencies.dialogue.sessionCalendar(callContext, sessionID: id))
        }
        router.get("/v1/exports/quarterly") { request, _ in
            try await exportResponse(request, dependencies.dialogue, stallLimit: dependencies.exportStallLimit)
        }
        router.post("/v1/proposals/{id}/evidence") { request, context in
            let id = try pathID(context.parameters.get("id") ?? "", "proposal")
            return try await evidenceUpload(request, on: .proposal(id), dependencies.dialogue)
        }
        router.post("/v1/documents/{id}/evidence") { request, context in
            let id = try pathID(context.parameters.get("id") ?? "", "document")
            return try await evidenceUpload(request, on: .document(id), dependencies.dialogue)
        }
        router.get("/v1/dossiers/export.ftm") { request, _ in
            try await dossierExport(request, dependencies.dialogue, stallLimit: dependencies.exportStallLimit)
        }
        router.get("/v1/dossiers/custody.json") { request, _ in
            try await custodyManifest(request, dependencies.dialogue)
        }
        router.get("/v1/evidence/{id}/content") { _, context in
            try await evidenceContent(context.parameters.get("id") ?? "", dependencies.dialogue, stallLimit: dependencies.exportStallLimit)
        }
        try APIHandlers(dialogue: dependencies.dialogue, publicBaseURL: dependencies.publicBaseURL).registerHandlers(
            on: router,
            configuration: .init(dateTranscoder: RFC3339Transcoder(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]))
        return router
    }

    /// The application as `serve` runs it; `extending` adds routes beside the API's (the portal).
    public static func buildApplication(
        _ dependencies: APIDependencies, host: String, port: Int,
        extending: (Router<BasicRequestContext>) throws -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = try buildRouter(dependencies)
        try extending(router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            logger: dependencies.logger)
    }

    /// Ready means the database answers and every migration on disk is applied. The check is
    /// bounded so that a hung database makes /readyz fail fast rather than hang.
    static func readiness(_ dependencies: APIDependencies) async throws -> Response {
        let current: Bool? = await withTaskGroup(of: Bool?.self) { group in
            group.addTask { try? await dependencies.migrator.isCurrent(dependencies.dialogue.database) }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch current {
        case .some(true):
            return jsonResponse(.ok, ["status": "ready"])
        case .some(false):
            throw DomainError.unavailable("database migrations are not current")
        case .none:
            throw DomainError.unavailable("the database is not reachable")
        }
    }

    /// `GET /v1/exports/quarterly`: the same report as `dialogue-admin export quarterly`.
    static func exportResponse(_ request: Request, _ dialogue: Dialogue, stallLimit: Duration) async throws -> Response {
        let context = try await RequestScope.callContext(dialogue)
        let query = request.uri.queryParameters
        let known: Set<String> = ["quarter", "format", "direction", "audience", "table", "detail", "lang"]
        if let unknown = query.map({ String($0.key) }).first(where: { !known.contains($0) }) {
            throw DomainError.invalid(unknown, "is not a parameter of this export")
        }
        return try await quarterlyExportResponse(
            { query[Substring($0)].map(String.init) }, context: context, dialogue: dialogue, stallLimit: stallLimit, attachment: false)
    }

    /// Hands one chunk to the response writer, or gives up when the client has not taken it
    /// within `limit`: the export's transaction then ends and its connection returns to the pool.
    static func send(
        _ chunk: ByteBuffer, to channel: AsyncThrowingChannel<ByteBuffer, any Error>, within limit: Duration
    ) async throws {
        let taken = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { await channel.send(chunk); return true }
            group.addTask { try await Task.sleep(for: limit); return false }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !taken { throw DomainError.unavailable("the client stopped reading the export") }
    }

    /// The hash of the export's canonical JSON content, known once the body is written, so it
    /// is sent as a trailer (the JSON document and the HTML page also carry it in the body).
    static let exportHashTrailer = HTTPField.Name("X-Content-SHA256")!

    /// The liveness answer, made once: a prober calls it often.
    static let healthy = ByteBuffer(string: #"{"status":"ok"}"#)

    static func calendarResponse(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/calendar; charset=utf-8", .cacheControl: "private, no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? CanonicalJSON.encode(object)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
