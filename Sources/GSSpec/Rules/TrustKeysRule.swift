import GSCore

/// GS602: a Deployment's trusted keys must be Ed25519 public keys, or no host could ever
/// accept a bundle.
struct TrustKeysRule: Rule {
    var codes: [DiagnosticCode] { [.invalidKey] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        guard context.checkFiles else { return [] }
        var findings: [Diagnostic] = []
        // Fleets share one key across many deployments: parse each file once.
        var checked: Set<String> = []
        var failures: [String: GSError] = [:]
        for deployment in context.specs.deployments {
            for key in deployment.trust {
                if checked.insert(key.value).inserted {
                    do {
                        _ = try Ed25519PublicKey.load(path: key.value)
                    } catch {
                        failures[key.value] = error
                    }
                }
                if let error = failures[key.value] {
                    findings.append(
                        Diagnostic(
                            .invalidKey, key.location, "trusted key `\(key.value)`: \(error.message)",
                            hint: error.hint ?? "create one with `gsctl keygen`"))
                }
            }
        }
        return findings
    }
}
