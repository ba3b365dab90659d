import GSAgent
import GSBundle
import GSCore
import GSPlan
import GSSpec

/// `gsctl apply`: converge every targeted host to the desired state, deployment by
/// deployment, through each one's rollout.
public enum Deployer {
    public struct Options: Sendable {
        public var dryRun = false
        /// Roll out a release even where it failed its gates before.
        public var retryFailed = false
        /// Deactivate hosts of the specs that no deployment targets any more.
        public var prune = false
        public var maxParallel = 8
        public var leaseWait: Double = 0
        public var owner = Deployer.defaultOwner()
        public var environment: [String: String] = [:]
        public var progress: @Sendable (HostResult) -> Void = { _ in }
        /// The desired state at another revision (built through the cache): where a rollout
        /// halts, hosts left behind catch up to the last release that passed elsewhere,
        /// rebuilt at its revision. Nil: they stay where they are.
        public var loadRevision: (@Sendable (String) -> Result<DesiredState, GSError>)?
        /// What each host is doing now: (deployment, host, step).
        public var step: @Sendable (String, String, String) -> Void = { _, _, _ in }
        public init() {}
    }

    public struct Report: Sendable {
        public var revision: String?
        public var deployments: [(name: String, result: Rollout.Result)] = []

        public var hosts: [HostResult] { deployments.flatMap(\.result.hosts) }

        /// 0 every host converged, 3 some did not (and are on their previous release).
        public var exitCode: ExitCode {
            let bad = hosts.contains { !$0.ok } || deployments.contains { $0.result.halted != nil }
            return bad ? .partial : .success
        }

        public var json: JSONValue {
            [
                "revision": .optional(revision),
                "deployments": .array(
                    deployments.map { entry in
                        [
                            "name": .string(entry.name), "halted": .optional(entry.result.halted),
                            "hosts": .array(entry.result.hosts.map(\.json)),
                            "rolledBack": .array(entry.result.rolledBack.map(\.json)),
                        ]
                    }),
            ]
        }
    }

    /// Who holds the hosts' leases: user, machine, process.
    public static func defaultOwner() -> String {
        let user = (try? Subprocess.run(["id", "-un"]))?.text.trimmingSpaces ?? "?"
        return "\(user)@\(HostFacts.hostname()) pid \(ProcessIdentity.current)"
    }

