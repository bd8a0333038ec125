import Foundation

/// Files that hold people's names or the whole database (reports, backups, manifests) are
/// readable by the operator alone: created empty with mode 0600 before anything is written,
/// and brought to 0600 if they already existed.
public enum PrivateFile {
    public static func create(atPath path: String, field: String = "out") throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw DomainError.invalid(field, "cannot write \(path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
