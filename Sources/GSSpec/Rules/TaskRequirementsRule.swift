import GSCore

/// GS401, GS403, GS404: what each kind of task needs to run on a host.
struct TaskRequirementsRule: Rule {
    var codes: [DiagnosticCode] { [.taskNeedsModel, .streamFromJob, .portConflict] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        for workflow in context.specs.workflows {
            var ports: [Int: (task: String, location: SourceLocation)] = [:]
            for task in workflow.tasks {
                if let uses = task.uses, uses.needsModel, task.model == nil {
                    findings.append(
                        Diagnostic(
                            .taskNeedsModel, task.name.location,
                            "task `\(task.name.value)` uses `\(uses.rawValue)` but names no model",
                            hint: "add `model:` with the name of a Model"))
                }
                if task.mode == .job, task.output == .stream {
                    findings.append(
                        Diagnostic(
                            .streamFromJob, task.outputLocation ?? task.name.location,
                            "job `\(task.name.value)` cannot hand a stream to other tasks; it exits when done",
                            hint: "make it `mode: service`, or hand results over with `output: files`"))
                }
                // A task may probe its own port; two tasks may not listen on one.
                var own: Set<Int> = []
                var listened: [Located<Int>] = []
                if let port = task.port { listened.append(port) }
                if case .http(_, let port)? = task.health?.probe { listened.append(port) }
                for port in listened where own.insert(port.value).inserted {
                    if let other = ports[port.value] {
                        findings.append(
                            Diagnostic(
                                .portConflict, port.location,
                                "port \(port.value) of task `\(task.name.value)` is also used by task `\(other.task)` in workflow `\(workflow.name)`",
                                hint: "give each service its own port (the other is at \(other.location))"))
                    } else {
                        ports[port.value] = (task.name.value, port.location)
                    }
                }
            }
        }
        return findings
    }
}
