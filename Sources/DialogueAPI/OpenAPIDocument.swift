import Foundation
import Yams

/// The contract, loaded once: served as JSON at /openapi.json and used to answer 405 with the
/// methods a path does support.
struct OpenAPIDocument: Sendable {
    let json: Data
    private let operations: [(segments: [String], methods: [String])]

    static let httpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    init(yaml: String) throws {
        guard let tree = try Yams.load(yaml: yaml) as? [String: Any] else {
            throw DocumentError.notAnObject
        }
        json = try JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys, .withoutEscapingSlashes])
        let paths = tree["paths"] as? [String: Any] ?? [:]
        operations = paths.map { path, item in
            let methods = (item as? [String: Any] ?? [:]).keys.filter { Self.httpMethods.contains($0) }
            return (path.split(separator: "/").map(String.init), methods.map { $0.uppercased() }.sorted())
        }
    }

    static func bundled() throws -> OpenAPIDocument {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw DocumentError.missing
        }
        return try OpenAPIDocument(yaml: String(contentsOf: url, encoding: .utf8))
    }

    /// The methods the contract defines for a concrete path, e.g. `/v1/organizations/abc`.
    /// Where several templates match (`/v1/sessions/schedule-quarterly` and `/v1/sessions/{id}`,
    /// `{id}.ics` and `{id}`), the most literal one is the path's, as the router decides.
    func allowedMethods(path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
        var best: (literal: Int, methods: [String])?
        for operation in operations where operation.segments.count == segments.count {
            var literal = 0
            let matches = zip(operation.segments, segments).allSatisfy { template, actual in
                if template == actual { literal += actual.count; return true }
                guard let open = template.firstIndex(of: "{"), let close = template.firstIndex(of: "}") else { return false }
                let prefix = template[..<open], suffix = template[template.index(after: close)...]
                guard actual.count > prefix.count + suffix.count, actual.hasPrefix(prefix), actual.hasSuffix(suffix) else {
                    return false
                }
                literal += prefix.count + suffix.count
                return true
            }
            if matches, literal > (best?.literal ?? -1) { best = (literal, operation.methods) }
        }
        return best?.methods ?? []
    }

    enum DocumentError: Error { case missing, notAnObject }
}
