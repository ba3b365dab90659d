#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// One task's live state inside the loop: its process, where it is in its life, its
    /// restart count and backoff, its probe in flight and its last resource sample.
    final class TaskRuntime {
        let task: SupervisedTask
        var state: SupervisorStatus.TaskState = .waiting
        var message: String?

        // The current process.
        var pid: pid_t?
        var startTime: UInt64 = 0
        /// Ours to reap with waitpid; false for a process adopted from an earlier supervisor,
        /// which is watched through /proc instead.
        var isChild = false
        /// Unix seconds, for status.
        var startedAt: Int?
        /// Monotonic seconds, for delays and timeouts.
        var startedClock: Double = 0

        // Restarts.
        var restarts = 0
        /// Quick exits in a row: the backoff exponent.
        var streak = 0
        var lastExit: Int?
        var backoffUntil: Double = 0

        // Health and readiness.
        var healthy: Bool?
        var probeFailures = 0
        var nextProbeAt: Double = 0
        var probe: ProbeAttempt?
        var nextReadyCheckAt: Double = 0

        // Killing.
        /// Why the supervisor killed it to restart it (unhealthy, timed out): the exit then
        /// counts as a failure whatever its code.
        var killReason: String?
        /// When to follow SIGTERM with SIGKILL.
        var killAt: Double?

        // Resource use.
        var lastTicks: UInt64?
        var lastSampleAt: Double = 0
        var cpuPercent: Double?
        var rssKB: Int?
        /// What enforces `resources.cpu` on the current process ("cgroup v1"); nil: advisory.
        var cpuCap: String?
        /// What enforces `resources.memoryMB` on the current process ("cgroup v1"); nil: the
        /// supervisor's once-a-second sample of its resident memory does.
        var memoryCap: String?
        /// The cgroup's count of out-of-memory kills when the process started: a kill after
        /// that is this process's.
        var memoryKillsAtStart = 0

        init(task: SupervisedTask) { self.task = task }

        var name: String { task.name }

        /// Starting, running or ready: a process is (or should be) there.
        var isActive: Bool { pid != nil }

        /// Whether the kernel has killed one of its processes at its cgroup's memory limit
        /// since it started.
        func killedAtMemoryLimit(_ paths: SupervisorPaths) -> Bool {
            memoryCap != nil && Supervisor.MemoryLimit.kills(root: paths.root, task: name) > memoryKillsAtStart
        }

        func forgetProcess() {
            pid = nil
            isChild = false
            probe = nil
            killAt = nil
            cpuPercent = nil
            rssKB = nil
            lastTicks = nil
            cpuCap = nil
            memoryCap = nil
            memoryKillsAtStart = 0
        }

        var status: SupervisorStatus.TaskStatus {
            var entry = SupervisorStatus.TaskStatus(name: name, mode: task.mode.rawValue, state: state)
            entry.pid = pid
            entry.restarts = restarts
            entry.lastExit = lastExit
            entry.healthy = task.health == nil ? nil : healthy
            entry.cpuPercent = cpuPercent
            entry.rssKB = rssKB
            entry.memoryLimitMB = task.memoryMB
            entry.cpuCores = task.cpu
            entry.cpuCap = pid == nil ? nil : cpuCap
            entry.memoryCap = pid == nil ? nil : memoryCap
            entry.startedAt = pid == nil ? nil : startedAt
            entry.message = message
            return entry
        }
    }
}
