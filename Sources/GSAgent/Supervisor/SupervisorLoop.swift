import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The supervisor's core, one iteration at a time: `step()` reaps exited tasks, starts those
/// whose `needs` are ready (or whose backoff is over), advances probes, and writes status.
///
/// A class that owns processes, driven from outside: `Supervisor.run` calls `step()` ten
/// times a second and turns signals into `reload()` and `stopAll()`; tests drive it directly,
/// and run two in a row on one root to check that the second adopts what the first started.
public final class SupervisorLoop {
    public struct Options: Sendable {
        /// A service without a probe is ready once alive this long (and its port answers).
        public var readyAfterSeconds: Double = 1
        /// Between SIGTERM and SIGKILL when stopping a task.
        public var stopGraceSeconds: Double = 5
        /// How often the status file is rewritten (and logs checked for rotation).
        public var statusIntervalSeconds: Double = 1
        /// A task log over this size is rotated.
        public var logLimitBytes: Int = 1 << 20
        /// Rotated logs kept (`.1` ... `.N`).
        public var logKeep: Int = 3
        /// A process that ran this long before exiting restarts with the initial backoff again.
        public var stableSeconds: Double = 10
        /// Whether `resources` become hard limits in cgroups where the agent may create them;
        /// false leaves the CPU grant advisory and the memory limit sampled.
        public var cgroups = true
        /// Receives one line per event (start, exit, restart, adoption, release switch).
        public var events: (@Sendable (String) -> Void)?

        public init() {}
    }

    public let paths: SupervisorPaths
    public let options: Options
    /// The release being run; nil when `current` names none (or none could be read yet).
    public internal(set) var release: SupervisedRelease?
    /// Why the release `current` names is not running (its manifest could not be read).
    public internal(set) var problem: String?

    var runtimes: [Supervisor.TaskRuntime] = []
    let baseEnvironment: [String: String]
    var lastStatusWrite = -Double.infinity
    var statusChanged = true
    var nextCurrentCheck: Double = 0

    public init(root: String, options: Options = Options()) throws(GSError) {
        paths = SupervisorPaths(root: root)
        self.options = options
        baseEnvironment = SpawnAttributes.currentEnvironment()
        try paths.prepare()
    }

    /// Monotonic seconds.
    func now() -> Double { ChildProcess.now() }

    func event(_ text: String) {
        statusChanged = true
        options.events?(text)
    }

    /// Reads `current` again: a new release stops the old one's tasks (dependents first) and
    /// starts the new one's; the same release changes nothing. At the first call it also
    /// adopts tasks an earlier supervisor left running. A release that cannot be read leaves
    /// the running one as it is and is reported in `problem`.
    public func reload() {
        let directory = SupervisedRelease.currentDirectory(paths)
        if let release, release.directory == directory { return }
        let next: SupervisedRelease?
        do throws(GSError) {
            next = try SupervisedRelease.current(paths)
        } catch {
            problem = error.message
            event("cannot run the release `current` names: \(error.message)")
            if release == nil { stopStrays(keeping: []) }
            return
        }
        problem = nil
        if let old = release {
            event("switching from release \(old.name) to \(next?.name ?? "none")")
            stopAll()
        }
        release = next
        runtimes = next?.workflow.tasks.map(Supervisor.TaskRuntime.init) ?? []
        if let next {
            event("running release \(next.name) (workflow \(next.workflow.name), \(runtimes.count) tasks)")
        }
        adopt()
    }

    /// One iteration; never blocks for long (probes and exits are polled).
    public func step() {
        let now = now()
        if release == nil, problem == nil, now >= nextCurrentCheck {
            // Nothing active yet: look for a release now and then without waiting for SIGHUP.
            nextCurrentCheck = now + 2
            reload()
        }
        for runtime in runtimes where runtime.isActive {
            if let code = reap(runtime) { exited(runtime, code: code, now: now) }
        }
        for runtime in runtimes {
            if let killAt = runtime.killAt, now >= killAt, let pid = runtime.pid {
                Supervisor.signalGroup(pid, SIGKILL)
                runtime.killAt = nil
            }
        }
        for runtime in runtimes { startIfDue(runtime, now: now) }
        for runtime in runtimes where runtime.isActive && runtime.killReason == nil { watch(runtime, now: now) }
        if statusChanged || now - lastStatusWrite >= options.statusIntervalSeconds {
            maintain(now: now)
        }
    }