    public static func apply(_ desired: DesiredState, inventory: Inventory, options: Options) -> Report {
        var report = Report(revision: desired.revision)
        let git = desired.git
        for planned in desired.plan.deployments.sorted(by: { $0.name < $1.name }) {
            // Every target is asked at once whether it already runs its release intact;
            // those are done, and only the rest go through canary and batches (a no-op apply
            // then costs one round trip per host, in parallel, not batch after batch).
            let hosts = planned.targets.map(\.host)
            let checks = DeployParallel.map(hosts.count, width: max(options.maxParallel, 16)) { i in
                precheck(hosts[i], planned, desired: desired, inventory: inventory, options: options)
            }
            let done = checks.compactMap(\.done)
            var states: [String: HostState] = [:]
            for (host, check) in zip(hosts, checks) { states[host] = check.state }
            // A release that failed its gates on a host of this deployment is not rolled out
            // any further (the hosts stay on what passed) until a new revision fixes it or the
            // operator asks for a retry.
            if !options.retryFailed,
                let failed = zip(hosts, checks).first(where: { $0.1.failedBefore != nil })
            {
                var halted = Rollout.Result()
                halted.halted =
                    "this release failed its health gates on \(failed.0) (\(failed.1.failedBefore!)); fix it in a new revision, or pass --retry-failed"
                halted.hosts =
                    done
                    + hosts.filter { host in !done.contains { $0.host == host } }.map { host in
                        HostResult(
                            host: host, deployment: planned.name, status: .skipped, to: "",
                            message: "not rolled out: the release failed on \(failed.0) before")
                    }
                let catchUp = CatchUp(
                    deployment: planned, desired: desired, states: states, failedNow: [],
                    reason: "this revision failed on \(failed.0)")
                catchUp.run(&halted, git: git, load: options.loadRevision) { host, release in
                    Deployer.converge(host, release, git: git, inventory: inventory, options: options)
                }
                for result in halted.hosts { options.progress(result) }
                report.deployments.append((planned.name, halted))
                continue
            }
            let doneHosts = Set(done.map(\.host))
            var filtered = planned
            filtered.batches = planned.batches.compactMap { batch in
                var remaining = batch
                remaining.hosts = batch.hosts.filter { !doneHosts.contains($0) }
                return remaining.hosts.isEmpty ? nil : remaining
            }
            let deployment = filtered
            for result in done { options.progress(result) }
            var rollout = Rollout(deployment: deployment)
            rollout.maxParallel = options.maxParallel
            rollout.progress = options.progress
            let converge: @Sendable (String) -> HostResult = { host in
                guard let release = desired.desired(for: deployment, host: host) else {
                    return HostResult(
                        host: host, deployment: deployment.name, status: .refused, to: "",
                        message: "no bundle was built for \(host)")
                }
                return Deployer.converge(host, release, git: git, inventory: inventory, options: options)
            }
            let rollBack: @Sendable (String) -> HostResult = { host in
                Deployer.rollBack(
                    host: host, deployment: deployment.name, to: nil, inventory: inventory, options: options)
            }
            var result = rollout.run(converge: converge, rollBack: rollBack)
            result.hosts = done + result.hosts
            if let halted = result.halted, !options.dryRun {
                // The releases that failed their gates in this rollout are no target either.
                let failedNow = Set(
                    result.hosts.filter { $0.status == .rolledBack }.compactMap {
                        desired.desired(for: planned, host: $0.host)?.manifestDigest
                    })
                let catchUp = CatchUp(
                    deployment: planned, desired: desired, states: states, failedNow: failedNow, reason: halted)
                catchUp.run(&result, git: git, load: options.loadRevision) { host, release in
                    let outcome = Deployer.converge(host, release, git: git, inventory: inventory, options: options)
                    options.progress(outcome)
                    return outcome
                }
            }
            report.deployments.append((deployment.name, result))
        }
        if options.prune {
            let targeted = Set(desired.plan.deployments.flatMap { $0.targets.map(\.host) })
            let idle = desired.specs.hosts.map(\.name).filter { !targeted.contains($0) }.sorted()
            var pruned = Rollout.Result()
            pruned.hosts = DeployParallel.map(idle.count, width: options.maxParallel) { i in
                retire(host: idle[i], revision: desired.revision, inventory: inventory, options: options)
            }
            report.deployments.append(("(prune)", pruned))
        }
        return report
    }

    /// Converges one host to `release` (through the lease, signature, gates and rollback).
    static func converge(
        _ host: String, _ release: DesiredRelease, git: GitSource?, inventory: Inventory, options: Options
    ) -> HostResult {
        let transport: any Transport
        do throws(GSError) { transport = try inventory.transport(host) } catch {
            return HostResult(
                host: host, deployment: release.deployment, status: .refused, to: release.releaseName,
                message: error.message)
        }
        var convergence = HostConvergence(transport: transport, owner: options.owner)
        convergence.dryRun = options.dryRun
        convergence.leaseWait = options.leaseWait
        convergence.environment = options.environment
        convergence.onStep = { text in options.step(release.deployment, host, text) }
        convergence.isForward = { from, to in git?.isAncestor(from, of: to) }
        return convergence.converge(release)
    }

    /// What the pre-check learned of one host (without the lease): done already (its release
    /// active with every file intact), and whether the release it
    /// should get failed its gates there before (the host's `failed` record).
    struct Precheck: Sendable {
        var done: HostResult?
        var failedBefore: String?
        /// The host's state (nil: not reachable).
        var state: HostState?
    }

