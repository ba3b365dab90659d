import Foundation
import GSAgent
import GSCore
import Testing

/// Runs gsctl through posix_spawn (GSCore's Subprocess): deploy commands leave a detached
/// supervisor running, and Foundation's Process on Linux then never reaps the gsctl child.
func gsctl(_ arguments: [String], cwd: String, env: [String: String] = [:]) throws -> Run {
    var command = ["env"] + env.map { "\($0.key)=\($0.value)" }
    command += ["sh", "-c", "cd \"$0\" && exec \"$@\"", cwd, CLI.binary] + arguments
    let output = try Subprocess.run(command)
    return Run(status: output.status, out: output.text, err: output.errorText)
}

/// A git repository with specs for two local hosts running the real PP-OCR direction
/// classifier (fp32) and a one-task workflow, driven through the real `gsctl` binary.
struct DeployRepo {
    let path: String
    var specs: String { path + "/Specs" }

    static let model = CLI.root + "/Specs/models/ppocr_cls.onnx"

    /// The Device every test repository's hosts are (an AVX2 x86 box with onnxruntime),
    /// a YAML document ending in a newline.
    static let gatewayDevice = """
        apiVersion: gs.ai/v1
        kind: Device
        metadata: {name: gateway}
        spec:
          arch: x86_64
          cpu: {features: [avx2, fma]}
          runtimes:
            - {name: onnxruntime, version: "1.20.1", format: onnx, precisions: [fp32, fp16, int8], fast: [fp32]}

        """
    static let lines = CLI.root + "/Specs/data/text-lines"

