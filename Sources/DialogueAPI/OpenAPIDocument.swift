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
    func allowedMethods(path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
        for operation in operations where operation.segments.count == segments.count {
            let matches = zip(operation.segments, segments).allSatisfy { template, actual in
                template == actual || (template.hasPrefix("{") && template.hasSuffix("}"))
            }
            if matches { return operation.methods }
        }
        return []
    }

    enum DocumentError: Error { case missing, notAnObject }
}
