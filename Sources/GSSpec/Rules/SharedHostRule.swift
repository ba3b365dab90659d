import GSCore

/// GS307: a host runs one release at a time, so a host two Deployments reach would be moved
/// back and forth: every apply would install one deployment's workflow over the other's and
/// neither would ever converge. The first deployment (in file order) keeps the host; each
/// later target that reaches it is reported once per host.
struct SharedHostRule: Rule {
    var codes: [DiagnosticCode] { [.hostInTwoDeployments] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        var owner: [String: (deployment: String, location: SourceLocation)] = [:]
        var findings: [Diagnostic] = []
        let deployments = context.specs.deployments.sorted { $0.meta.name.location < $1.meta.name.location }
        for deployment in deployments {
            var reported: Set<String> = []
            for target in deployment.targets {
                for host in context.index.hosts(of: target) {
                    guard let first = owner[host.name] else {
                        owner[host.name] = (deployment.name, target.location)
                        continue
                    }
                    guard first.deployment != deployment.name, reported.insert(host.name).inserted else { continue }
                    findings.append(
                        Diagnostic(
                            .hostInTwoDeployments, target.location,
                            "host `\(host.name)` is already a target of deployment `\(first.deployment)` "
                                + "(\(first.location)): a host runs one deployment's release, so each apply "
                                + "would replace the other's",
                            hint: "target the host from one deployment only: narrow this selector or host list, "
                                + "or move the host to other labels"))
                }
            }
        }
        return findings
    }
}
