import GSCore

/// Where the checked bytes of each file go while an archive is scanned (the extractor
/// writes them to disk; plain verification has no sink).
protocol FileSink: AnyObject {
    func begin(_ file: ManifestFile) throws(GSError)
    func write(_ bytes: UnsafeRawBufferPointer) throws(GSError)
    /// Called only once the file's size and digest matched the manifest.
    func end(_ file: ManifestFile) throws(GSError)
}

/// One pass over a bundle archive that checks everything before trusting anything:
/// `manifest.json` must be the first entry and `manifest.sig` (if any) the second; the
/// signature is checked over the manifest bytes before they are even parsed (`head`); then
/// every entry must be a regular file at a valid path, listed once in the manifest, with the
/// listed mode, size and digest, and every listed file must appear (`files`).
final class ArchiveScan {
    private let reader: ArchiveReader
    private let limits: ExtractionLimits
    private var entries = 0
    /// An entry read while looking for `manifest.sig` that turned out to be a file.
    private var pending: ArchiveReader.Header?

    /// The manifest and signature at the head of the archive, signature checked.
    struct Head {
        var manifest: Manifest
        var manifestBytes: [UInt8]
        var signatureBytes: [UInt8]?
        var signature: SignatureStatus
    }

    init(archive path: String, limits: ExtractionLimits) throws(GSError) {
        reader = try ArchiveReader(path: path)
        self.limits = limits
    }

    /// Verifies a whole archive, passing each file's bytes to `sink`.
    static func run(
        archive path: String, trustedKeys: [Ed25519PublicKey], limits: ExtractionLimits, sink: FileSink?
    ) throws(GSError) -> VerifiedBundle {
        let scan = try ArchiveScan(archive: path, limits: limits)
        let head = try scan.head(trustedKeys: trustedKeys)
        try scan.files(of: head.manifest, sink: sink)
        return VerifiedBundle(
            manifest: head.manifest, manifestBytes: head.manifestBytes,
            manifestDigest: SHA256.hex(of: head.manifestBytes), signatureBytes: head.signatureBytes,
            signature: head.signature)
    }

    private func next() throws(GSError) -> ArchiveReader.Header? {
        if let waiting = pending {
            pending = nil
            return waiting
        }
        guard let header = try reader.next() else { return nil }
        entries += 1
        if entries > limits.maxEntries { throw BundleError.tooManyEntries(limit: limits.maxEntries) }
        return header
    }

    func head(trustedKeys: [Ed25519PublicKey]) throws(GSError) -> Head {
        guard let first = try next() else { throw GSError("the archive is empty") }
        guard first.path == BundlePath.manifestName else { throw BundleError.manifestNotFirst(first.path) }
        guard first.kind == .file else {
            throw BundleError.notRegular(first.path, first.kind, target: first.linkTarget)
        }
        let manifestBytes = try reader.readAll(limit: limits.maxManifestSize, entry: first.path)

        var signatureBytes: [UInt8]?
        if let second = try next() {
            if second.path == BundlePath.signatureName {
                guard second.kind == .file else {
                    throw BundleError.notRegular(second.path, second.kind, target: second.linkTarget)
                }
                signatureBytes = try reader.readAll(limit: limits.maxSignatureSize, entry: second.path)
            } else {
                pending = second
            }
        }
        let status = try SignatureCheck.check(
            manifestBytes: manifestBytes, signatureBytes: signatureBytes, trustedKeys: trustedKeys)
        let manifest = try Manifest.decode(manifestBytes)
        try limits.check(manifest)
        return Head(
            manifest: manifest, manifestBytes: manifestBytes, signatureBytes: signatureBytes, signature: status)
    }

    func files(of manifest: Manifest, sink: FileSink?) throws(GSError) {
        let listed = Dictionary(manifest.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var seen = Set<String>()
        let buffer = ChunkBuffer()
        while let header = try next() {
            if header.path == BundlePath.signatureName { throw BundleError.signatureMisplaced() }
            if header.path == BundlePath.manifestName { throw BundleError.duplicate(header.path) }
            guard header.kind == .file else {
                throw BundleError.notRegular(header.path, header.kind, target: header.linkTarget)
            }
            if let problem = BundlePath.problem(header.path) { throw BundleError.badEntryPath(header.path, problem) }
            if seen.contains(header.path) { throw BundleError.duplicate(header.path) }
            guard let file = listed[header.path] else { throw BundleError.unlisted(header.path) }
            guard let size = header.size, size == file.size else {
                throw BundleError.sizeMismatch(file.path, actual: header.size ?? 0, expected: file.size)
            }
            guard header.permissions == file.mode.rawValue else {
                throw BundleError.modeMismatch(file.path, actual: header.permissions, expected: file.mode)
            }
            try copy(file, buffer: buffer, to: sink)
            seen.insert(file.path)
        }
        if let absent = manifest.files.first(where: { !seen.contains($0.path) }) {
            throw BundleError.missing(absent.path)
        }
    }

    /// Streams one entry's data through the hasher (and the sink), then compares.
    private func copy(_ file: ManifestFile, buffer: ChunkBuffer, to sink: FileSink?) throws(GSError) {
        var hasher = try SHA256()
        var count = 0
        try sink?.begin(file)
        while true {
            let read = try reader.read(into: buffer.raw)
            if read == 0 { break }
            count += read
            // libarchive stops at the header's size; this guards the invariant anyway.
            if count > file.size { throw BundleError.sizeMismatch(file.path, actual: count, expected: file.size) }
            hasher.update(buffer.prefix(read))
            try sink?.write(buffer.prefix(read))
        }
        guard count == file.size else { throw BundleError.sizeMismatch(file.path, actual: count, expected: file.size) }
        let digest = hasher.finalize()
        guard digest == file.sha256 else {
            throw BundleError.digestMismatch(file.path, actual: digest, expected: file.sha256)
        }
        try sink?.end(file)
    }
}
