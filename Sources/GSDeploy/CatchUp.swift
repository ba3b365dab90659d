import GSAgent
import GSCore
import GSPlan

/// Hosts a halted rollout left behind converge to the last release that passed on the rest
/// of the fleet, never to one that failed.
///
/// A host that was unreachable while its deployment moved on (or that joined it later) runs
/// an older release than its peers, or none. When the deployment's new release fails its
/// gates, now or in an earlier apply, the rollout stops before such a host; without this it
/// would stay behind until someone fixed the new release. The last good release is read from
/// the hosts' own state (what they run, what failed where): the newest git revision active
/// on any host of the deployment whose release never failed anywhere, excluding the halted
/// revision. The host's bundle is rebuilt at that revision (builds are reproducible, so it
/// is byte for byte the release its peers run when they share its device) and converged
/// through the usual steps: lease, signature, gates, rollback on failure.
public struct CatchUp: Sendable {
    var deployment: DeploymentPlan
    var desired: DesiredState
    /// Each reachable host's state, read before the rollout.
    var states: [String: HostState]
    /// Manifest digests that failed their gates on some host (before, or in this apply).
    var failed: Set<String>
    /// Why the rollout stopped (for the caught-up hosts' message).
    var reason: String

    init(
        deployment: DeploymentPlan, desired: DesiredState, states: [String: HostState], failedNow: Set<String>,
        reason: String
    ) {
        self.deployment = deployment
        self.desired = desired
        self.states = states
        self.reason = reason
        var failed = failedNow
        for state in states.values { failed.formUnion(state.failed.keys) }
        self.failed = failed
    }

    /// Revisions that passed on some host of the deployment, newest first: a revision the
    /// others descend from comes before them; between unrelated ones, the more hosts the
    /// better. The halted revision and releases that failed anywhere are not candidates.
    func candidates(git: GitSource) -> [String] {
        var hosts: [String: Int] = [:]
        for state in states.values {
            guard let active = state.active, let revision = active.revision, revision != desired.revision,
                !failed.contains(active.manifestDigest)
            else { continue }
            hosts[revision, default: 0] += 1
        }
        let revisions = hosts.keys.sorted()
        var descends: [String: Int] = [:]
        for revision in revisions {
            descends[revision] = revisions.filter { $0 != revision && git.isAncestor($0, of: revision) == true }.count
        }
        return revisions.sorted {
            (descends[$0]!, hosts[$0]!, $0) > (descends[$1]!, hosts[$1]!, $1)
        }
    }

    /// What `host` should run instead of the halted release: the newest candidate revision
    /// whose build of the host's bundle did not fail anywhere, or why there is none.
    func target(
        for host: String, candidates: [String], load: (String) -> Result<DesiredState, GSError>
    ) -> Result<DesiredRelease, GSError> {
        guard let bundleID = deployment.targets.first(where: { $0.host == host })?.bundle else {
            return .failure(GSError("\(host) is not a target of \(deployment.name)"))
        }
        var problems: [String] = []
        for revision in candidates {
            let state: DesiredState
            switch load(revision) {
            case .success(let loaded): state = loaded
            case .failure(let error):
                problems.append("revision \(revision.prefix(12)) does not build: \(error.message)")
                continue
            }
            guard let bundle = state.bundles[bundleID] else {
                problems.append("revision \(revision.prefix(12)) has no bundle \(bundleID)")
                continue
            }
            let release = DesiredRelease(
                deployment: deployment.name, manifest: bundle.manifest, manifestBytes: bundle.manifestBytes,
                signatureBytes: bundle.signature?.canonicalBytes, store: state.store, revision: revision)
            if failed.contains(release.manifestDigest) {
                problems.append("\(release.releaseName) (revision \(revision.prefix(12))) failed before")
                continue
            }
            return .success(release)
        }
        return .failure(
            GSError(
                problems.isEmpty
                    ? "no other release passed on this deployment's hosts"
                    : "no earlier release to catch up to: " + problems.joined(separator: "; ")))
    }

