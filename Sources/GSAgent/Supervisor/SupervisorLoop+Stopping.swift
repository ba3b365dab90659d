import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Stopping: a task's whole process group gets SIGTERM, then SIGKILL after the grace period,
/// so helpers a task started (shell pipelines, worker processes) never outlive it.
extension SupervisorLoop {
    /// Stops every task, dependents first, each given `stopGraceSeconds` to exit; blocks until
    /// they are gone. Their records are removed (nothing is left to adopt).
    public func stopAll() {
        for runtime in runtimes.reversed() { stop(runtime) }
        maintain(now: now())
    }

    /// Forgets the tasks without stopping them, as a supervisor killed with SIGKILL would: the
    /// next supervisor on this root adopts them. For tests and crash drills.
    public func abandon() {
        for runtime in runtimes { runtime.probe = nil }
        runtimes = []
        release = nil
    }

    func stop(_ runtime: Supervisor.TaskRuntime) {
        runtime.probe = nil
        defer {
            Supervisor.TaskRecord.remove(runtime.name, paths)
            statusChanged = true
        }
        guard let pid = runtime.pid else {
            if runtime.state != .succeeded, runtime.state != .failed { runtime.state = .stopped }
            return
        }
        event("stopping \(runtime.name) (pid \(pid))")
        let code = Self.terminateGroup(
            pid, grace: options.stopGraceSeconds,
            reaped: { () -> Int32?? in
                // The leader may be ours to reap; a foreign one counts as gone once /proc says so.
                self.reap(runtime)
            })
        runtime.forgetProcess()
        Supervisor.TaskCgroups.remove(root: paths.root, task: runtime.name)
        runtime.lastExit = code.map(Int.init)
        runtime.state = .stopped
        runtime.message = nil
    }

    /// SIGTERM to the group led by `pid`, waits for the leader and every member to be gone,
    /// SIGKILL at the deadline. Returns the leader's exit code when known.
    static func terminateGroup(_ pid: pid_t, grace: Double, reaped: () -> Int32??) -> Int32? {
        Supervisor.signalGroup(pid, SIGTERM)
        let deadline = ChildProcess.now() + grace
        var killed = false
        var leaderExit: Int32?? = nil
        while true {
            if leaderExit == nil { leaderExit = reaped() }
            if leaderExit != nil, Supervisor.ProcFS.members(of: pid).isEmpty { break }
            let now = ChildProcess.now()
            if now >= deadline {
                if killed, now >= deadline + 5 { break }  // unkillable (D state): give up waiting
                if !killed {
                    Supervisor.signalGroup(pid, SIGKILL)
                    killed = true
                }
            }
            usleep(10_000)
        }
        return leaderExit ?? nil
    }

    /// Kills the task to restart it (unhealthy, timed out); `step` escalates to SIGKILL after
    /// the grace period and applies the restart policy when it has exited.
    func terminate(_ runtime: Supervisor.TaskRuntime, reason: String, now: Double) {
        guard let pid = runtime.pid, runtime.killReason == nil else { return }
        runtime.killReason = reason
        runtime.probe = nil
        runtime.killAt = now + options.stopGraceSeconds
        runtime.message = reason
        event("\(runtime.name): \(reason); stopping it")
        Supervisor.signalGroup(pid, SIGTERM)
    }
}

extension Supervisor {
    /// Signals the process group led by `pid` (every task leads its own: it is spawned in a
    /// new session). Never the bare pid: once a task is gone its pid may name a stranger.
    static func signalGroup(_ pid: pid_t, _ signal: Int32) {
        guard pid > 1 else { return }
        kill(-pid, signal)
    }
}
