#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A running program with live pipes, for conversations (the agent protocol over ssh or a
/// local agent) rather than one-shot runs: write requests, read replies with a deadline, kill
/// it when a link stalls. Spawned like `Subprocess.run` (posix_spawn, clean signal state, no
/// descriptor leaks). Standard error goes to a file so a chatty child never blocks on it.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let arguments: [String]
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private let stderrPath: String
    private var buffered: [UInt8] = []
    private var exitStatus: Int32?

    /// Starts `arguments` (searched in PATH) with `environment` added to this process's.
    public init(_ arguments: [String], environment: [String: String] = [:], stderrPath: String? = nil) throws(GSError) {
        guard !arguments.isEmpty else { throw GSError("no program to run") }
        self.arguments = arguments
        var inPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0 else {
            throw GSError("cannot create pipes: \(FileSystem.errnoText())")
        }
        for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let errPath = stderrPath ?? "/tmp/.gsctl-child-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err"
        self.stderrPath = errPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var merged = SpawnAttributes.currentEnvironment()
        for (key, value) in environment { merged[key] = value }
        let envp = merged.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let spawned = SpawnAttributes.with { attributes in
            posix_spawnp(&child, arguments[0], &actions, &attributes, argv, envp)
        }
        close(inPipe[0])
        close(outPipe[1])
        guard spawned == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            throw GSError("cannot run `\(arguments[0])`: \(FileSystem.errnoText(spawned))")
        }
        pid = child
        stdinFD = inPipe[1]
        stdoutFD = outPipe[0]
    }

    deinit {
        if stdinFD >= 0 { close(stdinFD) }
        if stdoutFD >= 0 { close(stdoutFD) }
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        }
        unlink(stderrPath)
    }

    /// Seconds on the monotonic clock.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Writes all of `bytes` or throws (the child exited or the deadline passed).
    public func write(_ bytes: UnsafeRawBufferPointer, deadline: Double) throws(GSError) {
        guard stdinFD >= 0 else { throw GSError("the connection's input is closed") }
        var offset = 0
        while offset < bytes.count {
            let remaining = deadline - Self.now()
            guard remaining > 0 else { throw GSError("timed out sending to `\(arguments[0])`") }
            var fds = [pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)]
            let ready = poll(&fds, 1, Int32(min(remaining * 1000, 60_000)) + 1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw GSError("cannot send to `\(arguments[0])`: \(FileSystem.errnoText())")
            }
            if ready == 0 { continue }
            let count = Glibc.write(stdinFD, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw GSError("the connection closed while sending (\(FileSystem.errnoText()))")
            }
            offset += count
        }
    }

    public func write(_ bytes: [UInt8], deadline: Double) throws(GSError) {
        var failure: GSError?
        bytes.withUnsafeBytes { raw in
            do throws(GSError) { try write(raw, deadline: deadline) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Closes the child's standard input (it sees end of file).
    public func closeInput() {
        if stdinFD >= 0 {
            close(stdinFD)
            stdinFD = -1
        }
    }

    /// Reads up to `max` bytes that are available, waiting until the deadline; empty at end of file.
    private func fill(deadline: Double) throws(GSError) -> Bool {
        guard stdoutFD >= 0 else { return false }
        while true {
            let remaining = deadline - Self.now()
            guard remaining > 0 else { throw GSError("timed out waiting for `\(arguments[0])`") }
            var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 1, Int32(min(remaining * 1000, 60_000)) + 1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw GSError("cannot read from `\(arguments[0])`: \(FileSystem.errnoText())")
            }
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return false
            }
            if count == 0 { return false }
            buffered += chunk[0..<count]
            return true
        }
    }

    /// The next line (without its newline), or nil at end of file.
    public func readLine(deadline: Double, limit: Int = 64 << 20) throws(GSError) -> String? {
        var searched = 0
        while true {
            if let newline = buffered[searched...].firstIndex(of: 10) {
                let line = String(decoding: buffered[0..<newline], as: UTF8.self)
                buffered.removeFirst(newline + 1)
                return line
            }
            searched = buffered.count
            guard buffered.count <= limit else {
                throw GSError("a reply from `\(arguments[0])` is longer than \(limit) bytes")
            }
            guard try fill(deadline: deadline) else { return nil }
        }
    }

    /// Exactly `count` bytes, or throws at end of file.
    public func readBytes(_ count: Int, deadline: Double) throws(GSError) -> [UInt8] {
        while buffered.count < count {
            guard try fill(deadline: deadline) else {
                throw GSError("the connection closed after \(buffered.count) of \(count) bytes")
            }
        }
        let result = Array(buffered[0..<count])
        buffered.removeFirst(count)
        return result
    }

    /// What the child wrote to standard error so far (last 4 KiB).
    public func errorText() -> String {
        let bytes = (try? FileSystem.read(stderrPath)) ?? []
        return String(decoding: bytes.suffix(4096), as: UTF8.self)
    }

    /// Waits for the child to exit, killing it at the deadline; its exit code (128+signal).
    @discardableResult
    public func wait(deadline: Double) -> Int32 {
        if let exitStatus { return exitStatus }
        closeInput()
        var status: Int32 = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0, errno != EINTR {
                status = 0
                break
            }
            if Self.now() >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                break
            }
            usleep(5_000)
        }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        exitStatus = code
        if stdoutFD >= 0 {
            close(stdoutFD)
            stdoutFD = -1
        }
        return code
    }

    /// Kills the child now (a stalled link) and reaps it.
    public func terminate() {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = wait(deadline: Self.now() + 5)
        }
    }
}
