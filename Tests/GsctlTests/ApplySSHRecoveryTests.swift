import Foundation
import GSAgent
import GSCore
import GSTestHosts
import Testing

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Crash safety, drift repair and stale-revision refusal over real SSH, as ApplyLocalTests
/// checks them on local hosts: one namespace host (`box1`) serves the whole suite (made once
/// by `SharedSSHFleet`), and every test commits and applies the revisions it needs, so the
/// order the tests run in does not matter.
@Suite(.serialized, .enabled(if: NamespaceHosts.isAvailable, NamespaceHosts.skipComment), SharedSSHFleet())
struct ApplySSHRecoveryTests {
    let fleet: SSHFleet

    init() throws { fleet = try SharedSSHFleet.fleet() }

    /// Commits the specs with `task` (unique per call, so each commit is a new release) and
    /// the task shipping `payload` (files, comma-separated).
    func commit(task: String, payload: String? = nil, _ message: String) throws {
        try fleet.write(task: task, payload: payload)
        try fleet.commit(message)
    }

    /// Applies HEAD when the host is not on it (a test before this one may have left it
    /// elsewhere); the apply must succeed.
    func converge() throws {
        guard fleet.activeRevision(1) != fleet.head else { return }
        let run = try fleet.apply()
        try #require(run.status == 0, "\(run.err)\n\(run.out)")
    }

    /// Agent steps: the host's agent dies there by SIGKILL (the variable crosses ssh), apply
    /// reports the host and exits 3. Controller steps: `gsctl apply` itself dies there (137)
    /// mid-way through an upgrade. Either way the host is left on its old release or on the
    /// new one, nothing stays pending, and the next apply converges.
    @Test(arguments: CrashHook.agentSteps + CrashHook.controllerSteps)
    func aCrashAtAnyStepLeavesOldOrNewAndTheNextApplyConverges(step: String) throws {
        try converge()
        let old = try #require(fleet.current(1))
        let oldRevision = fleet.head
        // Two new files of a megabyte each, so that the upgrade sends two blobs and
        // `controller.sending` (before the second) is reached, as on a first deploy.
        let payload = try (1...2).map { try fleet.makePayload(megabytes: 1, name: "\(step)-\($0).bin") }
        try commit(
            task: "exec sleep 600 # crash at \(step)", payload: payload.joined(separator: ", "), "crash at \(step)")

        let controller = step.hasPrefix("controller.")
        let crashed = try gsctl(fleet.applyArguments(), cwd: fleet.path, env: ["GSCTL_CRASH_AT": step])
        #expect(crashed.status == (controller ? 128 + SIGKILL : 3), "\(step): \(crashed.err)\n\(crashed.out)")
        if !controller {
            // The agent's end of the conversation vanished mid-request: the host is reported,
            // as interrupted once the activation had begun (its state is uncertain).
            let activating = !CrashHook.beforeActivation.contains(step)
            #expect(
                DeployRepo.results(crashed) == ["box1": activating ? "interrupted" : "unreachable"],
                "\(step): \(crashed.out)")
            let message = ApplySSHTests.message(crashed, "box1")
            #expect(message.hasPrefix("box1: ") && message.contains("the agent closed the connection"), "\(message)")
        }
        let after = fleet.current(1)
        let afterRevision = fleet.activeRevision(1)

