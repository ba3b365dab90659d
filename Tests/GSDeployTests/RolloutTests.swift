import GSCore
import GSSpec
import Testing

@testable import GSDeploy
@testable import GSPlan

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A rollout's decisions over a fleet whose hosts' outcomes the test scripts: which batches
/// run, where it halts, which hosts go back, and the pauses between batches. The wiring to
/// real hosts is in the apply tests (GsctlTests); here every threshold and `onFailure` is
/// exercised, not only a failing canary.
@Suite struct RolloutTests {
    /// canary h1, then batches [h2 h3] [h4 h5] [h6 h7].
    static func plan(
        threshold: HostCount, onFailure: FailureAction, pause: Double = 0
    ) -> DeploymentPlan {
        var rollout = GSSpec.Rollout.defaults()
        rollout.canary = 1
        rollout.batchSize = 2
        rollout.failureThreshold = threshold
        rollout.onFailure = onFailure
        rollout.pauseSeconds = pause
        let batches = [
            RolloutBatch(kind: .canary, number: 1, hosts: ["h1"]),
            RolloutBatch(kind: .batch, number: 1, hosts: ["h2", "h3"]),
            RolloutBatch(kind: .batch, number: 2, hosts: ["h4", "h5"]),
            RolloutBatch(kind: .batch, number: 3, hosts: ["h6", "h7"]),
        ]
        let targets = batches.flatMap(\.hosts).map {
            PlannedTarget(host: $0, address: "/srv/\($0)", transport: .local, device: "cpu", bundle: "b")
        }
        return DeploymentPlan(
            name: "fleet", workflow: "wf", targets: targets, rollout: rollout, batches: batches, trust: [])
    }

    /// Runs the rollout; `outcomes` gives a host's status (converged when absent). Returns
    /// the result, the hosts converge was called for (in call order per batch) and the pauses.
    static func run(
        _ plan: DeploymentPlan, outcomes: [String: HostResult.Status]
    ) -> (result: GSDeploy.Rollout.Result, attempted: [String], pauses: [Double]) {
        let log = Log()
        var rollout = GSDeploy.Rollout(deployment: plan)
        rollout.maxParallel = 1
        rollout.pause = { log.pause($0) }
        let result = rollout.run(
            converge: { host in
                log.attempt(host)
                return HostResult(host: host, deployment: "fleet", status: outcomes[host] ?? .converged, to: "r2")
            },
            rollBack: { host in
                HostResult(host: host, deployment: "fleet", status: .rolledBack, to: "r1", message: "rollback")
            })
        return (result, log.attempts, log.pauses)
    }

    static func statuses(_ result: GSDeploy.Rollout.Result) -> [String: String] {
        Dictionary(uniqueKeysWithValues: result.hosts.map { ($0.host, $0.status.rawValue) })
    }

    @Test func failuresUpToTheThresholdAreToleratedAndTheNextOneHaltsAndRollsBackThatBatch() {
        let plan = Self.plan(threshold: .count(1), onFailure: .rollbackBatch)
        let run = Self.run(plan, outcomes: ["h3": .rolledBack, "h5": .refused])
        // One failure (h3) is within the threshold; the second (h5) is over it.
        #expect(run.attempted == ["h1", "h2", "h3", "h4", "h5"])
        #expect(run.result.halted == "2 host(s) failed, over the failure threshold of 1")
        #expect(Self.statuses(run.result)["h6"] == "skipped" && Self.statuses(run.result)["h7"] == "skipped")
        // Only the failed batch's converged host goes back; h2 (an earlier batch) keeps the release.
        #expect(run.result.rolledBack.map(\.host) == ["h4"])
    }

    @Test func rollbackAllReturnsEveryHostThisRolloutMovedButNotTheUnchangedOnes() {
        let plan = Self.plan(threshold: .count(0), onFailure: .rollbackAll)
        let run = Self.run(plan, outcomes: ["h2": .unchanged, "h5": .rolledBack])
        #expect(run.result.halted == "1 host(s) failed, over the failure threshold of 0")
        // h2 was already on the release before this rollout; h5 rolled itself back.
        #expect(run.result.rolledBack.map(\.host).sorted() == ["h1", "h3", "h4"])
        #expect(!run.attempted.contains("h6"))
    }

