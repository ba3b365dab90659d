import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// One process to start: what, where, with which environment and where its output goes.
    struct SpawnRequest {
        var arguments: [String]
        /// The complete environment (not added to ours).
        var environment: [String: String]
        /// Working directory; nil keeps ours.
        var directory: String?
        /// Standard output and error are appended here; nil sends them to /dev/null.
        var output: String?
        /// Own session and process group, so the whole tree can be signalled at once and a
        /// terminal's Ctrl-C or our own exit does not reach it.
        var newSession = true
    }

    /// Starts processes with posix_spawn (SWIFT_NOTES.md: no Foundation `Process`): an empty
    /// signal mask and default handlers in the child (so SIGTERM works even though we catch
    /// it), standard input from /dev/null, and no descriptor of ours left open in it.
    enum Spawner {
        private typealias AddChdir =
            @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

        /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29+), looked up at run time because
        /// the Glibc module hides GNU extensions; without it a small shell does the `cd`.
        private static let addChdir: AddChdir? = {
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return nil }
            return unsafeBitCast(symbol, to: AddChdir.self)
        }()

        /// Starts the process and returns its pid (with `newSession`, also its process group).
        static func spawn(_ request: SpawnRequest) throws(GSError) -> pid_t {
            guard let program = request.arguments.first else { throw GSError("no program to run") }
            guard let resolved = resolve(program, path: request.environment["PATH"]) else {
                throw GSError(
                    "cannot find `\(program)` in PATH", hint: "install it on the host or give its absolute path")
            }
            var arguments = request.arguments
            arguments[0] = resolved
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            if let directory = request.directory {
                if let addChdir {
                    _ = addChdir(&actions, directory)
                } else {
                    arguments =
                        ["/bin/sh", "-c", "cd -- \"$1\" || exit 127; shift; exec \"$@\"", "gsctl", directory]
                        + arguments
                }
            }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(
                &actions, 1, request.output ?? "/dev/null", O_WRONLY | O_APPEND | O_CREAT, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            let argv = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            let envp = request.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { for pointer in envp { free(pointer) } }
            var pid: pid_t = 0
            let failure = SpawnAttributes.with(newSession: request.newSession) { attributes in
                posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
            }
            guard failure == 0 else {
                throw GSError("cannot run `\(program)`: \(FileSystem.errnoText(failure))")
            }
            return pid
        }

        /// `program` itself when it holds a `/`, else the first executable of that name in `path`.
        static func resolve(_ program: String, path: String?) -> String? {
            if program.contains("/") { return program }
            let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
            for directory in directories {
                let candidate = FileSystem.join(String(directory), program)
                if FileSystem.kind(of: candidate) == .file, access(candidate, X_OK) == 0 { return candidate }
            }
            return nil
        }

        /// A wait status as one number: the exit code, or 128 + the signal that killed it.
        static func exitCode(_ status: Int32) -> Int32 {
            (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
    }
}
