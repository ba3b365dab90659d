import GSCore

/// Where the supervisor keeps its state under a host root, in one place so the loop, the
/// control helpers (`start`, `stop`, `reload`), `gsctl status` and the tests agree.
///
/// ```
/// ROOT/current                 link to the active release (read, never written here)
/// ROOT/run/supervisor.json     status, rewritten atomically about once a second
/// ROOT/run/supervisor.lock     flock held by the one running supervisor; holds its pid
/// ROOT/run/tasks/<task>.json   pid, /proc start time and release of each task's process
/// ROOT/run/tasks/<task>.exit   exit status a job's wrapper leaves (read after a restart)
/// ROOT/logs/<task>.log         task output (rotated: .1 .. .3); logs/supervisor.log
/// ROOT/data/<task>/            the task's persistent working data (GS_DATA)
/// ```
public struct SupervisorPaths: Sendable, Hashable {
    /// Absolute and normalised, so paths handed to tasks do not depend on our working directory.
    public let root: String

    public init(root: String) {
        self.root = FileSystem.resolve(root, relativeTo: FileSystem.currentDirectory())
    }

    /// The host layout the agent writes (`current`, `run/`, `logs/` are named there once).
    public var layout: HostLayout { HostLayout(root: root) }
    public var current: String { layout.current }
    public var run: String { layout.run }
    public var status: String { FileSystem.join(run, "supervisor.json") }
    public var lock: String { FileSystem.join(run, "supervisor.lock") }
    public var tasks: String { FileSystem.join(run, "tasks") }
    public var logs: String { layout.logs }
    public var supervisorLog: String { FileSystem.join(logs, "supervisor.log") }
    public var data: String { FileSystem.join(root, "data") }

    public func taskRecord(_ task: String) -> String { FileSystem.join(tasks, task + ".json") }
    public func exitFile(_ task: String) -> String { FileSystem.join(tasks, task + ".exit") }
    public func log(_ task: String) -> String { FileSystem.join(logs, task + ".log") }
    public func data(_ task: String) -> String { FileSystem.join(data, task) }

    /// Creates the directories the supervisor writes into (existing ones are fine).
    public func prepare() throws(GSError) {
        for directory in [run, tasks, logs, data] { try FileSystem.makeDirectories(directory) }
    }
}
