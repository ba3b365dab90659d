import Foundation
import GSCore
import GSTestHosts
import Testing

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `gsctl apply` end to end over real SSH: hosts are network namespaces running Debian's
/// sshd (scripts/netns-hosts.sh), the agent is installed on them with `gsctl agent install`
/// and their keys trusted with `gsctl hosts trust`; links are cut, controllers killed and
/// blobs tampered with while the real binary deploys the real PP-OCR classifier.
@Suite(.serialized, .enabled(if: NamespaceHosts.isAvailable, NamespaceHosts.skipComment))
struct ApplySSHTests {
    /// The per-host entries of an apply's JSON report, by host name.
    static func hosts(_ run: Run) -> [String: [String: Any]] {
        guard let data = run.out.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let deployments = object["deployments"] as? [[String: Any]]
        else { return [:] }
        var out: [String: [String: Any]] = [:]
        for deployment in deployments {
            for host in deployment["hosts"] as? [[String: Any]] ?? [] { out[host["host"] as? String ?? ""] = host }
        }
        return out
    }

    static func bytesSent(_ run: Run, _ host: String) -> Int { hosts(run)[host]?["bytesSent"] as? Int ?? -1 }
    static func message(_ run: Run, _ host: String) -> String { hosts(run)[host]?["message"] as? String ?? "" }

