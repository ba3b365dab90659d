import GSCore

/// GS300: names are how specs refer to each other, so one name must mean one object of a
/// kind (and one task or environment within a workflow).
struct DuplicateNamesRule: Rule {
    var codes: [DiagnosticCode] { [.duplicateName] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        let specs = context.specs
        var findings: [Diagnostic] = []
        findings += duplicates("Device", specs.devices.map(\.meta.name))
        findings += duplicates("Host", specs.hosts.map(\.meta.name))
        findings += duplicates("Model", specs.models.map(\.meta.name))
        findings += duplicates("Workflow", specs.workflows.map(\.meta.name))
        findings += duplicates("Deployment", specs.deployments.map(\.meta.name))
        for workflow in specs.workflows {
            findings += duplicates("task in workflow `\(workflow.name)`", workflow.tasks.map(\.name))
            findings += duplicates("environment in workflow `\(workflow.name)`", workflow.environments.map(\.name))
        }
        return findings
    }

    func duplicates(_ what: String, _ names: [Located<String>]) -> [Diagnostic] {
        var first: [String: SourceLocation] = [:]
        var findings: [Diagnostic] = []
        for name in names {
            if let earlier = first[name.value] {
                findings.append(
                    Diagnostic(
                        .duplicateName, name.location, "\(what) `\(name.value)` is defined twice",
                        hint: "the first is at \(earlier); rename or remove one"))
            } else {
                first[name.value] = name.location
            }
        }
        return findings
    }
}
