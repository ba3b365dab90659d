import GSCore

/// GS302: a selector that matches no host deploys nowhere, which is almost always a typo in
/// a label.
struct SelectorRule: Rule {
    var codes: [DiagnosticCode] { [.selectorMatchesNothing] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        // Built once: the labels hosts have, for the hint.
        let known = Set(context.specs.hosts.flatMap { $0.meta.labels.map { "\($0.key)=\($0.value)" } }).sorted()
        for deployment in context.specs.deployments {
            for target in deployment.targets {
                guard let selector = target.selector,
                    context.index.hosts(of: target).isEmpty
                else { continue }
                let labels = selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                findings.append(
                    Diagnostic(
                        .selectorMatchesNothing, target.location,
                        "selector \(labels.joined(separator: ",")) matches no host",
                        hint: known.isEmpty
                            ? "no Host has labels yet"
                            : "host labels in use: \(known.prefix(10).joined(separator: ", "))"))
            }
        }
        return findings
    }
}
