import GSCore

/// GS602: a Deployment's trusted keys must be Ed25519 public keys, or no host could ever
/// accept a bundle.
struct TrustKeysRule: Rule {
    var codes: [DiagnosticCode] { [.invalidKey] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        guard context.checkFiles else { return [] }
        var findings: [Diagnostic] = []
        for deployment in context.specs.deployments {
            for key in deployment.trust {
                do {
                    _ = try Ed25519PublicKey.load(path: key.value)
                } catch {
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
