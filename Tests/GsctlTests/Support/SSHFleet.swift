import Foundation
import GSCore
import GSTestHosts

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A git repository whose Host specs are real SSH hosts in network namespaces (`box1`...),
/// with the agent installed on each and the signing key pinned, driven through the real
/// `gsctl` binary. The workflow runs the real PP-OCR direction classifier (fp32) in one task;
/// `payload` ships an extra task file to make a bundle as big as a test needs.
final class SSHFleet {
    let hosts: NamespaceHosts
    let path: String
    var specs: String { path + "/Specs" }
    /// The Deployment's `rollout:` (YAML flow mapping).
    let rollout: String
    /// The signing key pair (`release.key`, `release.pub`) the hosts trust.
    var signingKey: String { path + "/release.key" }
    var trustedKey: String { path + "/release.pub" }
    /// One build cache for every test of a run: the model is built once.
    static let cache = CLI.temporaryDirectory()

    /// The workflow task's default command: records its model path, then stays up.
    static let service = "echo \"$GS_MODEL\" > \"$GS_DATA/model\"; exec sleep 600"

    /// `count` hosts (1 to 4), specs committed, known hosts trusted, agents installed.
    init(
        tag: String, count: Int, rollout: String = "{canary: 1, batchSize: 2, failureThreshold: 0}",
        task: String = SSHFleet.service, specs writeSpecs: ((SSHFleet) throws -> Void)? = nil
    ) throws {
        hosts = try NamespaceHosts(tag: tag, count: count)
        path = CLI.temporaryDirectory()
        self.rollout = rollout
        do {
            // Another run's connection to the same addresses may still be open.
            closeConnections()
            try FileManager.default.createDirectory(atPath: specs, withIntermediateDirectories: true)
            if let writeSpecs { try writeSpecs(self) } else { try write(task: task) }
            try git(["init", "-q", "-b", "main"])
            try git(["config", "user.email", "ci@example.com"])
            try git(["config", "user.name", "CI"])
            try Data("Bundles/\n*.key\n*.pub\npayload/\n".utf8).write(to: URL(fileURLWithPath: path + "/.gitignore"))
            try commit("specs")
            try require(gsctl(["keygen", "--out", path + "/release"], cwd: path), "keygen")
            let names = (1...count).map { "box\($0)" }
            try require(gsctl(["hosts", "trust"] + names + ["--specs", "Specs"], cwd: path), "hosts trust")
            try commit("trust the hosts")
            try require(
                gsctl(["agent", "install"] + names + ["--trust", trustedKey, "--specs", "Specs"], cwd: path),
                "agent install")
        } catch {
            cleanUp()
            throw error
        }
    }

    /// One Host document per namespace host (`box1`...), device `gateway`, each ending with a newline.
    func hostDocuments() -> String {
        var hostDocs = ""
        for (i, host) in hosts.hosts.enumerated() {
            hostDocs += """
                ---
                apiVersion: gs.ai/v1
                kind: Host
                metadata: {name: box\(i + 1)}
                spec:
                  device: gateway
                  transport: ssh
                  address: "\(host.address)"
                  user: root
                  identityFile: \(hosts.clientKey)
                  root: \(host.root)

                """
        }
        return hostDocs
    }