    static func precheck(
        _ host: String, _ deployment: DeploymentPlan, desired: DesiredState, inventory: Inventory, options: Options
    ) -> Precheck {
        guard let release = desired.desired(for: deployment, host: host) else { return Precheck() }
        let started = ChildProcess.now()
        do throws(GSError) {
            let client = try AgentClient.connect(
                transport: try inventory.transport(host), environment: options.environment)
            defer { client.close() }
            let check = try client.call("check", ["manifest": .string(release.manifestDigest)])
            let failed = check["state"]?["failed"]?[release.manifestDigest]?.stringValue
            let state = try? HostState(json: check["state"] ?? .null, path: "\(host): state.json")
            guard check["active"]?.boolValue == true, check["drift"]?.arrayValue?.isEmpty == true,
                check["workflowRunning"]?.boolValue != false
            else {
                return Precheck(failedBefore: failed, state: state)
            }
            return Precheck(
                done: HostResult(
                    host: host, deployment: deployment.name, status: .unchanged,
                    from: check["state"]?["active"]?["name"]?.stringValue, to: release.releaseName,
                    seconds: ChildProcess.now() - started), state: state)
        } catch {
            return Precheck()
        }
    }

    /// Stops and deactivates a host no deployment targets (`--prune`); nothing to do when it
    /// runs no release. Dry runs only look.
    public static func retire(host: String, revision: String?, inventory: Inventory, options: Options) -> HostResult {
        var result = HostResult(host: host, deployment: "(prune)", status: .unreachable, to: "")
        let started = ChildProcess.now()
        do throws(GSError) {
            let client = try AgentClient.connect(
                transport: try inventory.transport(host), environment: options.environment)
            defer { client.close() }
            let active = try client.call("state")["state"]?["active"]?["name"]?.stringValue
            result.from = active
            if active == nil {
                result.status = .unchanged
            } else if options.dryRun {
                result.status = .pending
            } else {
                try client.call(
                    "lease", ["owner": .string(options.owner), "ttl": 60, "wait": .double(options.leaseWait)],
                    timeout: options.leaseWait + 30)
                try client.call("retire", ["revision": .optional(revision)], timeout: 120)
                result.status = .removed
            }
        } catch {
            result.message = error.message + (error.hint.map { "\n    hint: \($0)" } ?? "")
            if !error.message.contains("timed out"), !error.message.contains("closed"),
                !error.message.contains("cannot start")
            {
                result.status = .refused
            }
        }
        result.seconds = ChildProcess.now() - started
        return result
    }

    /// Puts one host back on a release it ran (default: its previous one).
    public static func rollBack(host: String, deployment: String, to: String?, inventory: Inventory, options: Options)
        -> HostResult
    {
        var result = HostResult(host: host, deployment: deployment, status: .unreachable, to: to ?? "previous")
        let started = ChildProcess.now()
        do throws(GSError) {
            let client = try AgentClient.connect(
                transport: try inventory.transport(host), environment: options.environment)
            defer { client.close() }
            try client.call(
                "lease", ["owner": .string(options.owner), "ttl": 60, "wait": .double(options.leaseWait)],
                timeout: options.leaseWait + 30)
            var fields: [String: JSONValue] = ["deployment": .string(deployment)]
            if let to { fields["to"] = .string(to) }
            let outcome = try client.call("rollback", fields, timeout: 300)["outcome"] ?? .null
            result.to = outcome["release"]?.stringValue ?? result.to
            result.checks = outcome["checks"] ?? .array([])
            if outcome["activated"]?.boolValue == true || outcome["unchanged"]?.boolValue == true {
                result.status = outcome["unchanged"]?.boolValue == true ? .unchanged : .converged
            } else {
                result.status = .rolledBack
                result.message = outcome["reason"]?.stringValue
            }
        } catch {
            result.message = error.message + (error.hint.map { "\n    hint: \($0)" } ?? "")
            if !error.message.contains("timed out"), !error.message.contains("closed"),
                !error.message.contains("cannot start")
            {
                result.status = .refused
            }
        }
        result.seconds = ChildProcess.now() - started
        return result
    }
}
