import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// Creates the cluster on first use, starts it if stopped, and returns the URLs of its
    /// owner (who runs migrations) and of the service's least-privileged login.
    public static func ensureRunning() throws -> (owner: String, service: String) {
        guard let root = checkoutRoot() else {
            throw ConfigurationError.missing(["DATABASE_URL (no checkout with deploy/local-cluster.sh found for the embedded default)"])
        }
        let (status, data) = try runCapturingStdout(
            "/bin/bash", [root.appendingPathComponent("deploy/local-cluster.sh").path, "ensure"])
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        guard status == 0, lines.count == 2 else {
            throw ConfigurationError.invalid("embedded database", "deploy/local-cluster.sh ensure failed (see above)")
        }
        return (lines[0], lines[1])
    }

    /// Runs a program with stdout captured and stderr passed through. Foundation's
    /// `Process.waitUntilExit` can hang on Linux when called from a concurrency thread, so this
    /// spawns and reaps the child itself.
    public static func runCapturingStdout(
        _ executable: String, _ arguments: [String], environment extra: [String: String] = [:]
    ) throws -> (Int32, Data) {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw ConfigurationError.invalid("embedded database", "pipe() failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addclose(&actions, pipe[1])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        let envp = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(pipe[1])
        guard spawned == 0 else {
            close(pipe[0])
            throw ConfigurationError.invalid("embedded database", "could not start \(executable)")
        }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe[0], &buffer, buffer.count)
            if count > 0 { output.append(contentsOf: buffer[0..<count]) } else if count == 0 || errno != EINTR { break }
        }
        close(pipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitCode, output)
    }
}