    /// Writes the specs: `task` is the workflow task's shell command, `payload` a file the task
    /// ships, `health` the task's health probe (YAML flow mapping).
    func write(task: String, payload: String? = nil, health: String? = nil) throws {
        let count = hosts.hosts.count
        let hostDocs = hostDocuments()
        let files = payload.map { "\n      files: [\($0)]" } ?? ""
        let probe = health.map { "\n      health: \($0)" } ?? ""
        let yaml = """
            \(DeployRepo.gatewayDevice)\(hostDocs)---
            apiVersion: gs.ai/v1
            kind: Model
            metadata: {name: direction}
            spec:
              source: \(DeployRepo.model)
              sha256: \(try Self.modelDigest())
              task: ocr-direction
              inputs: [{name: x, shape: [1, 3, 48, 192]}]
              preprocess: {scale: 0.00392156862745098, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: bgr}
              evaluation: {data: \(DeployRepo.lines), samples: 4, metric: top1-agreement, tolerance: 0.05}
            ---
            apiVersion: gs.ai/v1
            kind: Workflow
            metadata: {name: reader}
            spec:
              tasks:
                - name: classify
                  uses: classify
                  model: direction
                  command: [sh, -c, '\(task)']\(files)\(probe)
                  restart: {policy: never}
            ---
            apiVersion: gs.ai/v1
            kind: Deployment
            metadata: {name: reader-boxes}
            spec:
              workflow: reader
              precision: fp32
              targets: [{hosts: [\((1...count).map { "box\($0)" }.joined(separator: ", "))]}]
              rollout: \(rollout)

            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: specs + "/specs.yaml"))
    }

    static func modelDigest() throws -> String { try SHA256.hex(ofFile: DeployRepo.model) }

    /// A file of `megabytes` MB of random bytes under `payload/` (ignored by git, named by an
    /// absolute path in the specs), for bundles that take seconds to send.
    func makePayload(megabytes: Int, name: String = "payload.bin") throws -> String {
        let directory = path + "/payload"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/" + name
        let made = try Subprocess.run([
            "dd", "if=/dev/urandom", "of=\(file)", "bs=1M", "count=\(megabytes)", "status=none",
        ])
        guard made.status == 0 else { throw GSError("dd failed: \(made.errorText)") }
        return file
    }

    @discardableResult
    func git(_ arguments: [String]) throws -> String {
        let output = try Subprocess.run(["git", "-C", path] + arguments)
        guard output.status == 0 else { throw GSError("git \(arguments.joined(separator: " ")): \(output.errorText)") }
        return output.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func commit(_ message: String) throws {
        try git(["add", "-A"])
        try git(["commit", "-q", "-m", message])
    }

    var head: String { (try? git(["rev-parse", "HEAD"])) ?? "" }

    /// `gsctl apply Specs -f json` with the shared cache and the pinned key's signature.
    func apply(_ extra: [String] = [], cwd: String? = nil) throws -> Run {
        try gsctl(applyArguments(extra), cwd: cwd ?? path)
    }

    func applyArguments(_ extra: [String] = []) -> [String] {
        ["apply", "Specs", "-f", "json", "--cache", Self.cache, "--sign", signingKey] + extra
    }

    /// Starts `gsctl apply` without waiting for it (from `cwd`, default the repository).
    func startApply(_ extra: [String] = [], cwd: String? = nil) throws -> BackgroundRun {
        try BackgroundRun([CLI.binary] + applyArguments(extra), cwd: cwd ?? path)
    }

    /// A clone of the repository (another operator's checkout: the known hosts are committed).
    func clone() throws -> String {
        let other = CLI.temporaryDirectory() + "/clone"
        let cloned = try Subprocess.run(["git", "clone", "-q", path, other])
        guard cloned.status == 0 else { throw GSError("git clone: \(cloned.errorText)") }
        try FileManager.default.copyItem(atPath: signingKey, toPath: other + "/release.key")
        clones.append(other)
        return other
    }

    private var clones: [String] = []

    // MARK: - What the hosts hold (namespaces share the file system)

    func root(_ i: Int) -> String { hosts[i - 1].root }

    func state(_ i: Int) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: root(i) + "/state.json"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }

    func activeRevision(_ i: Int) -> String? { (state(i)["active"] as? [String: Any])?["revision"] as? String }

    func current(_ i: Int) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: root(i) + "/current")
    }

    /// The active release's files (path -> sha256), from its manifest.
    func manifestFiles(_ i: Int) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: root(i) + "/current/manifest.json"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        var out: [String: String] = [:]
        for file in object["files"] as? [[String: Any]] ?? [] {
            if let path = file["path"] as? String, let digest = file["sha256"] as? String { out[path] = digest }
        }
        return out
    }

    /// Times (unix seconds) of the host's history entries with `action`.
    func historyTimes(_ i: Int, action: String) -> [Double] {
        (state(i)["history"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == action }.compactMap {
            $0["time"] as? Double
        }
    }

    /// Files under `blobs/<sub>` with their sizes.
    func blobs(_ i: Int, in sub: String) -> [String: Int] {
        let directory = root(i) + "/blobs/" + sub
        var out: [String: Int] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            var info = stat()
            if lstat(directory + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                out[name] = Int(info.st_size)
            }
        }
        return out
    }

    /// The release directories on the host.
    func releases(_ i: Int) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root(i) + "/releases")) ?? []).filter {
            !$0.hasPrefix(".")
        }
    }

    /// Ends gsctl's shared ssh connections to the hosts (ControlPersist keeps them a minute).
    func closeConnections() {
        for host in hosts.hosts {
            _ = try? Subprocess.run([
                "ssh", "-o", "ControlPath=/tmp/gsctl-ssh-\(geteuid())/%C", "-O", "exit", "-p", "22",
                "root@\(host.address)",
            ])
        }
    }

    /// Stops the supervisors and tasks the hosts started, ends the shared ssh connections,
    /// removes the hosts and the repositories.
    func cleanUp() {
        for host in hosts.hosts {
            if let data = FileManager.default.contents(atPath: host.root + "/run/supervisor.json"),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                for task in object["tasks"] as? [[String: Any]] ?? [] {
                    if let pid = task["pid"] as? Int, pid > 1 { kill(-Int32(pid), SIGKILL) }
                }
                if let pid = object["pid"] as? Int, pid > 1 { kill(Int32(pid), SIGKILL) }
            }
            LeftoverProcesses.kill(under: host.root)
        }
        // The controller's shared connections (ControlPersist) would outlive the hosts and be
        // picked up by the next test's hosts at the same addresses.
        closeConnections()
        hosts.shutdown()
        for directory in [path] + clones.map({ FileSystem.directory(of: $0) }) {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private func require(_ run: Run, _ what: String) throws {
        guard run.status == 0 else { throw GSError("gsctl \(what) failed (\(run.status)): \(run.err)\(run.out)") }
    }
}

/// A gsctl run in the background: its pid (to kill it), and its output once it ends.
/// Standard output and error go to files, so nothing blocks on a full pipe.
final class BackgroundRun {
    let child: ChildProcess
    let outPath: String
    let errPath: String

    init(_ arguments: [String], cwd: String) throws {
        let directory = CLI.temporaryDirectory()
        outPath = directory + "/out"
        errPath = directory + "/err"
        let script = "cd \"$0\" && out=$1 err=$2 && shift 2 && exec \"$@\" >\"$out\" 2>\"$err\""
        child = try ChildProcess(["sh", "-c", script, cwd, outPath, errPath] + arguments)
        child.closeInput()
    }

    var pid: pid_t { child.pid }

    /// Waits for the end (killing it after `seconds`); the result and when it ended.
    func finish(within seconds: Double) -> (run: Run, ended: Double) {
        let status = child.wait(deadline: ChildProcess.now() + seconds)
        let ended = ChildProcess.now()
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: FileSystem.directory(of: outPath))
        return (Run(status: status, out: out, err: err), ended)
    }

    /// Whether it is still running.
    var isRunning: Bool { kill(child.pid, 0) == 0 && !isZombie }

    private var isZombie: Bool {
        let status = (try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8)) ?? ""
        return status.contains("State:\tZ")
    }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; whether it held.
func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = ChildProcess.now() + seconds
    while ChildProcess.now() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
