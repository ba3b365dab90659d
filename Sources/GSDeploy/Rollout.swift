import GSAgent
import GSCore
import GSPlan
import GSSpec

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// One deployment's rollout: canary hosts first, then batches, each batch's hosts converged
/// in parallel (up to `maxParallel`). Failures (a release that failed its gates, a refusal)
/// are counted over the whole rollout; past the deployment's `failureThreshold` (or any
/// failure among the canaries) the rollout halts and, per `onFailure`, the failed batch or
/// every batch goes back to its previous release. Unreachable hosts are skipped and reported:
/// nothing was activated on them, and the next apply converges them. A host whose agent
/// died mid-activation (`interrupted`) counts as a failure, since whatever killed it may be
/// the release, but is not rolled back: its own recovery at the next apply settles it, and
/// a rollback before that would move it one release further back.
public struct Rollout: Sendable {
    public var deployment: DeploymentPlan
    public var maxParallel: Int = 8
    public var progress: @Sendable (HostResult) -> Void = { _ in }
    /// Waits `pauseSeconds` between batches (capped at an hour); tests pass their own clock.
    public var pause: @Sendable (Double) -> Void = { seconds in usleep(UInt32(min(seconds, 3600) * 1_000_000)) }

    public init(deployment: DeploymentPlan) { self.deployment = deployment }

    public struct Result: Sendable {
        public var hosts: [HostResult] = []
        public var halted: String?
        public var rolledBack: [HostResult] = []
    }

    /// `converge(host)` converges one host; `rollBack(host)` puts one host back on its previous release.
    public func run(
        converge: @escaping @Sendable (String) -> HostResult, rollBack: @escaping @Sendable (String) -> HostResult
    ) -> Result {
        var result = Result()
        let allowed = deployment.rollout.failureThreshold.resolve(total: deployment.targets.count)
        var failures = 0
        var converged: [[String]] = []
        for (index, batch) in deployment.batches.enumerated() {
            let hosts = batch.hosts
            let outcomes = DeployParallel.map(hosts.count, width: maxParallel) { i in
                let outcome = converge(hosts[i])
                progress(outcome)
                return outcome
            }
            result.hosts += outcomes
            let failed = outcomes.filter { [.rolledBack, .refused, .interrupted].contains($0.status) }
            failures += failed.count
            converged.append(outcomes.filter { $0.status == .converged || $0.status == .repaired }.map(\.host))
            let canaryFailed = batch.kind == .canary && !failed.isEmpty
            if canaryFailed || failures > allowed {
                result.halted =
                    canaryFailed
                    ? "the canary \(failed.map(\.host).joined(separator: ", ")) failed"
                    : "\(failures) host(s) failed, over the failure threshold of \(allowed)"
                // Hosts of later batches were not touched.
                for later in deployment.batches[(index + 1)...] {
                    for host in later.hosts {
                        result.hosts.append(
                            HostResult(
                                host: host, deployment: deployment.name, status: .skipped, to: "",
                                message: "the rollout halted"))
                    }
                }
                let back: [String]
                switch deployment.rollout.onFailure {
                case .halt: back = []
                case .rollbackBatch: back = converged.last ?? []
                case .rollbackAll: back = converged.flatMap { $0 }
                }
                result.rolledBack = DeployParallel.map(back.count, width: maxParallel) { i in rollBack(back[i]) }
                return result
            }
            if index + 1 < deployment.batches.count, deployment.rollout.pauseSeconds > 0 {
                pause(deployment.rollout.pauseSeconds)
            }
        }
        return result
    }
}

/// `body(i)` for i in 0..<count on up to `width` threads (hosts wait on the network, not
/// the CPU, so more threads than cores), results in index order.
public enum DeployParallel {
    public static func map<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        let box = ResultBox<T>(count)
        let next = Counter()
        var threads: [pthread_t] = []
        for _ in 0..<max(1, min(width, count)) {
            let work = Work {
                while true {
                    let i = next.take()
                    guard i < count else { return }
                    box.set(i, body(i))
                }
            }
            var thread = pthread_t()
            let context = Unmanaged.passRetained(work).toOpaque()
            pthread_create(
                &thread, nil,
                { raw in
                    let work = Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue()
                    work.body()
                    return nil
                }, context)
            threads.append(thread)
        }
        for thread in threads { pthread_join(thread, nil) }
        return box.values()
    }
}

final class Work: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func take() -> Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        value += 1
        return value - 1
    }
}

final class ResultBox<T>: @unchecked Sendable {
    private var items: [T?]
    private var lock = pthread_mutex_t()
    init(_ count: Int) {
        items = Array(repeating: nil, count: count)
        pthread_mutex_init(&lock, nil)
    }
    func set(_ index: Int, _ value: T) {
        pthread_mutex_lock(&lock)
        items[index] = value
        pthread_mutex_unlock(&lock)
    }
    func values() -> [T] { items.map { $0! } }
}