    /// Whether `host` runs `release` already, or a revision at or past it (nothing to do).
    func isCurrent(_ host: String, with release: DesiredRelease, git: GitSource) -> Bool {
        guard let active = states[host]?.active else { return false }
        if active.manifestDigest == release.manifestDigest { return true }
        guard let running = active.revision, let revision = release.revision else { return false }
        return git.isAncestor(revision, of: running) == true
    }

    /// What catching `host` up means, decided from the hosts' states alone.
    enum Decision {
        /// It runs the newest release that passed, or a later revision: nothing to do.
        case current
        /// It should run this release instead.
        case target(DesiredRelease)
        /// No earlier release qualifies (why).
        case none(GSError)
    }

    func decide(
        _ host: String, candidates: [String], git: GitSource, load: (String) -> Result<DesiredState, GSError>
    ) -> Decision {
        // A host at or past the newest candidate needs nothing, and no build of it.
        if let newest = candidates.first, let running = states[host]?.active?.revision,
            git.isAncestor(newest, of: running) == true
        {
            return .current
        }
        switch target(for: host, candidates: candidates, load: load) {
        case .failure(let error): return .none(error)
        case .success(let release): return isCurrent(host, with: release, git: git) ? .current : .target(release)
        }
    }

    /// For `gsctl diff`: what apply would do with each of `hosts` while `deployment`'s release
    /// is held, one line per host, converging nothing (older revisions are built, into the
    /// scratch folder `load` uses, exactly as apply would build them).
    public static func preview(
        deployment: DeploymentPlan, desired: DesiredState, states: [String: HostState], hosts: [String],
        load: (String) -> Result<DesiredState, GSError>
    ) -> [String: String] {
        let catchUp = CatchUp(deployment: deployment, desired: desired, states: states, failedNow: [], reason: "")
        guard let git = desired.git else { return [:] }
        let candidates = catchUp.candidates(git: git)
        var lines: [String: String] = [:]
        for host in hosts where states[host] != nil {
            switch catchUp.decide(host, candidates: candidates, git: git, load: load) {
            case .current:
                lines[host] =
                    "apply keeps it on \(states[host]?.active?.name ?? "its release"): the last release that passed, or later"
            case .target(let release):
                lines[host] =
                    "apply would catch it up to revision \(release.revision.map { String($0.prefix(12)) } ?? "?") (\(release.releaseName)), the last release that passed on the rest of the deployment"
            case .none(let error):
                lines[host] = "apply leaves it as it is: \(error.message)"
            }
        }
        return lines
    }

    /// Converges the hosts of `result` that the halt left behind (skipped, or back on a
    /// release older than the last good one) and replaces their entries.
    func run(
        _ result: inout Rollout.Result, git: GitSource?, load: ((String) -> Result<DesiredState, GSError>)?,
        converge: (String, DesiredRelease) -> HostResult
    ) {
        let behind = result.hosts.indices.filter { index in
            let entry = result.hosts[index]
            return (entry.status == .skipped || entry.status == .rolledBack) && states[entry.host] != nil
        }
        guard !behind.isEmpty, let git, let load else { return }
        let candidates = candidates(git: git)
        for index in behind {
            let host = result.hosts[index].host
            switch decide(host, candidates: candidates, git: git, load: load) {
            case .current:
                continue
            case .none(let error):
                if result.hosts[index].status == .skipped {
                    result.hosts[index].message = (result.hosts[index].message ?? "") + "; \(error.message)"
                }
            case .target(let release):
                let before = result.hosts[index]
                var outcome = converge(host, release)
                if outcome.status == .pending {
                    outcome.message =
                        "would catch up to revision \(release.revision.map { String($0.prefix(12)) } ?? "?"), the last release that passed on the rest of the fleet (\(reason))"
                } else if outcome.status == .converged || outcome.status == .unchanged {
                    outcome.status = .caughtUp
                    outcome.message =
                        "caught up to revision \(release.revision.map { String($0.prefix(12)) } ?? "?"), the last release that passed on the rest of the fleet (\(reason))"
                }
                if before.status == .rolledBack {
                    // The halted release failed here first: both belong in the report.
                    outcome.message =
                        "\(before.to) failed here (\(before.message ?? "its gates")); " + (outcome.message ?? "")
                }
                result.hosts[index] = outcome
            }
        }
    }
}
