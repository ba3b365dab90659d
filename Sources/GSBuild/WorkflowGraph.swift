import GSCore
import GSSpec

/// The workflow as the agent on the host needs it (manifest `workflowGraph`): tasks with
/// commands, dependencies, parameters, ports, restart policy and health probes.
enum WorkflowGraph {
    static func json(_ workflow: Workflow) -> JSONValue {
        [
            "name": .string(workflow.name),
            "tasks": .array(workflow.tasks.map(task)),
        ]
    }

    static func task(_ task: WorkflowTask) -> JSONValue {
        var health: JSONValue = .null
        if let probe = task.health {
            var members: [String: JSONValue] = [
                "initialDelaySeconds": .double(probe.initialDelaySeconds),
                "periodSeconds": .double(probe.periodSeconds),
                "timeoutSeconds": .double(probe.timeoutSeconds), "failureThreshold": .int(probe.failureThreshold),
            ]
            switch probe.probe {
            case .http(let path, let port): members["http"] = ["path": .string(path), "port": .int(port.value)]
            case .exec(let command): members["exec"] = .strings(command)
            case .none: break
            }
            health = .object(members)
        }
        return [
            "name": .string(task.name.value),
            "uses": .string(task.uses?.rawValue ?? "command"),
            "mode": .string(task.mode.rawValue),
            "model": .optional(task.model?.value),
            "command": .strings(task.command),
            "args": .strings(task.args),
            "env": .object(task.env.mapValues { .string($0) }),
            "needs": .strings(task.needs.map(\.value)),
            "params": task.params,
            "output": .string(task.output.rawValue),
            "port": task.port.map { .int($0.value) } ?? .null,
            "environment": .optional(task.environment?.value),
            "resources": [
                "cpu": task.cpu.map { .double($0) } ?? .null, "memoryMB": task.memoryMB.map { .int($0) } ?? .null,
            ],
            "restart": [
                "policy": .string(task.restart.policy.rawValue), "backoffSeconds": .double(task.restart.backoffSeconds),
                "maxBackoffSeconds": .double(task.restart.maxBackoffSeconds),
                "maxRestarts": task.restart.maxRestarts.map { .int($0) } ?? .null,
            ],
            "health": health,
            "timeoutSeconds": task.timeoutSeconds.map { .double($0) } ?? .null,
        ]
    }

    /// Runtime environments by name: Python version and pinned packages.
    static func environments(_ workflow: Workflow) -> JSONValue {
        .object(
            Dictionary(
                workflow.environments.map { environment in
                    (
                        environment.name.value,
                        ["python": .string(environment.python), "packages": .strings(environment.packages)]
                    )
                },
                uniquingKeysWith: { first, _ in first }))
    }
}
