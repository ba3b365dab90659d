import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The workflow supervisor of a host (`gsctl agent supervise --root ROOT`): runs the tasks of
/// the release `ROOT/current` names, in `needs` order, keeps services up with backoff and
/// health probes, runs jobs to completion, and reports in `ROOT/run/supervisor.json`.
///
/// One per root (an flock), free of threads (one loop polls everything), and restartable
/// without touching the tasks: they live in their own sessions and are adopted by the next
/// supervisor. SIGHUP re-reads `current`; SIGTERM or SIGINT stops the tasks and exits.
public enum Supervisor {
    public enum RunOutcome: Sendable, Equatable {
        /// Stopped by SIGTERM or SIGINT after stopping its tasks.
        case stopped
        /// Another supervisor holds this root (its pid when known); nothing was done.
        case alreadyRunning(pid: Int32?)
    }

    /// Runs the supervisor in this process until SIGTERM or SIGINT. A second instance for the
    /// same root returns `.alreadyRunning` at once (after saying so on standard error).
    @discardableResult
    public static func run(root: String, options: SupervisorLoop.Options? = nil) throws(GSError) -> RunOutcome {
        let paths = SupervisorPaths(root: root)
        try paths.prepare()
        guard let lock = try InstanceLock.acquire(paths) else {
            let holder = InstanceLock.holder(paths)
            let who = holder.map { " (pid \($0))" } ?? ""
            fputs("gsctl: a supervisor already runs for \(paths.root)\(who); nothing to do\n", stderr)
            return .alreadyRunning(pid: holder)
        }
        Signals.install()
        var options = options ?? SupervisorLoop.Options()
        if options.events == nil { options.events = { line in logLine(line) } }
        let loop = try SupervisorLoop(root: paths.root, options: options)
        loop.event("supervisor \(getpid()) started for \(paths.root)")
        loop.reload()
        while true {
            let signals = Signals.take()
            if signals.stop { break }
            if signals.reload {
                loop.event("SIGHUP: reading `current` again")
                loop.reload()
            }
            loop.step()
            usleep(100_000)  // a signal cuts it short
        }
        loop.event("stopping (signal)")
        loop.stopAll()
        withExtendedLifetime(lock) {}
        return .stopped
    }

    /// One timestamped line on standard error (the supervisor's log when it runs detached).
    static func logLine(_ text: String) {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        let stamp = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fputs("\(stamp) \(text)\n", stderr)
    }
}
