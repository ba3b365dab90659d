import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// A hard limit on a task's memory (`resources.memoryMB`) through the memory controller of
    /// its cgroup (`TaskCgroups`): at the limit the kernel first reclaims the task's page
    /// cache, then kills one of its processes, at the moment of the allocation, so no spike
    /// gets past it. Swap counts too (v1's `memsw`, v2's `memory.swap.max = 0`), so a task
    /// cannot slow the host down by swapping instead of failing. Where no cgroup can be made,
    /// the supervisor samples the task's resident memory about once a second instead.
    enum MemoryLimit {
        static func hierarchy() -> TaskCgroups.Hierarchy? { TaskCgroups.hierarchy(for: "memory") }

        /// The task's cgroup with its limit set, or nil when none can be made (the reason goes
        /// to `events`). `hierarchy`: as in `CPUQuota.prepare`.
        static func prepare(
            root: String, task: String, megabytes: Int, in given: TaskCgroups.Hierarchy? = nil,
            events: ((String) -> Void)? = nil
        ) -> (directory: String, hierarchy: TaskCgroups.Hierarchy)? {
            guard let hierarchy = given ?? hierarchy() else { return nil }
            let bytes = String(megabytes << 20)
            return TaskCgroups.prepare(
                hierarchy, controller: "memory", what: "memory limit in a cgroup", root: root, task: task,
                events: events
            ) { directory in
                if hierarchy.version == 2 {
                    let swap = FileSystem.join(directory, "memory.swap.max")
                    return TaskCgroups.write(bytes, to: FileSystem.join(directory, "memory.max"))
                        && (!FileSystem.exists(swap) || TaskCgroups.write("0", to: swap))
                }
                // v1 wants memory+swap >= memory at every step: lift it, set memory, lower it.
                let swap = FileSystem.join(directory, "memory.memsw.limit_in_bytes")
                let hasSwap = FileSystem.exists(swap)
                if hasSwap { _ = TaskCgroups.write("-1", to: swap) }
                return TaskCgroups.write(bytes, to: FileSystem.join(directory, "memory.limit_in_bytes"))
                    && (!hasSwap || TaskCgroups.write(bytes, to: swap))
            }
        }

        /// Whether a task here would get a hard limit (`TaskCgroups.works`).
        static func works() -> Bool {
            TaskCgroups.works { root, task in prepare(root: root, task: task, megabytes: 64) != nil }
        }

        /// "cgroup vN" when `pid` runs in the task's limited cgroup (a task adopted from an
        /// earlier supervisor keeps the limit it was started with), else nil.
        static func cap(of pid: pid_t, root: String, task: String) -> String? {
            TaskCgroups.membership(of: pid, controller: "memory", root: root, task: task)
        }

        /// How many processes the kernel has killed in the task's cgroup for going over its
        /// limit (v1 `memory.oom_control`, v2 `memory.events`: the `oom_kill` line); 0 when
        /// the cgroup is gone or the kernel does not count them.
        static func kills(root: String, task: String, in given: TaskCgroups.Hierarchy? = nil) -> Int {
            guard let hierarchy = given ?? hierarchy() else { return 0 }
            let directory = TaskCgroups.directory(in: hierarchy, root: root, task: task)
            let file = hierarchy.version == 2 ? "memory.events" : "memory.oom_control"
            for line in (TaskCgroups.read(FileSystem.join(directory, file)) ?? "").split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, fields[0] == "oom_kill" { return Int(fields[1]) ?? 0 }
            }
            return 0
        }

        /// What a task's status says when the kernel killed it at its limit.
        static func killReason(megabytes: Int) -> String {
            "killed by the kernel: out of memory at its limit (resources.memoryMB: \(megabytes))"
        }
    }
}