    /// `task` is the workflow task's shell command (default: a service that stays up).
    init(task: String = "echo \"$GS_MODEL\" > \"$GS_DATA/model\"; exec sleep 600", hosts: Int = 2) throws {
        path = CLI.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: specs, withIntermediateDirectories: true)
        try write(task: task, hosts: hosts)
        try git(["init", "-q", "-b", "main"])
        try git(["config", "user.email", "ci@example.com"])
        try git(["config", "user.name", "CI"])
        try FileManager.default.createDirectory(atPath: path + "/.gsctl", withIntermediateDirectories: true)
        try Data("Bundles/\nhosts/\n*.key\n".utf8).write(to: URL(fileURLWithPath: path + "/.gitignore"))
        try commit("specs")
    }

    func write(
        task: String, hosts: Int = 2, targets: [Int]? = nil, packages: [String]? = nil, trust: String? = nil,
        note: String = "", precision: String = "fp32", unreachable: Set<Int> = [], model: String = Self.model,
        shape: String = "1, 3, 48, 192"
    ) throws {
        var environments = ""
        var taskEnvironment = ""
        if let packages {
            let python = try Subprocess.run(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).text
                .trimmingCharacters(in: .whitespacesAndNewlines)
            environments = """
                  environments:
                    - name: py
                      python: "\(python)"
                      packages: [\(packages.joined(separator: ", "))]

                """
            taskEnvironment = "      environment: py"
        }
        let sha = try shaOf(model.hasPrefix("/") ? model : specs + "/" + model)
        var hostDocs = ""
        for i in 1...hosts {
            // An unreachable host: SSH to a loopback port nothing listens on (refused at once).
            let transport =
                unreachable.contains(i)
                ? "transport: ssh, address: 127.0.0.1, port: 1, user: nobody, root: /nonexistent/box\(i)"
                : "transport: local, root: ../hosts/box\(i)"
            hostDocs += """
                ---
                apiVersion: gs.ai/v1
                kind: Host
                metadata: {name: box\(i)}
                spec: {device: gateway, \(transport)}

                """
        }
        let yaml = """
            # \(note)
            \(DeployRepo.gatewayDevice)\(hostDocs)---
            apiVersion: gs.ai/v1
            kind: Model
            metadata: {name: direction}
            spec:
              source: \(model)
              sha256: \(sha)
              task: ocr-direction
              inputs: [{name: x, shape: [\(shape)]}]
              preprocess: {scale: 0.00392156862745098, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: bgr}
              evaluation: {data: \(Self.lines), samples: 4, metric: top1-agreement, tolerance: 0.05}
            ---
            apiVersion: gs.ai/v1
            kind: Workflow
            metadata: {name: reader}
            spec:
            \(environments)  tasks:
                - name: classify
                  uses: classify
                  model: direction
                  command: [sh, -c, '\(task)']
                  restart: {policy: never}
            \(taskEnvironment)
            ---
            apiVersion: gs.ai/v1
            kind: Deployment
            metadata: {name: reader-boxes}
            spec:
              workflow: reader
              precision: \(precision)
              targets: [{hosts: [\((targets ?? Array(1...hosts)).map { "box\($0)" }.joined(separator: ", "))]}]
              rollout: {canary: 1, batchSize: 1, failureThreshold: 0, onFailure: rollback-batch}
            \(trust.map { "  trust: [\($0)]" } ?? "")

            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: specs + "/specs.yaml"))
    }

    func shaOf(_ file: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }

    @discardableResult
    func git(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func commit(_ message: String) throws {
        try git(["add", "-A"])
        try git(["commit", "-q", "-m", message])
    }

    var head: String { (try? git(["rev-parse", "HEAD"])) ?? "" }

    func host(_ i: Int) -> String { path + "/hosts/box\(i)" }

    func apply(_ extra: [String] = [], env: [String: String] = [:]) throws -> Run {
        try gsctl(["apply", "Specs", "-f", "json", "--cache", path + "/cache"] + extra, cwd: path, env: env)
    }

    /// The per-host results of an apply's JSON report.
    static func results(_ run: Run) -> [String: String] {
        guard let data = run.out.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let deployments = object["deployments"] as? [[String: Any]]
        else { return [:] }
        var out: [String: String] = [:]
        for deployment in deployments {
            for host in deployment["hosts"] as? [[String: Any]] ?? [] {
                out[host["host"] as? String ?? ""] = host["status"] as? String
            }
        }
        return out
    }

    func state(_ i: Int) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: host(i) + "/state.json"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }

    /// Host i's history entries, oldest first.
    func history(_ i: Int) -> [[String: Any]] { state(i)["history"] as? [[String: Any]] ?? [] }

    func activeRevision(_ i: Int) -> String? { (state(i)["active"] as? [String: Any])?["revision"] as? String }

    func current(_ i: Int) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: host(i) + "/current")
    }

    /// Stops the supervisors (and their tasks) the hosts started, and removes the repository.
    func cleanUp() {
        for i in 1...4 {
            let status = host(i) + "/run/supervisor.json"
            if let data = FileManager.default.contents(atPath: status),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                for task in object["tasks"] as? [[String: Any]] ?? [] {
                    if let pid = task["pid"] as? Int { kill(-Int32(pid), SIGKILL) }
                }
                if let pid = object["pid"] as? Int { kill(Int32(pid), SIGKILL) }
            }
        }
        LeftoverProcesses.kill(under: path)
        try? FileManager.default.removeItem(atPath: path)
    }
}

@Suite(.serialized) struct ApplyLocalTests {
    @Test func appliesToLocalHostsThenReapplyIsANoOp() throws {
        let repo = try DeployRepo()
        defer { repo.cleanUp() }
        let first = try repo.apply()
        #expect(first.status == 0, "\(first.err)\n\(first.out)")
        #expect(DeployRepo.results(first) == ["box1": "converged", "box2": "converged"])
        for i in 1...2 {
            #expect(repo.activeRevision(i) == repo.head)
            #expect(repo.current(i)?.hasPrefix("releases/reader-gateway-fp32-") == true)
            // The task got the model's path inside the active release.
            let model = try? String(contentsOfFile: repo.host(i) + "/data/classify/model", encoding: .utf8)
            #expect(model?.contains("/releases/reader-gateway-fp32-") == true, "\(model ?? "no model file")")
        }
        let again = try repo.apply()
        #expect(again.status == 0)
        #expect(DeployRepo.results(again) == ["box1": "unchanged", "box2": "unchanged"])
        #expect(!again.out.contains("\"bytesSent\" : 1"), "a no-op apply sends nothing")

        // A commit that changes nothing the hosts run records the revision and restarts nothing.
        let pid = try String(contentsOfFile: repo.host(1) + "/run/supervisor.json", encoding: .utf8)
            .components(separatedBy: "\"pid\"").dropFirst().first?.prefix(12)
        try Data("notes\n".utf8).write(to: URL(fileURLWithPath: repo.path + "/NOTES.md"))
        try repo.commit("docs only")
        let docsDiff = try gsctl(["diff", "Specs", "--cache", repo.path + "/cache"], cwd: repo.path)
        #expect(docsDiff.status == 0, "\(docsDiff.out)\(docsDiff.err)")
        let docs = try repo.apply()
        #expect(docs.status == 0, "\(docs.out)\(docs.err)")
        #expect(DeployRepo.results(docs) == ["box1": "unchanged", "box2": "unchanged"], "\(docs.out)")
        #expect(repo.activeRevision(1) == repo.head)
        let pidAfter = try String(contentsOfFile: repo.host(1) + "/run/supervisor.json", encoding: .utf8)
            .components(separatedBy: "\"pid\"").dropFirst().first?.prefix(12)
        #expect(pid == pidAfter, "the workflow was not restarted")

        let status = try gsctl(["status", "Specs"], cwd: repo.path)
        #expect(status.status == 0, "\(status.out)\(status.err)")
        #expect(status.out.contains("classify: ready") || status.out.contains("classify: running"), "\(status.out)")
    }

    @Test func driftIsShownByStatusAndDiffAndRepairedByApply() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        #expect(try repo.apply().status == 0)
        let release = repo.host(1) + "/" + (repo.current(1) ?? "")
        let model = release + "/models/direction/fp32/model.onnx"
        try editByHand(model)

        let status = try gsctl(["status", "Specs"], cwd: repo.path)
        #expect(status.status == 3)
        #expect(status.out.contains("drift modified models/direction/fp32/model.onnx"), "\(status.out)")
        let diff = try gsctl(["diff", "Specs", "--cache", repo.path + "/cache"], cwd: repo.path)
        #expect(diff.status == 2, "\(diff.out)\(diff.err)")
        #expect(diff.out.contains("repair"), "\(diff.out)")

        // In plain text (no -f json): the host's line, then the golden check of the repaired
        // model (its task runs in no environment: gsctl's executor ran it).
        let repair = try gsctl(["apply", "Specs", "--cache", repo.path + "/cache"], cwd: repo.path)
        #expect(repair.status == 0, "\(repair.out)\(repair.err)")
        #expect(repair.err.contains("box1: repaired"), "\(repair.err)")
        #expect(repair.err.contains("golden direction/fp32 in gsctl executor: "), "\(repair.err)")
        // The summary table on stdout, then the counts for the revision.
        #expect(repair.out.hasPrefix("DEPLOYMENT    HOST  STATUS    RELEASE"), "\(repair.out)")
        #expect(repair.out.contains("reader-boxes  box1  repaired  reader-gateway-fp32-"), "\(repair.out)")
        #expect(repair.out.contains("revision \(repo.head.prefix(12)): 1 repaired\n"), "\(repair.out)")
        #expect(try gsctl(["status", "Specs"], cwd: repo.path).status == 0)
        let history = try gsctl(["history", "box1", "Specs"], cwd: repo.path)
        #expect(history.out.contains("repaired"), "\(history.out)")
    }

    /// `diff` before an upgrade: per host the move, what changes inside the model (its input
    /// shape, size) and the bytes the host lacks, which is what apply then sends; exit 2, then
    /// 0 once applied, and 1 when a host cannot be asked.
    @Test func diffShowsAnUpgradesModelChangesAndDownloadThenGatesCI() throws {
        let repo = try DeployRepo(hosts: 2)
        defer { repo.cleanUp() }
        #expect(try repo.apply().status == 0)
        let before = try #require(repo.current(1)?.split(separator: "/").last)
        try repo.write(task: "echo \"$GS_MODEL\" > \"$GS_DATA/model\"; exec sleep 600", shape: "1, 3, 48, 160")
        try repo.commit("narrower input")

        let cache = ["--cache", repo.path + "/cache"]
        let text = try gsctl(["diff", "Specs"] + cache, cwd: repo.path)
        #expect(text.status == 2, "\(text.out)\(text.err)")
        #expect(text.out.contains("reader-boxes/box1: upgrade \(before) -> "), "\(text.out)")
        #expect(
            text.out.contains("model direction: changed (input x [1, 3, 48, 192] -> [1, 3, 48, 160]"), "\(text.out)")
        let json = try gsctl(["diff", "Specs", "-f", "json"] + cache, cwd: repo.path)
        let entries = try #require(
            try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]], "\(json.out)")
        let download = try #require(entries.first { $0["host"] as? String == "box1" }?["downloadBytes"] as? Int)
        // The new model and its golden files; the task files the host already has are not counted.
        #expect(download > 100_000, "\(json.out)")
        #expect(text.out.contains(", download "), "\(text.out)")

        let applied = try repo.apply()
        #expect(applied.status == 0, "\(applied.out)\(applied.err)")
        let sent = ApplySSHTests.bytesSent(applied, "box1")
        #expect(sent >= download && sent < download + download / 20 + 65_536, "sent \(sent), diff said \(download)")
        let after = try gsctl(["diff", "Specs"] + cache, cwd: repo.path)
        #expect(after.status == 0, "\(after.out)\(after.err)")
        #expect(after.out.contains("reader-boxes/box1: nothing"), "\(after.out)")

        try repo.write(
            task: "echo \"$GS_MODEL\" > \"$GS_DATA/model\"; exec sleep 600", unreachable: [2], shape: "1, 3, 48, 160")
        try repo.commit("box2 moved")
        let unreachable = try gsctl(["diff", "Specs"] + cache, cwd: repo.path)
        #expect(unreachable.status == 1, "\(unreachable.out)\(unreachable.err)")
        #expect(unreachable.out.contains("reader-boxes/box2: error"), "\(unreachable.out)")
    }

    /// A host whose disk cannot hold the release refuses it before any model byte is sent
    /// (the blobs it lacks plus one copy of the release, measured with statvfs), and takes it
    /// once there is room. The host's disk is a 1 MB tmpfs, grown to 16 MB.
    @Test(.enabled(if: getuid() == 0, "mounts a tmpfs as the host's disk"))
    func aHostWithoutRoomRefusesTheReleaseBeforeReceivingIt() throws {
        let repo = try DeployRepo(hosts: 1)
        let root = repo.host(1)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        #expect(try Subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", root]).status == 0)
        defer {
            _ = try? Subprocess.run(["umount", "-l", root])
            repo.cleanUp()
        }
        let full = try repo.apply()
        #expect(full.status == 3, "\(full.out)\(full.err)")
        #expect(DeployRepo.results(full)["box1"] == "refused")
        #expect(ApplySSHTests.message(full, "box1").contains("not enough disk space on the host"), "\(full.out)")
        #expect(repo.current(1) == nil)
        #expect(ApplySSHTests.bytesSent(full, "box1") < 100_000, "the model was not sent")

        #expect(try Subprocess.run(["mount", "-o", "remount,size=16m", root]).status == 0)
        let roomy = try repo.apply()
        #expect(roomy.status == 0, "\(roomy.out)\(roomy.err)")
        #expect(DeployRepo.results(roomy)["box1"] == "converged")
    }

    /// On a terminal each host gets one line, rewritten in place as it moves through its
    /// steps (cursor up, erase line), ending in its result; `script` gives apply a pty.
    @Test func onATerminalEachHostHasOneLiveLine() throws {
        let repo = try DeployRepo(hosts: 2)
        defer { repo.cleanUp() }
        let command = "'\(CLI.binary)' apply Specs --cache '\(repo.path)/cache'"
        let run = try Subprocess.run(["sh", "-c", "cd '\(repo.path)' && exec script -qec \"$0\" /dev/null", command])
        #expect(run.status == 0, "\(run.text)\(run.errorText)")
        let screen = run.text
        #expect(screen.contains("\u{1B}[2K\rreader-boxes/box1: connecting"), "\(screen)")
        #expect(screen.contains("reader-boxes/box2: activating: verify, switch, health gates"), "\(screen)")
        #expect(screen.contains("\u{1B}[2A"), "two lines redrawn in place")
        #expect(screen.contains("\u{1B}[2K\rreader-boxes/box2: converged (none) -> reader-gateway-fp32-"), "\(screen)")
        // No plain per-host log lines on a terminal: only the live lines, then the table.
        #expect(!screen.contains("\nreader-boxes/box1: converged"), "\(screen)")
        #expect(screen.contains("DEPLOYMENT    HOST  STATUS"), "\(screen)")
    }

    /// `--only` converges one deployment's hosts and leaves the others' alone;
    /// `--max-parallel` takes a positive number.
    @Test func onlyAppliesTheNamedDeployment() throws {
        let repo = try DeployRepo(hosts: 2)
        defer { repo.cleanUp() }
        try repo.write(task: "exec sleep 600", hosts: 2, targets: [1])
        let spare = """
            ---
            apiVersion: gs.ai/v1
            kind: Deployment
            metadata: {name: reader-spare}
            spec:
              workflow: reader
              precision: fp32
              targets: [{hosts: [box2]}]

            """
        let handle = try #require(FileHandle(forWritingAtPath: repo.specs + "/specs.yaml"))
        handle.seekToEndOfFile()
        handle.write(Data(spare.utf8))
        try handle.close()
        try repo.commit("a second deployment")

        // A misspelt name is an error that names the nearest deployment, and touches no host.
        let typo = try repo.apply(["--only", "reader-spar"])
        #expect(typo.status == 1, "\(typo.out)\(typo.err)")
        #expect(typo.err.contains("no deployment named `reader-spar`"), "\(typo.err)")
        #expect(typo.err.contains("did you mean `reader-spare`?"), "\(typo.err)")
        #expect(repo.current(1) == nil && repo.current(2) == nil)

        let only = try repo.apply(["--only", "reader-spare", "--max-parallel", "1"])
        #expect(only.status == 0, "\(only.out)\(only.err)")
        #expect(DeployRepo.results(only) == ["box2": "converged"])
        #expect(repo.current(1) == nil && repo.current(2) != nil)
        let bad = try repo.apply(["--max-parallel", "0"])
        #expect(bad.status == 64)
        #expect(bad.err.contains("--max-parallel must be a positive number"), "\(bad.err)")
        let all = try repo.apply()
        #expect(DeployRepo.results(all) == ["box1": "converged", "box2": "unchanged"], "\(all.out)")
    }

    @Test func aFailingWorkflowRollsBackAndHaltsTheRollout() throws {
        let repo = try DeployRepo()
        defer { repo.cleanUp() }
        #expect(try repo.apply().status == 0)
        let good = repo.current(1)
        try repo.write(task: "echo broken >&2; exit 3")
        try repo.commit("a broken task")
        let run = try repo.apply()
        #expect(run.status == 3, "\(run.out)\(run.err)")
        // The canary failed its gate and went back; the second host was never touched.
        #expect(DeployRepo.results(run) == ["box1": "rolled-back", "box2": "skipped"], "\(run.out)")
        #expect(repo.current(1) == good)
        #expect(repo.current(2) == good)
        #expect(run.out.contains("halted"))
        // The failed release goes no further on the next apply (the hosts stay on what
        // passed), unless retried; a fixed revision rolls out.
        let again = try repo.apply()
        #expect(again.status == 3)
        #expect(DeployRepo.results(again) == ["box1": "skipped", "box2": "skipped"], "\(again.out)")
        #expect(again.out.contains("failed its health gates on box1"), "\(again.out)")
        // diff says the same instead of promising the upgrade.
        let diff = try gsctl(["diff", "Specs", "--cache", repo.path + "/cache"], cwd: repo.path)
        #expect(diff.status == 2, "\(diff.err)")
        #expect(
            diff.out.components(separatedBy: "held: this release failed its health gates on box1").count == 3,
            "\(diff.out)")
        let retried = try repo.apply(["--retry-failed"])
        #expect(DeployRepo.results(retried)["box1"] == "rolled-back", "\(retried.out)")
        try repo.write(task: "exec sleep 605")
        try repo.commit("fixed")
        let fixed = try repo.apply()
        #expect(fixed.status == 0, "\(fixed.out)\(fixed.err)")
        #expect(DeployRepo.results(fixed) == ["box1": "converged", "box2": "converged"], "\(fixed.out)")
    }

    /// A host that was down while the fleet moved on catches up, on the next apply, to the
    /// last release that passed on the others: not to the new one that failed, and not by
    /// staying behind until someone fixes it.
    @Test func aHostLeftBehindCatchesUpToTheLastReleaseThatPassed() throws {
        let repo = try DeployRepo(hosts: 3)
        defer { repo.cleanUp() }
        try repo.write(task: "exec sleep 600", hosts: 3, unreachable: [2])
        try repo.commit("v1, box2 down")
        let v1 = repo.head
        let first = try repo.apply()
        #expect(first.status == 3, "\(first.out)\(first.err)")
        #expect(DeployRepo.results(first) == ["box1": "converged", "box2": "unreachable", "box3": "converged"])
        #expect(repo.current(2) == nil)
        let good = try #require(repo.current(1))

        // box2 is back; v2 breaks the workflow and fails on the canary.
        try repo.write(task: "echo broken >&2; exit 3", hosts: 3)
        try repo.commit("v2, broken")
        let second = try repo.apply()
        #expect(second.status == 3, "\(second.out)\(second.err)")
        #expect(
            DeployRepo.results(second) == ["box1": "rolled-back", "box2": "caught-up", "box3": "skipped"],
            "\(second.out)")
        #expect(repo.activeRevision(2) == v1)
        // Rebuilt at v1, the release is byte for byte the one box1 and box3 run.
        #expect(repo.current(2) == good)
        #expect(ApplySSHTests.message(second, "box2").contains("caught up to revision \(v1.prefix(12))"))
        let failed = try #require((repo.state(1)["failed"] as? [String: Any])?.keys.first)
        #expect(!((repo.state(2)["failed"] as? [String: Any])?.keys.contains(failed) ?? false))
        #expect(
            (repo.state(2)["history"] as? [[String: Any]])?.contains { $0["action"] as? String == "failed" } == false)

        // The next apply keeps everyone on v1 (the failed release goes no further) and has
        // nothing left to catch up.
        let third = try repo.apply()
        #expect(third.status == 3)
        #expect(DeployRepo.results(third) == ["box1": "skipped", "box2": "skipped", "box3": "skipped"], "\(third.out)")
        #expect(repo.current(2) == good)

        // box2 is replaced by a blank device: a dry run says it would catch up, and changes
        // nothing; the apply does it.
        let stop = try gsctl(["agent", "stop", "--root", repo.host(2)], cwd: repo.path)
        #expect(stop.status == 0, "\(stop.err)")
        try FileManager.default.removeItem(atPath: repo.host(2))
        let dry = try repo.apply(["--dry-run"])
        #expect(DeployRepo.results(dry)["box2"] == "pending", "\(dry.out)")
        #expect(ApplySSHTests.message(dry, "box2").contains("would catch up to revision \(v1.prefix(12))"))
        #expect(repo.current(2) == nil)
        // diff names the same target for box2, and says the others stay where they are.
        let diff = try gsctl(["diff", "Specs", "--cache", repo.path + "/cache"], cwd: repo.path)
        #expect(diff.status == 2, "\(diff.err)")
        #expect(diff.out.contains("apply would catch it up to revision \(v1.prefix(12))"), "\(diff.out)")
        #expect(diff.out.components(separatedBy: "apply keeps it on").count == 3, "\(diff.out)")
        #expect(repo.current(2) == nil)
        let replaced = try repo.apply()
        #expect(DeployRepo.results(replaced)["box2"] == "caught-up", "\(replaced.out)")
        #expect(repo.current(2) == good)

        // A fixed revision rolls out to all three.
        try repo.write(task: "exec sleep 605", hosts: 3)
        try repo.commit("v3, fixed")
        let fixed = try repo.apply()
        #expect(fixed.status == 0, "\(fixed.out)\(fixed.err)")
        #expect(DeployRepo.results(fixed) == ["box1": "converged", "box2": "converged", "box3": "converged"])
    }

    @Test func aStaleRevisionIsRefused() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        let old = repo.head
        #expect(try repo.apply().status == 0)
        try repo.write(task: "exec sleep 601", hosts: 1)
        try repo.commit("newer")
        #expect(try repo.apply().status == 0)
        let stale = try repo.apply(["--ref", old])
        #expect(stale.status == 3)
        #expect(DeployRepo.results(stale)["box1"] == "refused")
        #expect(stale.out.contains("not an ancestor"), "\(stale.out)")
        #expect(repo.activeRevision(1) == repo.head)
        // rollback is the way back: to the host's previous release, which ran `old`.
        let back = try gsctl(["rollback", "reader-boxes", "Specs"], cwd: repo.path)
        #expect(back.status == 0, "\(back.out + back.err)")
        #expect(repo.activeRevision(1) == old)
    }

    /// `rollback --to REV` picks the release a host ran at that revision, however far back
    /// (while the host still holds it); a revision it never ran is refused, naming it.
    @Test func rollbackToARevisionSwitchesToTheReleaseItRanThere() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        let first = repo.head
        #expect(try repo.apply().status == 0)
        var revisions = [first]
        for seconds in [601, 602] {
            try repo.write(task: "exec sleep \(seconds)", hosts: 1)
            try repo.commit("sleep \(seconds)")
            #expect(try repo.apply().status == 0)
            revisions.append(repo.head)
        }
        let firstRelease = try #require(
            (repo.history(1).first { $0["revision"] as? String == first })?["release"] as? String)
        let back = try gsctl(["rollback", "reader-boxes", "Specs", "--to", String(first.prefix(10))], cwd: repo.path)
        #expect(back.status == 0, "\(back.out + back.err)")
        #expect(repo.activeRevision(1) == first)
        #expect(repo.current(1)?.hasSuffix(firstRelease) == true, "\(repo.current(1) ?? "no current link")")
        #expect(repo.history(1).last?["action"] as? String == "rolled-back")
        // status names the host that runs another revision than git's HEAD.
        let status = try gsctl(["status", "Specs"], cwd: repo.path)
        #expect(status.status == 3)
        #expect(
            status.out.contains("on revision \(first.prefix(12)), git HEAD is \(repo.head.prefix(12))"), "\(status.out)"
        )
        // The host now runs an older revision than git's HEAD; a plain apply moves it forward.
        let forward = try repo.apply()
        #expect(forward.status == 0, "\(forward.out)\(forward.err)")
        #expect(repo.activeRevision(1) == revisions[2])
        let unknown = try gsctl(["rollback", "reader-boxes", "Specs", "--to", "0123456789ab"], cwd: repo.path)
        #expect(unknown.status == 3)
        #expect(
            (unknown.out + unknown.err).contains("no release matching `0123456789ab`"), "\(unknown.out + unknown.err)")
        #expect(repo.activeRevision(1) == revisions[2])
    }

    /// Models are git-ignored (fetched by `make models`) with their sha256 pinned: applying an
    /// older revision takes the checkout's file when its digest is the one pinned there, and
    /// otherwise says which file that revision needs.
    @Test func anOlderRevisionsIgnoredModelComesFromTheCheckoutWhenItsDigestMatches() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        try FileManager.default.copyItem(atPath: DeployRepo.model, toPath: repo.specs + "/direction.onnx")
        try Data("Bundles/\nhosts/\n*.key\n*.onnx\n".utf8).write(to: URL(fileURLWithPath: repo.path + "/.gitignore"))
        try repo.write(task: "exec sleep 600", hosts: 1, model: "direction.onnx")
        try repo.commit("v1, model git-ignored")
        let v1 = repo.head
        #expect(try repo.git(["ls-files", "Specs"]) == "Specs/specs.yaml")
        try repo.write(task: "exec sleep 601", hosts: 1, model: "direction.onnx")
        try repo.commit("v2")

        let old = try repo.apply(["--ref", v1])
        #expect(old.status == 0, "\(old.out)\(old.err)")
        #expect(repo.activeRevision(1) == v1)

        // The checkout's model changes (a new export, pinned at v3): v2 no longer has its file.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: repo.specs + "/direction.onnx"))
        bytes.append(0)
        try bytes.write(to: URL(fileURLWithPath: repo.specs + "/direction.onnx"))
        try repo.write(task: "exec sleep 601", hosts: 1, model: "direction.onnx")
        try repo.commit("v3, new model")
        let v2 = try repo.git(["rev-parse", "HEAD~1"])
        let missing = try repo.apply(["--ref", v2])
        #expect(missing.status == 1, "\(missing.out)\(missing.err)")
        let pinned = try repo.git(["show", "\(v2):Specs/specs.yaml"]).components(separatedBy: "sha256: ")[1].prefix(64)
        #expect(
            missing.err.contains(
                "`Specs/direction.onnx` is not committed at \(v2.prefix(12)) (git-ignored), and the checkout's copy has sha256"
            ), "\(missing.err)")
        #expect(missing.err.contains("put the file with sha256 \(pinned) there"), "\(missing.err)")
        #expect(repo.activeRevision(1) == v1)
    }

    @Test func aDirtyTreeIsRefusedUnlessAllowed() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        try repo.write(task: "exec sleep 602", hosts: 1)
        let refused = try repo.apply()
        #expect(refused.status == 1)
        #expect(refused.err.contains("uncommitted changes"), "\(refused.err)")
        #expect(!FileManager.default.fileExists(atPath: repo.host(1) + "/state.json"))
        #expect(try repo.apply(["--allow-dirty"]).status == 0)
    }

    @Test func aHeldLeaseIsNamedAndAnExpiredOneIsTakenOver() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        try FileManager.default.createDirectory(atPath: repo.host(1), withIntermediateDirectories: true)
        let lease = repo.host(1) + "/lease.json"
        let live =
            "{\"expires\":\(Date().timeIntervalSince1970 + 300),\"owner\":\"alice@laptop pid 1\",\"pid\":\(getpid())}"
        try Data(live.utf8).write(to: URL(fileURLWithPath: lease))
        let blocked = try repo.apply()
        #expect(blocked.status == 3)
        #expect(blocked.out.contains("locked by `alice@laptop pid 1`"), "\(blocked.out)")
        // An expired lease (or one whose agent is gone) is taken over.
        let expired =
            "{\"expires\":\(Date().timeIntervalSince1970 - 5),\"owner\":\"alice@laptop pid 1\",\"pid\":\(getpid())}"
        try Data(expired.utf8).write(to: URL(fileURLWithPath: lease))
        let run = try repo.apply()
        #expect(run.status == 0, "\(run.out + run.err)")
        #expect(!FileManager.default.fileExists(atPath: lease), "the lease is given back")
    }

    @Test func unsignedOrOtherKeyBundlesAreRefusedWhereKeysArePinned() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        #expect(try gsctl(["keygen", "--out", repo.path + "/trusted"], cwd: repo.path).status == 0)
        #expect(try gsctl(["keygen", "--out", repo.path + "/other"], cwd: repo.path).status == 0)
        let install = try gsctl(["agent", "install", "box1", "--trust", repo.path + "/trusted.pub"], cwd: repo.path)
        #expect(install.status == 0, "\(install.err)")
        let unsigned = try repo.apply()
        #expect(unsigned.status == 3)
        #expect(unsigned.out.contains("unsigned"), "\(unsigned.out)")
        let other = try repo.apply(["--sign", repo.path + "/other.key"])
        #expect(other.status == 3)
        #expect(other.out.contains("not a trusted key"), "\(other.out)")
        #expect(repo.current(1) == nil, "nothing was activated")
        let signed = try repo.apply(["--sign", repo.path + "/trusted.key"])
        #expect(signed.status == 0, "\(signed.out + signed.err)")
    }

    /// Agent steps: the agent dies there (apply reports the host, exit 3). Controller steps:
    /// `gsctl apply` itself dies there (SIGKILL, 137), mid-way through a first deploy.
    @Test(arguments: CrashHook.agentSteps + CrashHook.controllerSteps)
    func aCrashAtAnyStepLeavesOldOrNewAndTheNextApplyConverges(step: String) throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        let controller = step.hasPrefix("controller.")
        if !controller { #expect(try repo.apply().status == 0) }
        let old = repo.current(1)
        try repo.write(task: "exec sleep 603", hosts: 1)
        try repo.commit("v2")
        let crashed = try repo.apply(env: ["GSCTL_CRASH_AT": step])
        #expect(crashed.status == (controller ? 137 : 3), "\(step): \(crashed.out)\(crashed.err)")
        if !controller {
            let activating = !CrashHook.beforeActivation.contains(step)
            #expect(DeployRepo.results(crashed) == ["box1": activating ? "interrupted" : "unreachable"], "\(step)")
        }
        let after = repo.current(1)
        let releases = (try? FileManager.default.contentsOfDirectory(atPath: repo.host(1) + "/releases")) ?? []
        let new = releases.first { "releases/" + $0 != old && !$0.hasPrefix(".") }.map { "releases/" + $0 }
        #expect(after == old || (new != nil && after == new), "\(step): current is \(after ?? "none")")
        let next = try repo.apply()
        #expect(next.status == 0, "\(step): \(next.out)\(next.err)")
        #expect(repo.activeRevision(1) == repo.head)
        let state = repo.state(1)
        #expect(state["pending"] == nil, "\(step): no activation left pending")
    }

    /// A canary whose agent dies mid-activation halts the rollout like a failed one: the same
    /// release might kill every agent it reaches. The second host is not touched, and the next
    /// apply (nothing killed) recovers the canary and converges both.
    @Test func aCanaryKilledMidActivationHaltsTheRollout() throws {
        let repo = try DeployRepo()
        defer { repo.cleanUp() }
        #expect(try repo.apply().status == 0)
        let old = repo.current(2)
        try repo.write(task: "exec sleep 604")
        try repo.commit("v2")
        let crashed = try repo.apply(env: ["GSCTL_CRASH_AT": "health"])
        #expect(crashed.status == 3, "\(crashed.out)\(crashed.err)")
        #expect(DeployRepo.results(crashed) == ["box1": "interrupted", "box2": "skipped"], "\(crashed.out)")
        #expect(crashed.out.contains("the canary box1 failed"), "\(crashed.out)")
        #expect(crashed.out.contains("the link died during activation"), "\(crashed.out)")
        #expect(repo.current(2) == old)
        let next = try repo.apply()
        #expect(next.status == 0, "\(next.out)\(next.err)")
        #expect(repo.activeRevision(1) == repo.head && repo.activeRevision(2) == repo.head)
    }

    /// Killed on its way back from a failed release (the link already back, the old workflow
    /// not yet restarted), a host still ends on the old release: the next apply's recovery
    /// finishes the rollback and restarts it, and tries the failed release again.
    @Test(arguments: CrashHook.rollbackSteps)
    func aCrashWhileRollingBackEndsOnTheOldRelease(step: String) throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        #expect(try repo.apply().status == 0)
        let old = repo.current(1)
        let oldRevision = repo.activeRevision(1)
        try repo.write(task: "echo broken >&2; exit 3", hosts: 1)
        try repo.commit("a broken task")
        let crashed = try repo.apply(env: ["GSCTL_CRASH_AT": step])
        #expect(crashed.status == 3, "\(crashed.out)\(crashed.err)")
        #expect(repo.current(1) == old)
        #expect(repo.state(1)["pending"] != nil, "the agent died before finishing")

        let next = try repo.apply()
        #expect(next.status == 3, "\(next.out)\(next.err)")
        #expect(DeployRepo.results(next)["box1"] == "rolled-back", "\(next.out)")
        #expect(repo.current(1) == old)
        #expect(repo.activeRevision(1) == oldRevision)
        #expect(repo.state(1)["pending"] == nil)
        let actions = repo.history(1).compactMap { $0["action"] as? String }
        #expect(actions.suffix(3) == ["interrupted", "failed", "rolled-back"], "\(actions)")
        // The old workflow was started again (it may still be starting).
        let status = try gsctl(["status", "Specs"], cwd: repo.path)
        #expect(
            ["starting", "ready", "running"].contains { status.out.contains("box1/classify: \($0) pid") },
            "\(status.out)")
    }

    @Test func pruneStopsHostsNoDeploymentTargets() throws {
        let repo = try DeployRepo()
        defer { repo.cleanUp() }
        #expect(try repo.apply().status == 0)
        try repo.write(task: "echo \"$GS_MODEL\" > \"$GS_DATA/model\"; exec sleep 600", hosts: 2, targets: [1])
        try repo.commit("box2 leaves the deployment")
        let kept = try repo.apply()
        #expect(kept.status == 0)
        #expect(repo.current(2) != nil, "without --prune an untargeted host keeps running")
        let diff = try gsctl(["diff", "Specs", "--prune", "--cache", repo.path + "/cache"], cwd: repo.path)
        #expect(diff.status == 2, "\(diff.out)\(diff.err)")
        #expect(diff.out.contains("(prune)/box2: remove"), "\(diff.out)")
        let pruned = try repo.apply(["--prune"])
        #expect(pruned.status == 0, "\(pruned.out)\(pruned.err)")
        #expect(DeployRepo.results(pruned)["box2"] == "removed", "\(pruned.out)")
        #expect(repo.current(2) == nil)
        #expect(repo.current(1) != nil)
        let history = try gsctl(["history", "box2", "Specs"], cwd: repo.path)
        #expect(history.out.contains("removed"), "\(history.out)")
    }

    @Test func oldReleasesAndTheirBlobsAreCollected() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        for version in 0..<5 {
            try repo.write(task: "exec sleep \(700 + version)", hosts: 1)
            try repo.commit("v\(version)")
            let run = try repo.apply()
            #expect(run.status == 0, "\(run.out)\(run.err)")
        }
        let releases = try FileManager.default.contentsOfDirectory(atPath: repo.host(1) + "/releases").filter {
            !$0.hasPrefix(".")
        }
        #expect(releases.count == 3, "\(releases)")
        // The five releases share their three files (model, golden input and output); each
        // has its own manifest. What remains: the shared files and the kept manifests.
        let blobs = try FileManager.default.contentsOfDirectory(atPath: repo.host(1) + "/blobs/sha256")
        #expect(blobs.count == 3 + 3, "\(blobs.count) blobs")
        let back = try gsctl(["rollback", "reader-boxes", "Specs"], cwd: repo.path)
        #expect(back.status == 0, "\(back.out)\(back.err)")
    }

    /// The environment's wheels travel in the bundle and the host installs them with no
    /// package index; the task's `python3` is the environment's.
    @Test func aWorkflowEnvironmentIsInstalledFromTheBundlesWheels() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        try repo.write(
            task: "command -v python3 > \"$GS_DATA/python\"; exec python3 -c \"import six, time; time.sleep(600)\"",
            hosts: 1, packages: ["six==1.16.0"])
        try repo.commit("an environment")
        let run = try repo.apply()
        #expect(run.status == 0, "\(run.out)\(run.err)")
        let release = repo.host(1) + "/" + (repo.current(1) ?? "")
        let wheels = (try? FileManager.default.contentsOfDirectory(atPath: release + "/env/py")) ?? []
        #expect(wheels.contains { $0.hasPrefix("six-1.16.0") && $0.hasSuffix(".whl") }, "\(wheels)")
        let python = try String(contentsOfFile: repo.host(1) + "/data/classify/python", encoding: .utf8)
        #expect(python.contains(repo.host(1) + "/envs/"), "\(python)")
        let status = try gsctl(["status", "Specs"], cwd: repo.path)
        #expect(status.out.contains("classify: ready"), "\(status.out)")

        // A new release pinning the same packages reuses the installed environment (same
        // key, its `.complete` marker untouched) instead of installing it again.
        let envs = repo.host(1) + "/envs"
        let keys = try FileManager.default.contentsOfDirectory(atPath: envs)
        #expect(keys.count == 1)
        let marker = envs + "/" + (keys.first ?? "") + "/.complete"
        let installedAt = try FileManager.default.attributesOfItem(atPath: marker)[.modificationDate] as? Date
        try repo.write(
            task: "command -v python3 > \"$GS_DATA/python\"; exec python3 -c \"import six, time; time.sleep(601)\"",
            hosts: 1, packages: ["six==1.16.0"])
        try repo.commit("same environment, another task")
        let again = try repo.apply()
        #expect(DeployRepo.results(again) == ["box1": "converged"], "\(again.out)\(again.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: envs) == keys)
        #expect(try FileManager.default.attributesOfItem(atPath: marker)[.modificationDate] as? Date == installedAt)
        #expect(try String(contentsOfFile: repo.host(1) + "/data/classify/python", encoding: .utf8) == python)
    }

    /// A host whose release is intact but whose workflow was stopped (a reboot, `gsctl agent
    /// stop`) is not converged: the next apply starts it and waits for it, instead of a no-op.
    @Test func aStoppedWorkflowIsStartedByTheNextApply() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        let first = try repo.apply()
        #expect(first.status == 0, "\(first.out)\(first.err)")
        #expect(try gsctl(["agent", "stop", "--root", repo.host(1)], cwd: repo.path).status == 0)
        try? FileManager.default.removeItem(atPath: repo.host(1) + "/data/classify/model")
        let again = try repo.apply()
        #expect(again.status == 0, "\(again.out)\(again.err)")
        #expect(DeployRepo.results(again)["box1"] == "repaired", "\(again.out)")
        #expect(again.out.contains("its workflow was not running: started it"), "\(again.out)")
        #expect(FileManager.default.fileExists(atPath: repo.host(1) + "/data/classify/model"))
        let third = try repo.apply()
        #expect(DeployRepo.results(third)["box1"] == "unchanged", "\(third.out)")
        // The same with a new commit that changes nothing the host runs (only provenance).
        #expect(try gsctl(["agent", "stop", "--root", repo.host(1)], cwd: repo.path).status == 0)
        try repo.write(task: "echo \"$GS_MODEL\" > \"$GS_DATA/model\"; exec sleep 600", hosts: 1, note: "a comment")
        try repo.commit("a comment")
        let fourth = try repo.apply()
        #expect(DeployRepo.results(fourth)["box1"] == "repaired", "\(fourth.out)")
        #expect(fourth.out.contains("its workflow was not running: started it"), "\(fourth.out)")
    }

    /// `precision: auto`: the host measures fp32 and fp16 with the task's own onnxruntime
    /// (GS_MEASURE), the task runs the variant it chose, `status --models` prints the table
    /// and `device bench` measures again.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["GSCTL_PYTHON"] != nil, "needs the oracle's Python"))
    func autoPrecisionIsMeasuredOnTheHostWithTheTasksRuntime() throws {
        let python = ProcessInfo.processInfo.environment["GSCTL_PYTHON"] ?? "python3"
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        try repo.write(
            task: "exec \(python) \(CLI.root)/Tests/GsctlTests/Fixtures/measuring_task.py", hosts: 1, precision: "auto")
        try repo.commit("auto")
        let run = try repo.apply()
        #expect(run.status == 0, "\(run.out)\(run.err)")
        let table = try gsctl(["status", "Specs", "--models"], cwd: repo.path)
        #expect(table.status == 0, "\(table.out)\(table.err)")
        #expect(table.out.contains("box1 / direction (task classify): runs "), "\(table.out)")
        #expect(table.out.contains("onnxruntime 1.20.1"), "\(table.out)")
        for variant in ["fp32", "fp16"] { #expect(table.out.contains(" \(variant) "), "\(table.out)") }
        let json = try gsctl(["status", "Specs", "-f", "json"], cwd: repo.path)
        let hosts = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]]
        let models = hosts?.first?["models"] as? [[String: Any]]
        let chosen = try #require(models?.first?["chosen"] as? String)
        let rows = models?.first?["rows"] as? [[String: Any]] ?? []
        #expect(rows.count == 2 && rows.allSatisfy { ($0["p50Ms"] as? Double ?? 0) > 0 }, "\(rows)")
        // The task was started on the chosen variant's file.
        let release = repo.host(1) + "/" + (repo.current(1) ?? "")
        #expect(
            eventually(within: 20) { FileManager.default.fileExists(atPath: repo.host(1) + "/data/classify/model") })
        let model = try String(contentsOfFile: repo.host(1) + "/data/classify/model", encoding: .utf8)
        #expect(model == release + "/models/direction/\(chosen)/model.onnx")

        // The fleet's HTML view shows the table under the host, the chosen variant marked.
        let html = try gsctl(["status", "Specs", "-f", "html"], cwd: repo.path)
        #expect(html.out.contains("model direction: runs <b>\(chosen)</b>"), "\(html.out)")
        #expect(html.out.contains("<tr class=chosen><td>\(chosen)<td>onnxruntime 1.20.1"), "\(html.out)")

        let bench = try gsctl(["device", "bench", "box1"], cwd: repo.path)
        #expect(bench.status == 0, "\(bench.out)\(bench.err)")
        #expect(bench.out.contains("box1 / direction"), "\(bench.out)")
        let history = try gsctl(["history", "box1"], cwd: repo.path)
        #expect(history.out.contains("measured"), "\(history.out)")
    }

    /// `device bench` switches the workflow to the variant that now measures fastest, gated
    /// like an activation: a variant the service cannot run sends it back to the one it ran
    /// (exit 3), a healthy one stays.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["GSCTL_PYTHON"] != nil, "needs the oracle's Python"))
    func deviceBenchSwitchesVariantsOnlyToOneThatRunsHealthy() throws {
        let python = ProcessInfo.processInfo.environment["GSCTL_PYTHON"] ?? "python3"
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        let control = repo.path + "/control"
        func steer(_ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: control)) }
        func running() -> String? {
            (try? String(contentsOfFile: repo.host(1) + "/data/classify/model", encoding: .utf8)).map {
                URL(fileURLWithPath: $0).deletingLastPathComponent().lastPathComponent
            }
        }
        try steer("slow=fp16\n")
        try repo.write(
            task: "exec \(python) \(CLI.root)/Tests/GsctlTests/Fixtures/switching_task.py \(control)", hosts: 1,
            precision: "auto")
        try repo.commit("auto")
        let run = try repo.apply()
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(eventually(within: 20) { running() == "fp32" }, "\(running() ?? "nothing")")

        // fp16 now measures faster, but the service cannot run it: back on fp32.
        try steer("slow=fp32\nbroken=fp16\n")
        try FileManager.default.removeItem(atPath: repo.host(1) + "/data/classify/model")
        let refused = try gsctl(["device", "bench", "box1"], cwd: repo.path)
        #expect(refused.status == 3, "\(refused.out)\(refused.err)")
        #expect(refused.out.contains("not healthy on it"), "\(refused.out)")
        #expect(eventually(within: 20) { running() == "fp32" }, "\(running() ?? "nothing")")
        let json = try gsctl(["status", "Specs", "-f", "json"], cwd: repo.path)
        let hosts = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]]
        #expect((hosts?.first?["models"] as? [[String: Any]])?.first?["chosen"] as? String == "fp32")
        let history = try gsctl(["history", "box1"], cwd: repo.path)
        #expect(history.out.contains("back on the variants it ran"), "\(history.out)")

        // Healthy on fp16: the switch stays.
        try steer("slow=fp32\n")
        let switched = try gsctl(["device", "bench", "box1"], cwd: repo.path)
        #expect(switched.status == 0, "\(switched.out)\(switched.err)")
        #expect(switched.out.contains("restarted on it"), "\(switched.out)")
        #expect(eventually(within: 20) { running() == "fp16" }, "\(running() ?? "nothing")")
    }

    /// A fresh CI runner (an empty build cache) takes the compiled model from a host that
    /// runs it (signed by a trusted key, checked against the manifest) instead of compiling.
    @Test func aFreshCacheIsSeededFromTheFleet() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        #expect(try gsctl(["keygen", "--out", repo.path + "/release"], cwd: repo.path).status == 0)
        try repo.write(task: "exec sleep 604", hosts: 1, trust: "../release.pub")
        try repo.commit("signed")
        #expect(
            try gsctl(["agent", "install", "box1", "--trust", repo.path + "/release.pub"], cwd: repo.path).status == 0)
        let first = try repo.apply(["--sign", repo.path + "/release.key"])
        #expect(first.status == 0, "\(first.out)\(first.err)")
        let fresh = repo.path + "/fresh-cache"
        let second = try gsctl(
            ["apply", "Specs", "-f", "json", "--cache", fresh, "--sign", repo.path + "/release.key"], cwd: repo.path)
        #expect(second.status == 0, "\(second.out)\(second.err)")
        #expect(DeployRepo.results(second)["box1"] == "unchanged", "\(second.out)")
        let entries = try FileManager.default.contentsOfDirectory(atPath: fresh).filter { !$0.hasPrefix(".") }
        #expect(entries.count == 1, "\(entries)")
        let origin = try? String(contentsOfFile: fresh + "/" + (entries.first ?? "") + "/origin", encoding: .utf8)
        #expect(origin?.hasPrefix("host box1") == true, "\(origin ?? "no origin: compiled locally")")
    }
}
