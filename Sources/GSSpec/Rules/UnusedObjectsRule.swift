import GSCore

/// GS306 (a note): objects nothing refers to are often leftovers of a rename.
struct UnusedObjectsRule: Rule {
    var codes: [DiagnosticCode] { [.unusedObject] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        let specs = context.specs
        let usedModels = Set(specs.workflows.flatMap { $0.tasks.compactMap { $0.model?.value } })
        let deployed = Set(specs.deployments.compactMap { $0.workflow?.value })
        let usedDevices = Set(specs.hosts.compactMap { $0.device?.value })
            .union(specs.deployments.flatMap { $0.targets.compactMap { $0.device?.value } })
        var findings: [Diagnostic] = []
        for model in specs.models where !usedModels.contains(model.name) {
            findings.append(
                Diagnostic(.unusedObject, model.meta.name.location, "no workflow runs model `\(model.name)`"))
        }
        for workflow in specs.workflows where !deployed.contains(workflow.name) {
            findings.append(
                Diagnostic(.unusedObject, workflow.meta.name.location, "no deployment runs workflow `\(workflow.name)`")
            )
        }
        for device in specs.devices where !usedDevices.contains(device.name) {
            findings.append(Diagnostic(.unusedObject, device.meta.name.location, "no host is device `\(device.name)`"))
        }
        return findings
    }
}
