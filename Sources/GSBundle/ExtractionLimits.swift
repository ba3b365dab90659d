import GSCore

/// Bounds on what reading a bundle may cost, so a hostile archive cannot fill a host's disk,
/// exhaust its memory or keep it busy: checked against the manifest before any data is read
/// and against every entry while it is read.
public struct ExtractionLimits: Hashable, Sendable {
    /// Largest single file (models and wheels are large; nothing sane is over this).
    public var maxFileSize: Int
    /// All files together.
    public var maxTotalSize: Int
    /// Entries in the archive, manifest and signature included.
    public var maxEntries: Int
    /// `manifest.json` is read into memory: keep it bounded.
    public var maxManifestSize: Int
    /// `manifest.sig` is a few hundred bytes.
    public var maxSignatureSize: Int

    public init(
        maxFileSize: Int = 8 << 30, maxTotalSize: Int = 32 << 30, maxEntries: Int = 100_000,
        maxManifestSize: Int = 16 << 20, maxSignatureSize: Int = 4096
    ) {
        self.maxFileSize = maxFileSize
        self.maxTotalSize = maxTotalSize
        self.maxEntries = maxEntries
        self.maxManifestSize = maxManifestSize
        self.maxSignatureSize = maxSignatureSize
    }

    public static let `default` = ExtractionLimits()

    /// Refuses a manifest whose own numbers break the limits, before any file is read.
    func check(_ manifest: Manifest) throws(GSError) {
        if manifest.files.count + 2 > maxEntries { throw BundleError.tooManyEntries(limit: maxEntries) }
        var total = 0
        for file in manifest.files {
            if file.size > maxFileSize { throw BundleError.entryTooLarge(file.path, limit: maxFileSize) }
            total += file.size
            if total > maxTotalSize { throw BundleError.totalTooLarge(limit: maxTotalSize) }
        }
    }
}

/// A bundle whose signature, manifest and every file checked out.
public struct VerifiedBundle: Hashable, Sendable {
    public var manifest: Manifest
    /// The exact `manifest.json` bytes (what the signature covers).
    public var manifestBytes: [UInt8]
    /// SHA-256 of `manifestBytes`: the bundle's identity.
    public var manifestDigest: String
    /// The exact `manifest.sig` bytes, nil when unsigned.
    public var signatureBytes: [UInt8]?
    public var signature: SignatureStatus
}
