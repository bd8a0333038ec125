import Foundation

extension Dialogue {
    /// The six directions; any authenticated caller may read them.
    public func listDirections(_ context: CallContext) async throws -> [Direction] {
        try await database.read { connection in
            let rows = try await connection.query(
                "SELECT slug, name, description, position FROM directions ORDER BY position", logger: logger)
            var directions: [Direction] = []
            for try await (slug, name, description, position) in rows.decode((String, String, String, Int).self) {
                directions.append(Direction(slug: slug, name: name, description: description, position: position))
            }
            return directions
        }
    }
}
