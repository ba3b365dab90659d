import GSCore
import GSSpec

/// The plan as a tree for a terminal (colour only when asked: on a TTY without NO_COLOR).
struct TextPlanRenderer {
    let style: Style

    init(color: Bool) { style = Style(enabled: color) }

    func render(_ plan: Plan) -> String {
        var out =
            style.bold("plan:") + " \(count(plan.deployments.count, "deployment")), "
            + "\(count(plan.steps.count, "optimize step")), \(count(plan.bundles.count, "bundle")), "
            + "\(count(plan.hostCount, "host"))\n"
        let workflows = Dictionary(uniqueKeysWithValues: plan.workflows.map { ($0.name, $0) })
        for deployment in plan.deployments {
            out +=
                "\n" + style.bold("deployment \(deployment.name)") + style.dim("  (workflow \(deployment.workflow))")
                + "\n"
            var tree = Tree()
            if let workflow = workflows[deployment.workflow] {
                tree.open("tasks: \(count(workflow.taskCount, "task")) in \(count(workflow.levels.count, "level"))")
                let precision = precisions(deployment, plan)
                for (number, level) in workflow.levels.enumerated() {
                    let tasks = level.map { task in
                        var text = style.cyan(task.name) + " (\(task.uses)"
                        if let model = task.model {
                            text += " " + model + (precision[model].map { " " + style.yellow($0) } ?? "")
                        }
                        return text + ")"
                    }
                    tree.leaf(style.dim("L\(number)") + "  " + tasks.joined(separator: " · "))
                }
                tree.close()
            }
            tree.open("targets: \(count(deployment.targets.count, "host"))")
            for target in deployment.targets {
                tree.leaf(
                    "\(style.cyan(target.host))  \(target.device)  \(style.dim(target.address))  bundle \(target.bundle)"
                )
            }
            tree.close()
            tree.open("rollout: \(rolloutSummary(deployment.rollout))")
            for batch in deployment.batches {
                let label = batch.kind == .canary ? "canary \(batch.number)" : "batch \(batch.number)"
                tree.leaf("\(label): \(batch.hosts.joined(separator: ", "))")
            }
            tree.close()
            out += tree.text
        }
        if !plan.steps.isEmpty {
            out += "\n" + style.bold("optimize steps") + "\n"
            var tree = Tree()
            for step in plan.steps {
                tree.leaf(
                    "\(step.model) @ \(step.device)  \(style.yellow(step.precision.rawValue))  \(style.dim("used by " + step.bundles.joined(separator: ", ")))"
                )
            }
            out += tree.text
        }
        if !plan.bundles.isEmpty {
            out += "\n" + style.bold("bundles") + "\n"
            var tree = Tree()
            for bundle in plan.bundles {
                tree.open(style.cyan(bundle.id))
                let models = bundle.models.map { model in
                    var text = "\(model.model) \(model.precision.rawValue)"
                    if model.precision == .auto {
                        let candidates = model.steps.compactMap { $0.split(separator: "/").last }
                        text += " (\(candidates.joined(separator: ", ")))"
                    }
                    return text
                }
                tree.leaf("models: \(models.isEmpty ? "none" : models.joined(separator: ", "))")
                tree.leaf("hosts: \(bundle.hosts.joined(separator: ", "))")
                tree.close()
            }
            out += tree.text
        }
        return out
    }

    /// The precision of each model in a deployment ("fp16" or "fp16|int8-mixed" when
    /// targets differ).
    func precisions(_ deployment: DeploymentPlan, _ plan: Plan) -> [String: String] {
        let bundles = Dictionary(uniqueKeysWithValues: plan.bundles.map { ($0.id, $0) })
        var result: [String: Set<String>] = [:]
        for target in deployment.targets {
            for model in bundles[target.bundle]?.models ?? [] {
                result[model.model, default: []].insert(model.precision.rawValue)
            }
        }
        return result.mapValues { $0.sorted().joined(separator: "|") }
    }

    func rolloutSummary(_ rollout: Rollout) -> String {
        var parts: [String] = []
        if rollout.canary > 0 { parts.append("canary \(rollout.canary)") }
        if let size = rollout.batchSize {
            parts.append("batches of \(size)")
        } else if let unavailable = rollout.maxUnavailable {
            parts.append("max unavailable \(unavailable.description)")
        } else {
            parts.append("all at once")
        }
        if case .count(0) = rollout.failureThreshold {
            parts.append("halt on the first failure")
        } else {
            parts.append("tolerate \(rollout.failureThreshold.description) failed")
        }
        parts.append("then \(rollout.onFailure.rawValue)")
        if rollout.pauseSeconds > 0 { parts.append("pause \(JSONValue.format(rollout.pauseSeconds)) s") }
        return parts.joined(separator: ", ")
    }

    func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}

/// Box-drawing tree builder: `open` a branch, add leaves, `close` it.
struct Tree {
    private var lines: [(depth: Int, text: String)] = []
    private var depth = 0

    mutating func open(_ text: String) {
        lines.append((depth, text))
        depth += 1
    }

    mutating func leaf(_ text: String) { lines.append((depth, text)) }

    mutating func close() { depth -= 1 }

    /// Draws `├─`/`└─` and `│` by looking ahead for siblings.
    var text: String {
        var out = ""
        for (index, line) in lines.enumerated() {
            var prefix = ""
            for level in 0..<line.depth {
                prefix += hasSibling(after: index, atDepth: level) ? "│  " : "   "
            }
            prefix += hasSibling(after: index, atDepth: line.depth) ? "├─ " : "└─ "
            out += prefix + line.text + "\n"
        }
        return out
    }

    /// Whether a later line sits at `depth` before the tree leaves that depth.
    private func hasSibling(after index: Int, atDepth depth: Int) -> Bool {
        for next in lines[(index + 1)...] {
            if next.depth < depth { return false }
            if next.depth == depth { return true }
        }
        return false
    }
}
