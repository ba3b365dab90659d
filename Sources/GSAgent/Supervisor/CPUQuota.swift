import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// A hard cap on a task's CPU (`resources.cpu`) through the kernel's CFS bandwidth control,
    /// in the task's cgroup (`TaskCgroups`). Where no cgroup can be made (an unprivileged agent
    /// over SSH, a container without cgroup access) the grant stays advisory: the task still
    /// learns it from `GS_CPUS`.
    enum CPUQuota {
        /// CFS period: 100 ms, the kernel's default; the quota is the cores times it.
        static let periodMicroseconds = 100_000

        static func hierarchy() -> TaskCgroups.Hierarchy? { TaskCgroups.hierarchy(for: "cpu") }

        /// The task's cgroup with its quota set, or nil when none can be made (the reason
        /// goes to `events`). `hierarchy`: the one found on this machine unless given (tests
        /// hand it a directory that stands in for a cgroup file system).
        static func prepare(
            root: String, task: String, cpu: Double, in given: TaskCgroups.Hierarchy? = nil,
            events: ((String) -> Void)? = nil
        ) -> (directory: String, hierarchy: TaskCgroups.Hierarchy)? {
            guard let hierarchy = given ?? hierarchy() else { return nil }
            let quota = max(1000, Int((cpu * Double(periodMicroseconds)).rounded()))
            return TaskCgroups.prepare(
                hierarchy, controller: "cpu", what: "CPU quota", root: root, task: task, events: events
            ) { directory in
                if hierarchy.version == 2 {
                    return TaskCgroups.write(
                        "\(quota) \(periodMicroseconds)", to: FileSystem.join(directory, "cpu.max"))
                }
                return TaskCgroups.write(
                    String(periodMicroseconds), to: FileSystem.join(directory, "cpu.cfs_period_us"))
                    && TaskCgroups.write(String(quota), to: FileSystem.join(directory, "cpu.cfs_quota_us"))
            }
        }

        /// Whether a task here would get its cap (`TaskCgroups.works`).
        static func works() -> Bool {
            TaskCgroups.works { root, task in prepare(root: root, task: task, cpu: 0.5) != nil }
        }

        /// "cgroup vN" when `pid` runs in the task's capped cgroup (a task adopted from an
        /// earlier supervisor keeps the limit it was started with), else nil.
        static func cap(of pid: pid_t, root: String, task: String) -> String? {
            TaskCgroups.membership(of: pid, controller: "cpu", root: root, task: task)
        }
    }
}