    /// The status as it stands (without a fresh resource sample).
    public var status: SupervisorStatus {
        SupervisorStatus(
            pid: getpid(), release: release?.name, workflow: release?.workflow.name, updated: Int(time(nil)),
            message: problem, tasks: runtimes.map(\.status))
    }

    // MARK: starting

    func startIfDue(_ runtime: Supervisor.TaskRuntime, now: Double) {
        switch runtime.state {
        case .waiting:
            let pending = runtime.task.needs.filter { need in
                runtimes.first { $0.name == need }?.state.satisfiesNeeds != true
            }
            guard pending.isEmpty else {
                let text = "waiting for \(pending.joined(separator: ", "))"
                if runtime.message != text {
                    runtime.message = text
                    statusChanged = true
                }
                return
            }
            launch(runtime, now: now)
        case .backoff where now >= runtime.backoffUntil:
            launch(runtime, now: now)
        default: break
        }
    }

    func launch(_ runtime: Supervisor.TaskRuntime, now: Double) {
        guard let release else { return }
        let task = runtime.task
        do throws(GSError) {
            var arguments = try Supervisor.TaskLaunch.arguments(task, release: release)
            let environment = Supervisor.TaskLaunch.environment(
                task, release: release, paths: paths, base: baseEnvironment)
            // A bare program name (`python3`) is looked up in the task's PATH, which starts
            // with its runtime environment (spawn searches the supervisor's own PATH).
            if let program = arguments.first, !program.contains("/"),
                let found = Supervisor.TaskLaunch.search(program, path: environment["PATH"])
            {
                arguments[0] = found
            }
            try FileSystem.makeDirectories(paths.data(task.name))
            let log = paths.log(task.name)
            Supervisor.LogRotation.rotateIfNeeded(
                log, limit: options.logLimitBytes, keep: options.logKeep, inUse: false)
            if task.mode == .job {
                unlink(paths.exitFile(task.name))
                arguments = Supervisor.TaskLaunch.wrapJob(arguments, exitFile: paths.exitFile(task.name))
            }
            let limits =
                options.cgroups
                ? Supervisor.TaskCgroups.limits(
                    for: task, root: paths.root, group: task.name, events: { self.event($0) })
                : Supervisor.TaskCgroups.Limits()
            if limits.memoryCap != nil {
                runtime.memoryKillsAtStart = Supervisor.MemoryLimit.kills(root: paths.root, task: task.name)
            }
            arguments = Supervisor.TaskCgroups.wrap(arguments, directories: limits.directories)
            let capped =
                (limits.cpuCap.map { "; CPU capped at \(JSONValue.format(task.cpu ?? 0)) core(s) by \($0)" } ?? "")
                + (limits.memoryCap.map { "; memory capped at \(task.memoryMB ?? 0) MiB by \($0)" } ?? "")
            Self.appendLine(
                "--- gsctl supervisor: starting \(task.name) (release \(release.name)\(capped))", to: log)
            let pid = try Supervisor.Spawner.spawn(
                Supervisor.SpawnRequest(
                    arguments: arguments, environment: environment, directory: release.directory, output: log))
            runtime.pid = pid
            runtime.isChild = true
            runtime.cpuCap = limits.cpuCap
            runtime.memoryCap = limits.memoryCap
            runtime.startTime = Supervisor.ProcFS.sample(pid)?.startTime ?? 0
            runtime.startedAt = Int(time(nil))
            runtime.startedClock = now
            runtime.state = task.mode == .job ? .running : .starting
            runtime.message = nil
            runtime.healthy = nil
            runtime.probeFailures = 0
            runtime.killReason = nil
            runtime.nextProbeAt = now + (task.health?.initialDelaySeconds ?? 0)
            runtime.nextReadyCheckAt = now + options.readyAfterSeconds
            writeRecord(runtime, exit: nil)
            event("started \(task.name) (pid \(pid)\(capped))")
        } catch {
            // Cannot start (missing program, bad directory): an exit like a shell's 127.
            runtime.startedClock = now
            exited(runtime, code: 127, now: now, reason: error.message)
        }
    }

