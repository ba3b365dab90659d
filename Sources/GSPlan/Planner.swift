import GSCore
import GSSpec

/// Turns a lint-clean spec set into a `Plan`.
public enum Planner {
    /// Plans every Deployment (or only `only`). Specs with errors must be refused before
    /// this is called (`gsctl plan` lints first); objects that do not resolve are skipped.
    public static func plan(_ specs: SpecSet, only: Set<String>? = nil) -> Plan {
        let index = specs.index()
        var deployments: [DeploymentPlan] = []
        var steps: [String: BuildStep] = [:]
        var bundles: [String: BundlePlan] = [:]
        var workflowNames: Set<String> = []

        for deployment in specs.deployments.sorted(by: { $0.name < $1.name }) {
            if let only, !only.contains(deployment.name) { continue }
            guard let workflowName = deployment.workflow?.value, let workflow = index.workflows[workflowName]
            else { continue }
            workflowNames.insert(workflowName)
            var targets: [PlannedTarget] = []
            for target in index.targetHosts(of: deployment) {
                guard let device = target.device else { continue }
                var models: [BundleModel] = []
                for modelName in workflow.modelNames {
                    guard let model = index.models[modelName] else { continue }
                    let precision = index.precision(of: modelName, in: deployment, target: target.target).precision
                    let variants = precision == .auto ? autoCandidates(device, model) : [precision]
                    var ids: [String] = []
                    for variant in variants {
                        let id = "\(modelName)@\(device.name)/\(variant.rawValue)"
                        ids.append(id)
                        if steps[id] == nil {
                            steps[id] = BuildStep(
                                id: id, model: modelName, device: device.name, precision: variant,
                                source: model.sourcePath ?? "", sha256: model.sha256?.value ?? "",
                                bundles: [], deployments: [])
                        }
                        steps[id]?.deployments.append(deployment.name)
                    }
                    models.append(BundleModel(model: modelName, precision: precision, steps: ids))
                }
                let bundleID = bundleName(workflow: workflowName, device: device.name, models: models)
                for model in models {
                    for id in model.steps { steps[id]?.bundles.append(bundleID) }
                }
                if bundles[bundleID] == nil {
                    bundles[bundleID] = BundlePlan(
                        id: bundleID, workflow: workflowName, device: device.name, models: models, hosts: [],
                        deployments: [])
                }
                bundles[bundleID]?.hosts.append(target.host.name)
                bundles[bundleID]?.deployments.append(deployment.name)
                targets.append(
                    PlannedTarget(
                        host: target.host.name,
                        address: target.host.transport == .local
                            ? target.host.root : "\(target.host.user)@\(target.host.address ?? ""):\(target.host.port)",
                        transport: target.host.transport, device: device.name, bundle: bundleID))
            }
            deployments.append(
                DeploymentPlan(
                    name: deployment.name, workflow: workflowName, targets: targets, rollout: deployment.rollout,
                    batches: batches(targets.map(\.host), deployment.rollout),
                    trust: deployment.trust.map(\.value)))
        }
        let workflows = workflowNames.sorted().compactMap { index.workflows[$0] }.map(levels)
        return Plan(
            deployments: deployments,
            steps: steps.values.map { step in
                var step = step
                step.bundles = Array(Set(step.bundles)).sorted()
                step.deployments = Array(Set(step.deployments)).sorted()
                return step
            }.sorted { $0.id < $1.id },
            bundles: bundles.values.map { bundle in
                var bundle = bundle
                bundle.hosts = Array(Set(bundle.hosts)).sorted()
                bundle.deployments = Array(Set(bundle.deployments)).sorted()
                return bundle
            }.sorted { $0.id < $1.id },
            workflows: workflows)
    }

    /// `auto` ships every candidate the device can run (fp32 always, as the reference);
    /// INT8 candidates only for models with calibration data to quantize with.
    public static func autoCandidates(_ device: Device, _ model: Model) -> [Precision] {
        let usable = device.runtimes.filter { $0.format.deliverable }
        return Precision.autoCandidates.filter { candidate in
            if candidate == .fp32 { return true }
            if candidate.needs.contains(.int8), model.calibration == nil { return false }
            return usable.contains { runtime in candidate.needs.allSatisfy(runtime.precisions.contains) }
        }.sorted()
    }

    /// `<workflow>-<device>-<precision>` when every model shares one precision, else the
    /// precisions' digest, so equal choices share a bundle and different ones never do.
    static func bundleName(workflow: String, device: String, models: [BundleModel]) -> String {
        let precisions = Set(models.map(\.precision))
        if precisions.count <= 1 {
            return "\(workflow)-\(device)-\((precisions.first ?? .fp32).rawValue)"
        }
        let choice = models.map { "\($0.model)=\($0.precision.rawValue)" }.joined(separator: ",")
        return "\(workflow)-\(device)-mixed-\(SHA256.hex(of: choice).prefix(8))"
    }

    /// Canary hosts first (one per batch), then batches of `batchSize`, or of
    /// `maxUnavailable` hosts, or everything else at once.
    public static func batches(_ hosts: [String], _ rollout: Rollout) -> [RolloutBatch] {
        var result: [RolloutBatch] = []
        let canaries = min(rollout.canary, hosts.count)
        for (number, host) in hosts.prefix(canaries).enumerated() {
            result.append(RolloutBatch(kind: .canary, number: number + 1, hosts: [host]))
        }
        let rest = Array(hosts.dropFirst(canaries))
        guard !rest.isEmpty else { return result }
        let size = max(1, rollout.batchSize ?? rollout.maxUnavailable?.resolve(total: hosts.count) ?? rest.count)
        var number = 1
        var start = 0
        while start < rest.count {
            result.append(
                RolloutBatch(kind: .batch, number: number, hosts: Array(rest[start..<min(start + size, rest.count)])))
            start += size
            number += 1
        }
        return result
    }

    /// Tasks in topological levels; within a level in the order they were written.
    public static func levels(_ workflow: Workflow) -> WorkflowPlan {
        let graph = TaskGraph(workflow)
        let levels = graph.dag.levels().map { level in
            level.map { index in
                let task = workflow.tasks[index]
                return PlannedTask(
                    name: task.name.value, uses: task.uses?.rawValue ?? "command", mode: task.mode.rawValue,
                    model: task.model?.value, needs: task.needs.map(\.value), output: task.output.rawValue,
                    port: task.port?.value)
            }
        }
        return WorkflowPlan(name: workflow.name, description: workflow.description, levels: levels)
    }
}
