import DialogueCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import Synchronization

/// The outermost middleware: gives every request an id, turns every error into a problem
/// document, and records one log line and the metrics per request. It logs no client address
/// and no user agent (SECURITY.md 4), and labels metrics by route template, never by id.
struct ObservationMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPMetrics
    let document: OpenAPIDocument
    let logger: Logger
    /// Set only when a trusted proxy reports client addresses and the operator chose to log them.
    var clientAddressHeader: HTTPField.Name? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestID = RequestScope.requestID(from: request.headers[.xRequestID])
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await RequestScope.$current.withValue(RequestScope(requestID: requestID)) {
                try await next(request, context)
            }
        } catch {
            response = Problems.response(
                for: error, requestID: requestID, allowedMethods: document.allowedMethods(path: request.uri.path),
                logger: logger)
        }
        response.headers[.xRequestID] = requestID
        // Responses that set no policy of their own (the JSON API, exports, feeds) get the
        // strict one here, not from a proxy: a proxy's header would be added to the portal's
        // own and tighten it past use (its stylesheet, its same-origin Referer for CSRF checks).
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
        }
        if response.headers[HTTPField.Name.referrerPolicy] == nil { response.headers[HTTPField.Name.referrerPolicy] = "no-referrer" }
        if response.headers[.xContentTypeOptions] == nil { response.headers[.xContentTypeOptions] = "nosniff" }
        // The OpenAPI runtime percent-encodes header values it writes ("%221%22" for "1");
        // the headers we document carry no '%' of their own, so decoding restores them.
        for name in [HTTPField.Name.eTag, .location] {
            if let value = response.headers[name], value.utf8.contains(UInt8(ascii: "%")) {
                response.headers[name] = PercentDecoding.decode(value) ?? value
            }
        }
        let elapsed = ContinuousClock.now - started
        let route = context.endpointPath ?? "unmatched"
        metrics.record(method: request.method.rawValue, route: route, status: response.status.code, duration: elapsed)
        // The line's fields are made only for a line that is written: at `warning` a request
        // that went well costs none of them.
        let level: Logger.Level = response.status.code >= 500 ? .error : .info
        guard logger.logLevel <= level else { return response }
        var metadata: Logger.Metadata = [
            "request_id": "\(requestID)", "method": "\(request.method.rawValue)", "route": "\(route)",
            "status": "\(response.status.code)", "ms": "\(Self.milliseconds(elapsed))",
        ]
        if let clientAddressHeader, let forwarded = request.headers[clientAddressHeader] {
            // The last hop is the one the trusted proxy added; earlier ones are client-supplied.
            let client = forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            metadata["client"] = "\(client.prefix(64))"
        }
        logger.log(level: level, "request", metadata: metadata)
        return response
    }

    /// "12.34": a duration in milliseconds to two places, without `String(format:)`'s printf
    /// on every request.
    static func milliseconds(_ duration: Duration) -> String {
        let hundredths = duration.components.seconds * 100_000 + duration.components.attoseconds / 10_000_000_000_000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// Request counters and latency histograms, exposed at /metrics.
struct HTTPMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// Each label set's counter and histogram, made once: the registry's `make…` takes its lock
    /// and hashes the name and labels, and a histogram's buckets were an array per request.
    private let recorders = Recorders()

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func record(method: String, route: String, status: Int, duration: Duration) {
        // A client may send any token as a method; each would be a series kept for good.
        let method = Self.methods.contains(method) ? method : "other"
        let key = Recorders.Key(method: method, route: route, status: status)
        let (counter, histogram) = recorders.storage.withLock { known in
            if let found = known[key] { return found }
            let made = (
                registry.makeCounter(
                    name: "dialogue_http_requests_total", labels: [("method", method), ("route", route), ("status", String(status))]),
                registry.makeDurationHistogram(
                    name: "dialogue_http_request_duration_seconds", labels: [("method", method), ("route", route)],
                    buckets: Self.buckets))
            known[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    /// Routes are templates and methods and statuses few, so the table stays small.
    final class Recorders: Sendable {
        struct Key: Hashable, Sendable {
            var method: String
            var route: String
            var status: Int
        }

        let storage = Mutex<[Key: (Counter, DurationHistogram)]>([:])
    }

    func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