    @Test func haltLeavesEveryHostWhereItIs() {
        let plan = Self.plan(threshold: .count(0), onFailure: .halt)
        let run = Self.run(plan, outcomes: ["h2": .rolledBack])
        #expect(run.result.halted != nil)
        #expect(run.result.rolledBack.isEmpty)
        #expect(run.attempted == ["h1", "h2", "h3"])
    }

    @Test func aPercentThresholdIsCountedOverTheWholeFleet() {
        // 25% of 7 hosts rounds up to 2: two failures in different batches are tolerated.
        let plan = Self.plan(threshold: .percent(25), onFailure: .rollbackBatch)
        let run = Self.run(plan, outcomes: ["h2": .rolledBack, "h6": .rolledBack])
        #expect(run.result.halted == nil)
        #expect(run.attempted.count == 7)
        let third = Self.run(plan, outcomes: ["h2": .rolledBack, "h4": .rolledBack, "h7": .refused])
        #expect(third.result.halted == "3 host(s) failed, over the failure threshold of 2")
        #expect(third.result.rolledBack.map(\.host) == ["h6"])
    }

    @Test func aFailedCanaryHaltsWhateverTheThreshold() {
        let plan = Self.plan(threshold: .count(3), onFailure: .rollbackBatch)
        let run = Self.run(plan, outcomes: ["h1": .rolledBack])
        #expect(run.result.halted == "the canary h1 failed")
        #expect(run.attempted == ["h1"])
        #expect(run.result.hosts.filter { $0.status == .skipped }.count == 6)
    }

    @Test func unreachableHostsAreSkippedNotCountedAsFailures() {
        let plan = Self.plan(threshold: .count(0), onFailure: .rollbackAll)
        let run = Self.run(plan, outcomes: ["h2": .unreachable, "h7": .unreachable])
        #expect(run.result.halted == nil)
        #expect(run.result.rolledBack.isEmpty)
        #expect(Self.statuses(run.result)["h2"] == "unreachable")
        #expect(run.attempted.count == 7)
    }

    /// An agent that died mid-activation may have been killed by the release itself: the
    /// canary halts the rollout, and a batch host counts against the threshold. Neither goes
    /// back by `onFailure` (its own recovery does that at the next apply), while the batch's
    /// converged hosts do.
    @Test func anInterruptedActivationCountsAsAFailureButIsNotRolledBack() {
        let canary = Self.run(Self.plan(threshold: .count(3), onFailure: .rollbackAll), outcomes: ["h1": .interrupted])
        #expect(canary.result.halted == "the canary h1 failed")
        #expect(canary.attempted == ["h1"])
        #expect(canary.result.rolledBack.isEmpty)

        let plan = Self.plan(threshold: .count(1), onFailure: .rollbackBatch)
        let run = Self.run(plan, outcomes: ["h2": .interrupted, "h5": .interrupted])
        #expect(run.result.halted == "2 host(s) failed, over the failure threshold of 1")
        #expect(run.attempted == ["h1", "h2", "h3", "h4", "h5"])
        #expect(run.result.rolledBack.map(\.host) == ["h4"])
        #expect(Self.statuses(run.result)["h5"] == "interrupted")
    }

    @Test func theRolloutPausesBetweenBatchesButNotAfterTheLastOrAHalt() {
        let plan = Self.plan(threshold: .count(0), onFailure: .halt, pause: 2.5)
        #expect(Self.run(plan, outcomes: [:]).pauses == [2.5, 2.5, 2.5])
        // Halted in the second batch: paused after the canary and the first batch only.
        #expect(Self.run(plan, outcomes: ["h4": .rolledBack]).pauses == [2.5, 2.5])
        #expect(Self.run(Self.plan(threshold: .count(0), onFailure: .halt), outcomes: [:]).pauses.isEmpty)
    }
}

/// What the scripted hosts saw, from the rollout's threads.
private final class Log: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private(set) var attempts: [String] = []
    private(set) var pauses: [Double] = []
    init() { pthread_mutex_init(&lock, nil) }
    func attempt(_ host: String) {
        pthread_mutex_lock(&lock)
        attempts.append(host)
        pthread_mutex_unlock(&lock)
    }
    func pause(_ seconds: Double) {
        pthread_mutex_lock(&lock)
        pauses.append(seconds)
        pthread_mutex_unlock(&lock)
    }
}
