import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Control of a root's supervisor from other processes (the agent, `gsctl status`): start it
/// detached, signal it, stop it and its tasks, read its status.
extension Supervisor {
    /// The status file, or nil when there is none (or it cannot be read).
    public static func readStatus(root: String) -> SupervisorStatus? {
        let path = SupervisorPaths(root: root).status
        guard let bytes = try? FileSystem.read(path, limit: 16 << 20),
            let json = try? JSONParser.parse(bytes, what: "`\(path)`")
        else { return nil }
        return try? SupervisorStatus(json: json, what: "`\(path)`")
    }

    /// The running supervisor's pid (0: running, pid not yet written); nil when none runs.
    public static func runningPID(root: String) -> Int32? {
        InstanceLock.holder(SupervisorPaths(root: root))
    }

    public static func isRunning(root: String) -> Bool { runningPID(root: root) != nil }

    /// Starts `gsctl agent supervise --root ROOT` detached, with this very binary as gsctl.
    public static func start(root: String) throws(GSError) {
        try start(root: root, executable: currentExecutable())
    }

    /// Starts `executable agent supervise --root ROOT` detached unless one already runs.
    public static func start(root: String, executable: String) throws(GSError) {
        let paths = SupervisorPaths(root: root)
        try start(root: paths.root, command: [executable, "agent", "supervise", "--root", paths.root])
    }

    /// Starts `command` as the supervisor of `root`, detached (own session, standard input
    /// from /dev/null, output appended to `ROOT/logs/supervisor.log`, working directory `/`),
    /// unless one already runs. Returns once its status shows its pid, or after a few seconds.
    public static func start(root: String, command: [String], environment: [String: String] = [:]) throws(GSError) {
        let paths = SupervisorPaths(root: root)
        try paths.prepare()
        if isRunning(root: paths.root) { return }
        var merged = SpawnAttributes.currentEnvironment()
        for (key, value) in environment { merged[key] = value }
        let pid = try Spawner.spawn(
            SpawnRequest(arguments: command, environment: merged, directory: "/", output: paths.supervisorLog))
        let deadline = ChildProcess.now() + 5
        while ChildProcess.now() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let code = Spawner.exitCode(status)
                if code == 0 { return }  // another one won the lock meanwhile
                throw GSError(
                    "the supervisor for `\(paths.root)` exited with \(code) as it started",
                    hint: "see `\(paths.supervisorLog)`: \(logTail(paths.supervisorLog))")
            }
            if runningPID(root: paths.root) == pid, readStatus(root: paths.root)?.pid == pid { return }
            usleep(20_000)
        }
    }

    /// Makes the running supervisor read `current` again (SIGHUP), or starts one with this
    /// very binary as gsctl.
    public static func reload(root: String) throws(GSError) {
        try reload(root: root, executable: currentExecutable())
    }

    /// Makes the running supervisor read `current` again (SIGHUP), or starts one.
    public static func reload(root: String, executable: String) throws(GSError) {
        let paths = SupervisorPaths(root: root)
        try reload(root: paths.root, command: [executable, "agent", "supervise", "--root", paths.root])
    }

    public static func reload(root: String, command: [String], environment: [String: String] = [:]) throws(GSError) {
        if let pid = runningPID(root: root), pid > 0, kill(pid, SIGHUP) == 0 { return }
        try start(root: root, command: command, environment: environment)
    }

    /// Stops the supervisor (SIGTERM: it stops its tasks, dependents first) and waits, up to
    /// `timeoutSeconds`, until it and every task process recorded under the root are gone;
    /// what remains then is killed. Also cleans up after a supervisor that was killed.
    public static func stop(root: String, timeoutSeconds: Double = 60) throws(GSError) {
        let paths = SupervisorPaths(root: root)
        let deadline = ChildProcess.now() + timeoutSeconds
        if let pid = runningPID(root: paths.root) {
            if pid > 0 { kill(pid, SIGTERM) }
            while isRunning(root: paths.root), ChildProcess.now() < deadline {
                var status: Int32 = 0
                if pid > 0 { _ = waitpid(pid, &status, WNOHANG) }  // ours when we started it
                usleep(20_000)
            }
            if pid > 0, isRunning(root: paths.root) {
                kill(pid, SIGKILL)
                usleep(50_000)
            }
            var status: Int32 = 0
            if pid > 0 { _ = waitpid(pid, &status, WNOHANG) }
        }
        // Tasks whose supervisor died without stopping them.
        for record in TaskRecord.all(paths) {
            if record.isAlive {
                _ = SupervisorLoop.terminateGroup(
                    record.pid, grace: max(0.5, min(5, deadline - ChildProcess.now())),
                    reaped: { () -> Int32?? in
                        var status: Int32 = 0
                        if waitpid(record.pid, &status, WNOHANG) == record.pid {
                            return .some(Spawner.exitCode(status))
                        }
                        return ProcFS.isAlive(record.pid, startTime: record.startTime) ? nil : .some(nil)
                    })
            }
            TaskRecord.remove(record.task, paths)
        }
        if isRunning(root: paths.root) {
            throw GSError(
                "the supervisor for `\(paths.root)` did not stop", hint: "see `\(paths.supervisorLog)`")
        }
    }

    /// This process's binary (`/proc/self/exe`): the agent starts its supervisor from itself.
    static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments.first ?? "gsctl" }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The last lines of a log, for error hints.
    static func logTail(_ path: String) -> String {
        let bytes = (try? FileSystem.read(path)) ?? []
        let lines = String(decoding: bytes.suffix(2048), as: UTF8.self).split(separator: "\n").suffix(5)
        return lines.isEmpty ? "(empty)" : lines.joined(separator: " | ")
    }
}
