import Foundation

/// The development default: with `DATABASE_URL` unset, every command uses a private
/// PostgreSQL cluster inside the checkout, managed by `deploy/local-cluster.sh` (the same
/// script `make run`, `make test` and `make stop` use, so there is one way it is created).
public enum EmbeddedCluster {
    /// The checkout this process belongs to: `DIALOGUE_HOME`, else the first folder holding
    /// `deploy/local-cluster.sh` above the working directory or above the executable.
    public static func checkoutRoot() -> URL? {
        let fileManager = FileManager.default
        if let home = ProcessInfo.processInfo.environment["DIALOGUE_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home)
        }
        var starts = [URL(fileURLWithPath: fileManager.currentDirectoryPath)]
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        for start in starts {
            var folder = start.standardizedFileURL
            while true {
                if fileManager.isExecutableFile(atPath: folder.appendingPathComponent("deploy/local-cluster.sh").path) {
                    return folder
                }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        return nil
    }

    /// Creates the cluster on first use, starts it if stopped, and returns its URL.
    public static func ensureRunning() throws -> String {
        guard let root = checkoutRoot() else {
            throw ConfigurationError.missing(["DATABASE_URL (no checkout with deploy/local-cluster.sh found for the embedded default)"])
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("deploy/local-cluster.sh").path, "ensure"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let url = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !url.isEmpty
        else {
            throw ConfigurationError.invalid("embedded database", "deploy/local-cluster.sh ensure failed (see above)")
        }
        return url
    }
}
