import Foundation
import Yams

/// The contract, loaded once: served as JSON at /openapi.json and used to answer 405 with the
/// methods a path does support.
struct OpenAPIDocument: Sendable {
    let json: Data
    private let operations: [(segments: [String], methods: [String])]
    /// Per path template and method: the request-body properties that may not be null.
    private let notNullable: [String: Set<String>]

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
        let schemas = (tree["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        func resolve(_ schema: [String: Any]) -> [String: Any] {
            guard let ref = schema["$ref"] as? String, let name = ref.split(separator: "/").last,
                let target = schemas[String(name)] as? [String: Any]
            else { return schema }
            return resolve(target)
        }
        var notNullable: [String: Set<String>] = [:]
        for (path, item) in paths {
            for (method, raw) in item as? [String: Any] ?? [:] {
                let body = ((raw as? [String: Any])?["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                guard let schema = (body?["application/json"] as? [String: Any])?["schema"] as? [String: Any] else { continue }
                let properties = resolve(schema)["properties"] as? [String: Any] ?? [:]
                notNullable["\(method.uppercased()) \(path)"] = Set(properties.compactMap { name, property in
                    let types = (property as? [String: Any]).map { resolve($0)["type"] }
                    let nullable = (types as? [String])?.contains("null") ?? false
                    return nullable ? nil : name
                })
            }
        }
        self.notNullable = notNullable
    }

    /// The request-body properties of this request that the contract does not let be null.
    /// The generated decoder reads an explicit null as absent, so it is refused before it.
    func notNullableProperties(method: String, path: String) -> Set<String> {
        guard let template = template(for: path) else { return [] }
        return notNullable["\(method) \(template)"] ?? []
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
        bestMatch(path)?.methods ?? []
    }

    private func template(for path: String) -> String? {
        bestMatch(path).map { "/" + $0.segments.joined(separator: "/") }
    }

    private func bestMatch(_ path: String) -> (segments: [String], methods: [String])? {
        let segments = path.split(separator: "/").map(String.init)
        var best: (literal: Int, operation: (segments: [String], methods: [String]))?
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
            if matches, literal > (best?.literal ?? -1) { best = (literal, operation) }
        }
        return best?.operation
    }

    enum DocumentError: Error { case missing, notAnObject }
}