        let next = try fleet.apply()
        #expect(next.status == 0, "\(step): \(next.err)\n\(next.out)")
        #expect(fleet.activeRevision(1) == fleet.head, "\(step)")
        #expect(fleet.state(1)["pending"] == nil, "\(step): no activation left pending")
        let new = try #require(fleet.current(1))
        #expect(new != old, "\(step): the new revision is a new release")
        // Releases are named by their manifest's digest: the one the next apply activated is
        // the one the crashed apply was bringing.
        #expect(after == old || after == new, "\(step): current was \(after ?? "none") (old \(old), new \(new))")
        #expect(
            afterRevision == oldRevision || afterRevision == fleet.head,
            "\(step): the recorded revision was \(afterRevision ?? "none")")
    }

    /// A file of the active release changed by hand on the host: `status` and `diff` show the
    /// drift, `apply` repairs it to the manifest's bytes.
    @Test func driftIsShownByStatusAndDiffAndRepairedByApply() throws {
        try commit(task: "exec sleep 600 # drift", "drift")
        try converge()
        let path = "models/direction/fp32/model.onnx"
        let model = fleet.root(1) + "/current/" + path
        let digest = try #require(fleet.manifestFiles(1)[path])
        #expect(try SHA256.hex(ofFile: model) == digest)
        try editByHand(model)

        let status = try gsctl(["status", "Specs"], cwd: fleet.path)
        #expect(status.status == 3, "\(status.out)\(status.err)")
        #expect(status.out.contains("drift modified \(path)"), "\(status.out)")
        let diff = try gsctl(["diff", "Specs", "--cache", SSHFleet.cache], cwd: fleet.path)
        #expect(diff.status == 2, "\(diff.out)\(diff.err)")
        #expect(diff.out.contains("box1") && diff.out.contains("repair"), "\(diff.out)")

        // In plain text (no -f json): the host's line says it was repaired.
        let repair = try gsctl(
            ["apply", "Specs", "--cache", SSHFleet.cache, "--sign", fleet.signingKey], cwd: fleet.path)
        #expect(repair.status == 0, "\(repair.out)\(repair.err)")
        #expect(repair.err.contains("box1: repaired"), "\(repair.err)")
        #expect(try SHA256.hex(ofFile: model) == digest, "the model has the manifest's bytes again")
        let clean = try gsctl(["diff", "Specs", "--cache", SSHFleet.cache], cwd: fleet.path)
        #expect(clean.status == 0, "\(clean.out)\(clean.err)")
        let healthy = try gsctl(["status", "Specs"], cwd: fleet.path)
        #expect(healthy.status == 0, "\(healthy.out)\(healthy.err)")
        #expect(!healthy.out.contains("drift"), "\(healthy.out)")
        let history = try gsctl(["history", "box1", "Specs"], cwd: fleet.path)
        #expect(history.out.contains("repaired"), "\(history.out)")
    }

    /// A revision older than the host's active one is refused by the host, which stays put.
    @Test func aStaleRevisionIsRefused() throws {
        try commit(task: "exec sleep 600 # stale v1", "v1")
        let v1 = fleet.head
        try commit(task: "exec sleep 600 # stale v2", "v2")
        let first = try fleet.apply()
        #expect(first.status == 0, "\(first.err)\n\(first.out)")
        let active = try #require(fleet.current(1))

        let stale = try fleet.apply(["--ref", v1])
        #expect(stale.status == 3, "\(stale.err)\n\(stale.out)")
        #expect(DeployRepo.results(stale)["box1"] == "refused", "\(stale.out)")
        #expect(stale.out.contains("not an ancestor"), "\(stale.out)")
        #expect(fleet.activeRevision(1) == fleet.head)
        #expect(fleet.current(1) == active)
        #expect(fleet.state(1)["pending"] == nil)
    }
}

/// One SSH host (`box1`, agent installed, keys trusted) for a whole suite: made before its
/// first test and removed after its last, since making one costs seconds and the crash test
/// runs once per step.
struct SharedSSHFleet: SuiteTrait, TestScoping {
    /// Holds the fleet for the task-local (the suite runs its tests one at a time).
    final class Box: @unchecked Sendable {
        let fleet: SSHFleet
        init(_ fleet: SSHFleet) { self.fleet = fleet }
    }

    @TaskLocal static var current: Box?

    /// The fleet of the suite now running.
    static func fleet() throws -> SSHFleet {
        guard let box = current else { throw GSError("no shared fleet: the suite needs the SharedSSHFleet trait") }
        return box.fleet
    }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard NamespaceHosts.isAvailable else { return try await function() }
        let fleet = try SSHFleet(tag: "rc", count: 1)
        defer { fleet.cleanUp() }
        try await Self.$current.withValue(Box(fleet)) { try await function() }
    }
}
