import GSCore
import GSSpec

/// The plan as JSON (documented in docs/plan.md): what CI scripts and `gsctl build` read.
public enum PlanJSON {
    public static func encode(_ plan: Plan) -> JSONValue {
        [
            "version": 1,
            "gsctl": .string(GSVersion.current),
            "summary": [
                "deployments": .int(plan.deployments.count),
                "workflows": .int(plan.workflows.count),
                "steps": .int(plan.steps.count),
                "bundles": .int(plan.bundles.count),
                "hosts": .int(plan.hostCount),
            ],
            "workflows": .array(plan.workflows.map(workflow)),
            "deployments": .array(plan.deployments.map(deployment)),
            "steps": .array(plan.steps.map(step)),
            "bundles": .array(plan.bundles.map(bundle)),
        ]
    }

    static func workflow(_ workflow: WorkflowPlan) -> JSONValue {
        [
            "name": .string(workflow.name),
            "description": .optional(workflow.description),
            "levels": .array(workflow.levels.map { level in .array(level.map(task)) }),
        ]
    }

    static func task(_ task: PlannedTask) -> JSONValue {
        [
            "name": .string(task.name),
            "uses": .string(task.uses),
            "mode": .string(task.mode),
            "model": .optional(task.model),
            "needs": .strings(task.needs),
            "output": .string(task.output),
            "port": task.port.map { .int($0) } ?? .null,
        ]
    }

    static func deployment(_ deployment: DeploymentPlan) -> JSONValue {
        let rollout = deployment.rollout
        return [
            "name": .string(deployment.name),
            "workflow": .string(deployment.workflow),
            "targets": .array(
                deployment.targets.map { target in
                    [
                        "host": .string(target.host),
                        "address": .string(target.address),
                        "transport": .string(target.transport.rawValue),
                        "device": .string(target.device),
                        "bundle": .string(target.bundle),
                    ]
                }),
            "rollout": [
                "canary": .int(rollout.canary),
                "batchSize": rollout.batchSize.map { .int($0) } ?? .null,
                "maxUnavailable": .optional(rollout.maxUnavailable?.description),
                "failureThreshold": .string(rollout.failureThreshold.description),
                "pauseSeconds": .double(rollout.pauseSeconds),
                "onFailure": .string(rollout.onFailure.rawValue),
            ],
            "batches": .array(
                deployment.batches.map { batch in
                    [
                        "kind": .string(batch.kind.rawValue), "number": .int(batch.number),
                        "hosts": .strings(batch.hosts),
                    ]
                }),
            "trust": .strings(deployment.trust),
        ]
    }

    static func step(_ step: BuildStep) -> JSONValue {
        [
            "id": .string(step.id),
            "model": .string(step.model),
            "device": .string(step.device),
            "precision": .string(step.precision.rawValue),
            "source": .string(step.source),
            "sha256": .string(step.sha256),
            "bundles": .strings(step.bundles),
            "deployments": .strings(step.deployments),
        ]
    }

    static func bundle(_ bundle: BundlePlan) -> JSONValue {
        [
            "id": .string(bundle.id),
            "workflow": .string(bundle.workflow),
            "device": .string(bundle.device),
            "models": .array(
                bundle.models.map { model in
                    [
                        "model": .string(model.model), "precision": .string(model.precision.rawValue),
                        "steps": .strings(model.steps),
                    ]
                }),
            "hosts": .strings(bundle.hosts),
            "deployments": .strings(bundle.deployments),
        ]
    }
}
