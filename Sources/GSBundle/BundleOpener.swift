import GSCore

/// A bundle's manifest and signature, read without reading its files: what `inspect` and
/// `diff` need, fast even for gigabyte bundles.
public struct OpenedBundle: Hashable, Sendable {
    /// The archive or directory it was read from.
    public var path: String
    public var manifest: Manifest
    public var manifestBytes: [UInt8]
    public var manifestDigest: String
    public var signatureBytes: [UInt8]?
    /// Checked over the manifest bytes (files are not checked: use `BundleVerifier`).
    public var signature: SignatureStatus
    /// The archive's size in bytes; nil for a directory.
    public var archiveSize: Int?
}

public enum BundleOpener {
    /// Reads the manifest and signature of a `.tar.zst` or a bundle directory. The signature
    /// is checked (against `trustedKeys` when given) and the manifest decoded strictly.
    public static func open(
        _ path: String, trustedKeys: [Ed25519PublicKey] = [], limits: ExtractionLimits = .default
    ) throws(GSError) -> OpenedBundle {
        do throws(GSError) {
            switch FileSystem.kind(of: path) {
            case .directory:
                let manifestPath = FileSystem.join(path, BundlePath.manifestName)
                let signaturePath = FileSystem.join(path, BundlePath.signatureName)
                guard DiskOps.isFile(manifestPath) else {
                    throw BundleError.missing(BundlePath.manifestName)
                }
                let manifestBytes = try FileSystem.read(manifestPath, limit: limits.maxManifestSize)
                let signatureBytes =
                    DiskOps.isFile(signaturePath)
                    ? try FileSystem.read(signaturePath, limit: limits.maxSignatureSize) : nil
                let status = try SignatureCheck.check(
                    manifestBytes: manifestBytes, signatureBytes: signatureBytes, trustedKeys: trustedKeys)
                return OpenedBundle(
                    path: path, manifest: try Manifest.decode(manifestBytes), manifestBytes: manifestBytes,
                    manifestDigest: SHA256.hex(of: manifestBytes), signatureBytes: signatureBytes, signature: status,
                    archiveSize: nil)
            case .file:
                let head = try ArchiveScan(archive: path, limits: limits).head(trustedKeys: trustedKeys)
                return OpenedBundle(
                    path: path, manifest: head.manifest, manifestBytes: head.manifestBytes,
                    manifestDigest: SHA256.hex(of: head.manifestBytes), signatureBytes: head.signatureBytes,
                    signature: head.signature, archiveSize: try ReadOnlyFile(path: path).size())
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