    /// Modification times (unix seconds) of the files in a directory.
    static func modificationTimes(_ directory: String) -> [Double] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { name in
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { return nil }
            return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        }
    }

    /// A first deploy to three hosts: canary alone, then a batch of two; every host runs git's HEAD.
    @Test func canaryThenBatchToThreeHosts() throws {
        let fleet = try SSHFleet(tag: "e1", count: 3)
        defer { fleet.cleanUp() }
        let run = try fleet.apply()
        #expect(run.status == 0, "\(run.err)\n\(run.out)")
        #expect(DeployRepo.results(run) == ["box1": "converged", "box2": "converged", "box3": "converged"])
        for i in 1...3 {
            #expect(fleet.activeRevision(i) == fleet.head, "box\(i)")
            #expect(fleet.current(i)?.hasPrefix("releases/reader-gateway-fp32-") == true, "box\(i)")
            // The task ran on the host, with the model inside the active release.
            let model = try? String(contentsOfFile: fleet.root(i) + "/data/classify/model", encoding: .utf8)
            #expect(model?.contains(fleet.root(i) + "/releases/reader-gateway-fp32-") == true, "\(model ?? "none")")
        }
        // The canary was activated before either batch host received its first byte.
        let canaryDone = try #require(fleet.historyTimes(1, action: "activated").first)
        for i in 2...3 {
            let firstBlob = try #require(Self.modificationTimes(fleet.root(i) + "/blobs/sha256").min())
            #expect(
                firstBlob > canaryDone, "box\(i) received blobs at \(firstBlob), the canary finished at \(canaryDone)")
        }
    }

    /// A cable pulled mid-transfer fails the host in seconds, activates nothing and keeps the
    /// bytes received; the next apply sends only the rest.
    @Test func aLinkCutMidTransferFailsFastAndTheNextApplyResumes() throws {
        let fleet = try SSHFleet(tag: "e2", count: 1)
        defer { fleet.cleanUp() }
        let first = try fleet.apply()
        #expect(first.status == 0, "\(first.err)\n\(first.out)")
        let old = try #require(fleet.current(1))
        let payload = try fleet.makePayload(megabytes: 96)
        let size = 96 << 20
        try fleet.write(task: "exec sleep 601", payload: payload)
        try fleet.commit("v2 ships 96 MB")

        let apply = try fleet.startApply()
        // Cut the cable once the host holds a few megabytes of the payload.
        let receiving = eventually(within: 120) {
            fleet.blobs(1, in: "partial").values.contains { $0 >= 4 << 20 } || !apply.isRunning
        }
        if !receiving || !apply.isRunning {
            let run = apply.finish(within: 1).run
            Issue.record("the transfer never started: \(run.status)\n\(run.err)\n\(run.out)")
            return
        }
        try fleet.hosts.setLink(fleet.hosts[0], up: false)
        let cut = ChildProcess.now()
        let (run, ended) = apply.finish(within: 90)
        let afterCut = ended - cut
        try fleet.hosts.setLink(fleet.hosts[0], up: true)
        print("link cut: apply exited \(tenths(afterCut)) after the cut")
        #expect(run.status == 3, "\(run.err)\n\(run.out)")
        #expect(afterCut < 30, "apply took \(afterCut) s after the cut")
        #expect(DeployRepo.results(run)["box1"] == "unreachable", "\(run.out)")
        #expect(Self.message(run, "box1").contains("box1"), "the error names the host")
        // Nothing was activated; the bytes received so far wait in blobs/partial/.
        #expect(fleet.current(1) == old)
        #expect(fleet.state(1)["pending"] == nil)
        let partial = fleet.blobs(1, in: "partial").values.max() ?? 0
        #expect(partial >= 4 << 20 && partial < size, "partial holds \(partial) bytes")

        let resumed = try fleet.apply()
        #expect(resumed.status == 0, "\(resumed.err)\n\(resumed.out)")
        #expect(DeployRepo.results(resumed)["box1"] == "converged")
        #expect(fleet.activeRevision(1) == fleet.head)
        let sent = Self.bytesSent(resumed, "box1")
        print("link cut: \(partial) bytes were kept, the resumed apply sent \(sent) of \(size)")
        #expect(sent > 0 && sent <= size - partial + (1 << 20), "sent \(sent) bytes after keeping \(partial)")
        #expect(fleet.blobs(1, in: "partial").isEmpty)
        #expect(fleet.blobs(1, in: "sha256")[try SHA256.hex(ofFile: payload)] == size)
    }

    /// A blob changed on the host after it arrived is caught by the host's re-hash before any
    /// switch, and sent again by the next apply.
    @Test func aTamperedBlobIsNeverActivated() throws {
        let fleet = try SSHFleet(tag: "e3", count: 1)
        defer { fleet.cleanUp() }
        #expect(try fleet.apply().status == 0)
        let old = try #require(fleet.current(1))
        // Flip a byte of the model's blob, which the next release reuses.
        let digest = try #require(fleet.manifestFiles(1)["models/direction/fp32/model.onnx"])
        let path = fleet.root(1) + "/blobs/sha256/" + digest
        let original = try FileSystem.read(path)
        chmod(path, 0o644)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seek(toFileOffset: UInt64(original.count / 2))
        handle.write(Data([original[original.count / 2] ^ 0xff]))
        try handle.close()

        try fleet.write(task: "exec sleep 602")
        try fleet.commit("v2 reuses the model")
        let refused = try fleet.apply()
        // The host re-hashes every blob before assembling: it refuses and drops the bad one.
        #expect(refused.status == 3, "\(refused.err)\n\(refused.out)")
        #expect(DeployRepo.results(refused)["box1"] == "refused", "\(refused.out)")
        #expect(Self.message(refused, "box1").contains("corrupted"), "\(refused.out)")
        #expect(fleet.current(1) == old, "nothing was activated")
        #expect(fleet.state(1)["pending"] == nil)
        #expect(!FileManager.default.fileExists(atPath: path), "the tampered blob was removed")

        // The next apply sends the blob again and activates the release with the right bytes.
        let next = try fleet.apply()
        #expect(next.status == 0, "\(next.err)\n\(next.out)")
        #expect(DeployRepo.results(next)["box1"] == "converged")
        #expect(Self.bytesSent(next, "box1") >= original.count)
        #expect(try FileSystem.read(path) == original)
        let status = try gsctl(["status", "Specs"], cwd: fleet.path)
        #expect(status.status == 0, "no drift: \(status.out)\(status.err)")
    }

    /// A host pinned to one key refuses bundles signed by another before any file is sent.
    @Test func bundlesSignedByAnotherKeyAreRefused() throws {
        let fleet = try SSHFleet(tag: "e4", count: 1)
        defer { fleet.cleanUp() }
        #expect(try gsctl(["keygen", "--out", fleet.path + "/other"], cwd: fleet.path).status == 0)
        let run = try gsctl(
            ["apply", "Specs", "-f", "json", "--cache", SSHFleet.cache, "--sign", fleet.path + "/other.key"],
            cwd: fleet.path)
        #expect(run.status == 3, "\(run.err)\n\(run.out)")
        #expect(DeployRepo.results(run)["box1"] == "refused")
        #expect(Self.message(run, "box1").contains("not a trusted key"), "\(run.out)")
        // Refused on the manifest and signature alone: no model bytes travelled, nothing is active.
        #expect(Self.bytesSent(run, "box1") < 64 << 10)
        #expect(fleet.current(1) == nil)
        #expect(fleet.releases(1).isEmpty)
        #expect(fleet.state(1)["active"] == nil)
        #expect(try fleet.apply().status == 0, "the key the host trusts is accepted")
    }

    /// Three applies of one commit at once: one without --wait fails fast naming a holder; the
    /// two with --wait queue behind each other's per-host leases (either may reach a host
    /// first), so each host is converged by exactly one of them and no host is half-updated.
    @Test func concurrentAppliesWaitOrFailFastNamingTheHolder() throws {
        let fleet = try SSHFleet(tag: "e5", count: 2, rollout: "{canary: 1, batchSize: 1, failureThreshold: 0}")
        defer { fleet.cleanUp() }
        #expect(try fleet.apply().status == 0)
        // v2 takes 8 s to pass its health gate, so whoever activates it holds that host's lease a while.
        try fleet.write(task: "exec sleep 603", health: "{exec: [true], initialDelaySeconds: 8, periodSeconds: 0.5}")
        try fleet.commit("v2")
        // Two other operators' checkouts of the same commit.
        let (second, third) = (try fleet.clone(), try fleet.clone())

        let first = try fleet.startApply(["--wait", "120"])
        try #require(eventually(within: 60) { FileManager.default.fileExists(atPath: fleet.root(1) + "/lease.json") })
        let queued = try fleet.startApply(["--wait", "120"], cwd: second)
        let failFast = try fleet.apply(cwd: third)
        #expect(first.isRunning, "the apply without --wait failed before the first finished")
        #expect(failFast.status == 3, "\(failFast.err)\n\(failFast.out)")
        let refused = Self.hosts(failFast).values.filter { $0["status"] as? String == "refused" }
        let message = refused.first?["message"] as? String ?? ""
        let holders = [first.pid, queued.pid].map { "pid \($0)`" }
        #expect(message.contains("is locked by `") && holders.contains { message.contains($0) }, "\(failFast.out)")

        let runs = [first.finish(within: 120).run, queued.finish(within: 120).run]
        for run in runs { #expect(run.status == 0, "\(run.err)\n\(run.out)") }
        for host in ["box1", "box2"] {
            let outcomes = runs.map { DeployRepo.results($0)[host] ?? "none" }.sorted()
            #expect(outcomes == ["converged", "unchanged"], "\(host): \(outcomes)")
        }
        // Whichever came second to a host waited for the lease, then found the work done.
        let waited =
            runs.flatMap { Self.hosts($0).values }.filter { $0["status"] as? String == "unchanged" }
            .compactMap { $0["seconds"] as? Double }.max() ?? 0
        #expect(waited > 2, "no --wait apply waited for a lease (longest: \(waited) s)")
        for i in 1...2 {
            #expect(fleet.activeRevision(i) == fleet.head)
            #expect(fleet.state(i)["pending"] == nil, "box\(i) is not half-updated")
            #expect(
                !FileManager.default.fileExists(atPath: fleet.root(i) + "/lease.json"), "box\(i)'s lease was given back"
            )
        }
    }

    /// `gsctl apply` killed mid-transfer: the host stays on its release, and the next apply
    /// gets the lease and converges.
    @Test func aKilledControllerLeavesNoWedgedHost() throws {
        let fleet = try SSHFleet(tag: "e6", count: 1)
        defer { fleet.cleanUp() }
        #expect(try fleet.apply().status == 0)
        let old = try #require(fleet.current(1))
        let payload = try fleet.makePayload(megabytes: 96)
        try fleet.write(task: "exec sleep 604", payload: payload)
        try fleet.commit("v2 ships 96 MB")

        let apply = try fleet.startApply()
        let receiving = eventually(within: 120) {
            fleet.blobs(1, in: "partial").values.contains { $0 >= 4 << 20 } || !apply.isRunning
        }
        if !receiving || !apply.isRunning {
            let run = apply.finish(within: 1).run
            Issue.record("the transfer never started: \(run.status)\n\(run.err)\n\(run.out)")
            return
        }
        kill(apply.pid, SIGKILL)
        #expect(apply.finish(within: 10).run.status == 128 + SIGKILL)
        #expect(fleet.current(1) == old)

        let next = try fleet.apply()
        #expect(next.status == 0, "\(next.err)\n\(next.out)")
        #expect(DeployRepo.results(next)["box1"] == "converged", "\(next.out)")
        #expect(fleet.activeRevision(1) == fleet.head)
        #expect(fleet.state(1)["pending"] == nil)
        #expect(Self.bytesSent(next, "box1") < 96 << 20, "the transfer resumed")
    }

    /// status, history and device probe read the hosts themselves over ssh.
    @Test func statusHistoryAndProbeReadTheHostsOverSSH() throws {
        let fleet = try SSHFleet(tag: "e7", count: 1)
        defer { fleet.cleanUp() }
        #expect(try fleet.apply().status == 0)
        let release = try #require(fleet.current(1)).replacingOccurrences(of: "releases/", with: "")

        let status = try gsctl(["status", "Specs"], cwd: fleet.path)
        #expect(status.status == 0, "\(status.out)\(status.err)")
        #expect(status.out.contains(release), "\(status.out)")
        #expect(status.out.contains("classify: ready") || status.out.contains("classify: running"), "\(status.out)")

        let history = try gsctl(["history", "box1", "Specs"], cwd: fleet.path)
        #expect(history.status == 0, "\(history.err)")
        let line = history.out.split(separator: "\n").first { $0.contains("activated") } ?? ""
        #expect(line.contains(release) && line.contains(String(fleet.head.prefix(12))), "\(history.out)")

        let probe = try gsctl(["device", "probe", "box1", "--specs", "Specs"], cwd: fleet.path)
        #expect(probe.status == 0, "\(probe.err)")
        #expect(probe.out.contains("kind: Device"), "\(probe.out)")
        // The host's real CPU: the namespaces share this machine's.
        let flags =
            try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        for feature in ["avx2", "fma", "f16c", "avx512f"] where flags.contains(Substring(feature)) {
            #expect(probe.out.contains(feature), "\(feature) missing from \(probe.out)")
        }
    }

    /// A host whose cable is out is reported unreachable within seconds; the rest converge.
    /// When it is back, the next apply brings a revision that fails on the canary: the host
    /// catches up to the release that passed on the others, never to the failed one; a fixed
    /// revision then reaches all three.
    @Test func aHostDownFromTheStartIsReportedAndTheOthersConverge() throws {
        let fleet = try SSHFleet(tag: "e8", count: 3)
        defer { fleet.cleanUp() }
        try fleet.hosts.setLink(fleet.hosts[1], up: false)
        let started = ChildProcess.now()
        let run = try fleet.apply()
        let seconds = ChildProcess.now() - started
        print("host down: apply exited after \(tenths(seconds))")
        #expect(run.status == 3, "\(run.err)\n\(run.out)")
        #expect(seconds < 30, "apply took \(seconds) s, build included")
        #expect(DeployRepo.results(run) == ["box1": "converged", "box2": "unreachable", "box3": "converged"])
        let message = Self.message(run, "box2")
        #expect(
            message.contains("cannot reach 'box2'") || message.contains("lost the connection to 'box2'"), "\(message)")
        #expect(fleet.current(2) == nil)

        let passed = fleet.head
        let good = try #require(fleet.current(1))

        try fleet.hosts.setLink(fleet.hosts[1], up: true)
        try fleet.write(task: "echo broken >&2; exit 3")
        try fleet.commit("a broken task")
        let broken = try fleet.apply()
        #expect(broken.status == 3, "\(broken.err)\n\(broken.out)")
        #expect(DeployRepo.results(broken) == ["box1": "rolled-back", "box2": "caught-up", "box3": "skipped"])
        #expect(fleet.activeRevision(2) == passed)
        #expect(fleet.current(2) == good, "the same release the others passed with")

        try fleet.write(task: "exec sleep 607")
        try fleet.commit("fixed")
        let fixed = try fleet.apply()
        #expect(fixed.status == 0, "\(fixed.err)\n\(fixed.out)")
        #expect(DeployRepo.results(fixed) == ["box1": "converged", "box2": "converged", "box3": "converged"])
    }

    /// A host whose key is not in .gsctl/known_hosts is refused, and the error says so; once
    /// `gsctl hosts trust` records it, apply goes through.
    @Test func anUntrustedHostKeyIsRefusedUntilTrusted() throws {
        let fleet = try SSHFleet(tag: "e9", count: 1)
        defer { fleet.cleanUp() }
        let knownHosts = fleet.path + "/.gsctl/known_hosts"
        try Data().write(to: URL(fileURLWithPath: knownHosts))
        fleet.closeConnections()
        let run = try fleet.apply()
        #expect(run.status == 3, "\(run.err)\n\(run.out)")
        #expect(DeployRepo.results(run)["box1"] == "unreachable", "\(run.out)")
        let message = Self.message(run, "box1")
        #expect(message.contains("the host key of 'box1'") && message.contains("is not known"), "\(message)")
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).isEmpty, "never trusted silently")
        #expect(fleet.current(1) == nil)

        let trust = try gsctl(["hosts", "trust", "box1", "--specs", "Specs"], cwd: fleet.path)
        #expect(trust.status == 0, "\(trust.err)")
        #expect(trust.out.contains("box1: ED25519 SHA256:"), "\(trust.out)")
        #expect(try fleet.apply().status == 0)
    }
}

/// Seconds with one decimal, for the timings the tests print.
private func tenths(_ seconds: Double) -> String { String(format: "%.1f s", seconds) }
