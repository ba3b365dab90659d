import Foundation

/// Kills what a test's hosts left running: every process whose command line names a path
/// under the test's folder (an agent's `--root`). A test's clean-up kills the supervisor
/// its `run/supervisor.json` names; one that restarted, or whose state file a test broke,
/// outlived the test (two such agents were found idle after two CI runs).
enum LeftoverProcesses {
    static func kill(under directory: String) {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let own = getpid()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != own,
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.contains(where: { $0.hasPrefix(prefix) }) { Foundation.kill(pid, SIGKILL) }
        }
    }
}
