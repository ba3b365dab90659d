import GSCore

/// `verify(bundle, trustedKeys:)`: the check a deployer runs before sending a bundle and a
/// host runs before activating one.
public enum BundleVerifier {
    /// Verifies a `.tar.zst` archive or an unpacked bundle directory.
    ///
    /// With `trustedKeys` non-empty the bundle must be signed by one of them; with none, an
    /// unsigned bundle passes and a signed one must still match its own signature. Every
    /// listed file's size, mode and sha256 must match and nothing unlisted may be present.
    /// Errors name the bundle, the file and the cause.
    public static func verify(
        _ path: String, trustedKeys: [Ed25519PublicKey] = [], limits: ExtractionLimits = .default
    ) throws(GSError) -> VerifiedBundle {
        do throws(GSError) {
            switch FileSystem.kind(of: path) {
            case .directory:
                return try DirectoryScan.run(directory: path, trustedKeys: trustedKeys, limits: limits)
            case .file:
                return try ArchiveScan.run(archive: path, trustedKeys: trustedKeys, limits: limits, sink: nil)
            case .missing:
                throw GSError("no such file or directory")
            case .other:
                throw GSError("not a bundle archive or directory")
            }
        } catch {
            throw BundleError.scoped(path, error)
        }
    }
}
