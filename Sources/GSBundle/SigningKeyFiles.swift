import GSCore

/// `gsctl keygen`: a signing key pair as `PREFIX.key` (PEM PKCS#8, mode 0600) and
/// `PREFIX.pub` (PEM public key, what deployments pin and hosts trust).
public enum SigningKeyFiles {
    public struct Generated: Sendable {
        public var privateKeyPath: String
        public var publicKeyPath: String
        /// `Ed25519PublicKey.fingerprint`: what `manifest.sig` names and messages show.
        public var fingerprint: String
    }

    /// Generates a key pair. Refuses to replace an existing key file unless `force`: a lost
    /// signing key cannot sign again and hosts pinned to it would refuse new bundles.
    public static func generate(prefix: String, force: Bool = false) throws(GSError) -> Generated {
        let privatePath = prefix + ".key"
        let publicPath = prefix + ".pub"
        if !force {
            for path in [privatePath, publicPath] where DiskOps.exists(path) {
                throw GSError(
                    "`\(path)` already exists",
                    hint: "pass --force to replace it (bundles signed with the old key will no longer verify)")
            }
        }
        let directory = FileSystem.directory(of: privatePath)
        if directory != "." { try FileSystem.makeDirectories(directory) }
        let key = try Ed25519PrivateKey.generate()
        let publicKey = try key.publicKey
        try key.write(to: privatePath)
        try FileSystem.writeAtomically(try publicKey.pem, to: publicPath, mode: 0o644)
        return Generated(privateKeyPath: privatePath, publicKeyPath: publicPath, fingerprint: publicKey.fingerprint)
    }
}
