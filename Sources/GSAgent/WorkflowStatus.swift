import GSBundle
import GSCore

/// The supervisor's view of the tasks (`run/supervisor.json`), as `status` returns it;
/// null when no supervisor has written one.
enum WorkflowStatus {
    static func json(_ layout: HostLayout) -> JSONValue {
        let path = SupervisorPaths(root: layout.root).status
        guard let bytes = try? FileSystem.read(path, limit: 4 << 20),
            let value = try? JSONParser.parse(bytes, what: path)
        else { return .null }
        return value
    }
}
