/// What an asynchronous body gave, its error included: for work run beside other work and
/// awaited to its end whatever the other gives.
func outcome<Value>(_ body: () async throws -> Value) async -> Result<Value, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
