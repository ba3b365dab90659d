#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// What every posix_spawn of gsctl's gives its child (SWIFT_NOTES.md: no Foundation
/// `Process`), in one place for `Subprocess`, `ChildProcess` and the agent's supervisor.
public enum SpawnAttributes {
    /// glibc's `POSIX_SPAWN_SETSID` (2.26+), which the Glibc module does not export.
    public static let setSessionFlag: Int32 = 0x80

    /// Runs `body` with spawn attributes that start the child with an empty signal mask and
    /// every signal at its default action. gsctl catches SIGTERM and SIGINT itself, and a
    /// child that inherited that would ignore the very signals that stop it (ssh, git, a
    /// task). `newSession` also gives the child a session and process group of its own.
    public static func with<Result>(
        newSession: Bool = false, _ body: (inout posix_spawnattr_t) -> Result
    ) -> Result {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= setSessionFlag }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        return body(&attributes)
    }

    /// This process's environment as a dictionary (for a child's, which may add to it).
    public static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return result
    }
}
