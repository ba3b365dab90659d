import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Scratch directories for tests. They live under one folder per test process, which is
/// removed when the process exits: a test that stops half-way (a failed `#require`, a thrown
/// error) or keeps its directory for a later step leaves nothing behind in the temporary
/// directory, run after run.
public enum ScratchDirectory {
    /// `<tmp>/gsctl-t<pid>`: short, since agents and hosts nest paths under it.
    static let root: String = {
        let path = NSTemporaryDirectory() + "gsctl-t\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { ScratchDirectory.removeRoot() }
        return path
    }()

    /// A fresh, empty directory named `<prefix>-<uuid>` under this process's folder.
    public static func make(_ prefix: String) -> String {
        let path = root + "/\(prefix)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func removeRoot() {
        // Read-only files (host releases are installed read-only) would stop the removal.
        if let walker = FileManager.default.enumerator(atPath: root) {
            while let relative = walker.nextObject() as? String { chmod(root + "/" + relative, 0o755) }
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}
