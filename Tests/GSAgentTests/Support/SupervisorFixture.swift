import GSAgent
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A host root in a temporary directory with releases built in the test, and a safety net:
/// when the fixture goes, every loop it made is stopped and any process that still carries
/// this root in `GS_RELEASE` is killed, so no test leaves a stray process behind.
final class SupervisorFixture {
    let root: String
    private var loops: [SupervisorLoop] = []

    init() {
        var template = Array("/tmp/gsctl-sup-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        root = made.map { String(cString: $0) } ?? "/tmp/gsctl-sup-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileSystem.makeDirectories(root)
    }

    deinit { cleanUp() }

    /// Stops what the test started and removes the root; safe to call twice.
    func cleanUp() {
        for loop in loops { loop.stopAll() }
        loops = []
        if Supervisor.isRunning(root: root) { try? Supervisor.stop(root: root, timeoutSeconds: 15) }
        for pid in processes() { kill(pid, SIGKILL) }
        FileSystem.removeTree(root)
    }

    func path(_ relative: String) -> String { FileSystem.join(root, relative) }

    /// Fast settings: probes and backoffs in tenths of a second.
    static var fastOptions: SupervisorLoop.Options {
        var options = SupervisorLoop.Options()
        options.readyAfterSeconds = 0.2
        options.stopGraceSeconds = 1
        options.statusIntervalSeconds = 0.1
        return options
    }

    func loop(_ options: SupervisorLoop.Options = SupervisorFixture.fastOptions) throws -> SupervisorLoop {
        let loop = try SupervisorLoop(root: root, options: options)
        loops.append(loop)
        return loop
    }

    /// Writes `ROOT/releases/<name>/manifest.json` (plus `files`, executable when their name
    /// ends in `.sh`) and returns the release directory.
    @discardableResult
    func release(_ name: String, tasks: [JSONValue], models: JSONValue = [:], files: [String: String] = [:]) throws
        -> String
    {
        let directory = path("releases/\(name)")
        try FileSystem.makeDirectories(directory)
        let manifest: JSONValue = [
            "format": "gsctl.bundle/v1", "id": .string(name), "files": [], "models": models,
            "workflowGraph": ["name": "demo", "tasks": .array(tasks)],
        ]
        try FileSystem.writeAtomically(manifest.canonical, to: FileSystem.join(directory, "manifest.json"))
        for (file, text) in files {
            let target = FileSystem.join(directory, file)
            try FileSystem.makeDirectories(FileSystem.directory(of: target))
            try FileSystem.writeAtomically(Array(text.utf8), to: target, mode: file.hasSuffix(".sh") ? 0o755 : 0o644)
        }
        return directory
    }

    /// Points `ROOT/current` at a release (a new link renamed over the old, as activation does).
    func activate(_ name: String) {
        let temporary = path("current.tmp")
        unlink(temporary)
        symlink("releases/\(name)", temporary)
        _ = FileSystem.rename(temporary, to: path("current"))
    }

    /// A task as the manifest's workflowGraph lists it.
    static func task(
        _ name: String, mode: String = "service", command: [String], needs: [String] = [], port: Int? = nil,
        params: JSONValue = .null, model: String? = nil, restart: JSONValue? = nil, health: JSONValue = .null,
        timeoutSeconds: Double? = nil, cpu: Double? = nil, memoryMB: Int? = nil, env: [String: String] = [:]
    ) -> JSONValue {
        var variables: [String: JSONValue] = ["DEMO_ENV": "yes"]
        for (key, value) in env { variables[key] = .string(value) }
        return
            [
                "name": .string(name), "uses": "command", "mode": .string(mode), "model": .optional(model),
                "command": .strings(command), "args": [], "env": .object(variables), "needs": .strings(needs),
                "params": params, "output": "none", "port": port.map { .int($0) } ?? .null, "environment": .null,
                "resources": ["cpu": cpu.map { .double($0) } ?? .null, "memoryMB": memoryMB.map { .int($0) } ?? .null],
                "restart": restart ?? [
                    "policy": "always", "backoffSeconds": .double(0.1), "maxBackoffSeconds": .double(0.4),
                    "maxRestarts": .null,
                ],
                "health": health, "timeoutSeconds": timeoutSeconds.map { .double($0) } ?? .null,
            ]
    }

    /// A shell command line as a task command.
    static func shell(_ script: String) -> [String] { ["/bin/sh", "-c", script] }

    /// Steps `loop` until `condition` holds or `timeout` seconds pass; whether it held.
    @discardableResult
    func drive(_ loop: SupervisorLoop, timeout: Double = 10, until condition: () -> Bool) -> Bool {
        let deadline = ChildProcess.now() + timeout
        while ChildProcess.now() < deadline {
            loop.step()
            if condition() { return true }
            usleep(20_000)
        }
        loop.step()
        return condition()
    }

    /// Waits (without a loop: a supervisor in another process) until `condition` holds.
    @discardableResult
    static func wait(timeout: Double = 10, until condition: () -> Bool) -> Bool {
        let deadline = ChildProcess.now() + timeout
        while ChildProcess.now() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    func state(_ loop: SupervisorLoop, _ task: String) -> SupervisorStatus.TaskState? {
        loop.status.task(task)?.state
    }

    func text(_ relative: String) -> String {
        String(decoding: (try? FileSystem.read(path(relative))) ?? [], as: UTF8.self)
    }

    /// Living processes started for this root (their environment names a release under it),
    /// optionally only those of one task.
    func processes(task: String? = nil) -> [pid_t] {
        let marker = Array("GS_RELEASE=\(root)/".utf8)
        let taskMarker = task.map { Array("GS_TASK=\($0)".utf8) }
        var found: [pid_t] = []
        for entry in (try? FileSystem.list("/proc")) ?? [] {
            guard let pid = pid_t(entry.name), pid != getpid(), Self.isLiving(pid),
                let environ = try? FileSystem.read("/proc/\(pid)/environ", limit: 1 << 20)
            else { continue }
            let variables = environ.split(separator: 0)
            guard variables.contains(where: { $0.starts(with: marker) }) else { continue }
            if let taskMarker, !variables.contains(where: { $0.elementsEqual(taskMarker) }) { continue }
            found.append(pid)
        }
        return found
    }

    /// Exists and is not a zombie.
    static func isLiving(_ pid: pid_t) -> Bool {
        guard let stat = try? FileSystem.read("/proc/\(pid)/stat", limit: 4096),
            let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count
        else { return false }
        return stat[close + 2] != UInt8(ascii: "Z") && stat[close + 2] != UInt8(ascii: "X")
    }

    /// A TCP port nothing listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 ? getsockname(fd, raw, &length) : -1
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The pids a task's script appended to `data/<task>/pids`, one per start.
    func startedPIDs(_ task: String) -> [pid_t] {
        text("data/\(task)/pids").split(separator: "\n").compactMap { pid_t($0) }
    }
}
