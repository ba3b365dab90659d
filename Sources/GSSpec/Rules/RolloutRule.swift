import GSCore

/// GS305, GS600, GS601: rollout settings that cannot mean what they say.
struct RolloutRule: Rule {
    var codes: [DiagnosticCode] { [.hostTargetedTwice, .canaryTooLarge, .thresholdUnreachable] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        for deployment in context.specs.deployments {
            var firstTarget: [String: Int] = [:]
            for (index, target) in deployment.targets.enumerated() {
                for host in context.index.hosts(of: target) {
                    if let first = firstTarget[host.name] {
                        if first != index {
                            findings.append(
                                Diagnostic(
                                    .hostTargetedTwice, target.location,
                                    "host `\(host.name)` is already a target of this deployment (target \(first + 1))",
                                    hint:
                                        "a host runs one precision per deployment; narrow the selector or the host list"
                                ))
                        }
                    } else {
                        firstTarget[host.name] = index
                    }
                }
            }
            let total = firstTarget.count
            let rollout = deployment.rollout
            guard total > 0, let location = rollout.location else { continue }
            if rollout.canary > total {
                findings.append(
                    Diagnostic(
                        .canaryTooLarge, location,
                        "canary is \(rollout.canary) but the deployment reaches \(total) host\(total == 1 ? "" : "s")",
                        hint: "use at most \(total) canary hosts"))
            }
            if case .count(let count) = rollout.failureThreshold, count >= total {
                findings.append(
                    Diagnostic(
                        .thresholdUnreachable, location,
                        "failureThreshold \(count) is never exceeded with \(total) host\(total == 1 ? "" : "s"): the rollout would never halt",
                        hint: "use a threshold below \(total), or a percentage"))
            }
        }
        return findings
    }
}