    static func appendLine(_ text: String, to path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let line = Array((text + "\n").utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    func writeRecord(_ runtime: Supervisor.TaskRuntime, exit: Int?) {
        guard let release else { return }
        let record = Supervisor.TaskRecord(
            task: runtime.name, pid: runtime.pid ?? 0, startTime: runtime.startTime, release: release.directory,
            startedAt: runtime.startedAt ?? 0, restarts: runtime.restarts, exit: exit)
        do throws(GSError) { try record.write(paths) } catch {
            event("cannot record \(runtime.name): \(error.message)")
        }
    }

    // MARK: exits

    /// The exit code once the process has exited (nil inside: exited, status unknown); nil
    /// while it runs.
    func reap(_ runtime: Supervisor.TaskRuntime) -> Int32?? {
        guard let pid = runtime.pid else { return nil }
        if runtime.isChild {
            var status: Int32 = 0
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { return .some(Supervisor.Spawner.exitCode(status)) }
            if done == 0 || errno != ECHILD { return nil }
            runtime.isChild = false  // someone else reaped it: fall back to /proc
        }
        if Supervisor.ProcFS.isAlive(pid, startTime: runtime.startTime) { return nil }
        return .some(exitFileCode(runtime))
    }

    /// What a job's wrapper recorded (services have none).
    func exitFileCode(_ runtime: Supervisor.TaskRuntime) -> Int32? {
        guard runtime.task.mode == .job, let bytes = try? FileSystem.read(paths.exitFile(runtime.name), limit: 64)
        else {
            return nil
        }
        return Int32(String(decoding: bytes.filter { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self))
    }

    /// Applies the restart policy to an exit.
    func exited(_ runtime: Supervisor.TaskRuntime, code: Int32?, now: Double, reason: String? = nil) {
        if let pid = runtime.pid { Supervisor.signalGroup(pid, SIGKILL) }  // what is left of it goes too
        var reason = reason
        if reason == nil, runtime.killReason == nil, runtime.killedAtMemoryLimit(paths) {
            reason = Supervisor.MemoryLimit.killReason(megabytes: runtime.task.memoryMB ?? 0)
        }
        runtime.forgetProcess()
        Supervisor.TaskCgroups.remove(root: paths.root, task: runtime.name)
        runtime.lastExit = code.map(Int.init)
        if now - runtime.startedClock >= max(options.stableSeconds, runtime.task.restart.maxBackoffSeconds) {
            runtime.streak = 0
        }
        let what =
            reason ?? runtime.killReason ?? code.map { "exited with \($0)" }
            ?? "exited (status unknown: started by an earlier supervisor)"
        let decision = Supervisor.RestartDecision.after(
            runtime.task, exitCode: code, forcedFailure: runtime.killReason != nil || reason != nil,
            restarts: runtime.restarts, streak: runtime.streak)
        runtime.killReason = nil
        switch decision {
        case .restart(let delay):
            runtime.restarts += 1
            runtime.streak += 1
            runtime.state = .backoff
            runtime.backoffUntil = now + delay
            runtime.message =
                "\(what); restart \(runtime.restarts) in \(JSONValue.format((delay * 100).rounded() / 100)) s"
            Supervisor.TaskRecord.remove(runtime.name, paths)
        case .succeeded:
            runtime.state = .succeeded
            runtime.message = code == 0 ? nil : what
            writeRecord(runtime, exit: Int(code ?? 0))
        case .failed(let gaveUp):
            runtime.state = .failed
            runtime.message = gaveUp ? "\(what); gave up after \(runtime.restarts) restarts" : what
            writeRecord(runtime, exit: Int(code ?? -1))
        }
        event("\(runtime.name): \(runtime.message ?? what)")
    }

    // MARK: readiness, health, timeouts

    func watch(_ runtime: Supervisor.TaskRuntime, now: Double) {
        let task = runtime.task
        if task.mode == .job {
            if let timeout = task.timeoutSeconds, now - runtime.startedClock >= timeout {
                terminate(runtime, reason: "timed out after \(JSONValue.format(timeout)) s", now: now)
            }
            return
        }
        if let health = task.health {
            if let probe = runtime.probe {
                guard let outcome = probe.poll(now: now) else { return }
                runtime.probe = nil
                judged(runtime, outcome: outcome, health: health, now: now)
            } else if now >= runtime.nextProbeAt {
                runtime.nextProbeAt = now + health.periodSeconds
                runtime.probe = makeProbe(runtime, health: health, now: now)
            }
            return
        }
        guard runtime.state == .starting, now >= runtime.nextReadyCheckAt else { return }
        guard let port = task.port else {
            becameReady(runtime)
            return
        }
        // Ready once its port accepts a connection.
        if let probe = runtime.probe {
            guard let outcome = probe.poll(now: now) else { return }
            runtime.probe = nil
            runtime.nextReadyCheckAt = now + 0.2
            if outcome == .passed {
                becameReady(runtime)
            } else if runtime.message == nil {
                runtime.message = "waiting for port \(port) to accept connections"
                statusChanged = true
            }
        } else {
            runtime.probe = Supervisor.ProbeAttempt(tcpPort: port, timeout: 1, now: now)
        }
    }

    func makeProbe(_ runtime: Supervisor.TaskRuntime, health: SupervisedTask.Health, now: Double)
        -> Supervisor.ProbeAttempt?
    {
        guard let release else { return nil }
        switch health.check {
        case .http(let path, let port):
            return Supervisor.ProbeAttempt(httpPath: path, port: port, timeout: health.timeoutSeconds, now: now)
        case .exec(let arguments):
            var argv = arguments
            if let first = argv.first, first.contains("/"), !first.hasPrefix("/") {
                argv[0] = FileSystem.resolve(first, relativeTo: release.directory)
            }
            let environment = Supervisor.TaskLaunch.environment(
                runtime.task, release: release, paths: paths, base: baseEnvironment)
            return Supervisor.ProbeAttempt(
                exec: argv, directory: release.directory, environment: environment, timeout: health.timeoutSeconds,
                now: now)
        }
    }

    func judged(
        _ runtime: Supervisor.TaskRuntime, outcome: Supervisor.ProbeAttempt.Outcome, health: SupervisedTask.Health,
        now: Double
    ) {
        switch outcome {
        case .passed:
            if runtime.healthy != true || runtime.probeFailures > 0 { statusChanged = true }
            runtime.probeFailures = 0
            runtime.healthy = true
            if runtime.state == .starting {
                becameReady(runtime)
            } else if runtime.message != nil {
                runtime.message = nil
            }
        case .failed(let reason):
            runtime.probeFailures += 1
            statusChanged = true
            runtime.message = "health probe failed (\(runtime.probeFailures)/\(health.failureThreshold)): \(reason)"
            if runtime.probeFailures >= health.failureThreshold {
                runtime.healthy = false
                terminate(
                    runtime,
                    reason: "unhealthy: \(health.failureThreshold) failed health probes in a row (\(reason))", now: now)
            }
        }
    }

    func becameReady(_ runtime: Supervisor.TaskRuntime) {
        runtime.state = .ready
        runtime.message = nil
        event("\(runtime.name) is ready")
    }
}
