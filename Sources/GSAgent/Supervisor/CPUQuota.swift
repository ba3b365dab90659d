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
            let directory = TaskCgroups.make(hierarchy, controller: "cpu", root: root, task: task)
            var ok = directory != nil
            if let directory, hierarchy.version == 2 {
                ok = TaskCgroups.write("\(quota) \(periodMicroseconds)", to: FileSystem.join(directory, "cpu.max"))
            } else if let directory {
                ok =
                    TaskCgroups.write(String(periodMicroseconds), to: FileSystem.join(directory, "cpu.cfs_period_us"))
                    && TaskCgroups.write(String(quota), to: FileSystem.join(directory, "cpu.cfs_quota_us"))
            }
            let path = TaskCgroups.directory(in: hierarchy, root: root, task: task)
            guard let directory, ok else {
                events?("\(task): no CPU quota (cannot set up \(path): \(FileSystem.errnoText(errno)))")
                return nil
            }
            return (directory, hierarchy)
        }

        /// Whether a task here would get its cap: sets one up for a throwaway root and removes
        /// it (a writable hierarchy may still refuse, e.g. v2 inside a container whose cgroup
        /// holds processes cannot delegate its controllers).
        static func works() -> Bool {
            let root = "/nonexistent/gsctl-probe-\(getpid())"
            guard prepare(root: root, task: "probe", cpu: 0.5) != nil else { return false }
            TaskCgroups.remove(root: root, task: "probe")
            return true
        }

        /// "cgroup vN" when `pid` runs in the task's capped cgroup (a task adopted from an
        /// earlier supervisor keeps the limit it was started with), else nil.
        static func cap(of pid: pid_t, root: String, task: String) -> String? {
            TaskCgroups.membership(of: pid, controller: "cpu", root: root, task: task)
        }
    }
}
