import GSBundle
import GSCore

/// What the supervisor reports in `ROOT/run/supervisor.json`, for `gsctl status`, the
/// activation health gate and people: one entry per task of the running release.
///
/// A plain value parsed from JSON (no Codable: the agent stays free of Foundation).
public struct SupervisorStatus: Sendable, Hashable {
    /// Where a task is in its life.
    public enum TaskState: String, Sendable, Hashable, CaseIterable {
        /// Its `needs` are not ready yet.
        case waiting
        /// A service started and not ready yet (probe or port not answering).
        case starting
        /// A job running.
        case running
        /// A service that passed its readiness check: dependents may start.
        case ready
        /// Finished with exit 0 (a job, or a service that may stop).
        case succeeded
        /// Finished for good with a failure (policy `never`, restarts used up, cannot start).
        case failed
        /// Exited; waits before the next start.
        case backoff
        /// Stopped by the supervisor (shutdown or a release switch).
        case stopped

        /// Whether tasks that need this one may start.
        public var satisfiesNeeds: Bool { self == .ready || self == .succeeded }
    }

    public struct TaskStatus: Sendable, Hashable {
        public var name: String
        public var mode: String
        public var state: TaskState
        public var pid: Int32?
        public var restarts: Int
        public var lastExit: Int?
        /// The last probe's verdict after `failureThreshold`; nil without a probe (or before one ran).
        public var healthy: Bool?
        /// Over the task's whole process group since the previous status.
        public var cpuPercent: Double?
        /// Summed over the task's process group.
        public var rssKB: Int?
        /// `resources.memoryMB`: the most the task may hold, enforced by the kernel where
        /// `memoryCap` names a cgroup, else by the supervisor restarting it when `rssKB` goes
        /// over it.
        public var memoryLimitMB: Int?
        /// What holds the running task to `memoryLimitMB` ("cgroup v1"); nil when the
        /// supervisor's sampling does.
        public var memoryCap: String?
        /// `resources.cpu`: the cores granted to the task.
        public var cpuCores: Double?
        /// What holds the running task to `cpuCores` ("cgroup v2"); nil when only the task's
        /// own thread count does (`GS_CPUS`).
        public var cpuCap: String?
        /// Unix seconds when its current process started.
        public var startedAt: Int?
        public var message: String?

        public init(name: String, mode: String, state: TaskState) {
            self.name = name
            self.mode = mode
            self.state = state
            restarts = 0
        }

        var json: JSONValue {
            [
                "name": .string(name), "mode": .string(mode), "state": .string(state.rawValue),
                "pid": pid.map { .int(Int($0)) } ?? .null, "restarts": .int(restarts),
                "lastExit": lastExit.map { .int($0) } ?? .null, "healthy": healthy.map { .bool($0) } ?? .null,
                "cpuPercent": cpuPercent.map { .double($0) } ?? .null, "rssKB": rssKB.map { .int($0) } ?? .null,
                "memoryLimitMB": memoryLimitMB.map { .int($0) } ?? .null, "memoryCap": .optional(memoryCap),
                "cpuCores": cpuCores.map { .double($0) } ?? .null, "cpuCap": .optional(cpuCap),
                "startedAt": startedAt.map { .int($0) } ?? .null, "message": .optional(message),
            ]
        }
    }

    /// The supervisor's own pid.
    public var pid: Int32
    /// The release directory's name; nil when no release is active.
    public var release: String?
    public var workflow: String?
    /// Unix seconds of this report.
    public var updated: Int
    /// Why no release runs (it could not be read), or nil.
    public var message: String?
    /// In start order.
    public var tasks: [TaskStatus]

    public init(
        pid: Int32, release: String?, workflow: String?, updated: Int, message: String? = nil, tasks: [TaskStatus]
    ) {
        self.pid = pid
        self.release = release
        self.workflow = workflow
        self.updated = updated
        self.message = message
        self.tasks = tasks
    }

    public func task(_ name: String) -> TaskStatus? { tasks.first { $0.name == name } }

    public var json: JSONValue {
        [
            "pid": .int(Int(pid)), "release": .optional(release), "workflow": .optional(workflow),
            "updated": .int(updated), "message": .optional(message), "tasks": .array(tasks.map(\.json)),
        ]
    }

    /// Reads a status document; `what` names it in errors.
    public init(json: JSONValue, what: String) throws(GSError) {
        guard case .object(let members) = json else { throw GSError("\(what) is not a JSON object") }
        let reader = SupervisedWorkflow.FieldReader(what: what)
        guard let pid = try reader.int(members, "pid") else { throw GSError("\(what) has no pid") }
        self.pid = Int32(truncatingIfNeeded: pid)
        release = try reader.string(members, "release")
        workflow = try reader.string(members, "workflow")
        updated = try reader.int(members, "updated") ?? 0
        message = try reader.string(members, "message")
        tasks = []
        guard case .array(let items)? = members["tasks"] else { return }
        for item in items {
            guard case .object(let fields) = item, let name = try reader.string(fields, "name") else {
                throw GSError("\(what) has a task entry without a name")
            }
            let task = SupervisedWorkflow.FieldReader(what: "\(what): task '\(name)'")
            let stateText = try task.string(fields, "state") ?? ""
            guard let state = TaskState(rawValue: stateText) else {
                throw GSError("\(what): task '\(name)' has state '\(stateText)'")
            }
            var entry = TaskStatus(name: name, mode: try task.string(fields, "mode") ?? "service", state: state)
            entry.pid = try task.int(fields, "pid").map { Int32(truncatingIfNeeded: $0) }
            entry.restarts = try task.int(fields, "restarts") ?? 0
            entry.lastExit = try task.int(fields, "lastExit")
            if case .bool(let healthy)? = fields["healthy"] { entry.healthy = healthy }
            entry.cpuPercent = try task.number(fields, "cpuPercent")
            entry.rssKB = try task.int(fields, "rssKB")
            entry.memoryLimitMB = try task.int(fields, "memoryLimitMB")
            entry.memoryCap = try task.string(fields, "memoryCap")
            entry.cpuCores = try task.number(fields, "cpuCores")
            entry.cpuCap = try task.string(fields, "cpuCap")
            entry.startedAt = try task.int(fields, "startedAt")
            entry.message = try task.string(fields, "message")
            tasks.append(entry)
        }
    }
}
