import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// The cgroups a task runs in, where the agent may create them (as root, on cgroup v2 with
    /// the controller delegated or on v1's hierarchy for it): what `CPUQuota` and
    /// `MemoryLimit` use to make a task's `resources` hard limits rather than advice.
    ///
    /// Each supervisor root gets its own group (`gsctl-<digest of the root>`), each task a
    /// child of it, so two agents on one machine never share a cgroup. The task's process
    /// joins its cgroups before it runs anything (a tiny shell writes its own pid, then
    /// execs), so no thread or helper it starts escapes them.
    enum TaskCgroups {
        /// The cgroups one process of a task is to join, and what each enforces.
        struct Limits {
            /// The cgroup directories to join (`wrap`); empty where none could be made.
            var directories: [String] = []
            /// "cgroup vN" when `resources.cpu` is a quota; nil: advisory.
            var cpuCap: String?
            /// "cgroup vN" when `resources.memoryMB` is a cgroup limit; nil: sampled.
            var memoryCap: String?
        }

        /// Sets up the cgroups for `task`'s `resources` under the name `group` (the task's
        /// name for its service; another name for a measurement of it).
        static func limits(
            for task: SupervisedTask, root: String, group: String, events: ((String) -> Void)? = nil
        ) -> Limits {
            var limits = Limits()
            if let cpu = task.cpu, let quota = CPUQuota.prepare(root: root, task: group, cpu: cpu, events: events) {
                limits.directories.append(quota.directory)
                limits.cpuCap = quota.hierarchy.name
            }
            if let megabytes = task.memoryMB,
                let limit = MemoryLimit.prepare(root: root, task: group, megabytes: megabytes, events: events)
            {
                if !limits.directories.contains(limit.directory) { limits.directories.append(limit.directory) }
                limits.memoryCap = limit.hierarchy.name
            }
            return limits
        }

        /// Where one controller can be used, and which interface it speaks.
        struct Hierarchy: Equatable {
            var mount: String
            var version: Int

            /// How status and logs name it: "cgroup v1", "cgroup v2".
            var name: String { "cgroup v\(version)" }
        }

        /// The writable hierarchy with `controller` ("cpu", "memory"), v2 first; nil without one.
        /// Looked up once per process: mounts do not change under a running agent, and the
        /// supervisor asks about every task about once a second.
        static func hierarchy(for controller: Substring) -> Hierarchy? {
            controller == "cpu" ? cpuHierarchy : controller == "memory" ? memoryHierarchy : find(controller)
        }

        private static let cpuHierarchy = find("cpu")
        private static let memoryHierarchy = find("memory")

        /// Reads /proc/self/mounts for the hierarchy with `controller`.
        static func find(_ controller: Substring) -> Hierarchy? {
            guard let mounts = try? FileSystem.read("/proc/self/mounts", limit: 1 << 20) else { return nil }
            var v1: Hierarchy?
            for line in String(decoding: mounts, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count >= 4 else { continue }
                let mount = String(fields[1])
                if fields[2] == "cgroup2", words(FileSystem.join(mount, "cgroup.controllers")).contains(controller),
                    access(mount, W_OK) == 0
                {
                    return Hierarchy(mount: mount, version: 2)
                }
                if fields[2] == "cgroup", fields[3].split(separator: ",").contains(controller), access(mount, W_OK) == 0
                {
                    v1 = v1 ?? Hierarchy(mount: mount, version: 1)
                }
            }
            return v1
        }

        /// The cgroup of `task` under the supervisor at `root`.
        static func directory(in hierarchy: Hierarchy, root: String, task: String) -> String {
            FileSystem.join(FileSystem.join(hierarchy.mount, group(root: root)), task)
        }

        static func group(root: String) -> String {
            "gsctl-" + String(SHA256.hex(of: root).prefix(12))
        }

        /// Creates the task's cgroup with `controller` available in it; nil when it cannot.
        static func make(_ hierarchy: Hierarchy, controller: Substring, root: String, task: String) -> String? {
            let directory = directory(in: hierarchy, root: root, task: task)
            let parent = FileSystem.directory(of: directory)
            var ok = makeDirectory(parent)
            if ok, hierarchy.version == 2 {
                // A v2 child has a controller only when its parent delegates it.
                ok =
                    write(
                        "+\(controller)", to: FileSystem.join(hierarchy.mount, "cgroup.subtree_control"),
                        unlessListed: controller)
                    && write(
                        "+\(controller)", to: FileSystem.join(parent, "cgroup.subtree_control"),
                        unlessListed: controller)
            }
            return ok && makeDirectory(directory) ? directory : nil
        }

        /// The task's cgroup in `hierarchy` with `controller` available and `configure`'s files
        /// written (it gets the directory and returns whether every write took), or nil when
        /// that fails: then `events` hears "<task>: no <what> (cannot set up <path>: <errno>)".
        static func prepare(
            _ hierarchy: Hierarchy, controller: Substring, what: String, root: String, task: String,
            events: ((String) -> Void)?, configure: (String) -> Bool
        ) -> (directory: String, hierarchy: Hierarchy)? {
            guard let directory = make(hierarchy, controller: controller, root: root, task: task),
                configure(directory)
            else {
                let path = self.directory(in: hierarchy, root: root, task: task)
                events?("\(task): no \(what) (cannot set up \(path): \(FileSystem.errnoText(errno)))")
                return nil
            }
            return (directory, hierarchy)
        }

        /// Whether `prepare` works here: runs it for a throwaway root and removes what it made
        /// (a writable hierarchy may still refuse, e.g. v2 inside a container whose cgroup
        /// holds processes cannot delegate its controllers).
        static func works(_ prepare: (_ root: String, _ task: String) -> Bool) -> Bool {
            let root = "/nonexistent/gsctl-probe-\(getpid())"
            guard prepare(root, "probe") else { return false }
            remove(root: root, task: "probe")
            return true
        }

        /// `arguments` run by a shell that first moves itself into each of `directories`.
        static func wrap(_ arguments: [String], directories: [String]) -> [String] {
            guard !directories.isEmpty else { return arguments }
            let script =
                "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo $$ > \"$1/cgroup.procs\" 2>/dev/null; shift;"
                + " n=$((n - 1)); done; exec \"$@\""
            return ["/bin/sh", "-c", script, "gsctl-cgroups", String(directories.count)] + directories + arguments
        }

        /// "cgroup vN" when `pid` is in the task's cgroup of `controller`'s hierarchy, else nil.
        static func membership(of pid: pid_t, controller: Substring, root: String, task: String) -> String? {
            guard let hierarchy = hierarchy(for: controller) else { return nil }
            let directory = directory(in: hierarchy, root: root, task: task)
            return contains(pid, directory: directory) ? hierarchy.name : nil
        }

        /// Whether `pid` is a member of the cgroup at `directory`.
        static func contains(_ pid: pid_t, directory: String) -> Bool {
            words(FileSystem.join(directory, "cgroup.procs")).contains(Substring(String(pid)))
        }

        /// Removes the task's cgroups once its processes are gone, and the root's group when it
        /// holds no task any more (best effort: a cgroup with a process left in it stays).
        static func remove(root: String, task: String) {
            var seen: Set<String> = []
            for controller in ["cpu", "memory"] as [Substring] {
                guard let hierarchy = hierarchy(for: controller), seen.insert(hierarchy.mount).inserted else {
                    continue
                }
                let directory = directory(in: hierarchy, root: root, task: task)
                guard FileSystem.kind(of: directory) == .directory else { continue }
                rmdir(directory)
                rmdir(FileSystem.directory(of: directory))
            }
        }

        /// The text of a cgroup file; nil when it cannot be read.
        static func read(_ path: String) -> String? {
            (try? FileSystem.read(path, limit: 1 << 20)).map { String(decoding: $0, as: UTF8.self) }
        }

        /// The whitespace-separated words of a cgroup file (controllers, pids).
        static func words(_ path: String) -> [Substring] {
            (read(path) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
        }

        static func makeDirectory(_ path: String) -> Bool {
            mkdir(path, 0o755) == 0 || errno == EEXIST
        }

        /// Writes `text` to a cgroup file; with `unlessListed`, skips it when the file already
        /// lists that word (a controller already delegated).
        static func write(_ text: String, to path: String, unlessListed word: Substring? = nil) -> Bool {
            if let word, words(path).contains(word) { return true }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
        }
    }
}
