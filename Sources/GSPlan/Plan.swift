import GSCore
import GSSpec

/// What `gsctl plan` computes from a lint-clean spec set: per Deployment the task DAG in
/// levels, the hosts with their bundles, the rollout batches; and, shared by all, the
/// optimize steps (one per model x device x precision) and the bundles.
///
/// Every list is sorted, so the same specs give the same plan whatever the file order.
public struct Plan: Sendable, Hashable {
    public var deployments: [DeploymentPlan]
    public var steps: [BuildStep]
    public var bundles: [BundlePlan]
    public var workflows: [WorkflowPlan]

    public var hostCount: Int { Set(deployments.flatMap { $0.targets.map(\.host) }).count }
}

/// A workflow's tasks in topological levels: each level needs only earlier ones, so the
/// tasks of one level can start in parallel.
public struct WorkflowPlan: Sendable, Hashable {
    public var name: String
    public var description: String?
    public var levels: [[PlannedTask]]
    public var taskCount: Int { levels.reduce(0) { $0 + $1.count } }
}

public struct PlannedTask: Sendable, Hashable {
    public var name: String
    public var uses: String
    public var mode: String
    public var model: String?
    public var needs: [String]
    public var output: String
    public var port: Int?
}

/// One optimize step of the build matrix, shared by every bundle that needs it.
public struct BuildStep: Sendable, Hashable {
    /// `model@device/precision`.
    public var id: String
    public var model: String
    public var device: String
    public var precision: Precision
    public var source: String
    public var sha256: String
    public var bundles: [String]
    public var deployments: [String]
}

/// One bundle: a workflow built for one device and one precision choice.
public struct BundlePlan: Sendable, Hashable {
    /// `<workflow>-<device>-<choice>`.
    public var id: String
    public var workflow: String
    public var device: String
    /// The precision each model ships at; `auto` models list their candidates in `steps`.
    public var models: [BundleModel]
    public var hosts: [String]
    public var deployments: [String]
}

public struct BundleModel: Sendable, Hashable {
    public var model: String
    public var precision: Precision
    /// Build step ids; `auto` has one per candidate the device can run.
    public var steps: [String]
}

public struct DeploymentPlan: Sendable, Hashable {
    public var name: String
    public var workflow: String
    public var targets: [PlannedTarget]
    public var rollout: Rollout
    public var batches: [RolloutBatch]
    public var trust: [String]
}

public struct PlannedTarget: Sendable, Hashable {
    public var host: String
    public var address: String
    public var transport: Transport
    public var device: String
    public var bundle: String
}

public struct RolloutBatch: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case canary, batch }
    public var kind: Kind
    /// 1-based within its kind.
    public var number: Int
    public var hosts: [String]
}
