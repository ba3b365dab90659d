import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// One-shot runs with a deadline, for transports: a dead link must fail a command within its
/// timeout, never hang it. Built on `ChildProcess` (posix_spawn, clean signal state, kill at the
/// deadline). The child's standard output and error go to files in a private directory, so
/// feeding a large input can never deadlock against a child that writes while it reads, and
/// output without a final newline comes back whole.
enum BoundedRun {
    /// What to feed the child's standard input.
    enum Input {
        case bytes([UInt8])
        /// A file's bytes, streamed in chunks (never all in memory).
        case file(String)
    }

    struct Result {
        var output: Subprocess.Output
        /// The deadline passed and the child was killed.
        var timedOut: Bool
        /// Feeding the input failed (the child exited or closed its input first).
        var sendFailure: GSError?
    }

    /// Runs `arguments` (searched in PATH), killing it `timeout` seconds from now.
    static func run(_ arguments: [String], input: Input, timeout: Double) throws(GSError) -> Result {
        guard !arguments.isEmpty else { throw GSError("no command to run") }
        let scratch = try makePrivateDirectory()
        defer { FileSystem.removeTree(scratch) }
        let outPath = FileSystem.join(scratch, "out")
        let errPath = FileSystem.join(scratch, "err")
        let deadline = ChildProcess.now() + max(timeout, 0)
        // The shell sends the program's output to the file and becomes the program (same pid,
        // so the deadline's kill reaches it).
        let child = try ChildProcess(
            ["/bin/sh", "-c", "exec \"$@\" >\"$0\"", outPath] + arguments, stderrPath: errPath)
        var sendFailure: GSError?
        do throws(GSError) {
            try withBrokenPipeAsError { () throws(GSError) in
                switch input {
                case .bytes(let bytes):
                    if !bytes.isEmpty { try child.write(bytes, deadline: deadline) }
                case .file(let path):
                    try stream(path, to: child, deadline: deadline)
                }
            }
        } catch {
            sendFailure = error
        }
        child.closeInput()
        let status = child.wait(deadline: deadline)
        let timedOut = ChildProcess.now() >= deadline
        let stdout = (try? FileSystem.read(outPath)) ?? []
        let stderr = (try? FileSystem.read(errPath)) ?? []
        return Result(
            output: try makeOutput(status: status, stdout: stdout, stderr: stderr), timedOut: timedOut,
            sendFailure: sendFailure)
    }

    private static func makeOutput(status: Int32, stdout: [UInt8], stderr: [UInt8]) throws(GSError)
        -> Subprocess.Output
    {
        Subprocess.Output(status: status, stdout: stdout, stderr: stderr)
    }

    private static func stream(_ path: String, to child: ChildProcess, deadline: Double) throws(GSError) {
        let file = try ReadOnlyFile(path: path)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = try file.read(into: chunk)
            if count == 0 { return }
            try child.write(UnsafeRawBufferPointer(rebasing: chunk[0..<count]), deadline: deadline)
        }
    }

    /// A new directory only this user can enter (mkdtemp), for the run's output files.
    private static func makePrivateDirectory() throws(GSError) -> String {
        var template = Array("/tmp/gsctl-run-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else { throw GSError("cannot create a temporary directory in /tmp: \(FileSystem.errnoText())") }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Runs `body` with SIGPIPE blocked in this thread, so that writing to a child that has exited
/// fails with EPIPE instead of killing gsctl; a SIGPIPE raised meanwhile is consumed, not
/// delivered later. (SIGPIPE from a write goes to the writing thread.)
func withBrokenPipeAsError<T>(_ body: () throws(GSError) -> T) throws(GSError) -> T {
    var pipeOnly = sigset_t()
    sigemptyset(&pipeOnly)
    sigaddset(&pipeOnly, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous)
    defer {
        if sigismember(&previous, SIGPIPE) == 0 {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var now = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipeOnly, nil, &now)
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
    return try body()
}
