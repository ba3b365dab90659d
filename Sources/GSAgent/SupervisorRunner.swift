import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Activation's handle on the workflow supervisor daemon (`gsctl agent supervise`): stop it
/// with its tasks before the switch, start it on the new `current` after, and wait for its
/// status file to show every service ready and every job succeeded.
public struct SupervisorRunner: WorkflowRunner {
    public let executable: String

    public init(executable: String) { self.executable = executable }

    public func stop(_ layout: HostLayout) throws(GSError) {
        try Supervisor.stop(root: layout.root)
    }

    public func isRunning(_ layout: HostLayout) -> Bool {
        layout.currentRelease() == nil || Supervisor.isRunning(root: layout.root)
    }

    public func start(_ layout: HostLayout) throws(GSError) {
        guard layout.currentRelease() != nil else { return }
        try Supervisor.start(root: layout.root, executable: executable)
    }

    public func waitHealthy(_ layout: HostLayout, timeout: Double) -> [String] {
        guard let release = layout.currentRelease() else { return [] }
        let deadline = ChildProcess.now() + timeout
        let path = SupervisorPaths(root: layout.root).status
        var last: [String] = ["the supervisor wrote no status within \(Int(timeout)) s"]
        while ChildProcess.now() < deadline {
            if let bytes = try? FileSystem.read(path, limit: 4 << 20),
                let status = try? JSONParser.parse(bytes, what: path),
                status["release"]?.stringValue == release
            {
                let tasks = status["tasks"]?.arrayValue ?? []
                var waiting: [String] = []
                var failed: [String] = []
                for task in tasks {
                    let name = task["name"]?.stringValue ?? "?"
                    let state = task["state"]?.stringValue ?? ""
                    switch state {
                    case "ready", "succeeded": break
                    case "failed":
                        failed.append(
                            "task \(name) failed: \(task["message"]?.stringValue ?? "exit \(task["lastExit"]?.intValue ?? -1)")"
                        )
                    default:
                        waiting.append(
                            "task \(name) is \(state)\(task["message"]?.stringValue.map { " (\($0))" } ?? "")")
                    }
                }
                if !failed.isEmpty { return failed }
                if waiting.isEmpty { return [] }
                last = waiting.map { $0 + " after \(Int(timeout)) s" }
            }
            usleep(200_000)
        }
        return last
    }
}
