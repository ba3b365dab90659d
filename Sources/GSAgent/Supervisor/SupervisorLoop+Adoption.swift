import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Adoption: a supervisor that restarts (crash, upgrade, SIGKILL) finds the processes its
/// predecessor started, by their records, and watches them instead of starting second copies.
extension SupervisorLoop {
    /// Takes over the current release's tasks that still run (same pid, same /proc start time,
    /// same release) or that finished (a job's recorded exit), and stops everything else the
    /// records name: tasks of another release, or of none.
    func adopt() {
        let now = now()
        var kept: Set<String> = []
        if let release {
            for runtime in runtimes {
                guard let record = Supervisor.TaskRecord.read(paths.taskRecord(runtime.name)),
                    record.release == release.directory
                else { continue }
                runtime.restarts = record.restarts
                let elapsed = max(0, Double(Int(time(nil)) - record.startedAt))
                if let exit = record.exit {
                    runtime.lastExit = exit
                    runtime.state = exit == 0 ? .succeeded : .failed
                    runtime.message = exit == 0 ? nil : "exited with \(exit) (before the supervisor restarted)"
                    kept.insert(runtime.name)
                } else if Supervisor.ProcFS.isAlive(record.pid, startTime: record.startTime) {
                    var status: Int32 = 0
                    runtime.pid = record.pid
                    runtime.startTime = record.startTime
                    // Still ours when the previous supervisor was this very process (tests).
                    runtime.isChild = waitpid(record.pid, &status, WNOHANG) == 0
                    runtime.startedAt = record.startedAt
                    runtime.startedClock = now - elapsed
                    runtime.cpuCap = Supervisor.CPUQuota.cap(of: record.pid, root: paths.root, task: runtime.name)
                    runtime.memoryCap = Supervisor.MemoryLimit.cap(of: record.pid, root: paths.root, task: runtime.name)
                    runtime.memoryKillsAtStart = Supervisor.MemoryLimit.kills(root: paths.root, task: runtime.name)
                    runtime.state = runtime.task.mode == .job ? .running : .starting
                    runtime.nextProbeAt = max(
                        now, runtime.startedClock + (runtime.task.health?.initialDelaySeconds ?? 0))
                    runtime.nextReadyCheckAt = max(now, runtime.startedClock + options.readyAfterSeconds)
                    runtime.message = "adopted from an earlier supervisor"
                    kept.insert(runtime.name)
                    event("adopted \(runtime.name) (pid \(record.pid))")
                } else if runtime.task.mode == .job, let code = exitFileCode(runtime) {
                    // Finished while no supervisor watched: its wrapper left the status.
                    runtime.startedAt = record.startedAt
                    runtime.startedClock = now - elapsed
                    exited(runtime, code: code, now: now)
                    kept.insert(runtime.name)
                }
            }
        }
        stopStrays(keeping: kept)
    }

    /// Stops the recorded processes of tasks not in `kept` and removes their records.
    func stopStrays(keeping kept: Set<String>) {
        for record in Supervisor.TaskRecord.all(paths) where !kept.contains(record.task) {
            if record.isAlive {
                event("stopping \(record.task) (pid \(record.pid)), left running by an earlier supervisor")
                _ = Self.terminateGroup(
                    record.pid, grace: options.stopGraceSeconds,
                    reaped: { () -> Int32?? in
                        var status: Int32 = 0
                        if waitpid(record.pid, &status, WNOHANG) == record.pid {
                            return .some(Supervisor.Spawner.exitCode(status))
                        }
                        return Supervisor.ProcFS.isAlive(record.pid, startTime: record.startTime) ? nil : .some(nil)
                    })
            }
            Supervisor.TaskRecord.remove(record.task, paths)
        }
    }
}

/// Status: resource samples, log rotation and the status file, about once a second.
extension SupervisorLoop {
    func maintain(now: Double) {
        lastStatusWrite = now
        statusChanged = false
        sampleUsage(now: now)
        for runtime in runtimes {
            Supervisor.LogRotation.rotateIfNeeded(
                paths.log(runtime.name), limit: options.logLimitBytes, keep: options.logKeep, inUse: runtime.isActive)
        }
        // Our own log, when we run detached (`Supervisor.start` points our output at it).
        Supervisor.LogRotation.rotateIfNeeded(
            paths.supervisorLog, limit: options.logLimitBytes, keep: options.logKeep, inUse: true)
        writeStatus()
    }

    /// Writes `ROOT/run/supervisor.json` now (atomically: readers never see half a file).
    public func writeStatus() {
        do throws(GSError) {
            try FileSystem.writeAtomically(status.json.pretty, to: paths.status)
        } catch {
            options.events?("cannot write the status: \(error.message)")
        }
    }

    /// CPU and memory summed over each task's process group (its helpers count too). Where
    /// `memoryMB` is not a cgroup limit (an unprivileged agent), a task over it is stopped and
    /// restarted by its policy: sampled about once a second, so a spike shorter than that goes
    /// unseen. Where it is, a task whose helper the kernel killed at the limit while its main
    /// process lives on is restarted the same way, rather than left running without it.
    func sampleUsage(now: Double) {
        guard runtimes.contains(where: \.isActive) else { return }
        var groups: [pid_t: [Supervisor.ProcessSample]] = [:]
        for sample in Supervisor.ProcFS.all() where sample.isLiving { groups[sample.group, default: []].append(sample) }
        for runtime in runtimes {
            guard let pid = runtime.pid else { continue }
            let members = groups[pid] ?? []
            let ticks = members.reduce(UInt64(0)) { $0 + $1.cpuTicks }
            if let last = runtime.lastTicks, now > runtime.lastSampleAt {
                let seconds = Double(ticks >= last ? ticks - last : 0) / Supervisor.ProcFS.ticksPerSecond
                runtime.cpuPercent = (seconds / (now - runtime.lastSampleAt) * 1000).rounded() / 10
            }
            runtime.lastTicks = ticks
            runtime.lastSampleAt = now
            let residentKB = members.reduce(0) { $0 + (Supervisor.ProcFS.residentKB($1.pid) ?? 0) }
            runtime.rssKB = residentKB
            if runtime.memoryCap != nil {
                // The main process still living: a killed helper (a dead leader is for `reap`).
                if runtime.killedAtMemoryLimit(paths), Supervisor.ProcFS.isAlive(pid, startTime: runtime.startTime) {
                    terminate(
                        runtime,
                        reason: Supervisor.MemoryLimit.killReason(megabytes: runtime.task.memoryMB ?? 0)
                            + " (one of its processes)", now: now)
                }
            } else if let limit = runtime.task.memoryMB, residentKB > limit * 1024 {
                terminate(
                    runtime,
                    reason: "resident memory \(residentKB / 1024) MiB is over its limit (resources.memoryMB: \(limit))",
                    now: now)
            }
        }
    }
}
