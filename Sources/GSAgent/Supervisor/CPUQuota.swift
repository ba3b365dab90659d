import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// A hard cap on a task's CPU (`resources.cpu`) through the kernel's CFS bandwidth control,
    /// where the agent may create cgroups: as root, on cgroup v2 with the `cpu` controller or
    /// v1's `cpu` hierarchy. Elsewhere (an unprivileged agent over SSH, a container without
    /// cgroup access) the grant stays advisory: the task still learns it from `GS_CPUS`.
    ///
    /// Each supervisor root gets its own group (`gsctl-<digest of the root>`), each task a
    /// child of it, so two agents on one machine never share a cgroup. The task's process
    /// joins its cgroup before it runs anything (a tiny shell writes its own pid, then
    /// execs), so no thread or helper it starts escapes the cap.
    enum CPUQuota {
        /// Where the `cpu` controller can be used, and which interface it speaks.
        struct Hierarchy: Equatable {
            var mount: String
            var version: Int

            /// How status and logs name it: "cgroup v1", "cgroup v2".
            var name: String { "cgroup v\(version)" }
        }

        /// CFS period: 100 ms, the kernel's default; the quota is the cores times it.
        static let periodMicroseconds = 100_000

        /// The writable cgroup hierarchy with the `cpu` controller, v2 first; nil without one.
        static func hierarchy() -> Hierarchy? {
            guard let mounts = try? FileSystem.read("/proc/self/mounts", limit: 1 << 20) else { return nil }
            var v1: Hierarchy?
            for line in String(decoding: mounts, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count >= 4 else { continue }
                let mount = String(fields[1])
                if fields[2] == "cgroup2", controllers(FileSystem.join(mount, "cgroup.controllers")).contains("cpu"),
                    access(mount, W_OK) == 0
                {
                    return Hierarchy(mount: mount, version: 2)
                }
                if fields[2] == "cgroup", fields[3].split(separator: ",").contains("cpu"), access(mount, W_OK) == 0 {
                    v1 = v1 ?? Hierarchy(mount: mount, version: 1)
                }
            }
            return v1
        }

        /// The cgroup of `task` under the supervisor at `root`.
        static func directory(in hierarchy: Hierarchy, root: String, task: String) -> String {
            FileSystem.join(FileSystem.join(hierarchy.mount, group(root: root)), task)
        }

        /// The task's cgroup with its quota set, or nil when none can be made (the reason
        /// goes to `events`).
        static func prepare(root: String, task: String, cpu: Double, events: ((String) -> Void)? = nil) -> (
            directory: String, hierarchy: Hierarchy
        )? {
            guard let hierarchy = hierarchy() else { return nil }
            let parent = FileSystem.join(hierarchy.mount, group(root: root))
            let directory = FileSystem.join(parent, task)
            let quota = max(1000, Int((cpu * Double(periodMicroseconds)).rounded()))
            var ok = makeDirectory(parent)
            if ok, hierarchy.version == 2 {
                // A v2 child has the cpu controller only when its parent delegates it.
                ok =
                    write("+cpu", to: FileSystem.join(hierarchy.mount, "cgroup.subtree_control"), unlessListed: "cpu")
                    && write("+cpu", to: FileSystem.join(parent, "cgroup.subtree_control"), unlessListed: "cpu")
            }
            ok = ok && makeDirectory(directory)
            if ok, hierarchy.version == 2 {
                ok = write("\(quota) \(periodMicroseconds)", to: FileSystem.join(directory, "cpu.max"))
            } else if ok {
                ok =
                    write(String(periodMicroseconds), to: FileSystem.join(directory, "cpu.cfs_period_us"))
                    && write(String(quota), to: FileSystem.join(directory, "cpu.cfs_quota_us"))
            }
            guard ok else {
                events?("\(task): no CPU quota (cannot set up \(directory): \(FileSystem.errnoText(errno)))")
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
            remove(root: root, task: "probe")
            return true
        }

        /// "cgroup vN" when `pid` runs in the task's capped cgroup (a task adopted from an
        /// earlier supervisor keeps the cap it was started with), else nil.
        static func cap(of pid: pid_t, root: String, task: String) -> String? {
            guard let hierarchy = hierarchy(),
                let bytes = try? FileSystem.read(
                    FileSystem.join(directory(in: hierarchy, root: root, task: task), "cgroup.procs"), limit: 1 << 20)
            else { return nil }
            let members = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            return members.contains(Substring(String(pid))) ? hierarchy.name : nil
        }

        /// `arguments` run by a shell that first moves itself into `directory`'s cgroup.
        static func wrap(_ arguments: [String], directory: String) -> [String] {
            let script = "echo $$ > \"$1/cgroup.procs\" 2>/dev/null; shift; exec \"$@\""
            return ["/bin/sh", "-c", script, "gsctl-cpu", directory] + arguments
        }

        /// Removes the task's cgroup once its processes are gone, and the root's group when it
        /// holds no task any more (best effort: a cgroup with a process left in it stays).
        static func remove(root: String, task: String) {
            guard let hierarchy = hierarchy() else { return }
            let directory = directory(in: hierarchy, root: root, task: task)
            guard FileSystem.kind(of: directory) == .directory else { return }
            rmdir(directory)
            rmdir(FileSystem.directory(of: directory))
        }

        static func group(root: String) -> String {
            "gsctl-" + String(SHA256.hex(of: root).prefix(12))
        }

        private static func controllers(_ path: String) -> [Substring] {
            guard let bytes = try? FileSystem.read(path, limit: 4096) else { return [] }
            return String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        }

        private static func makeDirectory(_ path: String) -> Bool {
            mkdir(path, 0o755) == 0 || errno == EEXIST
        }

        /// Writes `text` to a cgroup file; with `unlessListed`, skips it when the file already
        /// lists that word (a controller already delegated).
        private static func write(_ text: String, to path: String, unlessListed word: Substring? = nil) -> Bool {
            if let word, controllers(path).contains(word) { return true }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
        }
    }
}
