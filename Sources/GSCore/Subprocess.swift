#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Runs a program and collects its output, with posix_spawn rather than Foundation's
/// Process: an empty signal mask and default signal handlers in the child (so ssh and git
/// react to SIGTERM), stdout and stderr drained together with poll (no deadlock past 64 KiB
/// of output), and safe to call from several threads (SWIFT_NOTES.md).
public enum Subprocess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]

        public init(status: Int32, stdout: [UInt8], stderr: [UInt8]) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }

        public var text: String { String(decoding: stdout, as: UTF8.self) }
        public var errorText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Runs `arguments[0]` (searched in PATH) with `arguments[1...]`, feeding `input` to its
    /// standard input. (To run elsewhere, use the program's own option, such as `git -C`.)
    public static func run(_ arguments: [String], input: [UInt8] = []) throws(GSError) -> Output {
        guard !arguments.isEmpty else { throw GSError("no program to run") }
        var stdinPipe: [Int32] = [0, 0]
        var stdoutPipe: [Int32] = [0, 0]
        var stderrPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else {
            throw GSError("cannot create pipes: \(FileSystem.errnoText())")
        }
        // No end may leak into another child spawned at the same time (dup2 onto 0, 1, 2
        // clears the flag for the child's own copies).
        for fd in stdinPipe + stdoutPipe + stderrPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = SpawnAttributes.with { attributes in
            posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        }
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard spawned == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw GSError("cannot run `\(arguments[0])`: \(FileSystem.errnoText(spawned))")
        }
        // Feed input, then drain both outputs until they close.
        var offset = 0
        while offset < input.count {
            let written = input.withUnsafeBytes { write(stdinPipe[1], $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                break
            }
            offset += written
        }
        close(stdinPipe[1])
        var out: [UInt8] = []
        var err: [UInt8] = []
        var fds = [
            pollfd(fd: stdoutPipe[0], events: Int16(POLLIN), revents: 0),
            pollfd(fd: stderrPipe[0], events: Int16(POLLIN), revents: 0),
        ]
        var open = 2
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open > 0 {
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if i == 0 { out += buffer[0..<count] } else { err += buffer[0..<count] }
                } else if count == 0 || errno != EINTR {
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Output(status: exit, stdout: out, stderr: err)
    }
}
