import GSCore

/// GS301: every name a spec mentions must exist: Host -> Device, task -> Model, environment
/// and needed task, Deployment -> Workflow, target -> Host and Device, model overrides ->
/// a model the workflow runs.
struct ReferencesRule: Rule {
    var codes: [DiagnosticCode] { [.unknownReference] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        let index = context.index
        var findings: [Diagnostic] = []
        func expect(_ reference: Located<String>?, _ kind: String, in names: some Collection<String>) {
            guard let reference, !names.contains(reference.value) else { return }
            let nearest = Suggest.nearest(to: reference.value, in: names)
            findings.append(
                Diagnostic(
                    .unknownReference, reference.location, "no \(kind) named `\(reference.value)`",
                    hint: nearest.map { "did you mean `\($0)`?" } ?? hint(kind, names)))
        }
        for host in context.specs.hosts { expect(host.device, "Device", in: index.devices.keys) }
        for workflow in context.specs.workflows {
            let taskNames = Set(workflow.tasks.map(\.name.value))
            let environmentNames = Set(workflow.environments.map(\.name.value))
            for task in workflow.tasks {
                expect(task.model, "Model", in: index.models.keys)
                expect(task.environment, "environment in workflow `\(workflow.name)`", in: environmentNames)
                for need in task.needs { expect(need, "task in workflow `\(workflow.name)`", in: taskNames) }
            }
        }
        for deployment in context.specs.deployments {
            expect(deployment.workflow, "Workflow", in: index.workflows.keys)
            let used = deployment.workflow.flatMap { index.workflows[$0.value] }?.modelNames
            for target in deployment.targets {
                for host in target.hosts { expect(host, "Host", in: index.hosts.keys) }
                expect(target.device, "Device", in: index.devices.keys)
                guard let used else { continue }
                for override in target.models {
                    expect(override.model, "model in workflow `\(deployment.workflow?.value ?? "")`", in: used)
                }
            }
        }
        return findings
    }

    func hint(_ kind: String, _ names: some Collection<String>) -> String {
        if names.isEmpty { return "define one (kind: \(kind.split(separator: " ").first ?? ""))" }
        let sorted = names.sorted()
        let shown = sorted.prefix(8).joined(separator: ", ")
        return "known: \(shown)\(sorted.count > 8 ? ", ..." : "")"
    }
}
