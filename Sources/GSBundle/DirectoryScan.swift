import GSCore

/// The directory form of a bundle (what extraction produces and a host activates):
/// `manifest.json`, optionally `manifest.sig`, and the listed files, nothing else.
///
/// Checked like an archive: signature over the manifest bytes first, then every listed file
/// (regular, not a link; mode, size, digest) and no file, link or directory the manifest
/// does not account for.
enum DirectoryScan {
    static func run(
        directory: String, trustedKeys: [Ed25519PublicKey], limits: ExtractionLimits
    ) throws(GSError) -> VerifiedBundle {
        let manifestBytes = try readFormatFile(directory, BundlePath.manifestName, limit: limits.maxManifestSize)
        guard let manifestBytes else { throw BundleError.missing(BundlePath.manifestName) }
        let signatureBytes = try readFormatFile(directory, BundlePath.signatureName, limit: limits.maxSignatureSize)
        let status = try SignatureCheck.check(
            manifestBytes: manifestBytes, signatureBytes: signatureBytes, trustedKeys: trustedKeys)
        let manifest = try Manifest.decode(manifestBytes)
        try limits.check(manifest)

        for file in manifest.files {
            let path = FileSystem.join(directory, file.path)
            guard let found = DiskOps.entry(path) else { throw BundleError.missing(file.path) }
            guard found.kind == .file else { throw BundleError.notRegular(file.path, found.kind, target: nil) }
            if found.size != file.size {
                throw BundleError.sizeMismatch(file.path, actual: found.size, expected: file.size)
            }
            if found.permissions != file.mode.rawValue {
                throw BundleError.modeMismatch(file.path, actual: found.permissions, expected: file.mode)
            }
            let digest = try SHA256.hex(ofFile: path)
            if digest != file.sha256 {
                throw BundleError.digestMismatch(file.path, actual: digest, expected: file.sha256)
            }
        }
        let listed = Set(manifest.files.map(\.path))
        var directories = Set<String>()
        for file in manifest.files { directories.formUnion(BundlePath.ancestors(file.path)) }
        try checkNothingElse(directory, relative: "", listed: listed, directories: directories)
        return VerifiedBundle(
            manifest: manifest, manifestBytes: manifestBytes, manifestDigest: SHA256.hex(of: manifestBytes),
            signatureBytes: signatureBytes, signature: status)
    }

    /// `manifest.json` / `manifest.sig` at the root: nil when absent, refused when not a file.
    private static func readFormatFile(_ directory: String, _ name: String, limit: Int) throws(GSError) -> [UInt8]? {
        let path = FileSystem.join(directory, name)
        guard let found = DiskOps.entry(path) else { return nil }
        guard found.kind == .file else { throw BundleError.notRegular(name, found.kind, target: nil) }
        if found.size > limit { throw BundleError.entryTooLarge(name, limit: limit) }
        return try FileSystem.read(path, limit: limit)
    }

    /// Walks the tree with `lstat` (links are never followed) and refuses anything unlisted.
    private static func checkNothingElse(
        _ root: String, relative: String, listed: Set<String>, directories: Set<String>
    ) throws(GSError) {
        let here = relative.isEmpty ? root : FileSystem.join(root, relative)
        for entry in try FileSystem.list(here) {
            let path = relative.isEmpty ? entry.name : relative + "/" + entry.name
            if relative.isEmpty, BundlePath.isReserved(path) { continue }
            switch DiskOps.entry(FileSystem.join(root, path))?.kind {
            case .directory?:
                guard directories.contains(path) else { throw BundleError.unlisted(path + "/") }
                try checkNothingElse(root, relative: path, listed: listed, directories: directories)
            case .file?, nil:
                guard listed.contains(path) else { throw BundleError.unlisted(path) }
            case let kind?:
                throw BundleError.notRegular(path, kind, target: nil)
            }
        }
    }
}
