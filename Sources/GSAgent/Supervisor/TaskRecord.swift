import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// `ROOT/run/tasks/<task>.json`: which process runs a task, so a supervisor that restarts
    /// (crash, upgrade, SIGKILL) finds its tasks and adopts them instead of starting a second
    /// copy. Kept after a task finishes, with its exit status, so a finished job is not run
    /// again either.
    struct TaskRecord: Sendable, Hashable {
        var task: String
        var pid: pid_t
        /// `/proc/<pid>/stat` field 22: tells the recorded process from a later one with its pid.
        var startTime: UInt64
        /// The release directory (absolute) the process was started from.
        var release: String
        /// Unix seconds.
        var startedAt: Int
        var restarts: Int
        /// Set once the task has finished for good (succeeded or failed).
        var exit: Int?

        var json: JSONValue {
            [
                "task": .string(task), "pid": .int(Int(pid)), "startTime": .string(String(startTime)),
                "release": .string(release), "startedAt": .int(startedAt), "restarts": .int(restarts),
                "exit": exit.map { .int($0) } ?? .null,
            ]
        }

        func write(_ paths: SupervisorPaths) throws(GSError) {
            try FileSystem.writeAtomically(json.pretty, to: paths.taskRecord(task))
        }

        /// The record at `path`, or nil when it is missing or unreadable (then it is ignored:
        /// the worst case is a task started again, never a wrong process adopted).
        static func read(_ path: String) -> TaskRecord? {
            guard let bytes = try? FileSystem.read(path, limit: 1 << 20),
                case .object(let members)? = try? JSONParser.parse(bytes, what: path),
                case .string(let task)? = members["task"], case .int(let pid)? = members["pid"],
                case .string(let start)? = members["startTime"], let startTime = UInt64(start),
                case .string(let release)? = members["release"]
            else { return nil }
            var record = TaskRecord(
                task: task, pid: pid_t(truncatingIfNeeded: pid), startTime: startTime, release: release, startedAt: 0,
                restarts: 0, exit: nil)
            if case .int(let value)? = members["startedAt"] { record.startedAt = value }
            if case .int(let value)? = members["restarts"] { record.restarts = value }
            if case .int(let value)? = members["exit"] { record.exit = value }
            return record
        }

        /// Every record in `ROOT/run/tasks`.
        static func all(_ paths: SupervisorPaths) -> [TaskRecord] {
            let entries = (try? FileSystem.list(paths.tasks)) ?? []
            return entries.filter { $0.name.hasSuffix(".json") }.compactMap {
                read(FileSystem.join(paths.tasks, $0.name))
            }
        }

        static func remove(_ task: String, _ paths: SupervisorPaths) {
            unlink(paths.taskRecord(task))
            unlink(paths.exitFile(task))
        }

        /// Whether the recorded process still runs.
        var isAlive: Bool { exit == nil && ProcFS.isAlive(pid, startTime: startTime) }
    }
}
