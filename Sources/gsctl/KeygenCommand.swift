import GSBundle
import GSCore

/// `gsctl keygen`: an Ed25519 key pair for signing bundles.
enum KeygenCommand {
    static let spec = CommandSpec(
        name: "keygen",
        summary: "create an Ed25519 key pair for signing bundles",
        discussion: """
            Writes PREFIX.key (the private key, PEM PKCS#8, mode 0600: keep it out of git) and
            PREFIX.pub (the public key: list it under `trust:` in deployments so hosts accept only
            bundles it signed). Both are the formats openssl reads. Refuses to replace an existing
            key unless --force.
            """,
        options: [
            .value("out", short: "o", "PREFIX", "write PREFIX.key and PREFIX.pub (default: gsctl)"),
            .flag("force", "replace existing key files"),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        let generated = try SigningKeyFiles.generate(
            prefix: arguments.value("out") ?? "gsctl", force: arguments.flag("force"))
        Terminal.write(
            """
            wrote \(generated.privateKeyPath) (private key, mode 0600) and \(generated.publicKeyPath)
            fingerprint \(generated.fingerprint)

            """)
        return .success
    }
}
